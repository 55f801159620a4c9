// BGP community values in frr-k8s: the parser is shared with MetalLB (../community.ts, rule V26 of the
// spec); this module adds the texts frr-k8s keys its community prefix lists with.
import { LARGE_MARKER } from '../community.js';

export { CommunityError, communityString, parseCommunity, type BGPCommunity } from '../community.js';
/** Canonical text used in the model: `A:B` or `large:A:B:C` (the literal form). */
export { communityLiteral as communityCanonical } from '../community.js';

/** The string form of a canonical community text with the large marker removed. */
export function communityKeyText(canonical: string): string {
  return canonical.startsWith(`${LARGE_MARKER}:`) ? canonical.slice(LARGE_MARKER.length + 1) : canonical;
}

export function isLargeCommunityText(canonical: string): boolean {
  return canonical.startsWith(`${LARGE_MARKER}:`);
}
