// The vtysh script that turns the running configuration into the desired one, for configurations
// within the grammar of ./configtree.ts (everything metalfrr's templates render). Pure.
//
// The script is meant for one `vtysh -f` run and is ordered so that every command is valid when it
// executes, and so that no prefix permitted before and after is refused in between (make before
// break: bgpd evaluates filter changes after `bgp route-map delay-timer`, which a long script can
// outlast):
//   1. removals inside the contexts (`no <line>`, `no neighbor P` for a neighbor that goes away,
//      `no router bgp ...`, `no profile ...`, a route-map entry replaced by another action),
//   2. prefix-list entries that are plain additions (seq free, prefix not yet in the list),
//   3. additions, contexts in the desired file's order, each with only its missing lines,
//   4. the other prefix-list changes (removals, renumbering), in an order that never creates a
//      duplicate entry (FRR silently ignores an entry whose prefix is already in the list under
//      another seq),
//   5. route-map entries the desired config no longer has (`no route-map NAME permit N`),
//   6. whole prefix-lists it no longer has (`no ip prefix-list NAME`, one command each), so that a
//      route-map entry moving to another (shared) list never matches a missing one on the way.
// A line that holds one value (see replaceKey) is not removed when the desired config sets another
// value for it: the new value replaces it in place. This matters for `neighbor P remote-as`, whose
// removal would delete the whole neighbor.
import { BFD_PROFILE_DEFAULTS, parseFRRConfig, replaceKey, type ConfigNode, type NodeKind } from './configtree.js';

export { UnsupportedConfigError } from './configtree.js';

const PREFIX_LIST = /^(ip|ipv6) prefix-list (\S+) seq (\d+) (.+)$/;
const PEER_DEFINITION = /^neighbor (\S+) (?:interface )?remote-as /;

const negate = (line: string): string => (line.startsWith('no ') ? line.slice(3) : `no ${line}`);

/** The command that removes `line` from a context of `kind`. */
function removal(kind: NodeKind, line: string): string {
  if (kind === 'bfd-profile') for (const [re, dflt] of BFD_PROFILE_DEFAULTS) if (re.test(line)) return dflt;
  return negate(line);
}
const exitOf = (kind: NodeKind): string => (kind === 'af' ? 'exit-address-family' : 'exit');

function wrap(node: ConfigNode, indent: string, body: string[]): string[] {
  return body.length === 0 ? [] : [indent + node.header, ...body, indent + exitOf(node.kind)];
}

/** The whole context, as it would be written in a file. */
function fullContext(node: ConfigNode, indent: string): string[] {
  const inner = indent + ' ';
  return [indent + node.header, ...node.lines.map((l) => inner + l), ...node.children.flatMap((c) => fullContext(c, inner)), indent + exitOf(node.kind)];
}

function peersOf(node: ConfigNode): Set<string> {
  const s = new Set<string>();
  for (const l of node.lines) {
    const m = PEER_DEFINITION.exec(l);
    if (m) s.add(m[1]!);
  }
  return s;
}

function mentionsPeer(line: string, peers: Set<string>): boolean {
  const m = /^neighbor (\S+) /.exec(line);
  return m !== null && peers.has(m[1]!);
}

interface Change {
  del: string[];
  add: string[];
}

/** Removals of the lines of a context that disappears but cannot be removed as a whole (address-family). */
function removeLines(node: ConfigNode, indent: string, gonePeers: Set<string>): string[] {
  const inner = indent + ' ';
  return wrap(
    node,
    indent,
    node.lines.filter((l) => !mentionsPeer(l, gonePeers)).map((l) => inner + removal(node.kind, l)),
  );
}

/** Removal of a child context that exists in the running config only. */
function removeContext(node: ConfigNode, indent: string, gonePeers: Set<string>): string[] {
  switch (node.kind) {
    case 'router-bgp':
    case 'route-map':
    case 'bfd-profile':
      return [`${indent}no ${node.header}`];
    case 'af':
      return removeLines(node, indent, gonePeers);
    case 'bfd':
      // one command for the whole block, profiles included. An empty block (FRR prints `bfd` once
      // the node was entered) is no configuration: nothing to remove (frr-reload's --test asks for
      // `no bfd` there, but its --reload re-enters the node right after and never converges)
      return node.children.length === 0 && node.lines.length === 0 ? [] : [`${indent}no bfd`];
    case 'root':
      return [];
  }
}

