// Which services this node announces over BGP, and with which attributes (MetalLB spec §4.1, §4.3).
// Pure: parsed config + Services/EndpointSlices/Nodes in, reasons and advertisements out.
import type { Node } from '../api/meta.js';
import { LABEL_EXCLUDE_LB } from '../api/constants.js';
import { compatibleLocalPref, selectsNode, type BGPAdvertisementConfig, type Config, type Pool } from '../config/metallb/parse.js';
import { sortCommunities, type BGPCommunity } from '../config/metallb/community.js';
import { cidrContains, formatCIDR, makeCIDR, maskOf, parseIP, type IP } from '../util/ip.js';
import { selectorMatches } from '../util/selector.js';
import { LABEL_SERVICE_NAME, serviceKey, type EndpointSliceEndpoint, type EndpointSliceObject, type ServiceObject } from './types.js';

/** §4.1 per-service checks: why a service is not considered at all, or its IPs and pool. */
export type ServiceCheck = { reason: string } | { ips: IP[]; texts: string[]; pool: Pool };

export interface ServiceFilterOptions {
  /** `--lb-class`: '' = only services without spec.loadBalancerClass */
  lbClass?: string;
}

/** Does the loadBalancerClass filter let the service through (§3.1)? */
export function lbClassMatches(svc: ServiceObject, lbClass = ''): boolean {
  const cls = svc.spec?.loadBalancerClass ?? '';
  return cls === lbClass;
}

/** The pool containing every IP (pools tried by name), or undefined. */
export function poolFor(config: Config, ips: IP[]): Pool | undefined {
  const names = [...config.pools.keys()].sort();
  for (const n of names) {
    const p = config.pools.get(n)!;
    if (ips.every((ip) => p.cidrs.some((c) => cidrContains(c, ip)))) return p;
  }
  return undefined;
}

/**
 * §4.1: `notLoadBalancer`, `noIPAllocated`, `invalidIP`, `ipNotAllowed` (services filtered out by the
 * loadBalancerClass report `lbClassMismatch`, which withdraws like the others).
 */
export function checkService(svc: ServiceObject, config: Config, opts: ServiceFilterOptions = {}): ServiceCheck {
  if (!lbClassMatches(svc, opts.lbClass)) return { reason: 'lbClassMismatch' };
  if (svc.spec?.type !== 'LoadBalancer') return { reason: 'notLoadBalancer' };
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length === 0) return { reason: 'noIPAllocated' };
  const ips: IP[] = [];
  const texts: string[] = [];
  for (const i of ingress) {
    const ip = parseIP(i.ip ?? '');
    if (!ip) return { reason: 'invalidIP' };
    ips.push(ip);
    texts.push(i.ip!);
  }
  const pool = poolFor(config, ips);
  if (!pool) return { reason: 'ipNotAllowed' };
  return { ips, texts, pool };
}

/** Usable endpoint: ready nil/true, or serving true (terminating but still serving). */
export function endpointUsable(ep: EndpointSliceEndpoint): boolean {
  const c = ep.conditions ?? {};
  return c.ready === undefined || c.ready === null || c.ready === true || c.serving === true;
}

