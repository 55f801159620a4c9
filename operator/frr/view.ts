// The frr.conf "view": the internal model (operator/config/frrk8s/model.ts) turned into exactly the
// lines the templates print, with every number, name and order already decided here, in small pure
// functions. The templates (templates/frr/*.hbs) only lay the view out; they hold no logic.
//
// What is decided here (frr-k8s spec §4.2-§4.4):
// - names: `<ID>-out`, `<ID>-in`, `<ID>-allowed-ipv4|6`, `<ID>-inpl-<neighbor family>`, ...;
// - numbering: by default (`stable`) derived from each entry itself (stableSeqs, stableRouteMapNumbers)
//   so that adding or removing a prefix changes no other line; with `upstream`, as frr-k8s does:
//   prefix-list `seq` per list name (shared by the `ip` and `ipv6` list of that name), route-map
//   entry numbers per neighbor ID (shared by `-out` and `-in`), both counters per rendering;
// - sharing: by default (`shared`) a prefix-list whose family and entries (numbers included) equal a
//   list already rendered for an earlier neighbor is not rendered again; the route-map entries match
//   the earlier list instead (sharePrefixLists). frr-k8s (`per-neighbor`) gives every neighbor its own
//   copy, which costs FRR 8.4 time quadratic in the list length per copy (docs/frr-rendering.md);
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

/**
 * How prefix-list `seq` and route-map entry numbers are chosen.
 * - `stable` (default): from the entry itself (see stableSeqs, stableRouteMapNumbers), so that adding
 *   or removing one prefix changes only that prefix's line (docs/frr-rendering.md).
 * - `upstream`: frr-k8s' counters (1..n per list name, 1..n per neighbor), byte for byte as upstream.
 */
export type SeqNumbering = 'stable' | 'upstream';
export const SEQ_NUMBERINGS: readonly SeqNumbering[] = ['stable', 'upstream'];

/** The numbering state of one rendering: prefix-list seq per list name, route-map entry per neighbor ID. */
export interface Numbering {
  seq: Counters;
  routeMap: Counters;
  mode: SeqNumbering;
}

export function newNumbering(mode: SeqNumbering = 'stable'): Numbering {
  return { seq: new Counters(), routeMap: new Counters(), mode };
}

// ---------------------------------------------------------------------------------------------
// stable numbering

/** FRR's prefix-list seq range is 1..MAX_SEQ. The catch-all `any` entries take MAX_SEQ. */
export const MAX_SEQ = 4294967295;
/** FRR's route-map entry range is 1..65535. */
export const MAX_ROUTE_MAP_NUMBER = 65535;
/** Route-map entries that end the evaluation (`-out` allowed lists, `-in` inpl lists): ip, ipv6. */
export const ROUTE_MAP_FINAL = { ip: 65000, ipv6: 65001 } as const;
/** `-in` always-block denies: ip, ipv6 (before everything else). */
export const ROUTE_MAP_BLOCK = { ip: 1, ipv6: 2 } as const;
/** `-out` modifier entries (`on-match next`) are hashed into 1..MODIFIER_BAND_TOP. */
export const MODIFIER_BAND_TOP = 64999;

/** FNV-1a, 32 bits, of the UTF-8 bytes of a string. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function ipv4ToNumber(addr: string): number | null {
  const parts = addr.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    v = v * 256 + Number(p);
  }
  return v;
}

/**
 * The seq an entry asks for, before collisions, from the entry alone:
 * - `any` (the catch-all `permit any` / `deny any`): MAX_SEQ, after everything else;
 * - IPv4 `a/L` without `le`/`ge`: the midpoint of the prefix in the 32-bit address space,
 *   `a + 2^(31-L)` (`a` itself for a /32). Injective over all prefixes of length 0..31 (the lowest set
 *   bit gives L) and order-preserving by address, so `show ip prefix-list` reads sorted; a /32
 *   collides only with the prefix whose midpoint it is (10.0.0.128/32 and 10.0.0.0/24);
 * - everything else (IPv6, IPv4 with `le`/`ge`, which would otherwise share their prefix's midpoint
 *   with each other): FNV-1a of the whole match text in 1..MAX_SEQ-1.
 * Always in 1..MAX_SEQ-1 for non-`any` entries (0.0.0.0/32 and 255.255.255.255/32 are clamped).
 */
