// The MetalLB configuration parser (upstream `internal/config/config.go`, function `For`) over plain
// Kubernetes objects. Pure: no I/O.
//
// Order of the checks (identical to upstream, so that the first error is upstream's error):
//   mode validation (mode.ts) -> BFD profiles -> peers (+ Secrets) -> communities -> pools (+ Namespaces)
//   -> L2 advertisements -> duplicate BGP advertisements -> BGP advertisements (+ Nodes)
//   -> BFD-echo / IPv6 cross-check.
// Objects of one kind are sorted by name first (stable, Go byte order) unless `keepOrder` is set.
//
// Unlike upstream, parsing does not stop at the first error: every problem is collected, attributed to the
// object it belongs to, and broken objects are left out of the later cross-object checks (so one problem yields
// one line, not a cascade). `errors[0].message` is the text upstream would return.
//
// The parsed model (`Config`) is what the IPAM controller and the speaker consume:
//   - pools          by name: CIDRs after range summarization and host-bit masking (spec order, ranges expanded in
//                    ascending order), the per-`addresses`-entry grouping, autoAssign, avoidBuggyIPs, the service
//                    allocation (priority, namespaces with namespaceSelectors already resolved against the Namespace
//                    objects, service selectors) and the L2/BGP advertisements attached to the pool.
//   - peers          by name: every BGPPeer field, timers parsed (seconds, fractional allowed, plus nanoseconds; null
//                    when unset), the resolved secret password, the node selectors ([{}] = all nodes) and the names of
//                    the known nodes they select.
//   - bfdProfiles    by name.
//   - communities    alias name -> community value.
//   - bgpAdvertisements / l2Advertisements: every parsed advertisement with its resolved node names and the pools it
//                    is attached to.
//   - poolsByNamespace / poolsByServiceSelector: the pinned-pool indexes of the allocator (§3.4).
import { SECRET_TYPE_BASIC_AUTH } from '../../api/constants.js';
import type { KubeObject, Namespace, Node, Secret, SecretReference } from '../../api/meta.js';
import type { BGPAdvertisement, BGPPeer, BFDProfile as BFDProfileCR, IPAddressPool, L2Advertisement } from '../../api/metallb.js';
import { formatDuration, parseDuration } from '../../util/duration.js';
import { formatCIDR, formatIP, parseIP, type CIDR, type Family } from '../../util/ip.js';
import { selectorMatches, selectorString, type LabelSelector } from '../../util/selector.js';
import { sortCommunities, tryParseCommunity, type BGPCommunity } from './community.js';
import { goLess, goQuote, goQuoteRune, goSelectorProto, goSelectorV } from '../../util/gofmt.js';
import {
  bool,
  duplicateStringError,
  labelsOf,
  nameOf,
  namespaceOf,
  num,
  optNum,
  parsePoolAddress,
  peerAsV1beta2,
  poolCIDRsOverlap,
  selectorDuplicateError,
  selectorError,
  selectorList,
  sortByName,
  specOf,
  str,
  strList,
} from './helpers.js';
import { validateModeInto } from './mode.js';
import { ErrorCollector, type ClusterResources, type ConfigError, type ParseBackend } from './types.js';

export type { ClusterResources, ConfigError, ParseBackend } from './types.js';

export interface ParseOptions {
  backend: ParseBackend;
  /** The MetalLB namespace (e.g. metallb-system): password Secrets are looked up there. */
  namespace: string;
  /** frr-k8s secret passthrough: peer password secrets are not resolved, the reference is passed on. */
  frrk8sSecretPassthrough?: boolean;
  /**
   * Treat every node-selection comparison as if all objects selected one common node (for inputs without Node
   * objects): the FRR-mode peer checks always apply and rule F7's "disjoint node sets" exception never does.
   */
  assumeCommonNode?: boolean;
  /** Keep the input order of each kind instead of sorting by name. */
  keepOrder?: boolean;
}

export interface ParseResult {
  /** Present only when the configuration is valid. */
  config?: Config;
  /** Empty when valid; errors[0].message is upstream's error text. */
  errors: ConfigError[];
}

// ---------------------------------------------------------------------------------------------------
// Parsed model

export interface Config {
  pools: Map<string, Pool>;
  /** Namespace -> names of the pools pinned to it (explicit namespaces + resolved namespaceSelectors). */
  poolsByNamespace: Map<string, string[]>;
  /** Sorted names of pools that have service selectors (including the implicit "match every service"). */
  poolsByServiceSelector: string[];
  peers: Map<string, Peer>;
  bfdProfiles: Map<string, BFDProfileConfig>;
  /** Community alias name -> value. */
  communities: Map<string, BGPCommunity>;
  bgpAdvertisements: BGPAdvertisementConfig[];
  l2Advertisements: L2AdvertisementConfig[];
  /** Names of the Node objects the parser knew (sorted). */
  nodes: string[];
  bgpExtras: string;
}

export interface PoolAddress {
  /** The `spec.addresses` entry as written. */
  text: string;
  /** Its CIDRs (one for a CIDR entry, the summarization of a range). */
  cidrs: CIDR[];
}

export interface ServiceAllocationConfig {
  /** Lower = preferred; 0 = lowest priority. */
  priority: number;
  /** Allowed namespaces (explicit ones plus those matched by namespaceSelectors), sorted. */
  namespaces: string[];
  /** The namespaceSelectors as written (already resolved into `namespaces`). */
  namespaceSelectors: LabelSelector[];
  /** A service must match one of them; `[{}]` (set when nothing else is given) matches every service. */
  serviceSelectors: LabelSelector[];
}

export interface Pool {
  name: string;
  labels: Record<string, string>;
  /** All CIDRs in spec order (network addresses, host bits cleared). */
  cidrs: CIDR[];
  /** Per `spec.addresses` entry grouping (rule F6 works on it). */
  addresses: PoolAddress[];
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  serviceAllocation: ServiceAllocationConfig | null;
  bgpAdvertisements: BGPAdvertisementConfig[];
  l2Advertisements: L2AdvertisementConfig[];
}

