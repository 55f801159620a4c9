// Types of the metallb.io custom resources (field names exactly as in the CRDs under crds/).
import type { Condition, KubeObject, LabelSelector, SecretReference } from './meta.js';

export interface ServiceAllocation {
  priority?: number;
  namespaces?: string[];
  namespaceSelectors?: LabelSelector[];
  serviceSelectors?: LabelSelector[];
}

export interface IPAddressPoolSpec {
  addresses: string[];
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  serviceAllocation?: ServiceAllocation;
}

export interface IPAddressPoolStatus {
  assignedIPv4: number;
  assignedIPv6: number;
  availableIPv4: number;
  availableIPv6: number;
}

export interface IPAddressPool extends KubeObject {
  kind: 'IPAddressPool';
  spec: IPAddressPoolSpec;
  status?: IPAddressPoolStatus;
}

export interface PreferredNodeSelector {
  weight: number;
  preference: LabelSelector;
}

export interface L2AdvertisementSpec {
  ipAddressPools?: string[];
  ipAddressPoolSelectors?: LabelSelector[];
  nodeSelectors?: LabelSelector[];
  interfaces?: string[];
  serviceSelectors?: LabelSelector[];
  preferredNodeSelectors?: PreferredNodeSelector[];
}

export interface L2Advertisement extends KubeObject {
  kind: 'L2Advertisement';
  spec?: L2AdvertisementSpec;
}

export interface BGPAdvertisementSpec {
  aggregationLength?: number;
  aggregationLengthV6?: number;
  localPref?: number;
  communities?: string[];
  ipAddressPools?: string[];
  ipAddressPoolSelectors?: LabelSelector[];
  nodeSelectors?: LabelSelector[];
  peers?: string[];
  serviceSelectors?: LabelSelector[];
}

export interface BGPAdvertisement extends KubeObject {
  kind: 'BGPAdvertisement';
  spec?: BGPAdvertisementSpec;
}

export type DynamicASNMode = 'internal' | 'external';

export interface BGPPeerSpec {
  myASN: number;
  peerASN?: number;
  dynamicASN?: DynamicASNMode;
  localASN?: number;
  peerAddress?: string;
  interface?: string;
  sourceAddress?: string;
  peerPort?: number;
  holdTime?: string;
  keepaliveTime?: string;
  connectTime?: string;
  routerID?: string;
  nodeSelectors?: LabelSelector[];
  password?: string;
  passwordSecret?: SecretReference;
  bfdProfile?: string;
  enableGracefulRestart?: boolean;
  ebgpMultiHop?: boolean;
  vrf?: string;
  disableMP?: boolean;
  dualStackAddressFamily?: boolean;
}

/** v1beta2 (storage version). */
export interface BGPPeer extends KubeObject {
  kind: 'BGPPeer';
  spec: BGPPeerSpec;
}

/** Legacy node selector of BGPPeer v1beta1. */
export interface LegacyNodeSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values: string[] }[];
}

export interface BGPPeerV1beta1Spec {
  myASN: number;
  peerASN: number;
  peerAddress: string;
  sourceAddress?: string;
  peerPort?: number;
  holdTime?: string;
  keepaliveTime?: string;
  routerID?: string;
  nodeSelectors?: LegacyNodeSelector[];
  password?: string;
  bfdProfile?: string;
  ebgpMultiHop?: boolean;
}

/** v1beta1 (deprecated, served; converted to v1beta2 for storage). */
export interface BGPPeerV1beta1 extends KubeObject {
  kind: 'BGPPeer';
  spec: BGPPeerV1beta1Spec;
}

export interface BFDProfileSpec {
  receiveInterval?: number;
  transmitInterval?: number;
  detectMultiplier?: number;
  echoInterval?: number;
  echoMode?: boolean;
  passiveMode?: boolean;
  minimumTtl?: number;
}

export interface BFDProfile extends KubeObject {
  kind: 'BFDProfile';
  spec?: BFDProfileSpec;
}

export interface CommunityAlias {
  name?: string;
  value?: string;
}

export interface Community extends KubeObject {
  kind: 'Community';
  spec?: { communities?: CommunityAlias[] };
}

export interface ServiceL2Status extends KubeObject {
  kind: 'ServiceL2Status';
  status?: { node?: string; serviceName?: string; serviceNamespace?: string; interfaces?: { name: string }[] };
}

export interface ServiceBGPStatus extends KubeObject {
  kind: 'ServiceBGPStatus';
  status?: { node?: string; serviceName?: string; serviceNamespace?: string; peers?: string[] };
}

export interface ConfigurationState extends KubeObject {
  kind: 'ConfigurationState';
  status?: { result?: 'Valid' | 'Invalid' | 'Unknown'; errorSummary?: string; conditions?: Condition[] };
}

export interface MetalLBComponentConfig {
  priorityClassName?: string;
  runtimeClassName?: string;
  affinity?: Record<string, unknown>;
  annotations?: Record<string, string>;
  resources?: Record<string, unknown>;
}

export interface MetalLBSpec {
  image?: string;
  nodeSelector?: Record<string, string>;
  speakerTolerations?: Record<string, unknown>[];
  logLevel?: 'all' | 'debug' | 'info' | 'warn' | 'error' | 'none';
  loadBalancerClass?: string;
  controllerNodeSelector?: Record<string, string>;
  controllerTolerations?: Record<string, unknown>[];
  controllerConfig?: MetalLBComponentConfig;
  speakerConfig?: MetalLBComponentConfig;
  bgpBackend?: string;
  frrk8sConfig?: { alwaysBlock?: string[]; namespace?: string; secretPassthrough?: boolean };
}

export interface MetalLB extends KubeObject {
  kind: 'MetalLB';
  spec?: MetalLBSpec;
  status?: { conditions?: Condition[] };
}