export function naturalSeq(family: FRRListFamily, match: string): number {
  if (match === 'any') return MAX_SEQ;
  const clamp = (v: number): number => Math.min(Math.max(v, 1), MAX_SEQ - 1);
  if (family === 'ip') {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(match);
    const a = m ? ipv4ToNumber(m[1]!) : null;
    const len = m ? Number(m[2]) : NaN;
    if (a !== null && len >= 0 && len <= 32) {
      if (len === 32) return clamp(a);
      const size = 2 ** (32 - len);
      const net = a - (a % size);
      return clamp(net + size / 2);
    }
  }
  return 1 + (fnv1a32(match) % (MAX_SEQ - 1));
}

/** The next free number from `start` upwards in lo..hi, wrapping; null when all are taken. */
function probe(start: number, lo: number, hi: number, used: Set<number>): number | null {
  const span = hi - lo + 1;
  if (used.size >= span) return null;
  let s = start;
  for (;;) {
    if (!used.has(s)) return s;
    s = s >= hi ? lo : s + 1;
  }
}

/** -1/0/1 comparison of two strings by code units (Go's string order). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether every pair of entries with different actions keeps its relative order under `seqs`. */
export function keepsDecisiveOrder(entries: readonly Pick<PrefixListEntryView, 'action'>[], seqs: readonly number[]): boolean {
  if (entries.every((e) => e.action === entries[0]!.action)) return true;
  for (let i = 0; i < entries.length; i++)
    for (let j = i + 1; j < entries.length; j++) if (entries[i]!.action !== entries[j]!.action && seqs[i]! >= seqs[j]!) return false;
  return true;
}

export interface StableSeqs {
  seqs: number[];
  /** true when the list fell back to 1..n (see stableSeqs) */
  fallback: boolean;
}

/**
 * Stable seqs for the entries of ONE list (one family and name), given in rendering order:
 * each entry gets its naturalSeq; the `any` entries are placed first (so they keep MAX_SEQ), then the
 * others by (natural seq, match text), an order that depends on the entries only, not on where they
 * are rendered; an entry whose number is taken (a collision) gets the next free one upwards
 * (wrapping; the `any` top excluded). Only a colliding entry's seq depends on other entries.
 * Entries with the same action can be reordered freely (a prefix list's answer is the action of the
 * first match, or deny when none matches), so only pairs with different actions must keep their
 * order (keepsDecisiveOrder); if the natural numbers would reorder such a pair, the list falls back to
 * 1..n in rendering order (the renderer never produces such a list: every list it renders holds one
 * action, and `any` comes last).
 */
export function stableSeqs(entries: readonly Pick<PrefixListEntryView, 'family' | 'action' | 'match'>[]): StableSeqs {
  const seqs = new Array<number>(entries.length).fill(0);
  const used = new Set<number>();
  const natural = entries.map((e) => naturalSeq(e.family, e.match));
  const isAny = entries.map((e) => e.match === 'any');
  const order = [...entries.keys()].sort(
    (i, j) => Number(isAny[j]) - Number(isAny[i]) || natural[i]! - natural[j]! || compareText(entries[i]!.match, entries[j]!.match) || i - j,
  );
  for (const i of order) {
    const e = entries[i]!;
    const s = probe(natural[i]!, 1, isAny[i] ? MAX_SEQ : MAX_SEQ - 1, used);
    if (s === null) return { seqs: entries.map((_, k) => k + 1), fallback: true };
    seqs[i] = s;
    used.add(s);
  }
  if (!keepsDecisiveOrder(entries, seqs)) return { seqs: entries.map((_, k) => k + 1), fallback: true };
  return { seqs, fallback: false };
}

