// frr.conf / `show running-config` text -> a tree of contexts with canonical lines, for comparing a
// desired configuration with the running one (./diff.ts). Pure.
//
// The grammar is deliberately closed: it knows exactly the contexts and lines that metalfrr's
// templates render (plus what the agent adds: forwarding lines, route-map delay-timer, coalesce-time),
// in the forms FRR 8.4 prints them back. Anything else (VRF routers, EVPN, `vrf` blocks, interfaces,
// unknown raw config) raises UnsupportedConfigError, and the caller falls back to frr-reload.py,
// which knows FRR's whole grammar.
//
// Like vtysh, a line that is not valid in the current context closes it (walks up to the parent), so
// files without `exit` lines (ours) and running configs with them parse the same way.

export class UnsupportedConfigError extends Error {
  constructor(
    readonly line: string,
    readonly lineNo: number,
    reason: string,
  ) {
    super(`line ${lineNo}: ${reason}: ${line}`);
    this.name = 'UnsupportedConfigError';
  }
}

export type NodeKind = 'root' | 'router-bgp' | 'af' | 'route-map' | 'bfd' | 'bfd-profile';

export interface ConfigNode {
  kind: NodeKind;
  /** canonical header line (`router bgp 64500`, `route-map X permit 1`); '' for the root */
  header: string;
  /** canonical lines in first-appearance order, no duplicates; a later line with the same replaceKey replaces an earlier one */
  lines: string[];
  /** child contexts in first-appearance order, unique by header (repeated blocks are merged) */
  children: ConfigNode[];
}

// ---------------------------------------------------------------------------------------------
// lines that carry no configuration (or that FRR does not take from a file: hostname)

const IGNORED = [
  /^!/,
  /^end$/,
  /^Building configuration\.\.\.$/,
  /^Current configuration:$/,
  /^frr (version|defaults) /,
  /^service integrated-vtysh-config$/,
  /^hostname \S+$/,
];

// ---------------------------------------------------------------------------------------------
// grammar

const NEIGHBOR = String.raw`neighbor (\S+)`;
const PREFIX_LIST = /^(ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) (\S+)((?: (?:ge|le) \d+)*)$/;

const ROOT_LINES = [
  PREFIX_LIST,
  /^log stdout( \w+)?$/,
  /^log timestamp precision \d$/,
  /^debug (zebra|bgp|bfd) [a-z -]+$/,
  /^(ip|ipv6) nht resolve-via-default$/,
  /^(no )?(ip|ipv6) forwarding$/,
  /^bgp route-map delay-timer \d+$/,
];

/** router-level neighbor settings our templates render (anything else at this level is unsupported) */
const ROUTER_NEIGHBOR_ATTRS = new RegExp(
  `^${NEIGHBOR} (` +
    [
      String.raw`(interface )?remote-as (\d+|internal|external)`,
      String.raw`ebgp-multihop( \d+)?`,
      String.raw`local-as \d+( no-prepend( replace-as)?)?`,
      String.raw`port \d+`,
      String.raw`timers \d+ \d+`,
      String.raw`timers connect \d+`,
      String.raw`password \S+`,
      String.raw`update-source \S+`,
      'graceful-restart',
      'bfd',
      String.raw`bfd profile \S+`,
      'disable-connected-check',
    ].join('|') +
    ')$',
);

const ROUTER_LINES = [
  /^(no )?bgp (ebgp-requires-policy|network import-check|default ipv4-unicast|graceful-restart preserve-fw-state)$/,
  /^bgp router-id \S+$/,
  /^coalesce-time \d+$/,
  ROUTER_NEIGHBOR_ATTRS,
];

const AF_LINES = [new RegExp(`^${NEIGHBOR} (activate|route-map \\S+ (in|out))$`), /^network \S+$/];

const ROUTE_MAP_LINES = [
  /^match (ip|ipv6) address prefix-list \S+$/,
  /^set local-preference \d+$/,
  /^set community .+$/,
  /^set large-community .+$/,
  /^set ip next-hop \S+$/,
  /^set ipv6 next-hop global \S+$/,
  /^on-match next$/,
];

const BFD_PROFILE_LINES = [
  /^(receive-interval|transmit-interval|detect-multiplier|minimum-ttl|echo-interval) \d+$/,
  /^echo (transmit|receive)-interval \d+$/,
  /^(no )?(echo-mode|passive-mode|shutdown)$/,
];

