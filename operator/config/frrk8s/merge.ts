// Merge of internal router configurations (upstream `internal/controller/merge.go`): routers of one VRF,
// neighbors with the same ID, outgoing/incoming policies, EVPN. The merge works in place on the first
// argument, like upstream, and also runs as a "self-merge" (a router merged with itself) right after
// each object's conversion; that is what sorts, de-duplicates and normalises defaults.
import { goLess, goQuote } from '../../util/gofmt.js';
import { communityKeyText } from './community.js';
import { ConversionError, wrapError } from './errors.js';
import {
  neighborID,
  type AllowedInModel,
  type AllowedOutModel,
  type CommunityPrefixListModel,
  type EVPNModel,
  type FilterModel,
  type L3VNIModel,
  type LocalPrefPrefixListModel,
  type NeighborModel,
  type RouterModel,
  type VNIModel,
} from './model.js';

export const DEFAULT_BGP_PORT = 179;
export const DEFAULT_HOLD_TIME = 180;
export const DEFAULT_KEEPALIVE_TIME = 60;
export const DEFAULT_CONNECT_TIME = 60;
const VNI_ADVERTISEMENT_DISABLED = 'Disabled';

/** sets.List(sets.New(...)): de-duplicated, sorted. */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(goLess);
}

/** Values of a keyed map, ordered by key (upstream sortMap). */
export function sortByKey<T>(m: Map<string, T>): T[] {
  return [...m.keys()].sort(goLess).map((k) => m.get(k)!);
}

export function localPrefListKey(localPref: number, family: string): string {
  return `${localPref}-${family}`;
}

export function communityListKey(community: string, family: string): string {
  return `${communityKeyText(community)}-${family}`;
}

export function incomingFilterKey(f: FilterModel): string {
  return `${f.prefix}${f.le}${f.ge}`;
}

export function sortIncomingFilters(fs: FilterModel[]): FilterModel[] {
  return [...fs].sort((a, b) => goLess(incomingFilterKey(a), incomingFilterKey(b)));
}

export function sortLocalPrefLists(ls: LocalPrefPrefixListModel[]): LocalPrefPrefixListModel[] {
  return [...ls].sort((a, b) => goLess(localPrefListKey(a.localPref, a.ipFamily), localPrefListKey(b.localPref, b.ipFamily)));
}

export function sortCommunityLists(ls: CommunityPrefixListModel[]): CommunityPrefixListModel[] {
  return [...ls].sort((a, b) => goLess(communityListKey(a.community, a.ipFamily), communityListKey(b.community, b.ipFamily)));
}

/** Merges `toMerge` into `r` (same VRF); returns `r`. `r === toMerge` is the self-merge. */
export function mergeRouterConfigs(r: RouterModel, toMerge: RouterModel): RouterModel {
  routersAreCompatible(r, toMerge);
  if (r.routerID === '') r.routerID = toMerge.routerID;

  const v4 = sortedSet([...r.ipv4Prefixes, ...toMerge.ipv4Prefixes]);
  const v6 = sortedSet([...r.ipv6Prefixes, ...toMerge.ipv6Prefixes]);
  const imports = sortedSet([...r.importVRFs, ...toMerge.importVRFs]);

  const neighbors = mergeNeighborsLists(r.neighbors, toMerge.neighbors);

  let evpn: EVPNModel | null;
  try {
    evpn = mergeEVPNConfigs(r.evpn, toMerge.evpn);
  } catch (e) {
    wrapError(`could not merge EVPN configuration for vrf ${goQuote(r.vrf)}, err: `, e);
  }

  r.ipv4Prefixes = v4;
  r.ipv6Prefixes = v6;
  r.importVRFs = imports;
  r.neighbors = neighbors;
  r.evpn = evpn;
  return r;
}

function routersAreCompatible(r: RouterModel, toMerge: RouterModel): void {
  if (r.vrf !== toMerge.vrf) throw new ConversionError(`different VRFs specified (${r.vrf} != ${toMerge.vrf})`);
  if (r.myASN !== toMerge.myASN)
    throw new ConversionError(`different asns (${r.myASN} != ${toMerge.myASN}) specified for same vrf: ${r.vrf}`);
  if (r.routerID !== '' && toMerge.routerID !== '' && r.routerID !== toMerge.routerID)
    throw new ConversionError(`different router ids (${r.routerID} != ${toMerge.routerID}) specified for same vrf: ${r.vrf}`);
}

/** Merges two neighbor lists of the same router by neighbor ID; the result is sorted by ID. */
export function mergeNeighborsLists(first: NeighborModel[], toMerge: NeighborModel[]): NeighborModel[] {
  const merged = new Map<string, NeighborModel>();
  for (const n of [...first, ...toMerge]) {
    const id = neighborID(n);
    const dest = merged.get(id);
    if (!dest) {
      merged.set(id, n);
      continue;
    }
    mergeIntoNeighbor(dest, n);
  }
  return sortByKey(merged);
}

