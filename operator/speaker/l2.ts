// L2 leader election (MetalLB spec §4.2, upstream layer2_controller ShouldAnnounce): which node answers
// ARP/NDP for a service's IPs, and on which interfaces. Pure: parsed config + Services/EndpointSlices/Nodes +
// the nodes with a live speaker in, decisions out. Every speaker computes the same candidate order, so the
// first candidate announces and everyone else returns `notOwner`.
import { createHash } from 'node:crypto';
import { ANNOTATION_ALLOW_SHARED_IP, ANNOTATION_ALLOW_SHARED_IP_DEPRECATED, LABEL_EXCLUDE_LB } from '../api/constants.js';
import type { Node } from '../api/meta.js';
import type { L2Announcement } from '../l2/types.js';
import { selectsNode, type Config, type L2AdvertisementConfig, type Pool } from '../config/metallb/parse.js';
import { formatIP } from '../util/ip.js';
import { selectorMatches } from '../util/selector.js';
import { checkService, endpointUsable, nodeView, slicesOf, type NodeView, type ServiceFilterOptions, type ShouldAnnounceOptions } from './announce.js';
import { serviceKey, type EndpointSliceObject, type ServiceObject } from './types.js';

/** Step 2: the pool's L2 advertisements whose serviceSelectors are empty or match the service (node not considered). */
export function l2AdsForService(pool: Pool, svc: ServiceObject): L2AdvertisementConfig[] {
  const labels = svc.metadata.labels ?? {};
  return pool.l2Advertisements.filter((a) => a.serviceSelectors.length === 0 || a.serviceSelectors.some((s) => selectorMatches(s, labels)));
}

/** Does the service carry the allow-shared-ip annotation (current or deprecated key)? */
export function allowsSharedIP(svc: ServiceObject): boolean {
  const a = svc.metadata.annotations ?? {};
  return ANNOTATION_ALLOW_SHARED_IP in a || ANNOTATION_ALLOW_SHARED_IP_DEPRECATED in a;
}

/** §4.1 exclusion: NetworkUnavailable=True, or the exclude-from-external-load-balancers label (unless ignored). */
export function nodeExcluded(n: NodeView, opts: ShouldAnnounceOptions = {}): boolean {
  return n.networkUnavailable || (!opts.ignoreExcludeLB && LABEL_EXCLUDE_LB in n.labels);
}

/** Preference score of a node: sum over the ads of the weights of matching preferredNodeSelectors, only for ads whose nodeSelectors select it. */
export function preferenceScore(ads: readonly L2AdvertisementConfig[], labels: Record<string, string>): number {
  let total = 0;
  for (const ad of ads) {
    if (!selectsNode(ad, labels)) continue;
    for (const p of ad.preferredNodeSelectors) if (selectorMatches(p.preference, labels)) total += p.weight;
  }
  return total;
}

/** SHA-256 of `<node>#<ip>`: the tie-break key (ascending raw bytes). */
export function electionHash(node: string, ip: string): Buffer {
  return createHash('sha256').update(`${node}#${ip}`).digest();
}

/** Sorts candidates: higher preference score first, then ascending SHA-256 of `<node>#<firstIP>`. */
export function orderCandidates(names: readonly string[], firstIP: string, score: (n: string) => number = () => 0): string[] {
  const keyed = names.map((n) => ({ n, s: score(n), h: electionHash(n, firstIP) }));
  keyed.sort((a, b) => b.s - a.s || Buffer.compare(a.h, b.h));
  return keyed.map((k) => k.n);
}

/**
 * Interfaces to answer on for this node: union over the ads selecting it; [] (= every interface) when any of
 * them lists none.
 */
export function l2Interfaces(ads: readonly L2AdvertisementConfig[], labels: Record<string, string>): string[] {
  const mine = ads.filter((a) => selectsNode(a, labels));
  if (mine.length === 0 || mine.some((a) => a.allInterfaces || a.interfaces.length === 0)) return [];
  return [...new Set(mine.flatMap((a) => a.interfaces))].sort();
}

/** Nodes hosting a usable endpoint of the service (endpoint.nodeName). */
export function nodesWithUsableEndpoints(slices: readonly EndpointSliceObject[]): Set<string> {
  const out = new Set<string>();
  for (const s of slices) for (const ep of s.endpoints ?? []) if (ep.nodeName && endpointUsable(ep)) out.add(ep.nodeName);
  return out;
}

export interface L2Election {
  /** '' = this node announces; otherwise upstream's reason */
  reason: string;
  /** candidates in election order (empty when the election was not reached) */
  candidates: string[];
  /** the first candidate, if any */
  winner?: string;
  /** this node's interfaces for the IPs (only meaningful when reason is '') */
  interfaces: string[];
}

export interface L2ElectionInput {
  svc: ServiceObject;
  pool: Pool;
  /** ingress IPs (canonical text, in status order; the first decides) */
  ips: readonly string[];
  /** this node */
  node: NodeView;
  /** every node known (labels, conditions); nodes with a live speaker but no Node object have no labels */
  nodes: readonly NodeView[];
  /** names of nodes with a live speaker; undefined = every known node runs one (upstream without memberlist) */
  liveSpeakers?: readonly string[];
  slices: readonly EndpointSliceObject[];
  opts?: ShouldAnnounceOptions;
}

