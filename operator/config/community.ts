// BGP communities as MetalLB and frr-k8s parse them (both upstreams carry the same `community` package,
// built on strconv.ParseUint; MetalLB spec §2.2 G1-G3, frr-k8s spec §3.2 V26):
//   standard ("legacy")  "<uint16>:<uint16>"                      e.g. 65535:65282
//   large                "large:<uint32>:<uint32>:<uint32>"       e.g. large:64512:1:2
// Any other number of ':'-separated fields is a *format* error; MetalLB treats it, inside a
// BGPAdvertisement, as a possibly not-yet-defined Community alias (a transient error).
// What each side does with a parsed community (MetalLB's ordering, frr-k8s's list keys) stays in
// metallb/community.ts and frrk8s/community.ts.
import { goParseUint, goQuote, GoParseError } from '../util/gofmt.js';

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

export const LARGE_MARKER = 'large';

/** Parses a community literal; throws CommunityError with upstream's message on failure. */
export function parseCommunity(c: string): BGPCommunity {
  const fs = c.split(':');
  const section = (f: string, bits: 16 | 32): number => {
    try {
      return goParseUint(f, bits);
    } catch (e) {
      if (e instanceof GoParseError) {
        throw new CommunityError(`invalid community value: invalid section ${goQuote(f)} of community ${goQuote(c)}, err: ${goQuote(e.message)}`, 'value');
      }
      throw e;
    }
  };
  if (fs.length === 2) return { kind: 'legacy', upper: section(fs[0]!, 16), lower: section(fs[1]!, 16) };
  if (fs.length === 4) {
    if (fs[0] !== LARGE_MARKER) {
      throw new CommunityError(
        `invalid community value: invalid marker for large community, expected community to be of format ${LARGE_MARKER}:<uint32>:<uint32>:<uint32> but got ${goQuote(c)} instead`,
        'value',
      );
    }
    return { kind: 'large', globalAdministrator: section(fs[1]!, 32), localData1: section(fs[2]!, 32), localData2: section(fs[3]!, 32) };
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

/** Upstream's String(): "a:b" for standard communities, "a:b:c" (no marker) for large ones. */
export function communityString(c: BGPCommunity): string {
  return c.kind === 'legacy' ? `${c.upper}:${c.lower}` : `${c.globalAdministrator}:${c.localData1}:${c.localData2}`;
}

/** The literal form accepted by parseCommunity: "a:b", or "large:a:b:c". */
export function communityLiteral(c: BGPCommunity): string {
  return c.kind === 'legacy' ? communityString(c) : `${LARGE_MARKER}:${communityString(c)}`;
}