export type DynamicASN = '' | 'internal' | 'external';

export interface Peer {
  name: string;
  myASN: number;
  /** 0 when dynamicASN is used. */
  asn: number;
  dynamicASN: DynamicASN;
  /** Canonical text of peerAddress ('' for an unnumbered peer). */
  address: string;
  addressFamily: Family | null;
  /** Interface for unnumbered BGP ('' when peerAddress is used). */
  iface: string;
  /** Canonical source address or ''. */
  srcAddress: string;
  /** peerPort as given; 0 = unset (179). */
  port: number;
  /** Seconds (may be fractional) after defaulting (keepalive = hold/3, hold = 3 x keepalive); null = unset. */
  holdTime: number | null;
  keepaliveTime: number | null;
  connectTime: number | null;
  holdTimeNs: number | null;
  keepaliveTimeNs: number | null;
  connectTimeNs: number | null;
  /** Canonical router ID or ''. */
  routerID: string;
  /** Never empty: `[{}]` selects every node. */
  nodeSelectors: LabelSelector[];
  /** Names of the known Node objects selected (sorted). */
  nodes: string[];
  password: string;
  /** The password read from the referenced Secret ('' when none or with secret passthrough). */
  secretPassword: string;
  passwordSecret: SecretReference | null;
  bfdProfile: string;
  enableGracefulRestart: boolean;
  ebgpMultiHop: boolean;
  vrf: string;
  dualStackAddressFamily: boolean;
  disableMP: boolean;
  localASN: number;
}

export interface BFDProfileConfig {
  name: string;
  receiveInterval: number | null;
  transmitInterval: number | null;
  detectMultiplier: number | null;
  echoInterval: number | null;
  echoMode: boolean;
  passiveMode: boolean;
  minimumTtl: number | null;
}

export interface BGPAdvertisementConfig {
  name: string;
  aggregationLength: number;
  aggregationLengthV6: number;
  /** 0 = not set. */
  localPref: number;
  /** Resolved (aliases replaced by values), de-duplicated, in MetalLB order. */
  communities: BGPCommunity[];
  /** Names of the known nodes selected (sorted). */
  nodes: string[];
  /** As written; empty = every node. */
  nodeSelectors: LabelSelector[];
  /** BGPPeer names; empty = every peer. */
  peers: string[];
  /** Sorted by their string form; empty = every service. */
  serviceSelectors: LabelSelector[];
  /** Names of the pools this advertisement is attached to (sorted). */
  pools: string[];
}

export interface PreferredNodeSelectorConfig {
  weight: number;
  preference: LabelSelector;
}

export interface L2AdvertisementConfig {
  name: string;
  /** Names of the known nodes selected (sorted). */
  nodes: string[];
  /** As written; empty = every node. */
  nodeSelectors: LabelSelector[];
  interfaces: string[];
  /** True when `interfaces` is empty. */
  allInterfaces: boolean;
  /** Sorted by their string form; empty = every service. */
  serviceSelectors: LabelSelector[];
  preferredNodeSelectors: PreferredNodeSelectorConfig[];
  /** Eligible node -> summed preference weight (only nodes with a positive score). */
  preferredNodes: Map<string, number>;
  /** Names of the pools this advertisement is attached to (sorted). */
  pools: string[];
}

// ---------------------------------------------------------------------------------------------------

const SECOND_NS = 1e9;

/** Parses and validates the whole configuration. */
export function parseConfig(res: ClusterResources, opts: ParseOptions): ParseResult {
  const c = new ErrorCollector();
  const order = <T extends KubeObject>(list: T[] | undefined): T[] => (opts.keepOrder ? [...(list ?? [])] : sortByName(list));
  const r: ClusterResources = {
    pools: order(res.pools),
    peers: order(res.peers).map(peerAsV1beta2),
    bfdProfiles: order(res.bfdProfiles),
    l2Advertisements: order(res.l2Advertisements),
    bgpAdvertisements: order(res.bgpAdvertisements),
    communities: order(res.communities),
    secrets: [...(res.secrets ?? [])],
    nodes: order(res.nodes),
    namespaces: order(res.namespaces),
    bgpExtras: res.bgpExtras,
  };
  const ctx: Ctx = { c, opts, nodes: r.nodes };

  validateModeInto(c, r, opts.backend, { assumeCommonNode: opts.assumeCommonNode, keepOrder: true });

  const bfd = parseBFDProfiles(ctx, r.bfdProfiles);
  const peers = parsePeers(ctx, r.peers, bfd, r.secrets);
  const comms = parseCommunities(ctx, r.communities);
  const pools = parsePools(ctx, r.pools, r.namespaces);
  const l2Ads = parseL2Advertisements(ctx, r.l2Advertisements, r.pools, pools);
  const dupAds = duplicateBGPAdvertisements(ctx, r.bgpAdvertisements);
  const bgpAds = parseBGPAdvertisements(ctx, r.bgpAdvertisements, dupAds, r.pools, pools, comms);
  validateBFDEcho(ctx, pools, peers, bfd.profiles);

  if (c.errors.length > 0) return { errors: c.errors };

  const poolsByNamespace = new Map<string, string[]>();
  const poolsByServiceSelector: string[] = [];
  for (const p of pools.values()) {
    if (!p.serviceAllocation) continue;
    for (const ns of p.serviceAllocation.namespaces) {
      const l = poolsByNamespace.get(ns) ?? [];
      l.push(p.name);
      poolsByNamespace.set(ns, l);
    }
    if (p.serviceAllocation.serviceSelectors.length > 0) poolsByServiceSelector.push(p.name);
  }
  for (const ad of [...bgpAds, ...l2Ads]) ad.pools.sort(goLess);
  return {
    errors: [],
    config: {
      pools,
      poolsByNamespace,
      poolsByServiceSelector: poolsByServiceSelector.sort(goLess),
      peers,
      bfdProfiles: bfd.profiles,
      communities: comms.aliases,
      bgpAdvertisements: bgpAds,
      l2Advertisements: l2Ads,
      nodes: r.nodes.map(nameOf).sort(goLess),
      bgpExtras: r.bgpExtras ?? '',
    },
  };
}

