// The speaker's output in frr-k8s mode (MetalLB spec §4.5): one FRRConfiguration `metallb-<node>`,
// and the ServiceBGPStatus content (§1.8). Pure.
import type { Node } from '../api/meta.js';
import type { FRRBFDProfile, FRRConfiguration, Neighbor, Router } from '../api/frrk8s.js';
import { FRRK8S_V1BETA1, LABEL_HOSTNAME } from '../api/constants.js';
import { selectsNode, type Config, type Peer } from '../config/metallb/parse.js';
import { communityLiteral } from '../config/metallb/community.js';
import { formatDuration } from '../util/duration.js';
import { adForPeer, announcementsForNode, nodeView, type Advertisement, type NodeAnnouncement, type ServiceFilterOptions, type ShouldAnnounceOptions } from './announce.js';
import type { EndpointSliceObject, ServiceObject } from './types.js';

export interface BuildOptions extends ServiceFilterOptions, ShouldAnnounceOptions {
  /** namespace of the FRRConfiguration (the frr-k8s namespace) */
  namespace: string;
  /** `--frrk8s-secret-passthrough`: password and passwordSecret passed on unchanged */
  secretPassthrough?: boolean;
  /** frr-k8s runs in the MetalLB namespace: same as passthrough */
  frrk8sInMetalLBNamespace?: boolean;
}

export const frrConfigurationName = (node: string): string => `metallb-${node}`;

/** §4.4 session key `<asn|dynamic>@<peer>-<myASN>@<sourceAddress>[/<vrf>]`. */
export function sessionKey(p: Peer): string {
  const base = `${p.dynamicASN || p.asn}@${p.address || p.iface}-${p.myASN}@${p.srcAddress}`;
  return p.vrf ? `${base}/${p.vrf}` : base;
}

/** Upstream router key `<myASN>@<routerID>@<vrf>` (a missing router ID prints as Go's nil IP, "<nil>"). */
const routerKey = (p: Peer): string => `${p.myASN}@${p.routerID || '<nil>'}@${p.vrf}`;
/** Upstream neighbor key `<asn|dynamic>@<host:port or interface>@<vrf>`: the neighbor order inside a router. */
export function neighborKey(p: Peer): string {
  const target = p.address ? (p.address.includes(':') ? `[${p.address}]:${p.port || 179}` : `${p.address}:${p.port || 179}`) : p.iface;
  return `${p.dynamicASN || p.asn}@${target}@${p.vrf}`;
}
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sortedUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort(cmp);

/** Does a session with the peer carry prefixes of this family? (interface or dual-stack peers carry both) */
export function peerCarriesFamily(p: Peer, family: 4 | 6): boolean {
  if (p.iface || p.dualStackAddressFamily || p.addressFamily === null) return true;
  return p.addressFamily === family;
}

/** The advertisements a session with the peer receives. */
export function advertisementsForPeer(p: Peer, ads: readonly Advertisement[]): Advertisement[] {
  return ads.filter((a) => adForPeer(a, p.name) && peerCarriesFamily(p, a.family));
}

/** The BGP sessions this node opens: parsed peers whose nodeSelectors match, sorted by session key. */
export function sessionsForNode(config: Config, nodeLabels: Record<string, string>): Peer[] {
  return [...config.peers.values()].filter((p) => selectsNode(p, nodeLabels)).sort((a, b) => cmp(sessionKey(a), sessionKey(b)));
}

