// The kinds metalfrr reads, where they live in the API, and how a set of loaded objects is grouped
// into the inputs of the MetalLB parser and the frr-k8s conversion.
import type { KubeObject } from '../api/meta.js';
import type { ResourceInfo } from '../runtime/resources.js';

/** Kinds the webhooks and controllers read (MetalLB CRs at their served storage version). */
export const KINDS = {
  IPAddressPool: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', plural: 'ipaddresspools', namespaced: true },
  L2Advertisement: { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', plural: 'l2advertisements', namespaced: true },
  BGPAdvertisement: { apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', plural: 'bgpadvertisements', namespaced: true },
  BGPPeer: { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', plural: 'bgppeers', namespaced: true },
  BFDProfile: { apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', plural: 'bfdprofiles', namespaced: true },
  Community: { apiVersion: 'metallb.io/v1beta1', kind: 'Community', plural: 'communities', namespaced: true },
  FRRConfiguration: { apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'FRRConfiguration', plural: 'frrconfigurations', namespaced: true },
  Node: { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false },
  Namespace: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  Secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
} as const satisfies Record<string, ResourceInfo>;

export type KnownKind = keyof typeof KINDS;

/** The MetalLB kinds whose objects must live in the MetalLB namespace (webhook rule B1). */
export const METALLB_CONFIG_KINDS = ['IPAddressPool', 'L2Advertisement', 'BGPAdvertisement', 'BGPPeer', 'BFDProfile', 'Community'] as const;

/**
 * Built-in kinds a manifest set may carry besides metalfrr's CRDs. They are accepted by `validate`
 * (Nodes, Namespaces and Secrets also feed the validation); any other kind is reported as unknown.
 */
export const BUILTIN_KINDS: Record<string, string[]> = {
  v1: ['Namespace', 'Node', 'Secret', 'ConfigMap', 'Service', 'Pod', 'ServiceAccount', 'Endpoints', 'Event'],
  'apps/v1': ['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet'],
  'discovery.k8s.io/v1': ['EndpointSlice'],
  'rbac.authorization.k8s.io/v1': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  'admissionregistration.k8s.io/v1': ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'],
  'apiextensions.k8s.io/v1': ['CustomResourceDefinition'],
  'coordination.k8s.io/v1': ['Lease'],
  'policy/v1': ['PodDisruptionBudget'],
  'networking.k8s.io/v1': ['NetworkPolicy'],
};

/** Cluster-scoped built-in kinds (their namespace is ignored). */
export const CLUSTER_SCOPED_BUILTINS = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'CustomResourceDefinition',
]);

export function isBuiltinKind(o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return BUILTIN_KINDS[o.apiVersion]?.includes(o.kind) ?? false;
}
