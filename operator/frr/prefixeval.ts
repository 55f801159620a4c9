// A small evaluator of rendered prefix-lists and route-maps, for the tests of the numbering schemes:
// parses the `prefix-list` and `route-map` lines of a frr.conf and answers, for a route (family,
// network, length), what a list or a route-map decides, following FRR's rules:
// - a prefix-list is per family (`ip` and `ipv6` lists of one name are distinct lists); its entries are
//   tried in seq order and the first match decides; no match = deny;
// - `P/L` matches exactly P/L; with `ge G` / `le E` it matches any route inside P/L whose length is
//   in G..E (G defaults to L, E to the family's maximum); `any` matches every route of the family;
// - a route-map tries its entries in number order; an entry matches when its prefix-list (of the
//   route's family; `match ip` never matches an IPv6 route) permits the route; a matching deny entry
//   denies; a matching permit entry applies its sets and either goes on (`on-match next`) or permits;
//   no more entries = deny (with `on-match next` entries, FRR keeps the result of the last matching
//   permit entry: the route is permitted if any permit entry matched).
export type Family = 'ip' | 'ipv6';

export interface Route {
  family: Family;
  net: bigint;
  len: number;
}

export interface ListEntry {
  seq: number;
  action: 'permit' | 'deny';
  /** the match text as rendered */
  text: string;
  any: boolean;
  net: bigint;
  len: number;
  ge: number;
  le: number;
}

export interface RouteMapEntry {
  number: number;
  action: 'permit' | 'deny';
  family: Family;
  list: string;
  sets: string[];
  onMatchNext: boolean;
}

export const maxLen = (f: Family): number => (f === 'ip' ? 32 : 128);

export function parseAddress(family: Family, text: string): bigint {
  if (family === 'ip') return text.split('.').reduce((v, p) => (v << 8n) | BigInt(Number(p)), 0n);
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((v, g) => (v << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatRoute(r: Route): string {
  if (r.family === 'ip') return `${[24n, 16n, 8n, 0n].map((s) => (r.net >> s) & 255n).join('.')}/${r.len}`;
  return `${[...Array(8).keys()].map((i) => ((r.net >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':')}/${r.len}`;
}

const mask = (family: Family, len: number): bigint => {
  const m = maxLen(family);
  return ((1n << BigInt(m)) - 1n) ^ ((1n << BigInt(m - len)) - 1n);
};

export function parseMatch(family: Family, text: string): Omit<ListEntry, 'seq' | 'action'> {
  if (text === 'any') return { text, any: true, net: 0n, len: 0, ge: 0, le: maxLen(family) };
  const m = /^(\S+)\/(\d+)((?: (?:le|ge) \d+)*)$/.exec(text);
  if (!m) throw new Error(`cannot parse prefix-list match "${text}"`);
  const len = Number(m[2]);
  const ge = /ge (\d+)/.exec(m[3]!);
  const le = /le (\d+)/.exec(m[3]!);
  const ranged = ge !== null || le !== null;
  return {
    text,
    any: false,
    net: parseAddress(family, m[1]!) & mask(family, len),
    len,
    ge: ge ? Number(ge[1]) : len,
    le: le ? Number(le[1]) : ranged ? maxLen(family) : len,
  };
}

export function entryMatches(e: Omit<ListEntry, 'seq' | 'action'>, family: Family, r: Route): boolean {
  if (r.family !== family) return false;
  if (e.any) return true;
  if (r.len < e.len || (r.net & mask(family, e.len)) !== e.net) return false;
  return r.len >= e.ge && r.len <= e.le;
}

/** First match in seq order; deny when nothing matches. */
export function evalList(entries: readonly ListEntry[], family: Family, r: Route): 'permit' | 'deny' {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  for (const e of sorted) if (entryMatches(e, family, r)) return e.action;
  return 'deny';
}

export interface Parsed {
  /** `<family> <name>` -> entries in file order */
  lists: Map<string, ListEntry[]>;
  /** route-map name -> entries in file order */
  routeMaps: Map<string, RouteMapEntry[]>;
}

export function parseFilters(conf: string): Parsed {
  const lists = new Map<string, ListEntry[]>();
  const routeMaps = new Map<string, RouteMapEntry[]>();
  let cur: RouteMapEntry | null = null;
  for (const raw of conf.split('\n')) {
    const line = raw.trimEnd();
    let m;
    if ((m = /^(ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) (.+)$/.exec(line))) {
      const family = m[1] as Family;
      const key = `${family} ${m[2]}`;
      const e: ListEntry = { seq: Number(m[3]), action: m[4] as 'permit' | 'deny', ...parseMatch(family, m[5]!) };
      lists.set(key, [...(lists.get(key) ?? []), e]);
      cur = null;
    } else if ((m = /^route-map (\S+) (permit|deny) (\d+)$/.exec(line))) {
      cur = { number: Number(m[3]), action: m[2] as 'permit' | 'deny', family: 'ip', list: '', sets: [], onMatchNext: false };
      routeMaps.set(m[1]!, [...(routeMaps.get(m[1]!) ?? []), cur]);
    } else if (cur && (m = /^\s+match (ip|ipv6) address prefix-list (\S+)$/.exec(line))) {
      cur.family = m[1] as Family;
      cur.list = m[2]!;
    } else if (cur && (m = /^\s+(set .+)$/.exec(line))) {
      cur.sets.push(m[1]!);
    } else if (cur && /^\s+on-match next$/.test(line)) {
      cur.onMatchNext = true;
    } else if (!/^\s/.test(line)) {
      cur = null;
    }
  }
  return { lists, routeMaps };
}

/** `deny`, or `permit` with the sets applied (sorted: local-pref is set once, communities are additive). */
export function evalRouteMap(p: Parsed, name: string, r: Route): string {
  const entries = [...(p.routeMaps.get(name) ?? [])].sort((a, b) => a.number - b.number);
  const sets: string[] = [];
  let permitted = false;
  for (const e of entries) {
    if (e.family !== r.family) continue;
    if (evalList(p.lists.get(`${e.family} ${e.list}`) ?? [], e.family, r) !== 'permit') continue;
    if (e.action === 'deny') return 'deny';
    sets.push(...e.sets);
    permitted = true;
    if (!e.onMatchNext) break;
  }
  return permitted ? `permit ${[...sets].sort().join('; ')}` : 'deny';
}

/**
 * Probe routes for a set of entries: for every entry its network at its own length, one shorter and
 * one longer, at ge-1/ge/le/le+1 and the family maximum, with the first and last address of the
 * network, a sibling network (the bit just above the prefix length flipped), and the default route.
 */
export function probes(entries: readonly Pick<ListEntry, 'net' | 'len' | 'ge' | 'le' | 'any'>[], family: Family): Route[] {
  const out = new Map<string, Route>();
  const max = maxLen(family);
  const add = (net: bigint, len: number): void => {
    if (len < 0 || len > max) return;
    const r = { family, net: net & mask(family, len), len };
    out.set(`${r.net}/${len}`, r);
  };
  add(0n, 0);
  for (const e of entries) {
    if (e.any) continue;
    const last = e.net | ((1n << BigInt(max - e.len)) - 1n);
    const sibling = e.len > 0 ? e.net ^ (1n << BigInt(max - e.len)) : e.net;
    for (const base of [e.net, last, sibling])
      for (const len of [e.len - 1, e.len, e.len + 1, e.ge - 1, e.ge, e.le, e.le + 1, max]) add(base, len);
  }
  return [...out.values()];
}
