// The frr.conf "view": the internal model (operator/config/frrk8s/model.ts) turned into exactly the
// lines the templates print, with every number, name and order already decided here, in small pure
// functions. The templates (templates/frr/*.hbs) only lay the view out; they hold no logic.
//
// What is decided here (frr-k8s spec §4.2-§4.4):
// - names: `<ID>-out`, `<ID>-in`, `<ID>-allowed-ipv4|6`, `<ID>-inpl-<neighbor family>`, ...;
// - numbering: prefix-list `seq` per list name (shared by the `ip` and `ipv6` list of that name),
//   route-map entry numbers per neighbor ID (shared by `-out` and `-in`), both per rendering;
// - order: only the local-pref/community lists are re-sorted (by list name, prefixes sorted); every
//   other order is the model's (the conversion sorts), as upstream's renderer does;
// - optional values: `null` in the model means "unset" and is not rendered; a set value is rendered
//   even if it equals FRR's default (the conversion already dropped port 179, hold 180, keepalive 60
//   and connect 60).
import { goLess } from '../util/gofmt.js';
import { communityKeyText, isLargeCommunityText } from '../config/frrk8s/community.js';
import {
  neighborHasEVPN,
  neighborHasFamily,
  neighborHasUnicast,
  neighborID,
  type BFDProfileModel,
  type CommunityPrefixListModel,
  type EVPNModel,
  type FilterModel,
  type FRRListFamily,
  type LocalPrefPrefixListModel,
  type NeighborModel,
  type PrefixFamily,
  type RouterModel,
} from '../config/frrk8s/model.js';

// ---------------------------------------------------------------------------------------------
// view types (what the templates see)

export interface PrefixListEntryView {
  family: FRRListFamily;
  name: string;
  seq: number;
  action: 'permit' | 'deny';
  /** `any`, or `<prefix>[ le N][ ge N]` */
  match: string;
}

export interface RouteMapEntryView {
  name: string;
  action: 'permit' | 'deny';
  seq: number;
  /** `match <family> address prefix-list <list>` */
  family: FRRListFamily;
  list: string;
  /** full `set ...` statements */
  sets: string[];
  onMatchNext: boolean;
}

/** A local-pref or community list with the route-map entry that tags its prefixes. */
export interface ModifierView {
  entries: PrefixListEntryView[];
  routeMap: RouteMapEntryView;
}

export interface NeighborFiltersView {
  id: string;
  modifiers: ModifierView[];
  /** `<ID>-allowed-ipv4` then `<ID>-allowed-ipv6` entries */
  allowed: PrefixListEntryView[];
  /** the two `<ID>-out` entries matching the allowed lists */
  outbound: RouteMapEntryView[];
  /** `<ID>-inpl-<family>` entries */
  incoming: PrefixListEntryView[];
  /** `<ID>-denied-inpl-<family>` entries (always-block) */
  denied: PrefixListEntryView[];
  /** `<ID>-in` entries: the always-block denies first, then the two permits */
  inbound: RouteMapEntryView[];
}

export interface SessionView {
  /** interface name, or address */
  peer: string;
  unnumbered: boolean;
  asn: string;
  ebgpMultiHop: boolean;
  /** 0 = unset */
  localASN: number;
  port: string | null;
  /** `<keepalive> <hold>` */
  timers: string | null;
  connectTime: string | null;
  password: string;
  srcAddr: string;
  gracefulRestart: boolean;
  bfdProfile: string;
  disableConnectedCheck: boolean;
}

export interface ActivationView {
  family: 'ipv4' | 'ipv6';
  peer: string;
  id: string;
}

export interface VNIView {
  vni: number;
  rd: string;
  importRTs: string[];
  exportRTs: string[];
}

export interface EVPNView {
  /** peers activated in l2vpn evpn */
  activate: string[];
  advertiseAllVNI: boolean;
  advertiseSVI: boolean;
  /** only the L2VNIs with an RD or route targets */
  l2VNIs: VNIView[];
  l3VNI: (VNIView & { advertiseUnicast: boolean }) | null;
}

export interface RouterView {
  asn: number;
  vrf: string;
  routerID: string;
  importVRFs: string[];
  sessions: SessionView[];
  activations: ActivationView[];
  ipv4Prefixes: string[];
  ipv6Prefixes: string[];
  evpn: EVPNView | null;
}

export interface BFDProfileView {
  name: string;
  receiveInterval: string | null;
  transmitInterval: string | null;
  detectMultiplier: string | null;
  echoMode: boolean;
  echoInterval: string | null;
  passiveMode: boolean;
  minimumTTL: string | null;
}

