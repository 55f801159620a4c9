// Backend-specific ("mode") validation, run first by the parser (upstream internal/config/validation.go):
//   native          -> DiscardFRROnly    (rules J1-J13: FRR-only features are rejected)
//   frr, frr-k8s    -> DiscardNativeOnly (rules K1-K3: peers that can run on the same node must agree)
//   none / unknown  -> no validation
// Upstream stops at the first problem; these functions report every problem in the same order, so the first
// entry is upstream's error.
import type { BGPBackend } from '../../api/constants.js';
import type { KubeObject } from '../../api/meta.js';
import type { BGPPeer } from '../../api/metallb.js';
import { formatCIDR } from '../../util/ip.js';
import { selectorMatches, type LabelSelector } from '../../util/selector.js';
import { tryParseCommunity } from './community.js';
import { goQuote, goSelectorV } from '../../util/gofmt.js';
import {
  bool,
  labelsOf,
  nameOf,
  parsePoolAddress,
  peerAsV1beta2,
  selectorError,
  selectorList,
  sortByName,
  specOf,
  str,
  strList,
  num,
} from './helpers.js';
import { parseDuration } from '../../util/duration.js';
import { ErrorCollector, type ClusterResources, type ConfigError, type ParseBackend } from './types.js';

export interface ModeOptions {
  /** Treat every pair of peers as selecting one common node (as upstream does when no Node is known). */
  assumeCommonNode?: boolean;
  /** Keep the input order instead of sorting each kind by name. */
  keepOrder?: boolean;
}

export type ModeKind = 'native' | 'frr' | 'none';

/** Which validation a backend uses (frr-k8s and frr-k8s-external behave like frr). */
export function modeOf(backend: ParseBackend | string): ModeKind {
  switch (backend as BGPBackend) {
    case 'native':
      return 'native';
    case 'frr':
    case 'frr-k8s':
    case 'frr-k8s-external':
      return 'frr';
    default:
      return 'none';
  }
}

/** Runs the mode validation of a backend and returns all problems (first = upstream's error). */
export function validateMode(res: ClusterResources, backend: ParseBackend, opts: ModeOptions = {}): ConfigError[] {
  const c = new ErrorCollector();
  validateModeInto(c, res, backend, opts);
  return c.errors;
}

/** @internal used by the parser: same as validateMode, into a shared collector. */
export function validateModeInto(c: ErrorCollector, res: ClusterResources, backend: ParseBackend, opts: ModeOptions = {}): void {
  const order = <T extends KubeObject>(l: T[] | undefined): T[] => (opts.keepOrder ? [...(l ?? [])] : sortByName(l));
  const r: ClusterResources = {
    ...res,
    pools: order(res.pools),
    peers: order(res.peers).map(peerAsV1beta2),
    bfdProfiles: order(res.bfdProfiles),
    l2Advertisements: order(res.l2Advertisements),
    bgpAdvertisements: order(res.bgpAdvertisements),
    communities: order(res.communities),
  };
  switch (modeOf(backend)) {
    case 'native':
      discardFRROnly(c, r);
      break;
    case 'frr':
      discardNativeOnly(c, r, opts);
      break;
    default:
      break;
  }
}

const durationIsNonZero = (v: unknown): boolean => {
  if (v === undefined || v === null) return false;
  const ns = parseDuration(str(v));
  return ns === null || ns !== 0;
};

/** Native mode: rules J1-J13. */
function discardFRROnly(c: ErrorCollector, r: ClusterResources): void {
  for (const p of r.peers) {
    const s = specOf(p);
    const addr = str(s.peerAddress);
    const add = (what: string): void => c.add({ kind: 'BGPPeer', name: nameOf(p), message: `peer ${addr} has ${what} on native bgp mode` });
    if (str(s.bfdProfile) !== '') add('bfd-profile set');
    if (durationIsNonZero(s.keepaliveTime)) add('keepalive-time set');
    if (str(s.vrf) !== '') add('vrf set');
    if (s.connectTime !== undefined && s.connectTime !== null) add('connect time set');
    if (bool(s.enableGracefulRestart)) add('EnableGracefulRestart flag set');
    if (bool(s.disableMP)) add('disable MP flag set');
    if (bool(s.dualStackAddressFamily)) add('dualstackaddressfamily flag set');
    if (str(s.dynamicASN) !== '') add('dynamicASN set');
    if (str(s.interface) !== '') add('interface set');
    if (num(s.localASN) !== 0) add('localASN set');
  }
  for (const b of r.bfdProfiles) c.add({ kind: 'BFDProfile', name: nameOf(b), message: 'bfd profiles section set' });

  // J12: IPv6 CIDRs in pools selected by any BGPAdvertisement (an ad without pool selection selects all).
  if (r.bgpAdvertisements.length > 0) {
    let all = false;
    const byName = new Set<string>();
    const byLabels: LabelSelector[] = [];
    for (const ad of r.bgpAdvertisements) {
      const s = specOf(ad);
      const names = strList(s.ipAddressPools);
      const sels = selectorList(s.ipAddressPoolSelectors);
      if (names.length === 0 && sels.length === 0) {
        all = true;
        break;
      }
      names.forEach((n) => byName.add(n));
      for (const sel of sels) {
        if (selectorError(sel)) {
          c.add({ kind: 'BGPAdvertisement', name: nameOf(ad), message: `invalid label selector ${goSelectorV(sel)}` }, 'poolSelectors');
          continue;
        }
        byLabels.push(sel);
      }
    }
    for (const p of r.pools) {
      const selected = all || byName.has(nameOf(p)) || byLabels.some((sel) => selectorMatches(sel, labelsOf(p)));
      if (!selected) continue;
      for (const entry of strList(specOf(p).addresses)) {
        const parsed = parsePoolAddress(entry);
        if ('error' in parsed) {
          c.add(
            { kind: 'IPAddressPool', name: nameOf(p), message: `invalid CIDR ${goQuote(entry)} in pool ${goQuote(nameOf(p))}: ${parsed.error}` },
            'addresses',
          );
          break;
        }
        const v6 = parsed.cidrs.find((n) => n.family === 6);
        if (v6) {
          c.add({
            kind: 'IPAddressPool',
            name: nameOf(p),
            message: `pool ${goQuote(nameOf(p))} has ipv6 CIDR ${formatCIDR(v6)}, native bgp mode does not support ipv6`,
          });
          break;
        }
      }
    }
  }

  // J13: only standard ("legacy") communities; unparsable strings are aliases and skipped here.
  for (const ad of r.bgpAdvertisements) {
    for (const cs of strList(specOf(ad).communities)) {
      const parsed = tryParseCommunity(cs);
      if (parsed.community && parsed.community.kind !== 'legacy') {
        c.add({
          kind: 'BGPAdvertisement',
          name: nameOf(ad),
          message: `native BGP mode only supports legacy communities, BGP advertisement ${goQuote(nameOf(ad))} has non legacy community ${goQuote(cs)}`,
        });
      }
    }
  }
  for (const co of r.communities) {
    const aliases = Array.isArray(specOf(co).communities) ? (specOf(co).communities as unknown[]) : [];
    for (const a of aliases) {
      const alias = (a && typeof a === 'object' ? a : {}) as { name?: unknown; value?: unknown };
      const parsed = tryParseCommunity(str(alias.value));
      if (parsed.community && parsed.community.kind !== 'legacy') {
        // upstream prints the whole {name value} struct with %q
        c.add({
          kind: 'Community',
          name: nameOf(co),
          message: `native BGP mode only supports legacy communities, BGP community CR ${goQuote(nameOf(co))} has non legacy community {${goQuote(str(alias.name))} ${goQuote(str(alias.value))}}`,
        });
      }
    }
  }
}