/**
 * BFD profile options that FRR 8.4's bfdd has no `no` form for, each with the line that sets its default:
 * removing one means setting the default (used by ./diff.ts and ./desired.ts).
 */
export const BFD_PROFILE_DEFAULTS: readonly (readonly [RegExp, string])[] = [
  [/^receive-interval \d+$/, 'receive-interval 300'],
  [/^transmit-interval \d+$/, 'transmit-interval 300'],
  [/^detect-multiplier \d+$/, 'detect-multiplier 3'],
  [/^echo receive-interval \d+$/, 'echo receive-interval 50'],
  [/^echo transmit-interval \d+$/, 'echo transmit-interval 50'],
  [/^echo-interval \d+$/, 'echo-interval 50'],
];

const LINES: Record<NodeKind, RegExp[]> = {
  root: ROOT_LINES,
  'router-bgp': ROUTER_LINES,
  af: AF_LINES,
  'route-map': ROUTE_MAP_LINES,
  bfd: [],
  'bfd-profile': BFD_PROFILE_LINES,
};

interface Opener {
  kind: NodeKind;
  re: RegExp;
  /** canonical header */
  header(m: RegExpExecArray): string;
}

const OPENERS: Partial<Record<NodeKind, Opener[]>> = {
  root: [
    { kind: 'router-bgp', re: /^router bgp (\d+)$/, header: (m) => `router bgp ${m[1]}` },
    { kind: 'route-map', re: /^route-map (\S+) (permit|deny) (\d+)$/, header: (m) => `route-map ${m[1]} ${m[2]} ${m[3]}` },
    { kind: 'bfd', re: /^bfd$/, header: () => 'bfd' },
  ],
  'router-bgp': [{ kind: 'af', re: /^address-family (ipv4|ipv6)( unicast)?$/, header: (m) => `address-family ${m[1]} unicast` }],
  bfd: [{ kind: 'bfd-profile', re: /^profile (\S+)$/, header: (m) => `profile ${m[1]}` }],
};

/** What closes a context explicitly. */
const EXITS: Partial<Record<NodeKind, string[]>> = {
  'router-bgp': ['exit'],
  af: ['exit-address-family', 'exit'],
  'route-map': ['exit'],
  bfd: ['exit'],
  'bfd-profile': ['exit'],
};

/** Known but unsupported constructs, for a better message. */
const UNSUPPORTED_HINTS: [RegExp, string][] = [
  [/^router bgp \d+ vrf \S+$/, 'BGP in a VRF'],
  [/^vrf \S+$/, 'vrf block'],
  [/^address-family l2vpn evpn$/, 'EVPN'],
  [/^import vrf /, 'VRF route leaking'],
  [/^interface /, 'interface block'],
];

// ---------------------------------------------------------------------------------------------
// canonical forms (what FRR 8.4 prints back for what we send)

/** FRR's names for the well-known communities, keyed by their AA:NN value. */
const WELL_KNOWN_COMMUNITIES: Record<string, string> = {
  '0:0': 'internet',
  '65535:0': 'graceful-shutdown',
  '65535:1': 'accept-own',
  '65535:2': 'route-filter-translated-v4',
  '65535:3': 'route-filter-v4',
  '65535:4': 'route-filter-translated-v6',
  '65535:5': 'route-filter-v6',
  '65535:6': 'llgr-stale',
  '65535:7': 'no-llgr',
  '65535:8': 'accept-own-nexthop',
  '65535:666': 'blackhole',
  '65535:65281': 'no-export',
  '65535:65282': 'no-advertise',
  '65535:65283': 'local-AS',
  '65535:65284': 'no-peer',
};
const COMMUNITY_VALUE: Record<string, number> = {};
for (const [aa, name] of Object.entries(WELL_KNOWN_COMMUNITIES)) {
  const [a, n] = aa.split(':').map(Number) as [number, number];
  COMMUNITY_VALUE[name] = a * 65536 + n;
}