export interface VRFBindingView {
  vrf: string;
  vni: number;
}

export interface FRRConfigView {
  logLevel: string;
  debug: boolean;
  hostname: string;
  neighborFilters: NeighborFiltersView[];
  vrfVNIs: VRFBindingView[];
  routers: RouterView[];
  bfdProfiles: BFDProfileView[];
}

/**
 * How neighbor timers are rendered.
 * - `upstream` (default): as frr-k8s does; a value the conversion normalised away (hold 180, keepalive
 *   60, connect 60) is not rendered, and the timers line needs both hold and keepalive.
 * - `fixed`: the timers line is rendered when either value is set (the other takes FRR's default,
 *   keepalive 60 / hold 180), and `timers connect` is always rendered, 60 when unset, so that the
 *   60 s frr-k8s treats as the default is what FRR (default 120 s) actually uses.
 */
export type TimerDefaults = 'upstream' | 'fixed';

export const FRR_DEFAULT_KEEPALIVE = 60;
export const FRR_DEFAULT_HOLD = 180;
/** What frr-k8s treats as the default connect time (FRR's own default is 120 s). */
export const FRRK8S_DEFAULT_CONNECT_TIME = 60;

// ---------------------------------------------------------------------------------------------
// numbering

/** Counters per key, starting at 1. One instance per rendering. */
export class Counters {
  private readonly values = new Map<string, number>();

  next(key: string): number {
    const v = (this.values.get(key) ?? 0) + 1;
    this.values.set(key, v);
    return v;
  }
}

/** The numbering state of one rendering: prefix-list seq per list name, route-map entry per neighbor ID. */
export interface Numbering {
  seq: Counters;
  routeMap: Counters;
}

export function newNumbering(): Numbering {
  return { seq: new Counters(), routeMap: new Counters() };
}

// ---------------------------------------------------------------------------------------------
// naming

export const peerToken = (n: Pick<NeighborModel, 'iface' | 'addr'>): string => n.iface || n.addr;
export const outRouteMapName = (id: string): string => `${id}-out`;
export const inRouteMapName = (id: string): string => `${id}-in`;
export const allowedListName = (id: string, family: PrefixFamily): string => `${id}-allowed-${family}`;
/** Named after the neighbor family, for both the `ip` and the `ipv6` list (upstream quirk). */
export const incomingListName = (n: NeighborModel): string => `${neighborID(n)}-inpl-${n.ipFamily}`;
export const deniedListName = (n: NeighborModel): string => `${neighborID(n)}-denied-inpl-${n.ipFamily}`;

export function listFamily(f: PrefixFamily): FRRListFamily {
  return f === 'ipv4' ? 'ip' : 'ipv6';
}

/** `<prefix>[ le N][ ge N]` (0 = unset). */
export function filterMatch(f: FilterModel): string {
  return `${f.prefix}${f.le ? ` le ${f.le}` : ''}${f.ge ? ` ge ${f.ge}` : ''}`;
}

/** A model number that may be null ("unset") as the text to render, keeping 0. */
export function optional(v: number | null): string | null {
  return v === null ? null : String(v);
}

// ---------------------------------------------------------------------------------------------
// filters (spec §4.3 step 2)

type Modifier = (LocalPrefPrefixListModel & { kind: 'localpref' }) | (CommunityPrefixListModel & { kind: 'community' });

/** The local-pref and community lists together, sorted by list name, their prefixes sorted. */
export function sortedModifiers(out: NeighborModel['outgoing']): Modifier[] {
  const all: Modifier[] = [
    ...out.localPrefPrefixesModifiers.map((m) => ({ ...m, kind: 'localpref' as const })),
    ...out.communityPrefixesModifiers.map((m) => ({ ...m, kind: 'community' as const })),
  ];
  return all
    .map((m) => ({ ...m, prefixes: [...m.prefixes].sort(goLess) }))
    .sort((a, b) => goLess(a.name, b.name));
}

/** The `set` statement of a modifier list. */
export function modifierSet(m: Modifier): string {
  if (m.kind === 'localpref') return `set local-preference ${m.localPref}`;
  if (isLargeCommunityText(m.community)) return `set large-community ${communityKeyText(m.community)} additive`;
  return `set community ${m.community} additive`;
}

function entry(num: Numbering, family: FRRListFamily, name: string, action: 'permit' | 'deny', match: string): PrefixListEntryView {
  return { family, name, seq: num.seq.next(name), action, match };
}