/** Rewrites the seq of every entry with stableSeqs, per list (family and name). */
export function applyStableSeqs(entries: PrefixListEntryView[]): void {
  const lists = new Map<string, PrefixListEntryView[]>();
  for (const e of entries) {
    const key = `${e.family} ${e.name}`;
    const l = lists.get(key);
    if (l) l.push(e);
    else lists.set(key, [e]);
  }
  for (const l of lists.values()) {
    const { seqs } = stableSeqs(l);
    l.forEach((e, i) => (e.seq = seqs[i]!));
  }
}

/**
 * Stable route-map entry numbers of one neighbor (`-out` and `-in` are separate route-maps):
 * - `-out` modifier entries (local-pref/community, `on-match next`): FNV-1a of the prefix-list name in
 *   1..MODIFIER_BAND_TOP, a collision taking the next free number (in name order). Their relative
 *   order is free: each one only adds its `set` and goes on, local-pref is set by at most one list per
 *   prefix (the conversion refuses two) and `set (large-)community ... additive` merges into a set;
 * - `-out` allowed entries: ROUTE_MAP_FINAL (after every modifier);
 * - `-in` always-block denies: ROUTE_MAP_BLOCK (before the permits); `-in` permits: ROUTE_MAP_FINAL.
 */
export function applyStableRouteMapNumbers(v: Pick<NeighborFiltersView, 'modifiers' | 'outbound' | 'inbound'>): void {
  const used = new Set<number>();
  for (const m of v.modifiers) {
    const s = probe(1 + (fnv1a32(m.routeMap.list) % MODIFIER_BAND_TOP), 1, MODIFIER_BAND_TOP, used);
    if (s === null) throw new Error(`more than ${MODIFIER_BAND_TOP} modifier lists for one neighbor`);
    m.routeMap.seq = s;
    used.add(s);
  }
  for (const r of v.outbound) r.seq = ROUTE_MAP_FINAL[r.family];
  for (const r of v.inbound) r.seq = r.action === 'deny' ? ROUTE_MAP_BLOCK[r.family] : ROUTE_MAP_FINAL[r.family];
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

  const view = { id, modifiers, allowed, outbound, incoming, denied, inbound };
  if (num.mode === 'stable') {
    applyStableSeqs([...modifiers.flatMap((m) => m.entries), ...allowed, ...incoming, ...denied]);
    applyStableRouteMapNumbers(view);
  }
  return view;
}

/** Most entries per allowed list in the shared layout (see chunkAllowedLists). */
export const ALLOWED_CHUNK = 512;

/** Lists for `n` entries: 1 up to `size`, else the smallest power of two that keeps each under `size` on average. */
export function chunkCount(n: number, size = ALLOWED_CHUNK): number {
  let c = 1;
  while (n / c > size) c *= 2;
  return c;
}

/** The list of chunk `i` of a list named `base`: chunk 0 keeps the name, chunk i is `<base>-c<i>`. */
export const chunkListName = (base: string, i: number): string => (i === 0 ? base : `${base}-c${i}`);

/**
 * Splits every long allowed list (in place): FRR 8.4 loads a list in time quadratic in its length
 * (docs/frr-rendering.md), so a list of more than ALLOWED_CHUNK permits is spread over chunkCount
 * lists, an entry going to the list given by the FNV-1a hash of its prefix (so adding or removing a
 * prefix touches one list, except when the count of lists doubles or halves). Each extra list gets its
 * own `-out` route-map entry with the same sets right after the allowed entries (65002, 65003, ... in
 * the stable numbering). Entries keep their seq. Allowed lists hold exact prefixes and permits only, so
 * a route matches at most one chunk, and the route-map answers exactly as with one list.
 */