interface Ctx {
  c: ErrorCollector;
  opts: ParseOptions;
  nodes: Node[];
}

// ---------------------------------------------------------------------------------------------------
// BFD profiles (rules I1-I3)

const BFD_FIELDS: [keyof BFDProfileConfig & string, number, number, string][] = [
  ['detectMultiplier', 2, 255, 'invalid detect multiplier value'],
  ['receiveInterval', 10, 60000, 'invalid receive interval value'],
  ['transmitInterval', 10, 60000, 'invalid transmit interval value'],
  ['minimumTtl', 1, 254, 'invalid minimum ttl value'],
  ['echoInterval', 10, 60000, 'invalid echo interval value'],
];

function parseBFDProfiles(ctx: Ctx, list: BFDProfileCR[]): { profiles: Map<string, BFDProfileConfig>; broken: Set<string> } {
  const profiles = new Map<string, BFDProfileConfig>();
  const broken = new Set<string>();
  list.forEach((b, i) => {
    const name = nameOf(b);
    const s = specOf(b);
    const fail = (message: string): void => {
      ctx.c.add({ kind: 'BFDProfile', name, message });
    };
    let err: string | null = null;
    const out: BFDProfileConfig = {
      name,
      receiveInterval: null,
      transmitInterval: null,
      detectMultiplier: null,
      echoInterval: null,
      echoMode: bool(s.echoMode),
      passiveMode: bool(s.passiveMode),
      minimumTtl: null,
    };
    if (name === '') err = 'missing bfd profile name';
    for (const [field, min, max, what] of BFD_FIELDS) {
      if (err) break;
      const v = optNum(s[field]);
      if (v === undefined) continue;
      if (v < min || v > max) err = `invalid value ${v}, must be in ${min}-${max} range\n${what}`;
      else (out as unknown as Record<string, number>)[field] = v;
    }
    if (err) {
      fail(`parsing bfd profile #${i + 1}: ${err}`);
      if (name !== '' && !profiles.has(name)) broken.add(name);
      return;
    }
    if (profiles.has(name)) {
      fail(`found duplicate bfd profile name ${name}`);
      return;
    }
    profiles.set(name, out);
    broken.delete(name);
  });
  return { profiles, broken };
}

// ---------------------------------------------------------------------------------------------------
// Peers (rules H1-H17)

interface PeerFailure {
  error: string;
  transient?: boolean;
  tag?: string;
}

/** Go's `%q` of a *metav1.Duration: the quoted duration, or <nil>. */
const durationQ = (ns: number | null): string => (ns === null ? '<nil>' : goQuote(formatDuration(ns)));

function parseTimers(ht: number | null, ka: number | null): { hold: number | null; keepalive: number | null } | { error: string } {
  if (ht === null && ka === null) return { hold: null, keepalive: null };
  let hold: number;
  let keepalive: number;
  if (ht !== null && ka !== null) {
    hold = ht;
    keepalive = ka;
  } else if (ht !== null) {
    hold = ht;
    keepalive = Math.trunc(ht / 3);
  } else {
    keepalive = ka!;
    hold = ka! * 3;
  }
  const rounded = Math.trunc(hold / SECOND_NS) * SECOND_NS;
  if (rounded !== 0 && rounded < 3 * SECOND_NS) return { error: `invalid hold time ${durationQ(ht)}: must be 0 or >=3s` };
  if (keepalive > hold) return { error: `invalid keepaliveTime ${durationQ(ka)}, must be lower than holdTime ${durationQ(ht)}` };
  return { hold, keepalive };
}

/** A duration field: null when absent, a number of ns, or an error for text Go cannot parse. */
function durationField(v: unknown): number | null | { error: string } {
  if (v === undefined || v === null) return null;
  const ns = parseDuration(str(v));
  if (ns === null) return { error: `time: invalid duration ${goQuote(str(v))}` };
  return ns;
}

function secretData(s: Secret, key: string): string | undefined {
  const sd = s.stringData as Record<string, unknown> | undefined;
  if (sd && typeof sd === 'object' && sd[key] !== undefined) return str(sd[key]);
  const d = s.data as Record<string, unknown> | undefined;
  if (d && typeof d === 'object' && d[key] !== undefined) return Buffer.from(str(d[key]), 'base64').toString('utf8');
  return undefined;
}

