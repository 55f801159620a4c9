// apiVersion + kind → REST resource (plural, scope): a static table for the kinds metalfrr touches, and
// API discovery (GET /api/v1, /apis/<group>/<version>) for anything else, cached per group/version.
import { KubeClient, collectionPath, objectPath } from './client.js';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const T = (apiVersion: string, kind: string, plural: string, namespaced: boolean): ResourceInfo => ({ apiVersion, kind, plural, namespaced });

/** Kinds known without discovery. */
export const KNOWN_RESOURCES: readonly ResourceInfo[] = [
  T('v1', 'Namespace', 'namespaces', false),
  T('v1', 'Node', 'nodes', false),
  T('v1', 'Service', 'services', true),
  T('v1', 'Endpoints', 'endpoints', true),
  T('v1', 'Pod', 'pods', true),
  T('v1', 'Secret', 'secrets', true),
  T('v1', 'ConfigMap', 'configmaps', true),
  T('v1', 'ServiceAccount', 'serviceaccounts', true),
  T('v1', 'Event', 'events', true),
  T('events.k8s.io/v1', 'Event', 'events', true),
  T('apps/v1', 'Deployment', 'deployments', true),
  T('apps/v1', 'DaemonSet', 'daemonsets', true),
  T('apps/v1', 'StatefulSet', 'statefulsets', true),
  T('apps/v1', 'ReplicaSet', 'replicasets', true),
  T('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', true),
  T('coordination.k8s.io/v1', 'Lease', 'leases', true),
  T('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
  T('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
  T('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  T('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  T('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  T('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
  T('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  T('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true),
  T('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies', true),
  ...(['v1beta1', 'v1beta2'] as const).flatMap((v) => [T(`metallb.io/${v}`, 'BGPPeer', 'bgppeers', true)]),
  ...[
    ['IPAddressPool', 'ipaddresspools'],
    ['L2Advertisement', 'l2advertisements'],
    ['BGPAdvertisement', 'bgpadvertisements'],
    ['BFDProfile', 'bfdprofiles'],
    ['Community', 'communities'],
    ['ConfigurationState', 'configurationstates'],
    ['ServiceL2Status', 'servicel2statuses'],
    ['ServiceBGPStatus', 'servicebgpstatuses'],
    ['MetalLB', 'metallbs'],
  ].map(([k, p]) => T('metallb.io/v1beta1', k!, p!, true)),
  ...[
    ['FRRConfiguration', 'frrconfigurations'],
    ['BGPSessionState', 'bgpsessionstates'],
    ['FRRK8sConfiguration', 'frrk8sconfigurations'],
  ].map(([k, p]) => T('frrk8s.metallb.io/v1beta1', k!, p!, true)),
  T('frrk8s.metallb.io/v1beta1', 'FRRNodeState', 'frrnodestates', false),
];

interface ApiResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

export class ResourceResolver {
  private readonly table = new Map<string, ResourceInfo>();
  private readonly discovered = new Map<string, Promise<void>>();

  constructor(
    private readonly client: KubeClient,
    known: readonly ResourceInfo[] = KNOWN_RESOURCES,
  ) {
    for (const r of known) this.table.set(`${r.apiVersion}/${r.kind}`, r);
  }

  /** Plural and scope of `kind` in `apiVersion`; asks discovery when the kind is not in the table. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const key = `${apiVersion}/${kind}`;
    const hit = this.table.get(key);
    if (hit) return hit;
    let p = this.discovered.get(apiVersion);
    if (!p) {
      p = this.discover(apiVersion);
      this.discovered.set(apiVersion, p);
      p.catch(() => this.discovered.delete(apiVersion)); // retry discovery next time
    }
    await p;
    const found = this.table.get(key);
    if (!found) throw new Error(`no resource for kind ${kind} in ${apiVersion}`);
    return found;
  }

  private async discover(apiVersion: string): Promise<void> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await this.client.get<ApiResourceList>(path);
    for (const r of list?.resources ?? []) {
      if (r.name.includes('/')) continue; // subresources
      const key = `${apiVersion}/${r.kind}`;
      if (!this.table.has(key)) this.table.set(key, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced });
    }
  }

  /** REST path of an object (namespace dropped for cluster-scoped kinds). */
  async pathOf(obj: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } }, subresource?: string): Promise<string> {
    const r = await this.resolve(obj.apiVersion, obj.kind);
    if (!obj.metadata.name) throw new Error(`${obj.kind} without metadata.name`);
    if (r.namespaced && !obj.metadata.namespace) throw new Error(`${obj.kind}/${obj.metadata.name}: namespaced kind without metadata.namespace`);
    return objectPath(r.apiVersion, r.plural, r.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name, subresource);
  }

  async collectionOf(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.resolve(apiVersion, kind);
    return collectionPath(r.apiVersion, r.plural, r.namespaced ? namespace : undefined);
  }
}

const resolvers = new WeakMap<KubeClient, ResourceResolver>();

/** One resolver (and discovery cache) per client. */
export function resolverFor(client: KubeClient): ResourceResolver {
  let r = resolvers.get(client);
  if (!r) {
    r = new ResourceResolver(client);
    resolvers.set(client, r);
  }
  return r;
}
