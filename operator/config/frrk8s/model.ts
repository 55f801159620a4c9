// The internal FRR model of frr-k8s (upstream `internal/frr/config.go`), field for field as the JSON of
// the shared vectors (`expected.json`, `model.json`). The conversion produces it and the frr.conf
// renderer consumes it; it is the single model type of the frr-k8s side.

export type NeighborFamily = 'ipv4' | 'ipv6' | 'dual';
export type PrefixFamily = 'ipv4' | 'ipv6';
/** Family keyword of an FRR prefix-list: `ip prefix-list` or `ipv6 prefix-list`. */
export type FRRListFamily = 'ip' | 'ipv6';
export type AddressFamily = 'unicast' | 'evpn';

/** An incoming (or always-block) prefix selector. `le`/`ge` 0 means unset. */
export interface FilterModel {
  ipFamily: PrefixFamily;
  prefix: string;
  le: number;
  ge: number;
}

export interface PrefixListModel {
  name: string;
  ipFamily: FRRListFamily;
  /** a set, kept sorted */
  prefixes: string[];
}

export interface LocalPrefPrefixListModel extends PrefixListModel {
  localPref: number;
}

export interface CommunityPrefixListModel extends PrefixListModel {
  /** canonical text: `A:B` in decimal, or `large:A:B:C` */
  community: string;
}

export interface AllowedInModel {
  all: boolean;
  prefixesV4: FilterModel[];
  prefixesV6: FilterModel[];
}

export interface AllowedOutModel {
  prefixesV4: string[];
  prefixesV6: string[];
  nextHopV4: string;
  nextHopV6: string;
  localPrefPrefixesModifiers: LocalPrefPrefixListModel[];
  communityPrefixesModifiers: CommunityPrefixListModel[];
}

export interface NeighborModel {
  ipFamily: NeighborFamily;
  /** `<asn>@<address or interface>` */
  name: string;
  /** decimal ASN, or `internal` / `external` */
  asn: string;
  srcAddr: string;
  addr: string;
  iface: string;
  port: number | null;
  /** whole seconds */
  holdTime: number | null;
  keepaliveTime: number | null;
  connectTime: number | null;
  password: string;
  bfdProfile: string;
  gracefulRestart: boolean;
  ebgpMultiHop: boolean;
  /** 0 = unset */
  localASN: number;
  vrfName: string;
  incoming: AllowedInModel;
  outgoing: AllowedOutModel;
  alwaysBlock: FilterModel[];
  addressFamilies: string[];
}

export interface VNIModel {
  vni: number;
  rd: string;
  importRTs: string[];
  exportRTs: string[];
}

export interface L3VNIModel extends VNIModel {
  advertisePrefixes: string[];
}

export interface EVPNModel {
  advertiseVNIs: string | null;
  advertiseSVI: boolean;
  l2VNIs: VNIModel[];
  l3VNI: L3VNIModel | null;
}

export interface RouterModel {
  myASN: number;
  routerID: string;
  vrf: string;
  neighbors: NeighborModel[];
  ipv4Prefixes: string[];
  ipv6Prefixes: string[];
  importVRFs: string[];
  evpn: EVPNModel | null;
}

export interface BFDProfileModel {
  name: string;
  receiveInterval: number | null;
  transmitInterval: number | null;
  detectMultiplier: number | null;
  echoInterval: number | null;
  echoMode: boolean;
  passiveMode: boolean;
  minimumTTL: number | null;
}

export interface FRRModelConfig {
  logLevel: string;
  hostname: string;
  routers: RouterModel[];
  bfdProfiles: BFDProfileModel[];
  extraConfig: string;
}

/** The ID used in every list / route-map name: interface (or address) plus `-<vrf>` when the VRF is set. */
export function neighborID(n: Pick<NeighborModel, 'iface' | 'addr' | 'vrfName'>): string {
  const base = n.iface ? n.iface : n.addr;
  return n.vrfName ? `${base}-${n.vrfName}` : base;
}

/** Does the neighbor carry this unicast family (dual carries both)? */
export function neighborHasFamily(n: Pick<NeighborModel, 'ipFamily'>, f: PrefixFamily): boolean {
  return n.ipFamily === 'dual' || n.ipFamily === f;
}

/** Is the neighbor activated in the l2vpn evpn address family? */
export function neighborHasEVPN(n: Pick<NeighborModel, 'addressFamilies'>): boolean {
  return (n.addressFamilies ?? []).includes('evpn');
}

/** Is the neighbor activated in the unicast families (no explicit list counts as unicast)? */
export function neighborHasUnicast(n: Pick<NeighborModel, 'addressFamilies'>): boolean {
  const afs = n.addressFamilies ?? [];
  return afs.length === 0 || afs.includes('unicast');
}

export function emptyModelConfig(): FRRModelConfig {
  return { logLevel: '', hostname: '', routers: [], bfdProfiles: [], extraConfig: '' };
}