/** Upstream PeerIdentifier: address (or interface for unnumbered peers), suffixed "-<vrf>" when a VRF is set. */
export function peerIdentifier(p: BGPPeer): string {
  const s = specOf(p);
  const id = str(s.peerAddress) !== '' ? str(s.peerAddress) : str(s.interface);
  return str(s.vrf) === '' ? id : `${id}-${str(s.vrf)}`;
}

/** FRR modes: rules K1-K3 over every pair of peers that can be configured on the same node. */
function discardNativeOnly(c: ErrorCollector, r: ClusterResources, opts: ModeOptions): void {
  const nodes = r.nodes ?? [];
  const nodeAware = nodes.length > 0 && !opts.assumeCommonNode;
  // For each peer, the indices of the nodes it selects (null = unknown/invalid selectors: assume it shares).
  const selected: (Set<number> | null)[] = r.peers.map((p) => {
    if (!nodeAware) return null;
    const sels = selectorList(specOf(p).nodeSelectors);
    const bad = sels.map((s) => selectorError(s)).find((e) => e);
    if (bad) {
      c.add({ kind: 'BGPPeer', name: nameOf(p), message: `peer ${peerIdentifier(p)} has invalid nodeSelector: ${bad}` }, 'nodeSelectors');
      return null;
    }
    const set = new Set<number>();
    nodes.forEach((n, i) => {
      if (sels.length === 0 || sels.some((s) => selectorMatches(s, labelsOf(n)))) set.add(i);
    });
    return set;
  });
  const share = (i: number, j: number): boolean => {
    const a = selected[i];
    const b = selected[j];
    if (!a || !b) return true;
    for (const n of a) if (b.has(n)) return true;
    return false;
  };
  for (let j = 1; j < r.peers.length; j++) {
    const pj = specOf(r.peers[j]);
    const name = nameOf(r.peers[j]);
    let routerDone = false;
    let dupDone = false;
    let asnDone = false;
    for (let i = 0; i < j; i++) {
      if (!share(i, j)) continue;
      const pi = specOf(r.peers[i]);
      if (!routerDone && str(pj.routerID) !== str(pi.routerID)) {
        routerDone = true;
        c.add({
          kind: 'BGPPeer',
          name,
          message: `peer ${str(pj.routerID)} has RouterID different from ${str(pi.routerID)}, in FRR mode peers selecting the same node must all have the same RouterID`,
          related: { kind: 'BGPPeer', name: nameOf(r.peers[i]) },
        });
      }
      if (!dupDone && peerIdentifier(r.peers[j]!) === peerIdentifier(r.peers[i]!)) {
        dupDone = true;
        c.add({
          kind: 'BGPPeer',
          name,
          message: `peer ${peerIdentifier(r.peers[j]!)} already exists, FRR mode doesn't support duplicate BGPPeers selecting the same node`,
          related: { kind: 'BGPPeer', name: nameOf(r.peers[i]) },
        });
      }
      if (!asnDone && str(pj.vrf) === str(pi.vrf) && num(pj.myASN) !== num(pi.myASN)) {
        asnDone = true;
        c.add({
          kind: 'BGPPeer',
          name,
          message: `peer ${peerIdentifier(r.peers[j]!)} has myAsn different from ${peerIdentifier(r.peers[i]!)}, in FRR mode peers selecting the same node must have the same myAsn within the same VRF`,
          related: { kind: 'BGPPeer', name: nameOf(r.peers[i]) },
        });
      }
    }
  }
}