/** Merges `src` into `dest` (same ID), after checking they are compatible. */
export function mergeIntoNeighbor(dest: NeighborModel, src: NeighborModel): void {
  neighborsAreCompatible(dest, src);
  if (dest.bfdProfile === '') dest.bfdProfile = src.bfdProfile;
  try {
    dest.outgoing = mergeAllowedOut(dest.outgoing, src.outgoing);
  } catch (e) {
    wrapError(`could not merge outgoing for neighbor ${src.addr} vrf ${src.vrfName}, err: `, e);
  }
  dest.incoming = mergeAllowedIn(dest.incoming, src.incoming);
  dest.addressFamilies = sortedSet([...dest.addressFamilies, ...src.addressFamilies]);
  cleanNeighborDefaults(dest);
}

function ptrsEqual(a: number | null, b: number | null, def: number): boolean {
  return (a ?? def) === (b ?? def);
}

function neighborsAreCompatible(n1: NeighborModel, n2: NeighborModel): void {
  const key = neighborID(n1);
  if (key !== neighborID(n2))
    throw new ConversionError(`only neighbors with same ID (${key}, ${neighborID(n2)}) are compatible for merging`);
  if (n1.asn !== n2.asn) throw new ConversionError(`multiple asns specified for ${key}`);
  if (!ptrsEqual(n1.port, n2.port, DEFAULT_BGP_PORT)) throw new ConversionError(`multiple ports specified for ${key}`);
  if (n1.srcAddr !== n2.srcAddr) throw new ConversionError(`multiple source addresses specified for ${key}`);
  if (n1.password !== n2.password) throw new ConversionError(`multiple passwords specified for ${key}`);
  if (n1.bfdProfile !== '' && n2.bfdProfile !== '' && n1.bfdProfile !== n2.bfdProfile)
    throw new ConversionError(`multiple bfd profiles specified for ${key}`);
  if (n1.ebgpMultiHop !== n2.ebgpMultiHop) throw new ConversionError(`conflicting ebgp-multihop specified for ${key}`);
  if (n1.ipFamily !== n2.ipFamily) throw new ConversionError(`conflicting advertiseDualStack specified for ${key}`);
  if (!ptrsEqual(n1.holdTime, n2.holdTime, DEFAULT_HOLD_TIME)) throw new ConversionError(`multiple hold times specified for ${key}`);
  if (!ptrsEqual(n1.keepaliveTime, n2.keepaliveTime, DEFAULT_KEEPALIVE_TIME))
    throw new ConversionError(`multiple keepalive times specified for ${key}`);
  if (!ptrsEqual(n1.connectTime, n2.connectTime, DEFAULT_CONNECT_TIME))
    throw new ConversionError(`multiple connect times specified for ${key}`);
  if (n1.localASN !== n2.localASN) throw new ConversionError(`multiple localASNs specified for ${key}`);
}

/** Port 179, hold 180, keepalive 60 and connect 60 become "unset" (not rendered). */
export function cleanNeighborDefaults(n: NeighborModel): void {
  if (n.port === DEFAULT_BGP_PORT) n.port = null;
  if (n.holdTime === DEFAULT_HOLD_TIME) n.holdTime = null;
  if (n.keepaliveTime === DEFAULT_KEEPALIVE_TIME) n.keepaliveTime = null;
  if (n.connectTime === DEFAULT_CONNECT_TIME) n.connectTime = null;
}

function mergeNextHop(a: string, b: string, family: string): string {
  if (a !== '' && b !== '' && a !== b)
    throw new ConversionError(`${family} next hop: multiple next hops (${a} != ${b}) specified`);
  return a !== '' ? a : b;
}

/** Merges the outgoing policy of two neighbors with the same ID. */
export function mergeAllowedOut(r: AllowedOutModel, toMerge: AllowedOutModel): AllowedOutModel {
  const localPrefForPrefix = new Map<string, number>();
  for (const l of r.localPrefPrefixesModifiers) for (const p of l.prefixes) localPrefForPrefix.set(p, l.localPref);
  for (const l of toMerge.localPrefPrefixesModifiers) {
    for (const p of l.prefixes) {
      const existing = localPrefForPrefix.get(p);
      if (existing !== undefined && existing !== l.localPref)
        throw new ConversionError(`multiple local prefs (${existing} != ${l.localPref}) specified for prefix ${p}`);
    }
  }
  const nextHopV4 = mergeNextHop(r.nextHopV4, toMerge.nextHopV4, 'ipv4');
  const nextHopV6 = mergeNextHop(r.nextHopV6, toMerge.nextHopV6, 'ipv6');

  const lp = new Map<string, LocalPrefPrefixListModel>();
  for (const l of [...r.localPrefPrefixesModifiers, ...toMerge.localPrefPrefixesModifiers]) {
    const k = localPrefListKey(l.localPref, l.ipFamily);
    const cur = lp.get(k);
    lp.set(k, cur ? { ...cur, prefixes: sortedSet([...cur.prefixes, ...l.prefixes]) } : { ...l, prefixes: sortedSet(l.prefixes) });
  }
  const comm = new Map<string, CommunityPrefixListModel>();
  for (const l of [...r.communityPrefixesModifiers, ...toMerge.communityPrefixesModifiers]) {
    const k = communityListKey(l.community, l.ipFamily);
    const cur = comm.get(k);
    comm.set(k, cur ? { ...cur, prefixes: sortedSet([...cur.prefixes, ...l.prefixes]) } : { ...l, prefixes: sortedSet(l.prefixes) });
  }

  return {
    prefixesV4: sortedSet([...r.prefixesV4, ...toMerge.prefixesV4]),
    prefixesV6: sortedSet([...r.prefixesV6, ...toMerge.prefixesV6]),
    nextHopV4,
    nextHopV6,
    localPrefPrefixesModifiers: sortByKey(lp),
    communityPrefixesModifiers: sortByKey(comm),
  };
}

