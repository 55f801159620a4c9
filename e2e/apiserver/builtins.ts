// The built-in kinds the test API server serves, with the little per-kind behaviour it emulates
// (initial status, a few defaults, name rules, generation rules).
import type { KubeObject, ResourceType } from './types.js';
import { isObject } from '../../operator/util/json.js';

type Spec = Partial<ResourceType> & Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural'>;

function builtin(s: Spec): ResourceType {
  return {
    listKind: `${s.kind}List`,
    singular: s.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    namespaced: true,
    hasStatus: false,
    storageVersion: s.version,
    builtin: true,
    generation: 'none',
    nameRule: 'subdomain',
    resetStatusOnCreate: false,
    allowUnconditionalUpdate: true,
    returnDeletedObject: false,
    ...s,
  };
}

const apps = (kind: string, plural: string, shortNames: string[]): ResourceType =>
  builtin({ group: 'apps', version: 'v1', kind, plural, shortNames, hasStatus: true, generation: 'spec', resetStatusOnCreate: true, categories: ['all'] });

export const BUILTIN_TYPES: ResourceType[] = [
  builtin({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], namespaced: false, hasStatus: true, nameRule: 'label', returnDeletedObject: true, resetStatusOnCreate: true }),
  builtin({ group: '', version: 'v1', kind: 'Node', plural: 'nodes', shortNames: ['no'], namespaced: false, hasStatus: true }),
  builtin({ group: '', version: 'v1', kind: 'Service', plural: 'services', shortNames: ['svc'], hasStatus: true, nameRule: 'dns1035', resetStatusOnCreate: true, categories: ['all'] }),
  builtin({ group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'], singular: 'endpoints' }),
  builtin({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets' }),
  builtin({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] }),
  builtin({ group: '', version: 'v1', kind: 'Pod', plural: 'pods', shortNames: ['po'], hasStatus: true, resetStatusOnCreate: true, returnDeletedObject: true, categories: ['all'] }),
  builtin({ group: '', version: 'v1', kind: 'Event', plural: 'events', shortNames: ['ev'] }),
  builtin({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'] }),
  apps('Deployment', 'deployments', ['deploy']),
  apps('DaemonSet', 'daemonsets', ['ds']),
  apps('StatefulSet', 'statefulsets', ['sts']),
  apps('ReplicaSet', 'replicasets', ['rs']),
  builtin({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices' }),
  builtin({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases' }),
  builtin({ group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', shortNames: ['ev'] }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', nameRule: 'path' }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', nameRule: 'path' }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false, nameRule: 'path' }),
  builtin({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false, nameRule: 'path' }),
  builtin({ group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, generation: 'nonMetadata' }),
  builtin({ group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, generation: 'nonMetadata' }),
  builtin({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', shortNames: ['crd', 'crds'], namespaced: false, hasStatus: true, generation: 'spec', resetStatusOnCreate: true }),
  builtin({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', shortNames: ['pdb'], hasStatus: true, generation: 'spec', resetStatusOnCreate: true }),
  builtin({ group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', shortNames: ['netpol'], generation: 'spec' }),
];

/** The status a new object of a kind with `resetStatusOnCreate` starts with. */
export function initialStatus(t: ResourceType, obj: KubeObject): unknown {
  if (!t.builtin) return undefined;
  switch (t.kind) {
    case 'Namespace':
      return { phase: 'Active' };
    case 'Pod':
      return { phase: 'Pending' };
    case 'Service':
      return { loadBalancer: {} };
    default:
      return isObject(obj.status) && t.kind === 'Node' ? obj.status : {};
  }
}

/** The few defaults of built-in kinds the project relies on. Mutates `obj`. */
export function applyBuiltinDefaults(t: ResourceType, obj: KubeObject): void {
  if (!t.builtin) return;
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  switch (t.kind) {
    case 'Secret': {
      if (obj.type === undefined) obj.type = 'Opaque';
      // stringData is write-only: merged into data (base64) like the real API server does.
      if (isObject(obj.stringData)) {
        const data = isObject(obj.data) ? (obj.data as Record<string, string>) : {};
        for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        obj.data = data;
      }
      delete obj.stringData;
      break;
    }
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      break;
    case 'Service':
      if (spec) {
        if (spec.type === undefined) spec.type = 'ClusterIP';
        if (Array.isArray(spec.ports)) for (const p of spec.ports) if (isObject(p) && p.protocol === undefined) p.protocol = 'TCP';
        if (spec.sessionAffinity === undefined) spec.sessionAffinity = 'None';
      }
      break;
    case 'ValidatingWebhookConfiguration':
    case 'MutatingWebhookConfiguration':
      if (Array.isArray(obj.webhooks)) {
        for (const w of obj.webhooks) {
          if (!isObject(w)) continue;
          if (w.failurePolicy === undefined) w.failurePolicy = 'Fail';
          if (w.matchPolicy === undefined) w.matchPolicy = 'Equivalent';
          if (w.timeoutSeconds === undefined) w.timeoutSeconds = 10;
          if (w.namespaceSelector === undefined) w.namespaceSelector = {};
          if (w.objectSelector === undefined) w.objectSelector = {};
          if (Array.isArray(w.rules)) for (const r of w.rules) if (isObject(r) && r.scope === undefined) r.scope = '*';
        }
      }
      break;
  }
}

/** Keys of associative lists of built-in kinds (strategic-merge keys), for patches and managed fields. */
export function builtinListKeys(kind: string, path: string[]): string[] | 'set' | undefined {
  const last = path[path.length - 1];
  const prev = path[path.length - 2];
  if (path.length === 2 && path[0] === 'metadata') {
    if (last === 'ownerReferences') return ['uid'];
    if (last === 'finalizers') return 'set';
  }
  switch (last) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'imagePullSecrets':
      return ['name'];
    case 'env':
      return prev === 'containers' || prev === 'initContainers' || prev === 'ephemeralContainers' ? ['name'] : undefined;
    case 'volumeMounts':
      return ['mountPath'];
    case 'volumeDevices':
      return ['devicePath'];
    case 'ports':
      if (prev === 'containers' || prev === 'initContainers') return ['containerPort'];
      if (kind === 'Service' && path.length === 2 && path[0] === 'spec') return ['port'];
      return undefined;
    case 'conditions':
      return path[0] === 'status' ? ['type'] : undefined;
    case 'addresses':
      return kind === 'Node' && path[0] === 'status' ? ['type'] : undefined;
    case 'webhooks':
      return (kind === 'ValidatingWebhookConfiguration' || kind === 'MutatingWebhookConfiguration') && path.length === 1 ? ['name'] : undefined;
    default:
      return undefined;
  }
}
