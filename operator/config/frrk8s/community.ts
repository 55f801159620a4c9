// BGP community values as frr-k8s (and MetalLB) parse them: legacy `A:B` (two uint16) or
// `large:A:B:C` (three uint32). Error texts follow upstream's community package.
import { goParseUint, goQuote, GoParseError } from '../../util/gofmt.js';

export class CommunityError extends Error {}

export interface BGPCommunity {
  large: boolean;
  /** the two (legacy) or three (large) numbers */
  values: number[];
}

const LARGE_MARKER = 'large';

/** Parses a community; throws CommunityError with upstream's text. */
export function parseCommunity(c: string): BGPCommunity {
  const fs = c.split(':');
  const section = (i: number, bits: 16 | 32): number => {
    try {
      return goParseUint(fs[i]!, bits);
    } catch (e) {
      if (e instanceof GoParseError)
        throw new CommunityError(`invalid community value: invalid section ${goQuote(fs[i]!)} of community ${goQuote(c)}, err: ${goQuote(e.message)}`);
      throw e;
    }
  };
  if (fs.length === 2) return { large: false, values: [section(0, 16), section(1, 16)] };
  if (fs.length === 4) {
    if (fs[0] !== LARGE_MARKER)
      throw new CommunityError(
        `invalid community value: invalid marker for large community, expected community to be of format ${LARGE_MARKER}:<uint32>:<uint32>:<uint32> but got ${goQuote(c)} instead`,
      );
    return { large: true, values: [section(1, 32), section(2, 32), section(3, 32)] };
  }
  throw new CommunityError(`invalid community format: ${c}`);
}

/** Upstream's String(): numbers joined by `:`, without the `large:` marker. */
export function communityString(c: BGPCommunity): string {
  return c.values.join(':');
}

/** Canonical text used in the model: `A:B` or `large:A:B:C`. */
export function communityCanonical(c: BGPCommunity): string {
  return c.large ? `${LARGE_MARKER}:${communityString(c)}` : communityString(c);
}

/** The string form of a canonical community text with the large marker removed. */
export function communityKeyText(canonical: string): string {
  return canonical.startsWith(`${LARGE_MARKER}:`) ? canonical.slice(LARGE_MARKER.length + 1) : canonical;
}

export function isLargeCommunityText(canonical: string): boolean {
  return canonical.startsWith(`${LARGE_MARKER}:`);
}