/** A neighbor advertising `mine` (already filtered for the session). */
function neighborFor(p: Peer, mine: Advertisement[], opts: BuildOptions): Neighbor {
  const n: Neighbor = {};
  if (p.dynamicASN) n.dynamicASN = p.dynamicASN;
  else n.asn = p.asn;
  if (p.address) n.address = p.address;
  if (p.iface) n.interface = p.iface;
  n.port = p.port || 179; // parsed 0 = unset
  if (p.holdTimeNs !== null) n.holdTime = formatDuration(p.holdTimeNs);
  if (p.keepaliveTimeNs !== null) n.keepaliveTime = formatDuration(p.keepaliveTimeNs);
  if (p.connectTimeNs !== null) n.connectTime = formatDuration(p.connectTimeNs);
  if (opts.secretPassthrough || opts.frrk8sInMetalLBNamespace) {
    if (p.password) n.password = p.password;
    if (p.passwordSecret?.name) {
      n.passwordSecret = { name: p.passwordSecret.name, ...(p.passwordSecret.namespace ? { namespace: p.passwordSecret.namespace } : {}) };
    }
  } else {
    const pw = p.password || p.secretPassword;
    if (pw) n.password = pw;
  }
  if (p.bfdProfile) n.bfdProfile = p.bfdProfile;
  if (p.enableGracefulRestart) n.enableGracefulRestart = true;
  if (p.ebgpMultiHop) n.ebgpMultiHop = true;
  if (p.dualStackAddressFamily) n.dualStackAddressFamily = true;
  if (p.disableMP) n.disableMP = true;
  const localPrefs = new Map<number, Set<string>>();
  const communities = new Map<string, Set<string>>();
  for (const a of mine) {
    if (a.localPref !== 0) {
      if (!localPrefs.has(a.localPref)) localPrefs.set(a.localPref, new Set());
      localPrefs.get(a.localPref)!.add(a.prefix);
    }
    for (const c of a.communities) {
      const lit = communityLiteral(c);
      if (!communities.has(lit)) communities.set(lit, new Set());
      communities.get(lit)!.add(a.prefix);
    }
  }
  n.toAdvertise = { allowed: { prefixes: sortedUnique(mine.map((a) => a.prefix)) } };
  if (localPrefs.size > 0)
    n.toAdvertise.withLocalPref = [...localPrefs.entries()].sort((a, b) => a[0] - b[0]).map(([localPref, ps]) => ({ localPref, prefixes: sortedUnique(ps) }));
  if (communities.size > 0)
    n.toAdvertise.withCommunity = [...communities.entries()].sort((a, b) => cmp(a[0], b[0])).map(([community, ps]) => ({ community, prefixes: sortedUnique(ps) }));
  return n;
}

function bfdProfiles(config: Config): FRRBFDProfile[] {
  return [...config.bfdProfiles.values()]
    .sort((a, b) => cmp(a.name, b.name))
    .map((b) => {
      const out: FRRBFDProfile = { name: b.name };
      if (b.receiveInterval !== null) out.receiveInterval = b.receiveInterval;
      if (b.transmitInterval !== null) out.transmitInterval = b.transmitInterval;
      if (b.detectMultiplier !== null) out.detectMultiplier = b.detectMultiplier;
      if (b.echoInterval !== null) out.echoInterval = b.echoInterval;
      out.echoMode = b.echoMode;
      out.passiveMode = b.passiveMode;
      if (b.minimumTtl !== null) out.minimumTtl = b.minimumTtl;
      return out;
    });
}

/** The `metallb-<node>` FRRConfiguration for a node's sessions and advertisements. */
export function frrConfigurationFor(nodeName: string, nodeLabels: Record<string, string>, config: Config, ads: readonly Advertisement[], opts: BuildOptions): FRRConfiguration {
  // routers by router key; inside, sessions by neighbor key (sessions sharing a neighbor key are one
  // neighbor advertising the union of their prefixes, with the parameters of the first by session key)
  const routers = new Map<string, { first: Peer; neighbors: Map<string, Peer[]> }>();
  for (const p of sessionsForNode(config, nodeLabels)) {
    const rk = routerKey(p);
    if (!routers.has(rk)) routers.set(rk, { first: p, neighbors: new Map() });
    const r = routers.get(rk)!;
    const nk = neighborKey(p);
    if (!r.neighbors.has(nk)) r.neighbors.set(nk, []);
    r.neighbors.get(nk)!.push(p);
  }
  const routerList: Router[] = [...routers.entries()]
    .sort((a, b) => cmp(a[0], b[0]))
    .map(([, r]) => {
      const router: Router = { asn: r.first.myASN };
      if (r.first.routerID) router.id = r.first.routerID;
      if (r.first.vrf) router.vrf = r.first.vrf;
      const prefixes = new Set<string>();
      const neighbors = [...r.neighbors.entries()]
        .sort((a, b) => cmp(a[0], b[0]))
        .map(([, peers]) => {
          const mine = peers.flatMap((p) => advertisementsForPeer(p, ads));
          for (const a of mine) prefixes.add(a.prefix);
          return neighborFor(peers[0]!, mine, opts);
        });
      if (prefixes.size > 0) router.prefixes = sortedUnique(prefixes);
      router.neighbors = neighbors;
      return router;
    });
  return {
    apiVersion: FRRK8S_V1BETA1,
    kind: 'FRRConfiguration',
    metadata: { name: frrConfigurationName(nodeName), namespace: opts.namespace },
    spec: {
      nodeSelector: { matchLabels: { [LABEL_HOSTNAME]: nodeName } },
      // like upstream's JSON (omitempty): bfdProfiles only when there are some; routers always
      bgp: { routers: routerList, ...(config.bfdProfiles.size > 0 ? { bfdProfiles: bfdProfiles(config) } : {}) },
    },
  };
}