export function chunkAllowedLists(filters: NeighborFiltersView[], stable: boolean): void {
  for (const f of filters) {
    const extra: RouteMapEntryView[] = [];
    const allowed: PrefixListEntryView[] = [];
    for (const family of ['ip', 'ipv6'] as const) {
      const entries = f.allowed.filter((e) => e.family === family);
      const count = chunkCount(entries.length);
      if (count === 1 || entries.some((e) => e.action !== 'permit')) {
        allowed.push(...entries);
        continue;
      }
      const base = entries[0]!.name;
      const chunks: PrefixListEntryView[][] = Array.from({ length: count }, () => []);
      for (const e of entries) {
        const i = fnv1a32(e.match) % count;
        chunks[i]!.push({ ...e, name: chunkListName(base, i) });
      }
      for (const c of chunks) allowed.push(...c);
      const main = f.outbound.find((r) => r.family === family && r.list === base);
      if (!main) continue;
      chunks.forEach((c, i) => {
        if (i > 0 && c.length > 0) extra.push({ ...main, sets: [...main.sets], list: chunkListName(base, i), seq: 0 });
      });
    }
    f.allowed = allowed;
    if (extra.length === 0) continue;
    let next = stable ? ROUTE_MAP_FINAL.ipv6 + 1 : Math.max(...f.outbound.map((r) => r.seq), ...f.modifiers.map((m) => m.routeMap.seq)) + 1;
    for (const r of extra) {
      if (next > MAX_ROUTE_MAP_NUMBER) throw new Error(`too many allowed prefixes for one neighbor: more than ${MAX_ROUTE_MAP_NUMBER} route-map entries`);
      r.seq = next++;
    }
    f.outbound = [...f.outbound, ...extra];
  }
}

/** How prefix-lists with identical entries are rendered (see sharePrefixLists). */
export type PrefixListSharing = 'shared' | 'per-neighbor';
export const PREFIX_LIST_SHARINGS: readonly PrefixListSharing[] = ['shared', 'per-neighbor'];

/**
 * Renders each distinct prefix-list once (in place): walking the neighbors in render order, a list
 * (one family of one name) whose role (the name after the neighbor ID: `-allowed-ipv4`,
 * `-65000:100-ip-community-prefixes`, ...) and entries, numbers and actions included, equal those of
 * a list seen for an earlier neighbor is dropped, and the route-map entries of that neighbor that
 * match it (same family, same name) match the first list instead. The evaluation of every route-map is unchanged: it reads the same
 * entries under another name. Names stay stable while neighbors change together (a prefix added to
 * all of them keeps the first neighbor's name); a neighbor whose list diverges gets its own list back.
 */
export function sharePrefixLists(filters: NeighborFiltersView[]): void {
  const seen = new Map<string, string>(); // family + entries -> name of the first list with them
  const key = (family: FRRListFamily, entries: PrefixListEntryView[]): string => [family, ...entries.map((e) => `${e.seq} ${e.action} ${e.match}`)].join('\n');
  for (const f of filters) {
    const groups = new Map<string, PrefixListEntryView[]>(); // `${family} ${name}` -> entries in order
    const all = [...f.modifiers.flatMap((m) => m.entries), ...f.allowed, ...f.incoming, ...f.denied];
    for (const e of all) {
      const g = `${e.family} ${e.name}`;
      const list = groups.get(g);
      if (list) list.push(e);
      else groups.set(g, [e]);
    }
    const renamed = new Map<string, string>(); // `${family} ${name}` -> shared name
    for (const [g, entries] of groups) {
      const { family, name } = entries[0]!;
      // only lists of the same role are shared (`-allowed-ipv4` with `-allowed-ipv4`, ...): an inbound
      // route-map never matches an outbound list, and a neighbor never shares with itself
      const role = name.startsWith(f.id) ? name.slice(f.id.length) : name;
      const k = `${role}\n${key(family, entries)}`;
      const first = seen.get(k);
      if (first === undefined) seen.set(k, name);
      else if (first !== name) renamed.set(g, first);
    }
    if (renamed.size === 0) continue;
    const keep = (e: PrefixListEntryView): boolean => !renamed.has(`${e.family} ${e.name}`);
    for (const m of f.modifiers) m.entries = m.entries.filter(keep);
    f.allowed = f.allowed.filter(keep);
    f.incoming = f.incoming.filter(keep);
    f.denied = f.denied.filter(keep);
    for (const r of [...f.modifiers.map((m) => m.routeMap), ...f.outbound, ...f.inbound]) {
      const to = renamed.get(`${r.family} ${r.list}`);
      if (to !== undefined) r.list = to;
    }
  }
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
