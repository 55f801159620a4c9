// API groups, versions, namespaces, annotations and label keys used across metalfrr.

export const METALLB_GROUP = 'metallb.io';
export const FRRK8S_GROUP = 'frrk8s.metallb.io';
export const METALLB_V1BETA1 = 'metallb.io/v1beta1';
export const METALLB_V1BETA2 = 'metallb.io/v1beta2';
export const FRRK8S_V1BETA1 = 'frrk8s.metallb.io/v1beta1';

export const DEFAULT_METALLB_NAMESPACE = 'metallb-system';
export const DEFAULT_FRRK8S_NAMESPACE = 'frr-k8s-system';

export type BGPBackend = 'frr-k8s' | 'frr' | 'native' | 'frr-k8s-external';
export const BGP_BACKENDS: readonly BGPBackend[] = ['frr-k8s', 'frr', 'native', 'frr-k8s-external'];
export const DEFAULT_BGP_BACKEND: BGPBackend = 'frr-k8s';

export const ANNOTATION_LB_IPS = 'metallb.io/loadBalancerIPs';
export const ANNOTATION_LB_IPS_DEPRECATED = 'metallb.universe.tf/loadBalancerIPs';
export const ANNOTATION_ADDRESS_POOL = 'metallb.io/address-pool';
export const ANNOTATION_ADDRESS_POOL_DEPRECATED = 'metallb.universe.tf/address-pool';
export const ANNOTATION_ALLOW_SHARED_IP = 'metallb.io/allow-shared-ip';
export const ANNOTATION_ALLOW_SHARED_IP_DEPRECATED = 'metallb.universe.tf/allow-shared-ip';
export const ANNOTATION_IP_ALLOCATED_FROM_POOL = 'metallb.io/ip-allocated-from-pool';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_EXCLUDE_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';
export const LABEL_METALLB_NODE = 'metallb.io/node';
export const LABEL_METALLB_SERVICE_NAME = 'metallb.io/service-name';
export const LABEL_METALLB_SERVICE_NAMESPACE = 'metallb.io/service-namespace';
export const LABEL_FRRK8S_NODE = 'frrk8s.metallb.io/node';
export const LABEL_FRRK8S_PEER = 'frrk8s.metallb.io/peer';
export const LABEL_FRRK8S_VRF = 'frrk8s.metallb.io/vrf';

export const SECRET_TYPE_BASIC_AUTH = 'kubernetes.io/basic-auth';