// ---------------------------------------------------------------------------------------------
// Reading a model from JSON (e.g. the vectors' model.json): every absent or null list becomes [],
// every absent scalar its zero value; pointer fields stay null when absent.

type J = Record<string, unknown>;
const obj = (v: unknown): J => (v && typeof v === 'object' && !Array.isArray(v) ? (v as J) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : v === undefined || v === null ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === undefined || v === null ? null : Number(v));
const strs = (v: unknown): string[] => arr(v).map(str);

function filterFromJSON(v: unknown): FilterModel {
  const o = obj(v);
  return { ipFamily: str(o.ipFamily) as PrefixFamily, prefix: str(o.prefix), le: num(o.le), ge: num(o.ge) };
}

function vniFromJSON(v: unknown): VNIModel {
  const o = obj(v);
  return { vni: num(o.vni), rd: str(o.rd), importRTs: strs(o.importRTs), exportRTs: strs(o.exportRTs) };
}

export function neighborFromJSON(v: unknown): NeighborModel {
  const o = obj(v);
  const inc = obj(o.incoming);
  const out = obj(o.outgoing);
  return {
    ipFamily: str(o.ipFamily) as NeighborFamily,
    name: str(o.name),
    asn: str(o.asn),
    srcAddr: str(o.srcAddr),
    addr: str(o.addr),
    iface: str(o.iface),
    port: numOrNull(o.port),
    holdTime: numOrNull(o.holdTime),
    keepaliveTime: numOrNull(o.keepaliveTime),
    connectTime: numOrNull(o.connectTime),
    password: str(o.password),
    bfdProfile: str(o.bfdProfile),
    gracefulRestart: o.gracefulRestart === true,
    ebgpMultiHop: o.ebgpMultiHop === true,
    localASN: num(o.localASN),
    vrfName: str(o.vrfName),
    incoming: {
      all: inc.all === true,
      prefixesV4: arr(inc.prefixesV4).map(filterFromJSON),
      prefixesV6: arr(inc.prefixesV6).map(filterFromJSON),
    },
    outgoing: {
      prefixesV4: strs(out.prefixesV4),
      prefixesV6: strs(out.prefixesV6),
      nextHopV4: str(out.nextHopV4),
      nextHopV6: str(out.nextHopV6),
      localPrefPrefixesModifiers: arr(out.localPrefPrefixesModifiers).map((m) => {
        const x = obj(m);
        return { name: str(x.name), ipFamily: str(x.ipFamily) as FRRListFamily, prefixes: strs(x.prefixes), localPref: num(x.localPref) };
      }),
      communityPrefixesModifiers: arr(out.communityPrefixesModifiers).map((m) => {
        const x = obj(m);
        return { name: str(x.name), ipFamily: str(x.ipFamily) as FRRListFamily, prefixes: strs(x.prefixes), community: str(x.community) };
      }),
    },
    alwaysBlock: arr(o.alwaysBlock).map(filterFromJSON),
    addressFamilies: strs(o.addressFamilies),
  };
}

export function modelFromJSON(v: unknown): FRRModelConfig {
  const o = obj(v);
  return {
    logLevel: str(o.logLevel),
    hostname: str(o.hostname),
    routers: arr(o.routers).map((rv) => {
      const r = obj(rv);
      let evpn: EVPNModel | null = null;
      if (r.evpn !== undefined && r.evpn !== null) {
        const e = obj(r.evpn);
        let l3: L3VNIModel | null = null;
        if (e.l3VNI !== undefined && e.l3VNI !== null) {
          l3 = { ...vniFromJSON(e.l3VNI), advertisePrefixes: strs(obj(e.l3VNI).advertisePrefixes) };
        }
        evpn = {
          advertiseVNIs: e.advertiseVNIs === undefined || e.advertiseVNIs === null ? null : str(e.advertiseVNIs),
          advertiseSVI: e.advertiseSVI === true,
          l2VNIs: arr(e.l2VNIs).map(vniFromJSON),
          l3VNI: l3,
        };
      }
      return {
        myASN: num(r.myASN),
        routerID: str(r.routerID),
        vrf: str(r.vrf),
        neighbors: arr(r.neighbors).map(neighborFromJSON),
        ipv4Prefixes: strs(r.ipv4Prefixes),
        ipv6Prefixes: strs(r.ipv6Prefixes),
        importVRFs: strs(r.importVRFs),
        evpn,
      };
    }),
    bfdProfiles: arr(o.bfdProfiles).map((bv) => {
      const b = obj(bv);
      return {
        name: str(b.name),
        receiveInterval: numOrNull(b.receiveInterval),
        transmitInterval: numOrNull(b.transmitInterval),
        detectMultiplier: numOrNull(b.detectMultiplier),
        echoInterval: numOrNull(b.echoInterval),
        echoMode: b.echoMode === true,
        passiveMode: b.passiveMode === true,
        minimumTTL: numOrNull(b.minimumTTL),
      };
    }),
    extraConfig: str(o.extraConfig),
  };
}
