// Scripts whose syntax is proven here, so that the apply can skip `vtysh -C` for them (pure).
//
// `vtysh -C -f` is a syntax check in vtysh's own process (it costs a process start, ~28 ms here, on the
// path of every change). The scripts of the common changes (a Service added or removed: prefix-list
// entries and `network` lines in `router bgp N` / `address-family`) are made only of a few line forms
// whose every token can be checked exactly: canonical CIDRs of the right family, seq and ASN in FRR's
// ranges, list names without blanks. A script of nothing else is "trusted"; any other line (raw config,
// neighbors, route-maps, BFD ...) sends the script through `vtysh -C` as before. `trusted.test.ts`
// feeds every accepted form to the real `vtysh -C` to prove the rule never lets a refused line through.
import { formatCIDR, parseCIDR } from '../util/ip.js';

const MAX_U32 = 4294967295;

function canonicalCIDR(text: string, family: 4 | 6): boolean {
  const c = parseCIDR(text);
  return c !== null && c.family === family && formatCIDR(c) === text;
}

const u32 = (s: string, min = 1): boolean => /^\d{1,10}$/.test(s) && Number(s) >= min && Number(s) <= MAX_U32;
const listName = (s: string): boolean => /^[A-Za-z0-9_.:-]{1,64}$/.test(s);

/** ge/le suffix of a prefix-list entry: each in (prefix length, family max], ge <= le, ge before le. */
function rangeOK(len: number, max: number, rest: string): boolean {
  if (rest === '') return true;
  const m = /^(?: ge (\d{1,3}))?(?: le (\d{1,3}))?$/.exec(rest);
  if (!m || (m[1] === undefined && m[2] === undefined)) return false;
  const ge = m[1] === undefined ? undefined : Number(m[1]);
  const le = m[2] === undefined ? undefined : Number(m[2]);
  if (ge !== undefined && (ge <= len || ge > max)) return false;
  if (le !== undefined && (le <= len || le > max)) return false;
  return ge === undefined || le === undefined || ge <= le;
}

/** One line of a trusted script (indentation ignored). */
export function trustedLine(raw: string): boolean {
  const line = raw.trim();
  if (line === '' || line === 'exit' || line === 'exit-address-family') return true;
  let m: RegExpExecArray | null;
  if ((m = /^router bgp (\d{1,10})$/.exec(line))) return u32(m[1]!);
  if (/^address-family (ipv4|ipv6) unicast$/.test(line)) return true;
  if ((m = /^(no )?network (\S+)$/.exec(line))) return canonicalCIDR(m[2]!, m[2]!.includes(':') ? 6 : 4);
  if ((m = /^no (ip|ipv6) prefix-list (\S+)$/.exec(line))) return listName(m[2]!);
  if ((m = /^(?:no )?(ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) (\S+)(.*)$/.exec(line))) {
    const family = m[1] === 'ip' ? 4 : 6;
    if (!listName(m[2]!) || !u32(m[3]!)) return false;
    if (m[5] === 'any') return m[6] === '';
    if (!canonicalCIDR(m[5]!, family)) return false;
    return rangeOK(Number(m[5]!.split('/')[1]), family === 4 ? 32 : 128, m[6]!);
  }
  return false;
}

/** Every line of the script is a trusted form (see the file comment). */
export function trustedScript(script: string): boolean {
  return script.split('\n').every(trustedLine);
}