function routeMap(
  num: Numbering,
  id: string,
  name: string,
  action: 'permit' | 'deny',
  family: FRRListFamily,
  list: string,
  sets: string[] = [],
  onMatchNext = false,
): RouteMapEntryView {
  return { name, action, seq: num.routeMap.next(id), family, list, sets, onMatchNext };
}

/** Prefix-lists and route-maps of one neighbor; `num` carries the numbering across neighbors. */
export function neighborFilters(n: NeighborModel, num: Numbering): NeighborFiltersView {
  const id = neighborID(n);
  const out = n.outgoing;

  const modifiers = sortedModifiers(out).map((m) => ({
    entries: m.prefixes.map((p) => entry(num, m.ipFamily, m.name, 'permit', p)),
    routeMap: routeMap(num, id, outRouteMapName(id), 'permit', m.ipFamily, m.name, [modifierSet(m)], true),
  }));

  const allowedV4 = allowedListName(id, 'ipv4');
  const allowedV6 = allowedListName(id, 'ipv6');
  const allowed = [
    ...(out.prefixesV4.length === 0
      ? [entry(num, 'ip', allowedV4, 'deny', 'any')]
      : out.prefixesV4.map((p) => entry(num, 'ip', allowedV4, 'permit', p))),
    ...(out.prefixesV6.length === 0
      ? [entry(num, 'ipv6', allowedV6, 'deny', 'any')]
      : out.prefixesV6.map((p) => entry(num, 'ipv6', allowedV6, 'permit', p))),
  ];
  const outbound = [
    routeMap(num, id, outRouteMapName(id), 'permit', 'ip', allowedV4, out.nextHopV4 ? [`set ip next-hop ${out.nextHopV4}`] : []),
    routeMap(num, id, outRouteMapName(id), 'permit', 'ipv6', allowedV6, out.nextHopV6 ? [`set ipv6 next-hop global ${out.nextHopV6}`] : []),
  ];

  const inName = incomingListName(n);
  const inc = n.incoming;
  const incoming = inc.all
    ? [entry(num, 'ip', inName, 'permit', 'any'), entry(num, 'ipv6', inName, 'permit', 'any')]
    : [
        // each selector with its own family, v4 list first (the lists are not checked per family)
        ...[...inc.prefixesV4, ...inc.prefixesV6].map((f) => entry(num, listFamily(f.ipFamily), inName, 'permit', filterMatch(f))),
        ...(inc.prefixesV4.length === 0 ? [entry(num, 'ip', inName, 'deny', 'any')] : []),
        ...(inc.prefixesV6.length === 0 ? [entry(num, 'ipv6', inName, 'deny', 'any')] : []),
      ];

  const inbound: RouteMapEntryView[] = [];
  let denied: PrefixListEntryView[] = [];
  if (n.alwaysBlock.length > 0) {
    const deniedName = deniedListName(n);
    denied = n.alwaysBlock.map((f) => entry(num, listFamily(f.ipFamily), deniedName, 'permit', filterMatch(f)));
    inbound.push(routeMap(num, id, inRouteMapName(id), 'deny', 'ip', deniedName));
    inbound.push(routeMap(num, id, inRouteMapName(id), 'deny', 'ipv6', deniedName));
  }
  inbound.push(routeMap(num, id, inRouteMapName(id), 'permit', 'ip', inName));
  inbound.push(routeMap(num, id, inRouteMapName(id), 'permit', 'ipv6', inName));

  return { id, modifiers, allowed, outbound, incoming, denied, inbound };
}

// ---------------------------------------------------------------------------------------------
// router bgp (spec §4.3 step 4)

/**
 * `disable-connected-check` for a single-hop eBGP session to a single-stack IPv6 address (FRR would
 * otherwise require the peer on a connected network). Dynamic `internal` is never eBGP; a numeric ASN
 * is eBGP when it differs from the router's.
 */
export function mustDisableConnectedCheck(n: NeighborModel, routerASN: number): boolean {
  if (n.ipFamily !== 'ipv6' || n.ebgpMultiHop || n.iface !== '') return false;
  if (n.asn === 'external') return true;
  if (!/^\d+$/.test(n.asn)) return false;
  return Number(n.asn) !== routerASN;
}

/** The `<keepalive> <hold>` of the timers line, or null when no line is rendered. */
export function timersValue(n: Pick<NeighborModel, 'holdTime' | 'keepaliveTime'>, mode: TimerDefaults = 'upstream'): string | null {
  if (mode === 'fixed') {
    if (n.keepaliveTime === null && n.holdTime === null) return null;
    return `${n.keepaliveTime ?? FRR_DEFAULT_KEEPALIVE} ${n.holdTime ?? FRR_DEFAULT_HOLD}`;
  }
  return n.keepaliveTime !== null && n.holdTime !== null ? `${n.keepaliveTime} ${n.holdTime}` : null;
}