function peerFromCR(
  ctx: Ctx,
  p: BGPPeer,
  secrets: Map<string, Secret>,
): { peer: Peer; failure?: undefined } | { peer?: undefined; failure: PeerFailure } {
  const s = specOf(p);
  const name = nameOf(p);
  const ns = namespaceOf(p);
  const fail = (error: string, extra: Omit<PeerFailure, 'error'> = {}): { failure: PeerFailure } => ({ failure: { error, ...extra } });
  const myASN = num(s.myASN);
  const asn = num(s.peerASN);
  const dyn = str(s.dynamicASN);
  const address = str(s.peerAddress);
  const iface = str(s.interface);
  if (myASN === 0) return fail('missing local ASN');
  if (asn === 0 && dyn === '') return fail('missing peer ASN and dynamicASN');
  if (asn !== 0 && dyn !== '') return fail('both peer ASN and dynamicASN specified');
  if (dyn !== '' && dyn !== 'internal' && dyn !== 'external') return fail(`invalid dynamicASN ${dyn}`);
  if (asn === myASN && bool(s.ebgpMultiHop)) return fail('invalid ebgp-multihop parameter set for an ibgp peer');
  if (address === '' && iface === '') return fail('peer has no Address or Interface specified');
  if (address !== '' && iface !== '') return fail('peer has both Address and Interface specified');
  if (/[\n\r]/.test(iface)) return fail(`interface for peer ${goQuote(ns)}/${goQuote(name)} contains invalid characters`);

  const ht = durationField(s.holdTime);
  const ka = durationField(s.keepaliveTime);
  if (ht !== null && typeof ht === 'object') return fail(`invalid BGPPeer timers: ${ht.error}`);
  if (ka !== null && typeof ka === 'object') return fail(`invalid BGPPeer timers: ${ka.error}`);
  const timers = parseTimers(ht, ka);
  if ('error' in timers) return fail(`invalid BGPPeer timers: ${timers.error}`);

  let addrText = '';
  let addrFamily: Family | null = null;
  if (address !== '') {
    const ip = parseIP(address);
    if (!ip) return fail(`invalid BGPPeer address ${goQuote(address)}`);
    addrText = formatIP(ip);
    addrFamily = ip.family;
  }
  let routerID = '';
  if (str(s.routerID) !== '') {
    const ip = parseIP(str(s.routerID));
    if (!ip) return fail(`invalid router ID ${goQuote(str(s.routerID))}`);
    routerID = formatIP(ip);
  }
  let src = '';
  if (str(s.sourceAddress) !== '') {
    const ip = parseIP(str(s.sourceAddress));
    if (!ip) return fail(`invalid source IP ${goQuote(str(s.sourceAddress))}`);
    src = formatIP(ip);
  }

  const sels = selectorList(s.nodeSelectors);
  const dup = selectorDuplicateError(sels, 'nodeSelectors');
  if (dup) return fail(dup);
  for (const sel of sels) {
    const e = selectorError(sel);
    if (e) return fail(`${e}\nfailed to convert peer ${name} node selector`, { tag: 'nodeSelectors' });
  }

  const password = str(s.password);
  const ref = s.passwordSecret && typeof s.passwordSecret === 'object' ? (s.passwordSecret as SecretReference) : null;
  const refName = str(ref?.name);
  if (password !== '' && refName !== '') {
    return fail(`can not have both password and secret ref set in peer config ${goQuote(ns)}/${goQuote(name)}`);
  }
  if (/[\n\r]/.test(password)) return fail(`password for peer ${goQuote(ns)}/${goQuote(name)} contains invalid characters`);

  let secretPassword = '';
  if (refName !== '' && !ctx.opts.frrk8sSecretPassthrough) {
    const joinMsg = `\nfailed to parse peer ${name} password secret`;
    const secret = secrets.get(refName);
    if (!secret) {
      return fail(`secret ref not found for peer config ${goQuote(ns)}/${goQuote(name)}${joinMsg}`, { transient: true });
    }
    const sns = namespaceOf(secret);
    const sname = nameOf(secret);
    if (str(secret.type) !== SECRET_TYPE_BASIC_AUTH) {
      return fail(`secret type mismatch on ${goQuote(sns)}/${goQuote(sname)}, type ${goQuote(SECRET_TYPE_BASIC_AUTH)} is expected ${joinMsg}`);
    }
    const pw = secretData(secret, 'password');
    if (pw === undefined) return fail(`password not specified in the secret ${goQuote(sns)}/${goQuote(sname)}${joinMsg}`);
    secretPassword = pw;
    if (/[\n\r]/.test(secretPassword)) {
      return fail(`password secret for peer ${goQuote(ns)}/${goQuote(name)} contains invalid characters`);
    }
  }
  const vrf = str(s.vrf);
  if (/[\n\r]/.test(vrf)) return fail(`VRF name for peer ${goQuote(ns)}/${goQuote(name)} contains invalid characters`);

  const ct = durationField(s.connectTime);
  if (ct !== null && typeof ct === 'object') return fail(ct.error);

  const nodeSelectors = sels.length > 0 ? sels : [{}];
  const toSec = (ns: number | null): number | null => (ns === null ? null : ns / SECOND_NS);
  return {
    peer: {
      name,
      myASN,
      asn,
      dynamicASN: dyn as DynamicASN,
      address: addrText,
      addressFamily: addrFamily,
      iface,
      srcAddress: src,
      port: num(s.peerPort),
      holdTime: toSec(timers.hold),
      keepaliveTime: toSec(timers.keepalive),
      connectTime: toSec(ct),
      holdTimeNs: timers.hold,
      keepaliveTimeNs: timers.keepalive,
      connectTimeNs: ct,
      routerID,
      nodeSelectors,
      nodes: selectNodes(ctx.nodes, sels),
      password,
      secretPassword,
      passwordSecret: refName !== '' ? { ...ref } : null,
      bfdProfile: str(s.bfdProfile),
      enableGracefulRestart: bool(s.enableGracefulRestart),
      ebgpMultiHop: bool(s.ebgpMultiHop),
      vrf,
      dualStackAddressFamily: bool(s.dualStackAddressFamily),
      disableMP: bool(s.disableMP),
      localASN: num(s.localASN),
    },
  };
}

/** Names (sorted) of the nodes matching any selector; all nodes when there is no selector. */
function selectNodes(nodes: Node[], sels: LabelSelector[]): string[] {
  return nodes
    .filter((n) => sels.length === 0 || sels.some((s) => selectorMatches(s, labelsOf(n))))
    .map(nameOf)
    .sort(goLess);
}

/** Deep equality of parsed peers (upstream reflect.DeepEqual on the parsed Peer). */
function samePeer(a: Peer, b: Peer): boolean {
  return canonicalEqual(a, b);
}

/** Structural equality of parsed values: object keys in any order (undefined ones absent), Maps by their entries in order. */
function canonicalEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [k, canonical(x)]);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => [k, canonical(o[k])]);
  }
  return v;
}