/** The EndpointSlices of a service (label kubernetes.io/service-name, same namespace). */
export function slicesOf(svc: ServiceObject, slices: readonly EndpointSliceObject[]): EndpointSliceObject[] {
  return slices.filter((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.[LABEL_SERVICE_NAME] === svc.metadata.name);
}

/**
 * Upstream hasHealthyEndpoint: per address (endpoints on `node` only, when given), an address is healthy when
 * some endpoint carrying it can serve and none carrying it cannot.
 */
function hasUsableEndpoint(slices: readonly EndpointSliceObject[], node?: string): boolean {
  const ready = new Map<string, boolean>();
  for (const s of slices)
    for (const ep of s.endpoints ?? []) {
      if (node !== undefined && ep.nodeName !== node) continue;
      const ok = endpointUsable(ep);
      for (const addr of ep.addresses ?? []) {
        if (!ok) ready.set(addr, false);
        else if (!ready.has(addr)) ready.set(addr, true);
      }
    }
  return [...ready.values()].some((v) => v);
}

export interface NodeView {
  name: string;
  labels: Record<string, string>;
  networkUnavailable: boolean;
}

export function nodeView(name: string, node: Node | undefined): NodeView {
  const conds = node?.status?.conditions ?? [];
  return {
    name,
    labels: node?.metadata.labels ?? {},
    networkUnavailable: conds.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True'),
  };
}

/** The pool's BGP advertisements that select the node and the service (steps 1-2 of §4.3). */
export function bgpAdsFor(pool: Pool, svc: ServiceObject, node: NodeView): { ads: BGPAdvertisementConfig[]; reason?: string } {
  const mine = pool.bgpAdvertisements.filter((a) => selectsNode(a, node.labels));
  if (mine.length === 0) return { ads: [], reason: 'notOwner' };
  const labels = svc.metadata.labels ?? {};
  const ads = mine.filter((a) => a.serviceSelectors.length === 0 || a.serviceSelectors.some((s) => selectorMatches(s, labels)));
  if (ads.length === 0) return { ads, reason: 'noMatchingAdvertisement' };
  return { ads };
}

export interface ShouldAnnounceOptions {
  ignoreExcludeLB?: boolean;
}

/**
 * §4.3: '' when this node announces the service over BGP, else the reason (`notOwner`,
 * `noMatchingAdvertisement`, `conflictingAdvertisements`, `nodeNetworkUnavailable`,
 * `nodeLabeledExcludeBalancers`, `noLocalEndpoints`, `noEndpoints`).
 */
export function bgpShouldAnnounce(
  svc: ServiceObject,
  pool: Pool,
  node: NodeView,
  slices: readonly EndpointSliceObject[],
  opts: ShouldAnnounceOptions = {},
): string {
  const { ads, reason } = bgpAdsFor(pool, svc, node);
  if (reason) return reason;
  for (let i = 0; i < ads.length; i++)
    for (let j = i + 1; j < ads.length; j++) if (!compatibleLocalPref(ads[i]!, ads[j]!, pool, true)) return 'conflictingAdvertisements';
  if (node.networkUnavailable) return 'nodeNetworkUnavailable';
  if (!opts.ignoreExcludeLB && LABEL_EXCLUDE_LB in node.labels) return 'nodeLabeledExcludeBalancers';
  const own = slicesOf(svc, slices);
  if (svc.spec?.externalTrafficPolicy === 'Local') {
    if (!hasUsableEndpoint(own, node.name)) return 'noLocalEndpoints';
  } else if (!hasUsableEndpoint(own)) return 'noEndpoints';
  return '';
}

/** One prefix to announce with its attributes (upstream bgp.Advertisement). */
export interface Advertisement {
  prefix: string;
  family: 4 | 6;
  /** 0 = not set */
  localPref: number;
  /** sorted in MetalLB order */
  communities: BGPCommunity[];
  /** BGPPeer names; empty = every peer */
  peers: string[];
  /** namespace/name of the service */
  service: string;
}

/** The advertisements of one announced service: each ingress IP × each applicable ad. */
export function advertisementsFor(svc: ServiceObject, ips: IP[], ads: BGPAdvertisementConfig[]): Advertisement[] {
  const out: Advertisement[] = [];
  for (const ip of ips) {
    for (const ad of ads) {
      const len = ip.family === 4 ? ad.aggregationLength : ad.aggregationLengthV6;
      const network = ip.value & maskOf(ip.family, len);
      out.push({
        prefix: formatCIDR(makeCIDR(ip.family, network, len)),
        family: ip.family,
        localPref: ad.localPref,
        communities: sortCommunities(ad.communities),
        peers: [...ad.peers],
        service: serviceKey(svc),
      });
    }
  }
  return out;
}

export interface ServiceDecision {
  service: string;
  /** '' = announced */
  reason: string;
  ips: string[];
  advertisements: Advertisement[];
}

export interface NodeAnnouncement {
  /** Every service looked at, with its decision, sorted by key. */
  decisions: ServiceDecision[];
  /** Advertisements of all announced services, merged. */
  advertisements: Advertisement[];
}

/** Runs §4.1 + §4.3 for every service on a node. */
export function announcementsForNode(
  node: NodeView,
  config: Config,
  services: readonly ServiceObject[],
  slices: readonly EndpointSliceObject[],
  opts: ServiceFilterOptions & ShouldAnnounceOptions = {},
): NodeAnnouncement {
  const decisions: ServiceDecision[] = [];
  const all: Advertisement[] = [];
  const sorted = [...services].sort((a, b) => (serviceKey(a) < serviceKey(b) ? -1 : serviceKey(a) > serviceKey(b) ? 1 : 0));
  for (const svc of sorted) {
    const key = serviceKey(svc);
    const check = checkService(svc, config, opts);
    if ('reason' in check) {
      decisions.push({ service: key, reason: check.reason, ips: [], advertisements: [] });
      continue;
    }
    const ips = check.texts;
    const reason = bgpShouldAnnounce(svc, check.pool, node, slices, opts);
    if (reason) {
      decisions.push({ service: key, reason, ips, advertisements: [] });
      continue;
    }
    const { ads } = bgpAdsFor(check.pool, svc, node);
    const advs = advertisementsFor(svc, check.ips, ads);
    decisions.push({ service: key, reason: '', ips, advertisements: advs });
    all.push(...advs);
  }
  return { decisions, advertisements: all };
}

/** Does a session with this peer name receive the advertisement? */
export function adForPeer(ad: Pick<Advertisement, 'peers'>, peerName: string): boolean {
  return ad.peers.length === 0 || ad.peers.includes(peerName);
}


