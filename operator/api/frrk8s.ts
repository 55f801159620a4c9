// Types of the frrk8s.metallb.io custom resources (field names exactly as in the CRDs under crds/).
import type { KubeObject, LabelSelector, SecretReference } from './meta.js';

export interface PrefixSelector {
  prefix: string;
  le?: number;
  ge?: number;
}

export interface LocalPrefPrefixes {
  prefixes: string[];
  localPref: number;
}

export interface CommunityPrefixes {
  prefixes: string[];
  community: string;
}

export interface Advertise {
  allowed?: { prefixes?: string[]; mode?: 'all' | 'filtered' | string };
  nextHop?: { ipv4?: string; ipv6?: string };
  withLocalPref?: LocalPrefPrefixes[];
  withCommunity?: CommunityPrefixes[];
}

export interface Receive {
  allowed?: { prefixes?: PrefixSelector[]; mode?: 'all' | 'filtered' | string };
}

export interface Neighbor {
  asn?: number;
  dynamicASN?: 'internal' | 'external' | string;
  localASN?: number;
  sourceaddress?: string;
  address?: string;
  interface?: string;
  port?: number;
  password?: string;
  passwordSecret?: SecretReference;
  holdTime?: string;
  keepaliveTime?: string;
  connectTime?: string;
  ebgpMultiHop?: boolean;
  bfdProfile?: string;
  enableGracefulRestart?: boolean;
  toAdvertise?: Advertise;
  toReceive?: Receive;
  disableMP?: boolean;
  dualStackAddressFamily?: boolean;
  addressFamilies?: ('unicast' | 'evpn' | string)[];
}

export interface VNI {
  vni: number;
  rd?: string;
  importRTs?: string[];
  exportRTs?: string[];
}

export interface L3VNI extends VNI {
  advertisePrefixes?: string[];
}

export interface EVPNConfig {
  advertiseVNIs?: 'All' | 'Disabled' | string;
  advertiseSVI?: boolean;
  l2vnis?: VNI[];
  l3vni?: L3VNI;
}

export interface Router {
  asn: number;
  id?: string;
  vrf?: string;
  neighbors?: Neighbor[];
  prefixes?: string[];
  imports?: { vrf?: string }[];
  evpn?: EVPNConfig;
}

export interface FRRBFDProfile {
  name: string;
  receiveInterval?: number;
  transmitInterval?: number;
  detectMultiplier?: number;
  echoInterval?: number;
  echoMode?: boolean;
  passiveMode?: boolean;
  minimumTtl?: number;
}

export interface FRRConfigurationSpec {
  bgp?: { routers?: Router[]; bfdProfiles?: FRRBFDProfile[] };
  raw?: { priority?: number; rawConfig?: string };
  nodeSelector?: LabelSelector;
}

export interface FRRConfiguration extends KubeObject {
  kind: 'FRRConfiguration';
  spec?: FRRConfigurationSpec;
  status?: Record<string, never>;
}

export interface FRRNodeState extends KubeObject {
  kind: 'FRRNodeState';
  status?: { runningConfig?: string; lastReloadResult?: string; lastConversionResult?: string };
}

export interface BGPSessionState extends KubeObject {
  kind: 'BGPSessionState';
  status?: { node?: string; peer?: string; vrf?: string; bgpStatus?: string; bfdStatus?: string };
}

export interface FRRK8sConfiguration extends KubeObject {
  kind: 'FRRK8sConfiguration';
  spec?: { logLevel?: 'all' | 'debug' | 'info' | 'warn' | 'error' | 'none' };
}
