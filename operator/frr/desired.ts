// The desired frr.conf as the agent hands it to FRR: the rendered text plus what belongs to the host
// rather than to the FRRConfigurations, in the forms FRR prints back. Pure.
//
// - hostname: FRR does not take `hostname` from a file loaded with vtysh (bgpd keeps the system
//   hostname), so any other value would be a difference on every apply and frr-reload would try
//   `no hostname ...`. The running config's hostname line replaces the rendered one.
// - forwarding: zebra reports the namespace's sysctls as `no ip forwarding` / `no ipv6 forwarding`.
//   A desired text without them makes frr-reload "fix" the difference by turning forwarding on. The
//   running config's lines are carried over unless the desired text sets forwarding itself (raw config).
// - tuning (optional): `bgp route-map delay-timer N` (global) and `coalesce-time N` (in every
//   `router bgp`), unless the text already sets them.
// - canonical forms (canonicalizeFRRText), so the running config matches the desired text after apply.
// - BFD profile resets: bfdd 8.4 has no `no receive-interval` (nor transmit-interval,
//   detect-multiplier, echo intervals), and the canonical text leaves default values out, so going back
//   to a default needs the explicit default line. It is added only while the running profile holds
//   another value; frr-reload otherwise "removes" the old value with a command that fails silently
//   (it shortens `no receive-interval 100` down to a bare `profile` line and reports success).
import { BFD_PROFILE_DEFAULTS, canonicalizeFRRText } from './configtree.js';

export interface FRRTuning {
  /** `bgp route-map delay-timer N` (FRR default 5 s; 0 breaks prefix-list-only updates, use >= 1) */
  routeMapDelayTimer?: number;
  /** `coalesce-time N` in ms under every `router bgp` (FRR default 1000) */
  coalesceTime?: number;
}

export interface PrepareOptions {
  tuning?: FRRTuning;
}

const HOSTNAME = /^hostname\s+\S+\s*$/;
const FORWARDING = /^(no\s+)?(ip|ipv6)\s+forwarding\s*$/;

/** The running config's `hostname X` line, if any. */
export function runningHostname(running: string): string | undefined {
  return running.split('\n').find((l) => HOSTNAME.test(l.trim()))?.trim();
}

/** The running config's forwarding lines (`no ip forwarding`, `no ipv6 forwarding`). */
export function runningForwarding(running: string): string[] {
  return running
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => FORWARDING.test(l));
}

export function prepareDesired(desired: string, running: string, opts: PrepareOptions = {}): string {
  const lines = desired.split('\n');
  // hostname: take the running one, at the place of the rendered line (or on top)
  const host = runningHostname(running);
  let at = lines.findIndex((l) => HOSTNAME.test(l.trim()) && !/^\s/.test(l));
  const body = lines.filter((l) => !(HOSTNAME.test(l.trim()) && !/^\s/.test(l)));
  if (at < 0) at = 0;
  const header: string[] = [];
  if (host) header.push(host);
  // forwarding: carried over per family unless the desired text has its own line for it
  const own = new Set(body.filter((l) => FORWARDING.test(l.trim()) && !/^\s/.test(l)).map((l) => FORWARDING.exec(l.trim())![2]));
  for (const l of runningForwarding(running)) if (!own.has(FORWARDING.exec(l)![2])) header.push(l);
  const t = opts.tuning ?? {};
  if (t.routeMapDelayTimer !== undefined && !body.some((l) => /^\s*bgp\s+route-map\s+delay-timer\b/.test(l))) header.push(`bgp route-map delay-timer ${t.routeMapDelayTimer}`);
  let out = [...body.slice(0, at), ...header, ...body.slice(at)];
  if (t.coalesceTime !== undefined && !out.some((l) => /^\s*coalesce-time\b/.test(l))) {
    out = out.flatMap((l) => (/^router bgp \S+/.test(l.trim()) && !/^\s/.test(l) ? [l, `  coalesce-time ${t.coalesceTime}`] : [l]));
  }
  return withBFDResets(canonicalizeFRRText(out.join('\n')), running);
}

const optionName = (l: string): string => l.replace(/ \d+$/, '');

interface ProfileLines {
  /** index of the `profile X` line in the text */
  at: number;
  indent: string;
  options: Set<string>;
}

/** `bfd` / `profile X` blocks of a text: profile name -> its option names (tolerant scan, any indentation). */
function bfdProfiles(lines: string[]): Map<string, ProfileLines> {
  const out = new Map<string, ProfileLines>();
  let inBfd = false;
  let cur: ProfileLines | null = null;
  lines.forEach((raw, i) => {
    const l = raw.trim().replace(/\s+/g, ' ');
    if (l === '' || l.startsWith('!')) return;
    if (l === 'bfd') {
      inBfd = true;
      cur = null;
      return;
    }
    if (!inBfd) return;
    const m = /^profile (\S+)$/.exec(l);
    if (m) {
      cur = out.get(m[1]!) ?? { at: i, indent: /^\s*/.exec(raw)![0], options: new Set() };
      out.set(m[1]!, cur);
      return;
    }
    if (l === 'exit') {
      if (cur) cur = null;
      else inBfd = false;
      return;
    }
    if (/^peer /.test(l)) {
      cur = null;
      return;
    }
    if (BFD_PROFILE_DEFAULTS.some(([re]) => re.test(l)) || /^(no )?(echo-mode|passive-mode|shutdown|minimum-ttl)/.test(l)) {
      if (cur) cur.options.add(optionName(l));
      return;
    }
    inBfd = false; // anything else: the bfd block is over
    cur = null;
  });
  return out;
}

/** Adds `<option> <default>` to desired profiles where the running profile holds a non-default value that the desired text leaves out. */
export function withBFDResets(desired: string, running: string): string {
  const runningProfiles = bfdProfiles(running.split('\n'));
  if (runningProfiles.size === 0) return desired;
  const lines = desired.split('\n');
  const desiredProfiles = bfdProfiles(lines);
  const inserts: [number, string[]][] = [];
  for (const [name, d] of desiredProfiles) {
    const r = runningProfiles.get(name);
    if (!r) continue;
    const add: string[] = [];
    for (const [re, dflt] of BFD_PROFILE_DEFAULTS) {
      const opt = optionName(dflt);
      if (r.options.has(opt) && !d.options.has(opt) && re.test(dflt)) add.push(`${d.indent}  ${dflt}`);
    }
    if (add.length > 0) inserts.push([d.at, add]);
  }
  for (const [at, add] of inserts.sort((a, b) => b[0] - a[0])) lines.splice(at + 1, 0, ...add);
  return lines.join('\n');
}