/** Changes inside a context present on both sides. */
function diffContext(running: ConfigNode, desired: ConfigNode, indent: string, inheritedGone: Set<string>): Change {
  const inner = indent + ' ';
  const kind = running.kind;
  const del: string[] = [];
  const add: string[] = [];

  // neighbors that go away: one `no neighbor P` removes all of their lines, in every address-family
  const gone = new Set(inheritedGone);
  const peerRemovals: string[] = [];
  if (kind === 'router-bgp') {
    const keep = peersOf(desired);
    for (const p of peersOf(running)) {
      if (!keep.has(p)) {
        gone.add(p);
        peerRemovals.push(`${inner}no neighbor ${p}`);
      }
    }
  }

  const desiredLines = new Set(desired.lines);
  const desiredKeys = new Set(desired.lines.map((l) => replaceKey(kind, l)).filter((k): k is string => k !== null));
  const removed = running.lines.filter((l) => !desiredLines.has(l));
  const removedSet = new Set(removed);
  for (const l of removed) {
    if (mentionsPeer(l, gone)) continue;
    const key = replaceKey(kind, l);
    if (key !== null && desiredKeys.has(key)) continue; // replaced in place by the added line
    // `no neighbor P bfd` also removes the profile; removing the profile afterwards would fail
    const bfdProfile = /^neighbor (\S+) bfd profile \S+$/.exec(l);
    if (bfdProfile && removedSet.has(`neighbor ${bfdProfile[1]} bfd`)) continue;
    del.push(inner + removal(kind, l));
  }
  del.push(...peerRemovals);
  const runningLines = new Set(running.lines);
  for (const l of desired.lines) if (!runningLines.has(l)) add.push(inner + l);

  for (const rc of running.children) {
    const dc = desired.children.find((c) => c.header === rc.header);
    if (!dc) del.push(...removeContext(rc, inner, gone));
  }
  for (const dc of desired.children) {
    const rc = running.children.find((c) => c.header === dc.header);
    if (!rc) {
      add.push(...fullContext(dc, inner));
      continue;
    }
    const ch = diffContext(rc, dc, inner, gone);
    del.push(...ch.del);
    add.push(...ch.add);
  }
  return { del: wrap(running, indent, del), add: wrap(desired, indent, add) };
}

// ---------------------------------------------------------------------------------------------
// prefix-lists

interface PrefixList {
  family: string;
  name: string;
  /** seq -> `permit 10.0.0.0/8 le 24` */
  entries: Map<number, string>;
}

function prefixLists(lines: string[]): Map<string, PrefixList> {
  const out = new Map<string, PrefixList>();
  for (const l of lines) {
    const m = PREFIX_LIST.exec(l);
    if (!m) continue;
    const id = `${m[1]} ${m[2]}`;
    let pl = out.get(id);
    if (!pl) out.set(id, (pl = { family: m[1]!, name: m[2]!, entries: new Map() }));
    pl.entries.set(Number(m[3]), m[4]!);
  }
  return out;
}

/** What FRR compares when it refuses a duplicate: the prefix with its ge/le, whatever the action. */
const matchPart = (body: string): string => body.replace(/^(permit|deny) /, '');

/**
 * Commands turning one list into the other. Entries whose seq disappears are removed first; an entry
 * whose seq stays but whose body changes is overwritten in place, in an order where its new prefix is
 * no longer held by another seq (a renumbering after an insertion goes up, after a removal down); a
 * cycle (two entries swapping) is broken by removing one of them.
 */