/** `set community` values as FRR prints them: well-known names, sorted by value, no duplicates. */
export function canonicalCommunities(values: string): string {
  const toks = values.split(' ');
  const flags = toks.filter((t) => t === 'additive' || t === 'none');
  const comms = toks.filter((t) => t !== 'additive' && t !== 'none');
  const parsed: { v: number; text: string }[] = [];
  for (const t of comms) {
    const m = /^(\d+):(\d+)$/.exec(t);
    if (m) {
      const v = Number(m[1]) * 65536 + Number(m[2]);
      parsed.push({ v, text: WELL_KNOWN_COMMUNITIES[`${Number(m[1])}:${Number(m[2])}`] ?? `${Number(m[1])}:${Number(m[2])}` });
    } else if (t in COMMUNITY_VALUE) parsed.push({ v: COMMUNITY_VALUE[t]!, text: t });
    else return values; // something we do not model: leave it as written
  }
  parsed.sort((a, b) => a.v - b.v);
  const uniq = parsed.filter((p, i) => i === 0 || parsed[i - 1]!.v !== p.v).map((p) => p.text);
  return [...uniq, ...flags].join(' ');
}

/** Lines equal to FRR's defaults, which `show running-config` does not print. */
const DEFAULT_LINES: Partial<Record<NodeKind, RegExp[]>> = {
  root: [/^(ip|ipv6) forwarding$/],
  'router-bgp': [
    /^bgp (ebgp-requires-policy|network import-check|default ipv4-unicast)$/,
    /^no bgp graceful-restart preserve-fw-state$/,
    /^neighbor \S+ port 179$/,
  ],
  'bfd-profile': [
    /^(receive|transmit)-interval 300$/,
    /^detect-multiplier 3$/,
    /^minimum-ttl 254$/,
    /^echo (transmit|receive)-interval 50$/,
    /^echo-interval 50$/,
    /^no (echo-mode|passive-mode|shutdown)$/,
  ],
};

/**
 * The line(s) FRR prints for `line` in a context of `kind` ([] when it prints nothing because the
 * value is the default). Input is trimmed with single blanks.
 */
export function canonicalLines(kind: NodeKind, line: string): string[] {
  if (DEFAULT_LINES[kind]?.some((re) => re.test(line))) return [];
  let m: RegExpExecArray | null;
  switch (kind) {
    case 'root':
      if (line === 'log stdout debugging') return ['log stdout'];
      if (line === 'debug bgp updates') return ['debug bgp updates in', 'debug bgp updates out'];
      if ((m = PREFIX_LIST.exec(line)) && m[6]) {
        // FRR prints `ge` before `le`
        const ge = / ge (\d+)/.exec(m[6]);
        const le = / le (\d+)/.exec(m[6]);
        return [`${m[1]} prefix-list ${m[2]} seq ${m[3]} ${m[4]} ${m[5]}${ge ? ` ge ${ge[1]}` : ''}${le ? ` le ${le[1]}` : ''}`];
      }
      return [line];
    case 'router-bgp':
      if ((m = /^neighbor (\S+) ebgp-multihop$/.exec(line))) return [`neighbor ${m[1]} ebgp-multihop 255`];
      return [line];
    case 'route-map':
      if ((m = /^set community (.+)$/.exec(line))) return [`set community ${canonicalCommunities(m[1]!)}`];
      return [line];
    default:
      return [line];
  }
}

/**
 * Lines of one context that hold one value each: a later line with the same key replaces the earlier
 * one in FRR (`bgp router-id`, `neighbor P password`, `set community`, prefix-list `seq N` ...), so
 * the diff sets the new value without removing the old one first. null for everything else.
 */