/** Merges incoming policies: "all" wins, otherwise the union of selectors keyed by prefix+le+ge. */
export function mergeAllowedIn(r: AllowedInModel, toMerge: AllowedInModel): AllowedInModel {
  if (r.all || toMerge.all) return { all: true, prefixesV4: [], prefixesV6: [] };
  return {
    all: false,
    prefixesV4: mergeIncomingFilters(r.prefixesV4, toMerge.prefixesV4),
    prefixesV6: mergeIncomingFilters(r.prefixesV6, toMerge.prefixesV6),
  };
}

function mergeIncomingFilters(a: FilterModel[], b: FilterModel[]): FilterModel[] {
  const m = new Map<string, FilterModel>();
  for (const f of [...a, ...b]) m.set(incomingFilterKey(f), { ...f });
  return sortByKey(m);
}

// ---------------------------------------------------------------------------------------------
// EVPN

export function mergeEVPNConfigs(a: EVPNModel | null, b: EVPNModel | null): EVPNModel | null {
  if (!a && !b) return null;
  if (!a) return b;
  if (!b) return a;
  const av = a.advertiseVNIs ?? VNI_ADVERTISEMENT_DISABLED;
  const bv = b.advertiseVNIs ?? VNI_ADVERTISEMENT_DISABLED;
  if (av !== bv) throw new ConversionError(`different advertiseVNIs (${goQuote(av)} != ${goQuote(bv)})`);
  if (a.advertiseSVI !== b.advertiseSVI) throw new ConversionError(`different advertiseSVI (${a.advertiseSVI} != ${b.advertiseSVI})`);
  const l2VNIs = mergeL2VNIs(a.l2VNIs, b.l2VNIs);
  const l3VNI = mergeL3VNIs(a.l3VNI, b.l3VNI);
  return { advertiseVNIs: a.advertiseVNIs ?? b.advertiseVNIs, advertiseSVI: a.advertiseSVI, l2VNIs, l3VNI };
}

function mergeL2VNIs(a: VNIModel[], b: VNIModel[]): VNIModel[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const byVNI = new Map<number, VNIModel>();
  for (const v of a) byVNI.set(v.vni, v);
  for (const v of b) {
    const existing = byVNI.get(v.vni);
    if (!existing) {
      byVNI.set(v.vni, v);
      continue;
    }
    try {
      byVNI.set(v.vni, { vni: existing.vni, ...mergeVNIProperties(existing, v) });
    } catch (e) {
      wrapError(`could not merge l2vni ${existing.vni}, err: `, e);
    }
  }
  return [...byVNI.keys()].sort((x, y) => x - y).map((k) => byVNI.get(k)!);
}

function mergeL3VNIs(a: L3VNIModel | null, b: L3VNIModel | null): L3VNIModel | null {
  if (!a) return b;
  if (!b) return a;
  if (a.vni !== b.vni) throw new ConversionError(`different l3vni numbers (${a.vni} != ${b.vni})`);
  const props = mergeVNIProperties(a, b);
  return { vni: a.vni, ...props, advertisePrefixes: sortedSet([...a.advertisePrefixes, ...b.advertisePrefixes]) };
}

function mergeVNIProperties(a: VNIModel, b: VNIModel): Omit<VNIModel, 'vni'> {
  if (a.rd !== '' && b.rd !== '' && a.rd !== b.rd) throw new ConversionError(`different RD values (${a.rd} != ${b.rd})`);
  if ((a.importRTs.length === 0) !== (b.importRTs.length === 0))
    throw new ConversionError('conflicting import route targets: mixing implicit and explicit route targets');
  if ((a.exportRTs.length === 0) !== (b.exportRTs.length === 0))
    throw new ConversionError('conflicting export route targets: mixing implicit and explicit route targets');
  return {
    rd: a.rd !== '' ? a.rd : b.rd,
    importRTs: mergeRTs(a.importRTs, b.importRTs),
    exportRTs: mergeRTs(a.exportRTs, b.exportRTs),
  };
}

function mergeRTs(a: string[], b: string[]): string[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return sortedSet([...a, ...b]);
}