export function prefixListOps(family: string, name: string, running: Map<number, string>, desired: Map<number, string>): string[] {
  const out: string[] = [];
  const state = new Map(running);
  const holder = new Map<string, number>();
  for (const [s, b] of state) holder.set(matchPart(b), s);
  const text = (s: number, b: string): string => `${family} prefix-list ${name} seq ${s} ${b}`;
  const remove = (s: number): void => {
    const b = state.get(s)!;
    out.push(`no ${text(s, b)}`);
    state.delete(s);
    if (holder.get(matchPart(b)) === s) holder.delete(matchPart(b));
  };
  const set = (s: number, b: string): void => {
    const old = state.get(s);
    if (old !== undefined && holder.get(matchPart(old)) === s) holder.delete(matchPart(old));
    out.push(text(s, b));
    state.set(s, b);
    holder.set(matchPart(b), s);
  };

  for (const s of [...state.keys()].sort((a, b) => a - b)) if (!desired.has(s)) remove(s);
  let pending = [...desired].filter(([s, b]) => state.get(s) !== b).sort((a, b) => a[0] - b[0]);
  while (pending.length > 0) {
    const blocked: [number, string][] = [];
    for (const [s, b] of pending) {
      const h = holder.get(matchPart(b));
      // held by an entry that keeps its body: the desired list itself has a duplicate; FRR decides
      if (h !== undefined && h !== s && state.get(h) !== desired.get(h)) blocked.push([s, b]);
      else set(s, b);
    }
    if (blocked.length === pending.length) {
      // every remaining entry waits for another one: free the prefix the first one needs
      remove(holder.get(matchPart(blocked[0]![1]))!);
    }
    pending = blocked;
  }
  return out;
}

/**
 * The prefix-list part of the script: `set` changes the lists the desired config has (before the
 * additions that refer to them), `drop` removes the lists it no longer has, each with one command,
 * after the additions (a route-map entry switching to another list must never see its old list gone:
 * FRR treats a missing list as matching nothing).
 */
function prefixListChanges(running: ConfigNode, desired: ConfigNode): { grow: string[]; set: string[]; drop: string[] } {
  const r = prefixLists(running.lines);
  const d = prefixLists(desired.lines);
  const grow: string[] = [];
  const set: string[] = [];
  const drop: string[] = [];
  for (const [id, pl] of r) if (!d.has(id)) drop.push(`no ${pl.family} prefix-list ${pl.name}`);
  for (const [id, pl] of d) {
    const before = r.get(id)?.entries ?? new Map<number, string>();
    // make before break: the entries that can simply be added (their seq free, their prefix not in the
    // list yet) go first, so that an entry moving from one list to another (chunks, shared lists) is in
    // the new list before it leaves the old one
    const held = new Set([...before.values()].map(matchPart));
    const grown = new Map(before);
    for (const [seq, body] of pl.entries) {
      if (before.has(seq) || held.has(matchPart(body))) continue;
      grown.set(seq, body);
      held.add(matchPart(body));
    }
    grow.push(...prefixListOps(pl.family, pl.name, before, grown));
    set.push(...prefixListOps(pl.family, pl.name, grown, pl.entries));
  }
  return { grow, set, drop };
}

// ---------------------------------------------------------------------------------------------

/** The diff of two parsed configurations (see diffFRRConfig). */
export function diffTrees(running: ConfigNode, desired: ConfigNode): string[] {
  const isPL = (l: string): boolean => PREFIX_LIST.test(l);
  const strip = (n: ConfigNode): ConfigNode => ({ ...n, lines: n.lines.filter((l) => !isPL(l)) });
  const top = diffContext(strip(running), strip(desired), '', new Set());
  // diffContext wraps nothing at the root (empty header): drop the wrapper lines it added
  const unwrap = (lines: string[]): string[] => (lines.length === 0 ? [] : lines.slice(1, -1).map((l) => l.slice(1)));
  const pl = prefixListChanges(running, desired);
  // a route-map entry whose name and number the desired config no longer has is removed late (after the
  // lists that take over its prefixes are filled); one replaced by another action stays early
  const kept = new Set(desired.children.filter((c) => c.kind === 'route-map').map((c) => c.header.replace(/ (permit|deny) (\d+)$/, ' $2')));
  const del = unwrap(top.del);
  const late = (l: string): boolean => {
    const m = /^no route-map (\S+) (?:permit|deny) (\d+)$/.exec(l);
    return m !== null && !kept.has(`route-map ${m[1]} ${m[2]}`);
  };
  return [...del.filter((l) => !late(l)), ...pl.grow, ...unwrap(top.add), ...pl.set, ...del.filter(late), ...pl.drop];
}

/**
 * The vtysh script (for `vtysh -f`) that makes `running` equal to `desired`, or '' when they already
 * match. Both texts are frr.conf / `show running-config` output. Throws UnsupportedConfigError when
 * either contains something outside the grammar of ./configtree.ts.
 */
export function diffFRRConfig(running: string, desired: string): string {
  const lines = diffTrees(parseFRRConfig(running), parseFRRConfig(desired));
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
