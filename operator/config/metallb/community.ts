// BGP communities as MetalLB understands them (rules G1-G3 of the spec):
//   standard ("legacy")  "<uint16>:<uint16>"                      e.g. 65535:65282
//   large                "large:<uint32>:<uint32>:<uint32>"       e.g. large:64512:1:2
// Any other number of ':'-separated fields is a *format* error; MetalLB treats it, inside a
// BGPAdvertisement, as a possibly not-yet-defined Community alias (a transient error).
import { goQuote } from '../../util/gofmt.js';

export type BGPCommunity =
  | { kind: 'legacy'; upper: number; lower: number }
  | { kind: 'large'; globalAdministrator: number; localData1: number; localData2: number };

export type CommunityErrorKind = 'value' | 'format';

export class CommunityError extends Error {
  constructor(
    message: string,
    /** 'value': well-formed but bad numbers/marker (G1/G2); 'format': wrong field count (G3). */
    readonly kind: CommunityErrorKind,
  ) {
    super(message);
    this.name = 'CommunityError';
  }
}

const LARGE_MARKER = 'large';

/** Go's strconv.ParseUint(s, 10, bits) error text, or null when it parses. */
function parseUintError(s: string, bits: 16 | 32): string | null {
  if (!/^[0-9]+$/.test(s)) return `strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`;
  if (BigInt(s) > (1n << BigInt(bits)) - 1n) return `strconv.ParseUint: parsing ${goQuote(s)}: value out of range`;
  return null;
}

function sectionError(section: string, whole: string, err: string): CommunityError {
  return new CommunityError(
    `invalid community value: invalid section ${goQuote(section)} of community ${goQuote(whole)}, err: ${goQuote(err)}`,
    'value',
  );
}

/** Parses a community literal; throws CommunityError with MetalLB's message on failure. */
export function parseCommunity(c: string): BGPCommunity {
  const fs = c.split(':');
  if (fs.length === 2) {
    const vals: number[] = [];
    for (const f of fs) {
      const e = parseUintError(f, 16);
      if (e) throw sectionError(f, c, e);
      vals.push(Number(f));
    }
    return { kind: 'legacy', upper: vals[0]!, lower: vals[1]! };
  }
  if (fs.length === 4) {
    if (fs[0] !== LARGE_MARKER) {
      throw new CommunityError(
        `invalid community value: invalid marker for large community, expected community to be of format ${LARGE_MARKER}:<uint32>:<uint32>:<uint32> but got ${goQuote(c)} instead`,
        'value',
      );
    }
    const vals: number[] = [];
    for (const f of fs.slice(1)) {
      const e = parseUintError(f, 32);
      if (e) throw sectionError(f, c, e);
      vals.push(Number(f));
    }
    return { kind: 'large', globalAdministrator: vals[0]!, localData1: vals[1]!, localData2: vals[2]! };
  }
  throw new CommunityError(`invalid community format: ${c}`, 'format');
}

/** Like parseCommunity but returns the error instead of throwing. */
export function tryParseCommunity(c: string): { community: BGPCommunity; error?: undefined } | { community?: undefined; error: CommunityError } {
  try {
    return { community: parseCommunity(c) };
  } catch (e) {
    if (e instanceof CommunityError) return { error: e };
    throw e;
  }
}

export function isLegacy(c: BGPCommunity): c is Extract<BGPCommunity, { kind: 'legacy' }> {
  return c.kind === 'legacy';
}

export function isLarge(c: BGPCommunity): c is Extract<BGPCommunity, { kind: 'large' }> {
  return c.kind === 'large';
}

/** MetalLB's String(): "a:b" for standard communities, "a:b:c" (no marker) for large ones. */
export function communityString(c: BGPCommunity): string {
  return c.kind === 'legacy' ? `${c.upper}:${c.lower}` : `${c.globalAdministrator}:${c.localData1}:${c.localData2}`;
}

/** The literal form accepted by parseCommunity: "a:b", or "large:a:b:c" (as frr-k8s expects it). */
export function communityLiteral(c: BGPCommunity): string {
  return c.kind === 'legacy' ? communityString(c) : `${LARGE_MARKER}:${communityString(c)}`;
}

/** The 32-bit value of a standard community (upper << 16 | lower). */
export function legacyToUint32(c: Extract<BGPCommunity, { kind: 'legacy' }>): number {
  return c.upper * 65536 + c.lower;
}

function asLargeTuple(c: BGPCommunity): [number, number, number] {
  return c.kind === 'legacy' ? [legacyToUint32(c), 0, 0] : [c.globalAdministrator, c.localData1, c.localData2];
}

/** Total order used by MetalLB: a standard community compares as the large community "<uint32>:0:0". */
export function compareCommunities(a: BGPCommunity, b: BGPCommunity): number {
  const x = asLargeTuple(a);
  const y = asLargeTuple(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

export function communityLessThan(a: BGPCommunity, b: BGPCommunity): boolean {
  return compareCommunities(a, b) < 0;
}

/** Identity key: two communities are the same value iff their keys are equal (a map key in MetalLB). */
export function communityKey(c: BGPCommunity): string {
  return communityLiteral(c);
}

/** Sorts (MetalLB order) and de-duplicates communities. */
export function sortCommunities(list: readonly BGPCommunity[]): BGPCommunity[] {
  const seen = new Map<string, BGPCommunity>();
  for (const c of list) if (!seen.has(communityKey(c))) seen.set(communityKey(c), c);
  return [...seen.values()].sort((a, b) => compareCommunities(a, b) || (a.kind === b.kind ? 0 : a.kind === 'legacy' ? -1 : 1));
}
