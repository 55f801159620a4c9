// BGP communities in MetalLB: the parser is shared with frr-k8s (../community.ts, rules G1-G3 of the
// spec); this module adds MetalLB's identity and ordering of parsed communities.
import { communityLiteral, type BGPCommunity } from '../community.js';

export {
  CommunityError,
  communityLiteral,
  communityString,
  isLarge,
  isLegacy,
  parseCommunity,
  tryParseCommunity,
  type BGPCommunity,
  type CommunityErrorKind,
} from '../community.js';

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