/** The value of `timers connect`, or null when not rendered. */
export function connectTimeValue(n: Pick<NeighborModel, 'connectTime'>, mode: TimerDefaults = 'upstream'): string | null {
  if (mode === 'fixed') return String(n.connectTime ?? FRRK8S_DEFAULT_CONNECT_TIME);
  return optional(n.connectTime);
}

export function sessionView(n: NeighborModel, routerASN: number, mode: TimerDefaults = 'upstream'): SessionView {
  return {
    peer: peerToken(n),
    unnumbered: n.iface !== '',
    asn: n.asn,
    ebgpMultiHop: n.ebgpMultiHop,
    localASN: n.localASN,
    port: optional(n.port),
    timers: timersValue(n, mode),
    connectTime: connectTimeValue(n, mode),
    password: n.password,
    srcAddr: n.srcAddr,
    gracefulRestart: n.gracefulRestart,
    bfdProfile: n.bfdProfile,
    disableConnectedCheck: mustDisableConnectedCheck(n, routerASN),
  };
}

/** Unicast activation blocks of one neighbor: ipv4 then ipv6, per its family; none if evpn-only. */
export function activations(n: NeighborModel): ActivationView[] {
  if (!neighborHasUnicast(n)) return [];
  const fams = (['ipv4', 'ipv6'] as const).filter((f) => neighborHasFamily(n, f));
  return fams.map((family) => ({ family, peer: peerToken(n), id: neighborID(n) }));
}

export function evpnView(e: EVPNModel, neighbors: NeighborModel[]): EVPNView {
  const l3 = e.l3VNI;
  return {
    activate: neighbors.filter(neighborHasEVPN).map(peerToken),
    advertiseAllVNI: e.advertiseVNIs === 'All',
    advertiseSVI: e.advertiseSVI,
    l2VNIs: e.l2VNIs
      .filter((v) => v.rd !== '' || v.importRTs.length > 0 || v.exportRTs.length > 0)
      .map((v) => ({ vni: v.vni, rd: v.rd, importRTs: v.importRTs, exportRTs: v.exportRTs })),
    l3VNI: l3
      ? { vni: l3.vni, rd: l3.rd, importRTs: l3.importRTs, exportRTs: l3.exportRTs, advertiseUnicast: l3.advertisePrefixes.includes('unicast') }
      : null,
  };
}

export function routerView(r: RouterModel, mode: TimerDefaults = 'upstream'): RouterView {
  return {
    asn: r.myASN,
    vrf: r.vrf,
    routerID: r.routerID,
    importVRFs: r.importVRFs,
    sessions: r.neighbors.map((n) => sessionView(n, r.myASN, mode)),
    activations: r.neighbors.flatMap(activations),
    ipv4Prefixes: r.ipv4Prefixes,
    ipv6Prefixes: r.ipv6Prefixes,
    evpn: r.evpn ? evpnView(r.evpn, r.neighbors) : null,
  };
}

/** `vrf X / vni N / exit-vrf` for every VRF router with an L3VNI (spec §4.3 step 3). */
export function vrfBindings(routers: RouterModel[]): VRFBindingView[] {
  return routers.flatMap((r) => (r.vrf !== '' && r.evpn?.l3VNI ? [{ vrf: r.vrf, vni: r.evpn.l3VNI.vni }] : []));
}

export function bfdProfileView(p: BFDProfileModel): BFDProfileView {
  return {
    name: p.name,
    receiveInterval: optional(p.receiveInterval),
    transmitInterval: optional(p.transmitInterval),
    detectMultiplier: optional(p.detectMultiplier),
    echoMode: p.echoMode,
    echoInterval: optional(p.echoInterval),
    passiveMode: p.passiveMode,
    minimumTTL: optional(p.minimumTTL),
  };
}

// ---------------------------------------------------------------------------------------------
// sanity

/**
 * Every value ends up inside one line of frr.conf: a line break in any of them (a password from a
 * Secret, say) would inject configuration. Returns the path of the first offending value, or null.
 */
export function findLineBreak(v: unknown, path = ''): string | null {
  if (typeof v === 'string') return /[\r\n]/.test(v) ? path || '<value>' : null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = findLineBreak(v[i], `${path}[${i}]`);
      if (p !== null) return p;
    }
    return null;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const p = findLineBreak(x, path ? `${path}.${k}` : k);
      if (p !== null) return p;
    }
  }
  return null;
}
