// IP and CIDR helpers with Go `net` semantics where MetalLB and frr-k8s depend on them.
// Parsing and formatting come from ipaddr.js; the arithmetic (masks, ranges, overlap) is done on
// bigints so IPv4 and IPv6 share one code path.
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface IP {
  family: Family;
  /** the address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits */
  value: bigint;
}

export interface CIDR {
  family: Family;
  /** network address (host bits cleared) */
  network: bigint;
  prefix: number;
  /** the address as written before masking */
  ip: bigint;
}

export const bitsOf = (f: Family): number => (f === 4 ? 32 : 128);

function bytesToBig(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigToBytes(v: bigint, len: number): number[] {
  const out = new Array<number>(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * Parses an IP like Go's net.ParseIP: dotted-decimal IPv4 without leading zeros, or IPv6 without zone.
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as IPv4, as `ip.To4() != nil` does in Go.
 */
export function parseIP(s: string): IP | null {
  if (typeof s !== 'string') return null;
  const hit = ipCache.get(s);
  if (hit !== undefined) return hit && { ...hit };
  const v = parseIPUncached(s);
  remember(ipCache, s, v);
  return v && { ...v };
}

// The renderer parses the same addresses once per neighbor (5,000 prefixes x 51 neighbors: 255,000
// parses per render); parsing is pure, so results are kept, bounded, and handed out as copies.
const CACHE_MAX = 65_536;
const ipCache = new Map<string, IP | null>();
const cidrCache = new Map<string, CIDR | null>();
function remember<T>(m: Map<string, T>, k: string, v: T): void {
  if (m.size >= CACHE_MAX) m.clear();
  m.set(k, v);
}

function parseIPUncached(s: string): IP | null {
  if (s.length === 0 || s.includes('%')) return null;
  if (s.includes(':')) {
    if (!ipaddr.IPv6.isValid(s)) return null;
    const v6 = ipaddr.IPv6.parse(s);
    if (v6.isIPv4MappedAddress()) return { family: 4, value: bytesToBig(v6.toIPv4Address().toByteArray()) };
    return { family: 6, value: bytesToBig(v6.toByteArray()) };
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return null;
  const parts = s.split('.');
  if (parts.some((p) => (p.length > 1 && p.startsWith('0')) || Number(p) > 255)) return null;
  return { family: 4, value: bytesToBig(parts.map(Number)) };
}

export function formatIP(ip: { family: Family; value: bigint }): string {
  if (ip.family === 4) return bigToBytes(ip.value, 4).join('.');
  return new ipaddr.IPv6(bigToBytes(ip.value, 16)).toRFC5952String();
}

export function maskOf(family: Family, prefix: number): bigint {
  const bits = bitsOf(family);
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - prefix)) << BigInt(bits - prefix) & all;
}

/** Parses "ip/len" like Go's net.ParseCIDR (no spaces, decimal length within the family's bits). */
export function parseCIDR(s: string): CIDR | null {
  if (typeof s !== 'string') return null;
  const hit = cidrCache.get(s);
  if (hit !== undefined) return hit && { ...hit };
  const v = parseCIDRUncached(s);
  remember(cidrCache, s, v);
  return v && { ...v };
}

function parseCIDRUncached(s: string): CIDR | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIP(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(lenText)) return null;
  // An IPv4-mapped IPv6 address keeps IPv6 prefix lengths in Go; we accept only plain forms.
  if (ip.family === 4 && s.slice(0, slash).includes(':')) return null;
  const prefix = Number(lenText);
  if (prefix > bitsOf(ip.family)) return null;
  return { family: ip.family, network: ip.value & maskOf(ip.family, prefix), prefix, ip: ip.value };
}

export function formatCIDR(c: { family: Family; network: bigint; prefix: number }): string {
  return `${formatIP({ family: c.family, value: c.network })}/${c.prefix}`;
}

export function cidrFirst(c: CIDR): bigint {
  return c.network;
}

export function cidrLast(c: CIDR): bigint {
  return c.network | (((1n << BigInt(bitsOf(c.family))) - 1n) >> BigInt(c.prefix));
}

export function cidrContains(c: CIDR, ip: IP): boolean {
  return c.family === ip.family && (ip.value & maskOf(c.family, c.prefix)) === c.network;
}

export function cidrsOverlap(a: CIDR, b: CIDR): boolean {
  if (a.family !== b.family) return false;
  return cidrFirst(a) <= cidrLast(b) && cidrFirst(b) <= cidrLast(a);
}

export function makeCIDR(family: Family, network: bigint, prefix: number): CIDR {
  return { family, network, prefix, ip: network };
}

/** The smallest list of CIDRs exactly covering [start, end] (both inclusive, same family), ascending. */
export function rangeToCIDRs(family: Family, start: bigint, end: bigint): CIDR[] {
  const bits = bitsOf(family);
  const out: CIDR[] = [];
  let cur = start;
  while (cur <= end) {
    let size = 0; // host bits of the block
    while (size < bits) {
      const next = size + 1;
      const blockMask = (1n << BigInt(next)) - 1n;
      if ((cur & blockMask) !== 0n) break;
      if (cur + blockMask > end) break;
      size = next;
    }
    out.push(makeCIDR(family, cur, bits - size));
    cur += 1n << BigInt(size);
  }
  return out;
}

/** Number of addresses in a CIDR. */
export function cidrSize(c: CIDR): bigint {
  return 1n << BigInt(bitsOf(c.family) - c.prefix);
}

export function ipFromBig(family: Family, value: bigint): IP {
  return { family, value };
}