/** Content of one ServiceBGPStatus (§1.8). */
export interface ServiceBGPStatusDesired {
  node: string;
  serviceNamespace: string;
  serviceName: string;
  /** sorted BGPPeer names */
  peers: string[];
}

/**
 * Per announced service: the peers of this node receiving ≥1 of its prefixes (upstream maps prefixes back to
 * every announced service using them, so services sharing a prefix share its peers). Services with no peer
 * are left out.
 */
export function serviceBGPStatuses(nodeName: string, sessions: readonly Peer[], announcement: NodeAnnouncement): ServiceBGPStatusDesired[] {
  const byPrefix = new Map<string, Set<string>>();
  for (const d of announcement.decisions)
    for (const a of d.advertisements) {
      if (!byPrefix.has(a.prefix)) byPrefix.set(a.prefix, new Set());
      byPrefix.get(a.prefix)!.add(d.service);
    }
  const peersOf = new Map<string, Set<string>>();
  for (const p of sessions)
    for (const a of advertisementsForPeer(p, announcement.advertisements))
      for (const svc of byPrefix.get(a.prefix) ?? []) {
        if (!peersOf.has(svc)) peersOf.set(svc, new Set());
        peersOf.get(svc)!.add(p.name);
      }
  const out: ServiceBGPStatusDesired[] = [];
  for (const d of announcement.decisions) {
    const peers = peersOf.get(d.service);
    if (d.reason !== '' || !peers || peers.size === 0) continue;
    const slash = d.service.indexOf('/');
    out.push({ node: nodeName, serviceNamespace: d.service.slice(0, slash), serviceName: d.service.slice(slash + 1), peers: sortedUnique(peers) });
  }
  return out;
}

export interface SpeakerState {
  announcement: NodeAnnouncement;
  sessions: Peer[];
  frrConfiguration: FRRConfiguration;
  statuses: ServiceBGPStatusDesired[];
}

/** Everything a BGP speaker in frr-k8s mode derives for its node. */
export function speakerState(
  nodeName: string,
  config: Config,
  services: readonly ServiceObject[],
  endpointSlices: readonly EndpointSliceObject[],
  nodes: readonly Node[],
  opts: BuildOptions,
): SpeakerState {
  const view = nodeView(nodeName, nodes.find((n) => n.metadata.name === nodeName));
  const announcement = announcementsForNode(view, config, services, endpointSlices, opts);
  const sessions = sessionsForNode(config, view.labels);
  return {
    announcement,
    sessions,
    frrConfiguration: frrConfigurationFor(nodeName, view.labels, config, announcement.advertisements, opts),
    statuses: serviceBGPStatuses(nodeName, sessions, announcement),
  };
}

/** The `metallb-<node>` FRRConfiguration (§4.5). */
export function buildFRRConfiguration(
  nodeName: string,
  config: Config,
  services: readonly ServiceObject[],
  endpointSlices: readonly EndpointSliceObject[],
  nodes: readonly Node[],
  opts: BuildOptions,
): FRRConfiguration {
  return speakerState(nodeName, config, services, endpointSlices, nodes, opts).frrConfiguration;
}
