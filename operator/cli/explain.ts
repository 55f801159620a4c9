// `metalfrr explain service NAMESPACE/NAME`: why a Service has no address or is not announced, from manifests or
// from a cluster (--kubeconfig). The reasoning is operator/explain/explain.ts.
import { DEFAULT_METALLB_NAMESPACE } from '../api/constants.js';
import type { KubeObject, Namespace, Node, Secret } from '../api/meta.js';
import type { BGPSessionState } from '../api/frrk8s.js';
import { KINDS } from '../config/kinds.js';
import { emptyResources, type ClusterResources } from '../config/metallb/types.js';
import { explainService, type ExplainInput, type ExplainService, type Explanation } from '../explain/explain.js';
import { collectionPath, isNotFound, KubeApiError, KubeClient, loadKubeConfig } from '../runtime/client.js';
import type { EndpointSliceObject } from '../speaker/types.js';
import type { Lease } from '../runtime/leader.js';
import { leaseNode, liveSpeakers } from '../controllers/speaker-membership.js';
import { loadManifests } from '../util/manifests.js';
import { UsageError, type CommandIO } from './io.js';

export const EXPLAIN_USAGE = `usage: metalfrr explain service NAMESPACE/NAME [FILE|DIR...] [--kubeconfig PATH]
                       [--namespace metallb-system] [--lb-class CLASS]

Says in one sentence why a LoadBalancer Service has no address (no pool, pool exhausted, autoAssign off,
pool selectors not matching, requested IP outside the pools or taken, IP family mismatch, another
loadBalancerClass) or why it is not announced (no BGPAdvertisement/L2Advertisement for its pool, no
eligible node, no ready endpoint with Local policy, no BGPPeer, session down), and what to do.

Input: the manifests in FILE|DIR (Services, EndpointSlices, Nodes, MetalLB objects, BGPSessionStates),
or the cluster with --kubeconfig. --namespace is MetalLB's namespace; --lb-class (alias --node-lb-class)
the loadBalancerClass MetalLB handles ('' = services without one).

Exit status: 0 the service is fine, 1 it has a problem, 2 usage error, unreadable input or not found.`;

export interface ExplainArgs {
  service: string;
  paths: string[];
  kubeconfig?: string;
  namespace: string;
  lbClass: string;
}

export function parseExplainArgs(values: Record<string, unknown>, positionals: string[]): ExplainArgs {
  const [sub, service, ...paths] = positionals;
  if (sub !== 'service') throw new UsageError(sub === undefined ? 'explain needs a subcommand: service' : `unknown explain subcommand "${sub}" (only: service)`);
  if (!service || !/^[^/\s]+\/[^/\s]+$/.test(service)) throw new UsageError('explain service needs NAMESPACE/NAME');
  const kubeconfig = values.kubeconfig === undefined ? undefined : String(values.kubeconfig);
  if (kubeconfig === undefined && paths.length === 0) throw new UsageError('explain service needs FILE|DIR... or --kubeconfig PATH');
  if (kubeconfig !== undefined && paths.length > 0) throw new UsageError('give either FILE|DIR... or --kubeconfig, not both');
  const lbClass = values['lb-class'] ?? values['node-lb-class'] ?? '';
  return { service, paths, kubeconfig, namespace: String(values.namespace ?? DEFAULT_METALLB_NAMESPACE), lbClass: String(lbClass) };
}

const RES_KEY: Record<string, keyof ClusterResources> = {
  IPAddressPool: 'pools',
  BGPPeer: 'peers',
  BFDProfile: 'bfdProfiles',
  L2Advertisement: 'l2Advertisements',
  BGPAdvertisement: 'bgpAdvertisements',
  Community: 'communities',
};

/** Sorts loose objects into the explain input (MetalLB objects outside `namespace` are ignored, like MetalLB does). */
export function inputFromObjects(objects: readonly KubeObject[], namespace: string): ExplainInput {
  const res = emptyResources();
  const input: ExplainInput & { services: ExplainService[]; endpointSlices: EndpointSliceObject[]; nodes: Node[]; namespaces: Namespace[] } = {
    services: [],
    endpointSlices: [],
    nodes: [],
    namespaces: [],
    resources: res,
  };
  let sessions: BGPSessionState[] | undefined;
  for (const o of objects) {
    const key = RES_KEY[o.kind];
    if (key) {
      if ((o.metadata.namespace ?? namespace) === namespace) (res[key] as KubeObject[]).push(o);
      continue;
    }
    switch (o.kind) {
      case 'Service':
        input.services.push({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? 'default' } } as ExplainService);
        break;
      case 'EndpointSlice':
        input.endpointSlices.push({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? 'default' } } as EndpointSliceObject);
        break;
      case 'Node':
        input.nodes.push(o as Node);
        break;
      case 'Namespace':
        input.namespaces.push(o as Namespace);
        break;
      case 'Secret':
        res.secrets.push(o as Secret);
        break;
      case 'BGPSessionState':
        (sessions ??= []).push(o as BGPSessionState);
        break;
    }
  }
  if (sessions) input.sessions = sessions;
  return input;
}