export function replaceKey(kind: NodeKind, line: string): string | null {
  let m: RegExpExecArray | null;
  switch (kind) {
    case 'root':
      if ((m = PREFIX_LIST.exec(line))) return `${m[1]} prefix-list ${m[2]} seq ${m[3]}`;
      if ((m = /^(log stdout|log timestamp precision|bgp route-map delay-timer)\b/.exec(line))) return m[1]!;
      return null;
    case 'router-bgp':
      if (/^bgp router-id /.test(line)) return 'bgp router-id';
      if (/^coalesce-time /.test(line)) return 'coalesce-time';
      if ((m = /^neighbor (\S+) (?:interface )?remote-as /.exec(line))) return `neighbor ${m[1]} remote-as`;
      if ((m = /^neighbor (\S+) (timers connect|timers|password|update-source|port|local-as|ebgp-multihop|bfd profile) /.exec(line))) return `neighbor ${m[1]} ${m[2]}`;
      return null;
    case 'af':
      if ((m = /^neighbor (\S+) route-map \S+ (in|out)$/.exec(line))) return `neighbor ${m[1]} route-map ${m[2]}`;
      return null;
    case 'route-map':
      if ((m = /^(match (?:ip|ipv6) address prefix-list|set local-preference|set community|set large-community|set ip next-hop|set ipv6 next-hop global) /.exec(line))) return m[1]!;
      return null;
    case 'bfd-profile':
      if ((m = /^(receive-interval|transmit-interval|detect-multiplier|minimum-ttl|echo-interval|echo transmit-interval|echo receive-interval) /.exec(line))) return m[1]!;
      return null;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// parser

/** A node while parsing: lines in an insertion-ordered set, plus the line holding each replaceKey. */
interface Building extends ConfigNode {
  set: Set<string>;
  byKey: Map<string, string>;
}

function newNode(kind: NodeKind, header: string): Building {
  return { kind, header, lines: [], children: [], set: new Set(), byKey: new Map() };
}

function addLine(node: Building, line: string): void {
  const key = replaceKey(node.kind, line);
  if (key !== null) {
    const old = node.byKey.get(key);
    if (old !== undefined) node.set.delete(old);
    node.byKey.set(key, line);
  }
  node.set.delete(line); // a repeated line moves to its last position
  node.set.add(line);
}

function finish(node: Building): ConfigNode {
  return { kind: node.kind, header: node.header, lines: [...node.set], children: node.children.map((c) => finish(c as Building)) };
}

function childFor(node: Building, kind: NodeKind, header: string): Building {
  let c = node.children.find((x) => x.header === header) as Building | undefined;
  if (!c) {
    c = newNode(kind, header);
    node.children.push(c);
  }
  return c;
}

/** Parses frr.conf or `show running-config` output. Throws UnsupportedConfigError (see the file comment). */
export function parseFRRConfig(text: string): ConfigNode {
  const root = newNode('root', '');
  const stack: Building[] = [root];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim().replace(/\s+/g, ' ');
    if (line === '' || IGNORED.some((re) => re.test(line))) continue;
    for (;;) {
      const cur = stack[stack.length - 1]!;
      if (EXITS[cur.kind]?.includes(line)) {
        stack.pop();
        break;
      }
      if (cur.kind === 'root' && (line === 'exit' || line === 'quit')) break;
      const opener = OPENERS[cur.kind]?.map((o) => ({ o, m: o.re.exec(line) })).find((x) => x.m);
      if (opener) {
        stack.push(childFor(cur, opener.o.kind, opener.o.header(opener.m!)));
        break;
      }
      if (LINES[cur.kind].some((re) => re.test(line))) {
        for (const l of canonicalLines(cur.kind, line)) addLine(cur, l);
        break;
      }
      if (cur.kind === 'root') {
        const hint = UNSUPPORTED_HINTS.find(([re]) => re.test(line));
        throw new UnsupportedConfigError(line, i + 1, hint ? `${hint[1]} is not handled by the diff` : 'not a line metalfrr renders');
      }
      stack.pop(); // not valid here: FRR walks up to the parent context, so do we
    }
  }
  return finish(root);
}

/** The canonical text of a tree (one blank-indented line per entry), for tests and messages. */
export function formatTree(node: ConfigNode, indent = ''): string[] {
  const out: string[] = [];
  const inner = node.kind === 'root' ? '' : indent + ' ';
  if (node.kind !== 'root') out.push(indent + node.header);
  for (const l of node.lines) out.push(inner + l);
  for (const c of node.children) out.push(...formatTree(c, inner));
  return out;
}

const CANONICAL_KINDS: NodeKind[] = ['root', 'router-bgp', 'route-map', 'bfd-profile'];

/**
 * The text with every line we know rewritten to the form FRR prints back (see canonicalLines) and
 * default-valued lines dropped; everything else, indentation and order are kept. Context-free: each
 * rewritten form is recognisable by its own text, so this also works on configurations the diff does
 * not handle, and it makes frr-reload.py converge (no `no neighbor P ebgp-multihop 255` +
 * `neighbor P ebgp-multihop` on every reload, which resets the session).
 */
export function canonicalizeFRRText(text: string): string {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const indent = /^\s*/.exec(raw)![0];
    const line = raw.trim().replace(/\s+/g, ' ');
    const kind = line === '' ? undefined : CANONICAL_KINDS.find((k) => LINES[k].some((re) => re.test(line)) || DEFAULT_LINES[k]?.some((re) => re.test(line)));
    if (kind === undefined) {
      out.push(raw);
      continue;
    }
    for (const l of canonicalLines(kind, line)) out.push(indent + l);
  }
  return out.join('\n');
}