/**
 * §4.2 `ShouldAnnounce` (layer2): `notOwner` (no usable endpoint, no candidate, or lost the election),
 * `sharedIPWithServiceSelector`, `noMatchingAdvertisement`, or '' when this node is the first candidate.
 */
export function l2ShouldAnnounce(input: L2ElectionInput): L2Election {
  const { svc, pool, node, opts = {} } = input;
  const none = (reason: string, candidates: string[] = []): L2Election => ({ reason, candidates, ...(candidates[0] ? { winner: candidates[0] } : {}), interfaces: [] });
  const own = slicesOf(svc, input.slices);
  const epNodes = nodesWithUsableEndpoints(own);
  const anyUsable = own.some((s) => (s.endpoints ?? []).some(endpointUsable));
  if (!anyUsable) return none('notOwner');
  const ads = l2AdsForService(pool, svc);
  if (allowsSharedIP(svc) && ads.some((a) => a.serviceSelectors.length > 0)) return none('sharedIPWithServiceSelector');
  const mineSelected = ads.some((a) => selectsNode(a, node.labels));
  const byName = new Map(input.nodes.map((n) => [n.name, n]));
  const live = input.liveSpeakers ?? input.nodes.map((n) => n.name);
  let candidates = [...new Set(live)]
    .map((n) => byName.get(n) ?? nodeView(n, undefined))
    .filter((n) => !nodeExcluded(n, opts) && ads.some((a) => selectsNode(a, n.labels)));
  if (svc.spec?.externalTrafficPolicy === 'Local') candidates = candidates.filter((n) => epNodes.has(n.name));
  const labelsOf = new Map(candidates.map((n) => [n.name, n.labels]));
  const ordered = orderCandidates(
    candidates.map((n) => n.name),
    input.ips[0] ?? '',
    (n) => preferenceScore(ads, labelsOf.get(n) ?? {}),
  );
  if (!mineSelected) return none('noMatchingAdvertisement', ordered);
  if (ordered.length === 0 || ordered[0] !== node.name) return none('notOwner', ordered);
  return { reason: '', candidates: ordered, winner: ordered[0], interfaces: l2Interfaces(ads, node.labels) };
}

export interface L2Decision {
  service: string;
  /** '' = this node wins the election for the service */
  reason: string;
  ips: string[];
  candidates: string[];
  winner?: string;
  interfaces: string[];
}

/** Does the service's pool (after the §4.1 checks) carry L2 advertisements at all? */
export function hasL2(pool: Pool): boolean {
  return pool.l2Advertisements.length > 0;
}

/**
 * §4.1 + §4.2 for every service whose pool has L2 advertisements (others are not layer2 services and are
 * left out), sorted by key. Services failing §4.1 keep their §4.1 reason.
 */
export function l2DecisionsForNode(
  nodeName: string,
  config: Config,
  services: readonly ServiceObject[],
  slices: readonly EndpointSliceObject[],
  nodes: readonly Node[],
  liveSpeakers: readonly string[] | undefined,
  opts: ServiceFilterOptions & ShouldAnnounceOptions = {},
): L2Decision[] {
  const views = nodes.map((n) => nodeView(n.metadata.name!, n));
  const me = views.find((n) => n.name === nodeName) ?? nodeView(nodeName, undefined);
  const out: L2Decision[] = [];
  const sorted = [...services].sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : serviceKey(a) > serviceKey(b) ? 1 : 0));
  for (const svc of sorted) {
    const key = serviceKey(svc);
    const check = checkService(svc, config, opts);
    if ('reason' in check) {
      out.push({ service: key, reason: check.reason, ips: [], candidates: [], interfaces: [] });
      continue;
    }
    if (!hasL2(check.pool)) continue;
    // canonical text (Go's net.IP String()): the hash input and what the responder gets
    const ips = check.ips.map(formatIP);
    const e = l2ShouldAnnounce({ svc, pool: check.pool, ips, node: me, nodes: views, liveSpeakers, slices, opts });
    out.push({ service: key, reason: e.reason, ips, candidates: e.candidates, ...(e.winner ? { winner: e.winner } : {}), interfaces: e.interfaces });
  }
  return out;
}

/**
 * The responder's view of a set of announced services: one entry per IP (services sharing an IP merge their
 * interfaces; [] wins = every interface), sorted by IP text.
 */
export function l2AnnouncementsOf(decisions: readonly Pick<L2Decision, 'ips' | 'interfaces'>[]): L2Announcement[] {
  const byIP = new Map<string, Set<string> | 'all'>();
  for (const d of decisions)
    for (const ip of d.ips) {
      const cur = byIP.get(ip);
      if (d.interfaces.length === 0 || cur === 'all') byIP.set(ip, 'all');
      else {
        const s = cur ?? new Set<string>();
        for (const i of d.interfaces) s.add(i);
        byIP.set(ip, s);
      }
    }
  return [...byIP.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([ip, s]) => ({ ip, interfaces: s === 'all' ? [] : [...s].sort() }));
}