async function listAll<T>(client: KubeClient, apiVersion: string, plural: string, namespace?: string, optional = false): Promise<T[] | undefined> {
  try {
    return (await client.list<T>(collectionPath(apiVersion, plural, namespace))).items;
  } catch (e) {
    // a CRD that is not installed (404) or a kind we may not read (403): not checked
    if (optional && e instanceof KubeApiError && (isNotFound(e) || e.code === 403)) return undefined;
    throw e;
  }
}

/** Reads what explain needs from a cluster. */
export async function inputFromCluster(client: KubeClient, namespace: string, serviceNamespace: string): Promise<ExplainInput> {
  const objs: KubeObject[] = [];
  const withKind = (kind: string, xs: KubeObject[] | undefined) => (xs ?? []).map((x) => ({ ...x, kind }));
  objs.push(...withKind('Service', await listAll(client, 'v1', 'services')));
  objs.push(...withKind('EndpointSlice', await listAll(client, 'discovery.k8s.io/v1', 'endpointslices', serviceNamespace, true)));
  objs.push(...withKind('Node', await listAll(client, 'v1', 'nodes', undefined, true)));
  objs.push(...withKind('Namespace', await listAll(client, 'v1', 'namespaces', undefined, true)));
  for (const kind of Object.keys(RES_KEY)) {
    const k = KINDS[kind as keyof typeof KINDS];
    objs.push(...withKind(kind, await listAll(client, k.apiVersion, k.plural, namespace, true)));
  }
  objs.push(...withKind('Secret', await listAll(client, 'v1', 'secrets', namespace, true)));
  const input = inputFromObjects(objs, namespace);
  const sessions = await listAll<BGPSessionState>(client, 'frrk8s.metallb.io/v1beta1', 'bgpsessionstates', undefined, true);
  if (sessions) input.sessions = sessions;
  // speaker membership Leases (L2 election candidates); none at all = not checked (every Node assumed)
  const leases = (await listAll<Lease>(client, 'coordination.k8s.io/v1', 'leases', namespace, true))?.filter((l) => leaseNode(l) !== undefined);
  if (leases && leases.length > 0) input.liveSpeakers = liveSpeakers(leases, Date.now()).nodes;
  return input;
}

export function printExplanation(r: Explanation, io: CommandIO): void {
  io.out(r.sentence);
  io.out(`What to do: ${r.todo}`);
  for (const d of r.details) io.out(`  ${d}`);
}

/**
 * Manifest files carry no ClusterIPs (the API server assigns them). Offline, a Service without them is
 * given placeholder ClusterIPs of the families it asks for (spec.ipFamilies, else IPv4), which is all
 * MetalLB reads from them.
 */
export function withAssumedClusterIPs(o: KubeObject): KubeObject {
  const spec = (o as { spec?: { clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; ipFamilyPolicy?: string; type?: string } }).spec;
  if (o.kind !== 'Service' || !spec || spec.clusterIPs?.length || (spec.clusterIP && spec.clusterIP !== 'None')) return o;
  const families = spec.ipFamilies?.length ? spec.ipFamilies : ['IPv4'];
  const wantDual = spec.ipFamilyPolicy === 'RequireDualStack' || spec.ipFamilyPolicy === 'PreferDualStack';
  const fams = wantDual && families.length === 1 ? [families[0]!, families[0] === 'IPv4' ? 'IPv6' : 'IPv4'] : families;
  const ips = fams.map((f) => (f === 'IPv6' ? 'fd00:10:96::1' : '10.96.0.1'));
  return { ...o, spec: { ...spec, clusterIP: ips[0], clusterIPs: ips, ipFamilies: fams } } as KubeObject;
}

export async function runExplain(args: ExplainArgs, io: CommandIO): Promise<number> {
  let input: ExplainInput;
  if (args.kubeconfig !== undefined) {
    try {
      const client = new KubeClient(loadKubeConfig(args.kubeconfig));
      input = await inputFromCluster(client, args.namespace, args.service.split('/')[0]!);
    } catch (e) {
      io.err(`metalfrr explain: cannot read the cluster: ${(e as Error).message}`);
      return 2;
    }
  } else {
    const loaded = loadManifests(args.paths);
    if (loaded.errors.length > 0) {
      for (const e of loaded.errors) io.err(`${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
      return 2;
    }
    input = inputFromObjects(
      loaded.objects.map((o) => withAssumedClusterIPs(o.object)),
      args.namespace,
    );
  }
  const r = explainService(args.service, input, { namespace: args.namespace, lbClass: args.lbClass });
  printExplanation(r, io);
  return r.verdict === 'ok' ? 0 : r.verdict === 'not-found' ? 2 : 1;
}