function parsePeers(
  ctx: Ctx,
  list: BGPPeer[],
  bfd: { profiles: Map<string, BFDProfileConfig>; broken: Set<string> },
  secretList: Secret[],
): Map<string, Peer> {
  const secrets = new Map<string, Secret>();
  for (const s of secretList) {
    const ns = namespaceOf(s);
    if (ns === '' || ns === ctx.opts.namespace) if (!secrets.has(nameOf(s))) secrets.set(nameOf(s), s);
  }
  const res = new Map<string, Peer>();
  for (const p of list) {
    const name = nameOf(p);
    const r = peerFromCR(ctx, p, secrets);
    if (r.failure) {
      ctx.c.add(
        { kind: 'BGPPeer', name, message: `parsing peer ${name} ${r.failure.error}`, ...(r.failure.transient ? { transient: true } : {}) },
        r.failure.tag,
      );
      continue;
    }
    const peer = r.peer;
    if (peer.bfdProfile !== '' && !bfd.profiles.has(peer.bfdProfile)) {
      // a profile that failed to parse was already reported: do not cascade
      if (!bfd.broken.has(peer.bfdProfile)) {
        ctx.c.add({ kind: 'BGPPeer', name, message: `peer ${name} referencing non existing bfd profile ${peer.bfdProfile}`, transient: true });
      }
      continue;
    }
    const twin = [...res.values()].find((ep) => samePeer(peer, ep));
    if (twin) {
      ctx.c.add({
        kind: 'BGPPeer',
        name,
        message: `peer ${name} already exists`,
        ...(twin.name !== name ? { related: { kind: 'BGPPeer', name: twin.name } } : {}),
      });
      continue;
    }
    res.set(name, peer);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------------
// Communities (rules G4, G5)

interface Communities {
  aliases: Map<string, BGPCommunity>;
  /** Alias names whose definition failed (references to them are not reported again). */
  broken: Set<string>;
}

function parseCommunities(ctx: Ctx, list: KubeObject[]): Communities {
  const aliases = new Map<string, BGPCommunity>();
  const broken = new Set<string>();
  const seen = new Set<string>();
  for (const co of list) {
    const raw = specOf(co).communities;
    for (const a of Array.isArray(raw) ? raw : []) {
      const alias = (a && typeof a === 'object' ? a : {}) as { name?: unknown; value?: unknown };
      const aname = str(alias.name);
      const parsed = tryParseCommunity(str(alias.value));
      if (parsed.error) {
        ctx.c.add({ kind: 'Community', name: nameOf(co), message: `parsing community ${goQuote(aname)}: ${parsed.error.message}` });
        if (!aliases.has(aname)) broken.add(aname);
        seen.add(aname);
        continue;
      }
      if (seen.has(aname)) {
        ctx.c.add({ kind: 'Community', name: nameOf(co), message: `duplicate definition of community ${goQuote(aname)}` });
        continue;
      }
      seen.add(aname);
      aliases.set(aname, parsed.community);
    }
  }
  return { aliases, broken };
}

// ---------------------------------------------------------------------------------------------------
// Pools (rules C1-C10)

function serviceAllocationFromCR(p: IPAddressPool, namespaces: Namespace[]): ServiceAllocationConfig | null | { error: string } {
  const raw = specOf(p).serviceAllocation;
  if (raw === undefined || raw === null) return null;
  const sa = (typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const explicit = strList(sa.namespaces);
  const nsSet = new Set<string>();
  for (const ns of explicit) {
    if (nsSet.has(ns)) return { error: 'duplicate definition in namespaces field' };
    nsSet.add(ns);
  }
  const nsSels = selectorList(sa.namespaceSelectors);
  const svcSels = selectorList(sa.serviceSelectors);
  const out: ServiceAllocationConfig = { priority: num(sa.priority), namespaces: [], namespaceSelectors: nsSels, serviceSelectors: [] };
  if (nsSet.size === 0 && nsSels.length === 0 && svcSels.length === 0) {
    out.serviceSelectors = [{}];
    return out;
  }
  const d1 = selectorDuplicateError(nsSels, 'namespaceSelectors');
  if (d1) return { error: d1 };
  const d2 = selectorDuplicateError(svcSels, 'serviceSelectors');
  if (d2) return { error: d2 };
  for (const sel of nsSels) {
    const e = selectorError(sel);
    if (e) return { error: `${e}\ninvalid namespace label selector ${goSelectorProto(sel)} in ip pool ${nameOf(p)}` };
    for (const ns of namespaces) if (selectorMatches(sel, labelsOf(ns))) nsSet.add(nameOf(ns));
  }
  for (const sel of svcSels) {
    const e = selectorError(sel);
    if (e) return { error: `${e}\ninvalid service label selector ${goSelectorV(sel)} in ip pool ${nameOf(p)}` };
    out.serviceSelectors.push(sel);
  }
  out.namespaces = [...nsSet].sort(goLess);
  return out;
}

function poolFromCR(p: IPAddressPool, namespaces: Namespace[]): Pool | { error: string; tag?: string } {
  const name = nameOf(p);
  if (name === '') return { error: 'missing pool name' };
  const s = specOf(p);
  const addresses = strList(s.addresses);
  if (addresses.length === 0) return { error: 'pool has no prefixes defined' };
  const pool: Pool = {
    name,
    labels: labelsOf(p),
    cidrs: [],
    addresses: [],
    autoAssign: s.autoAssign === undefined || s.autoAssign === null ? true : bool(s.autoAssign),
    avoidBuggyIPs: bool(s.avoidBuggyIPs),
    serviceAllocation: null,
    bgpAdvertisements: [],
    l2Advertisements: [],
  };
  for (const entry of addresses) {
    const parsed = parsePoolAddress(entry);
    if ('error' in parsed) {
      return { error: `invalid CIDR ${goQuote(entry)} in pool ${goQuote(name)}: ${parsed.error}`, tag: 'addresses' };
    }
    pool.cidrs.push(...parsed.cidrs);
    pool.addresses.push({ text: entry, cidrs: parsed.cidrs });
  }
  const sa = serviceAllocationFromCR(p, namespaces);
  if (sa && 'error' in sa) return { error: sa.error };
  pool.serviceAllocation = sa;
  return pool;
}

function parsePools(ctx: Ctx, list: IPAddressPool[], namespaces: Namespace[]): Map<string, Pool> {
  const pools = new Map<string, Pool>();
  const seen = new Set<string>();
  const all: { cidr: CIDR; pool: string }[] = [];
  for (const p of list) {
    const name = nameOf(p);
    const parsed = poolFromCR(p, namespaces);
    let ok = true;
    if ('error' in parsed) {
      ctx.c.add({ kind: 'IPAddressPool', name, message: `parsing address pool ${name}: ${parsed.error}` }, parsed.tag);
      ok = false;
    }
    const duplicate = name !== '' && seen.has(name);
    if (duplicate) ctx.c.add({ kind: 'IPAddressPool', name, message: `duplicate definition of pool ${goQuote(name)}` });
    seen.add(name);
    if ('error' in parsed || duplicate) continue;
    // overlaps: one error per (pool, other pool) pair, the first overlapping CIDR (upstream's order)
    const reportedWith = new Set<string>();
    for (const cidr of parsed.cidrs) {
      for (const m of all) {
        if (reportedWith.has(m.pool) || !poolCIDRsOverlap(cidr, m.cidr)) continue;
        reportedWith.add(m.pool);
        ctx.c.add({
          kind: 'IPAddressPool',
          name,
          message: `CIDR ${goQuote(formatCIDR(cidr))} in pool ${goQuote(name)} overlaps with already defined CIDR ${goQuote(formatCIDR(m.cidr))}`,
          ...(m.pool !== name ? { related: { kind: 'IPAddressPool', name: m.pool } } : {}),
        });
        ok = false;
      }
      all.push({ cidr, pool: name });
    }
    if (ok) pools.set(name, parsed);
  }
  return pools;
}

// ---------------------------------------------------------------------------------------------------
// Advertisements: shared pieces

/** Upstream selectedNodes: all node names without selectors, else those matching any selector. */
function nodesForSelectors(ctx: Ctx, sels: LabelSelector[], adName: string): string[] | { error: string } {
  for (const sel of sels) {
    const e = selectorError(sel);
    if (e) return { error: `${e}\ninvalid label selector ${goSelectorV(sel)}\nfailed to parse node selector for ${adName}` };
  }
  return selectNodes(ctx.nodes, sels);
}

function parseServiceSelectors(sels: LabelSelector[], adName: string): LabelSelector[] | { error: string } {
  for (const sel of sels) {
    const e = selectorError(sel);
    if (e) return { error: `invalid service selector ${goSelectorV(sel)}: ${e}\nfailed to parse service selector for ${adName}` };
  }
  return [...sels].sort((a, b) => goLess(selectorString(a), selectorString(b)));
}

/** Names of raw pools matched by any selector (upstream filterPoolsWithLabelSelector). */
function poolsMatching(rawPools: IPAddressPool[], sels: LabelSelector[]): string[] | { error: string } {
  for (const sel of sels) {
    const e = selectorError(sel);
    if (e) return { error: `${e}\ninvalid label selector ${goSelectorV(sel)}` };
  }
  const out = new Set<string>();
  for (const p of rawPools) if (sels.some((sel) => selectorMatches(sel, labelsOf(p)))) out.add(nameOf(p));
  return [...out].sort(goLess);
}

// ---------------------------------------------------------------------------------------------------
// L2 advertisements (rules E1-E3)

function sameL2(a: L2AdvertisementConfig, b: L2AdvertisementConfig): boolean {
  if (a.preferredNodes.size > 0 || b.preferredNodes.size > 0) return false;
  if (a.allInterfaces !== b.allInterfaces) return false;
  if (JSON.stringify(a.nodes) !== JSON.stringify(b.nodes)) return false;
  const ia = [...new Set(a.interfaces)].sort(goLess);
  const ib = [...new Set(b.interfaces)].sort(goLess);
  if (JSON.stringify(ia) !== JSON.stringify(ib)) return false;
  return canonicalEqual(a.serviceSelectors, b.serviceSelectors);
}

function l2FromCR(ctx: Ctx, ad: L2Advertisement): L2AdvertisementConfig | { error: string; tag?: string } {
  const s = specOf(ad);
  const name = nameOf(ad);
  const poolNames = strList(s.ipAddressPools);
  const poolSels = selectorList(s.ipAddressPoolSelectors);
  const nodeSels = selectorList(s.nodeSelectors);
  const svcSels = selectorList(s.serviceSelectors);
  const e =
    duplicateStringError(poolNames, 'ipAddressPools') ??
    selectorDuplicateError(poolSels, 'ipAddressPoolSelectors') ??
    selectorDuplicateError(nodeSels, 'nodeSelectors') ??
    selectorDuplicateError(svcSels, 'serviceSelectors');
  if (e) return { error: e };
  const nodes = nodesForSelectors(ctx, nodeSels, name);
  if (!Array.isArray(nodes)) return nodes;
  const svc = parseServiceSelectors(svcSels, name);
  if (!Array.isArray(svc)) return svc;
  const rawPref = Array.isArray(s.preferredNodeSelectors) ? (s.preferredNodeSelectors as unknown[]) : [];
  const preferred: PreferredNodeSelectorConfig[] = rawPref.map((x) => {
    const o = (x && typeof x === 'object' ? x : {}) as Record<string, unknown>;
    return { weight: num(o.weight), preference: (o.preference && typeof o.preference === 'object' ? o.preference : {}) as LabelSelector };
  });
  for (const pr of preferred) {
    const pe = selectorError(pr.preference);
    if (pe) {
      return { error: `${pe}\ninvalid preferred node selector ${goSelectorV(pr.preference)}\nfailed to parse preferred node selectors for ${name}` };
    }
  }
  const preferredNodes = new Map<string, number>();
  if (preferred.length > 0) {
    const eligible = new Set(nodes);
    for (const n of ctx.nodes) {
      if (!eligible.has(nameOf(n))) continue;
      let total = 0;
      for (const pr of preferred) if (selectorMatches(pr.preference, labelsOf(n))) total += pr.weight;
      if (total > 0) preferredNodes.set(nameOf(n), total);
    }
  }
  const interfaces = strList(s.interfaces);
  return {
    name,
    nodes,
    nodeSelectors: nodeSels,
    interfaces,
    allInterfaces: interfaces.length === 0,
    serviceSelectors: svc,
    preferredNodeSelectors: preferred,
    preferredNodes,
    pools: [],
  };
}

function parseL2Advertisements(ctx: Ctx, list: L2Advertisement[], rawPools: IPAddressPool[], pools: Map<string, Pool>): L2AdvertisementConfig[] {
  const out: L2AdvertisementConfig[] = [];
  for (const ad of list) {
    const name = nameOf(ad);
    const adv = l2FromCR(ctx, ad);
    if ('error' in adv) {
      ctx.c.add({ kind: 'L2Advertisement', name, message: adv.error }, adv.tag);
      continue;
    }
    const s = specOf(ad);
    const poolSels = selectorList(s.ipAddressPoolSelectors);
    const selected = poolsMatching(rawPools, poolSels);
    if (!Array.isArray(selected)) {
      ctx.c.add({ kind: 'L2Advertisement', name, message: selected.error });
      continue;
    }
    const names = strList(s.ipAddressPools);
    const targets =
      names.length === 0 && poolSels.length === 0 ? [...pools.keys()] : [...new Set([...names, ...selected])].sort(goLess);
    for (const pn of targets) {
      const pool = pools.get(pn);
      if (!pool) continue;
      if (!adv.pools.includes(pn)) adv.pools.push(pn);
      if (!pool.l2Advertisements.some((x) => sameL2(x, adv))) pool.l2Advertisements.push(adv);
    }
    out.push(adv);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// BGP advertisements (rules F1-F9)

/** Rule F8: returns the indices (in list order) of advertisements equal to an earlier one. */
function duplicateBGPAdvertisements(ctx: Ctx, ads: BGPAdvertisement[]): Set<number> {
  const dups = new Set<number>();
  for (let i = 0; i < ads.length; i++) {
    for (let j = i + 1; j < ads.length; j++) {
      if (dups.has(j) || !canonicalEqual(ads[i], ads[j])) continue;
      dups.add(j);
      ctx.c.add({
        kind: 'BGPAdvertisement',
        name: nameOf(ads[j]),
        message: `duplicate definition of bgpadvertisements. advertisement ${i + 1} and ${j + 1} are equal`,
        related: { kind: 'BGPAdvertisement', name: nameOf(ads[i]) },
      });
    }
  }
  return dups;
}

function bgpFromCR(
  ctx: Ctx,
  ad: BGPAdvertisement,
  comms: Communities,
): BGPAdvertisementConfig | { error: string; transient?: boolean; tag?: string } {
  const s = specOf(ad);
  const name = nameOf(ad);
  const poolNames = strList(s.ipAddressPools);
  const communities = strList(s.communities);
  const peers = strList(s.peers);
  const poolSels = selectorList(s.ipAddressPoolSelectors);
  const nodeSels = selectorList(s.nodeSelectors);
  const svcSels = selectorList(s.serviceSelectors);
  const e =
    duplicateStringError(poolNames, 'ipAddressPools') ??
    duplicateStringError(communities, 'community') ??
    duplicateStringError(peers, 'peers') ??
    selectorDuplicateError(poolSels, 'ipAddressPoolSelectors') ??
    selectorDuplicateError(nodeSels, 'nodeSelectors') ??
    selectorDuplicateError(svcSels, 'serviceSelectors');
  if (e) return { error: e };
  const aggr = optNum(s.aggregationLength);
  const aggr6 = optNum(s.aggregationLengthV6);
  if (svcSels.length > 0) {
    if (aggr !== undefined && aggr !== 32) {
      return { error: `serviceSelectors and aggregationLength are mutually exclusive, both cannot be set in ${name}` };
    }
    if (aggr6 !== undefined && aggr6 !== 128) {
      return { error: `serviceSelectors and aggregationLengthV6 are mutually exclusive, both cannot be set in ${name}` };
    }
  }
  const out: BGPAdvertisementConfig = {
    name,
    aggregationLength: aggr ?? 32,
    aggregationLengthV6: aggr6 ?? 128,
    localPref: num(s.localPref),
    communities: [],
    nodes: [],
    nodeSelectors: nodeSels,
    peers,
    serviceSelectors: [],
    pools: [],
  };
  if (out.aggregationLength > 32) return { error: `invalid aggregation length ${goQuoteRune(out.aggregationLength)} for IPv4` };
  if (out.aggregationLengthV6 > 128) return { error: `invalid aggregation length ${goQuoteRune(out.aggregationLengthV6)} for IPv6` };
  const values: BGPCommunity[] = [];
  for (const cs of communities) {
    const alias = comms.aliases.get(cs);
    if (alias) {
      values.push(alias);
      continue;
    }
    if (comms.broken.has(cs)) continue; // the alias definition is broken and was reported there
    const parsed = tryParseCommunity(cs);
    if (parsed.error) {
      return {
        error: `${parsed.error.message}\ninvalid community ${goQuote(cs)} in BGP advertisement`,
        ...(parsed.error.kind === 'format' ? { transient: true } : {}),
      };
    }
    values.push(parsed.community);
  }
  out.communities = sortCommunities(values);
  const nodes = nodesForSelectors(ctx, nodeSels, name);
  if (!Array.isArray(nodes)) return nodes;
  out.nodes = nodes;
  const svc = parseServiceSelectors(svcSels, name);
  if (!Array.isArray(svc)) return svc;
  out.serviceSelectors = svc;
  return out;
}

function poolFamilies(pool: Pool): { v4: boolean; v6: boolean } {
  let v4 = false;
  let v6 = false;
  for (const a of pool.addresses) {
    if (a.cidrs.length === 0) continue;
    if (a.cidrs[0]!.family === 4) v4 = true;
    else v6 = true;
  }
  return { v4, v6 };
}

function aggregationLengthsDiffer(a: BGPAdvertisementConfig, b: BGPAdvertisementConfig, pool: Pool): boolean {
  const { v4, v6 } = poolFamilies(pool);
  if (!v4 && !v6) return true;
  if (a.aggregationLength !== b.aggregationLength && !v6) return true;
  if (a.aggregationLengthV6 !== b.aggregationLengthV6 && !v4) return true;
  return a.aggregationLength !== b.aggregationLength && a.aggregationLengthV6 !== b.aggregationLengthV6;
}

/**
 * Rule F7 (upstream BGPAdvertisementsHaveCompatibleLocalPref): two advertisements of one pool may carry different
 * LOCAL_PREFs only if their aggregation lengths differ, their explicit peer lists are disjoint, or their node
 * sets are disjoint (never when all objects are assumed to share one node).
 */
export function compatibleLocalPref(
  a: BGPAdvertisementConfig,
  b: BGPAdvertisementConfig,
  pool: Pool,
  assumeCommonNode = false,
): boolean {
  if (a.localPref === b.localPref) return true;
  if (aggregationLengthsDiffer(a, b, pool)) return true;
  if (a.peers.length > 0 && b.peers.length > 0 && !a.peers.some((p) => b.peers.includes(p))) return true;
  if (assumeCommonNode) return false;
  return !a.nodes.some((n) => b.nodes.includes(n));
}

function validateBGPAdvPerPool(ctx: Ctx, adv: BGPAdvertisementConfig, pool: Pool): { error: string; related?: string } | null {
  for (const addr of pool.addresses) {
    if (addr.cidrs.length === 0) continue;
    const maxLength = addr.cidrs[0]!.family === 4 ? adv.aggregationLength : adv.aggregationLengthV6;
    const lowest = Math.min(...addr.cidrs.map((x) => x.prefix));
    if (maxLength < lowest) {
      return {
        error: `invalid aggregation length ${adv.aggregationLength}: prefix ${lowest} in this pool is more specific than the aggregation length for addresses ${addr.text}`,
      };
    }
  }
  if (adv.serviceSelectors.length > 0) return null;
  for (const other of pool.bgpAdvertisements) {
    if (other.serviceSelectors.length > 0) continue;
    if (!compatibleLocalPref(adv, other, pool, ctx.opts.assumeCommonNode)) {
      return {
        error: `invalid local preference ${adv.localPref}: local preferernce ${other.localPref} was already set for the same type of BGP update. Check existing BGP advertisements with common pools and aggregation lengths`,
        related: other.name,
      };
    }
  }
  return null;
}

function parseBGPAdvertisements(
  ctx: Ctx,
  list: BGPAdvertisement[],
  dups: Set<number>,
  rawPools: IPAddressPool[],
  pools: Map<string, Pool>,
  comms: Communities,
): BGPAdvertisementConfig[] {
  const out: BGPAdvertisementConfig[] = [];
  list.forEach((ad, idx) => {
    if (dups.has(idx)) return;
    const name = nameOf(ad);
    const adv = bgpFromCR(ctx, ad, comms);
    if ('error' in adv) {
      ctx.c.add({ kind: 'BGPAdvertisement', name, message: adv.error, ...(adv.transient ? { transient: true } : {}) }, adv.tag);
      return;
    }
    const s = specOf(ad);
    const poolSels = selectorList(s.ipAddressPoolSelectors);
    const selected = poolsMatching(rawPools, poolSels);
    if (!Array.isArray(selected)) {
      ctx.c.add({ kind: 'BGPAdvertisement', name, message: selected.error }, 'poolSelectors');
      return;
    }
    const names = strList(s.ipAddressPools);
    const targets = names.length === 0 && poolSels.length === 0 ? [...pools.keys()] : [...names, ...selected];
    let ok = true;
    for (const pn of targets) {
      const pool = pools.get(pn);
      if (!pool || pool.bgpAdvertisements.includes(adv)) continue;
      const err = validateBGPAdvPerPool(ctx, adv, pool);
      if (err) {
        ok = false;
        ctx.c.add({
          kind: 'BGPAdvertisement',
          name,
          message: err.error,
          ...(err.related !== undefined ? { related: { kind: 'BGPAdvertisement', name: err.related } } : {}),
        });
        continue;
      }
      pool.bgpAdvertisements.push(adv);
      adv.pools.push(pn);
    }
    if (ok) out.push(adv);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Rule F10: no BFD echo mode towards peers that receive IPv6 prefixes

function validateBFDEcho(ctx: Ctx, pools: Map<string, Pool>, peers: Map<string, Peer>, profiles: Map<string, BFDProfileConfig>): void {
  const echo = (peer: Peer): boolean => profiles.get(peer.bfdProfile)?.echoMode === true;
  for (const p of pools.values()) {
    if (!p.cidrs.some((x) => x.family === 6)) continue;
    for (const a of p.bgpAdvertisements) {
      const targets = a.peers.length === 0 ? [...peers.values()] : a.peers.map((n) => peers.get(n)).filter((x): x is Peer => !!x);
      for (const peer of targets) {
        if (!echo(peer)) continue;
        ctx.c.add({
          kind: 'BGPAdvertisement',
          name: a.name,
          message: `pool ${p.name} has bgpadvertisement ${a.name} which references peer ${peer.name} which has bfd echo enabled, which is not possible`,
          related: { kind: 'BGPPeer', name: peer.name },
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Helpers for consumers

/** Does a parsed advertisement (or peer) select the node? Uses the selectors, so it also works for unknown nodes. */
export function selectsNode(obj: { nodeSelectors: LabelSelector[] }, nodeLabels: Record<string, string>): boolean {
  return obj.nodeSelectors.length === 0 || obj.nodeSelectors.some((s) => selectorMatches(s, nodeLabels));
}

/** IP families present in a pool. */
export { poolFamilies };
