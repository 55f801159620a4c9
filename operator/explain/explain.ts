// `metalfrr explain service`: one plain sentence on why a Service has no address or is not announced.
// Pure: plain objects in, a verdict out. Reuses the parser, the allocator/convergence of the controller and
// the speaker's per-node decisions instead of re-implementing them.
import type { KubeObject, Namespace, Node } from '../api/meta.js';
import type { BGPSessionState } from '../api/frrk8s.js';
import { parseConfig, selectsNode, type Config, type Pool } from '../config/metallb/parse.js';
import { emptyResources, type ClusterResources, type ConfigError } from '../config/metallb/types.js';
import { Allocator } from '../ipam/allocator.js';
import { convergeService, currentIngress, requestedIPs, requestedPool, serviceFamily, serviceInfo, serviceKey, startupOrder, type ServiceLike } from '../ipam/service.js';
import { adForPeer, bgpAdsFor, bgpShouldAnnounce, checkService, endpointUsable, lbClassMatches, nodeView, slicesOf } from '../speaker/announce.js';
import { l2AdsForService, l2ShouldAnnounce, nodeExcluded } from '../speaker/l2.js';
import type { EndpointSliceObject, ServiceObject } from '../speaker/types.js';
import { formatIP } from '../util/ip.js';
import { peerLabelValue } from '../controllers/frr-status.js';

export type Verdict = 'ok' | 'no-address' | 'not-announced' | 'not-found' | 'not-loadbalancer';

export interface Explanation {
  verdict: Verdict;
  sentence: string;
  todo: string;
  details: string[];
}

export type ExplainService = KubeObject & ServiceLike;

export interface ExplainInput {
  services: ExplainService[];
  endpointSlices?: EndpointSliceObject[];
  nodes?: Node[];
  namespaces?: Namespace[];
  /** MetalLB objects (pools, ads, peers, communities, BFD profiles, Secrets); nodes/namespaces are taken from above. */
  resources?: Partial<ClusterResources>;
  /** BGPSessionState objects; undefined = session state unknown (not checked). */
  sessions?: BGPSessionState[];
  /** Nodes with a live speaker (membership Leases); undefined = every Node is assumed to run one (L2 election). */
  liveSpeakers?: string[];
}

export interface ExplainOptions {
  /** The MetalLB namespace. */
  namespace: string;
  /** The loadBalancerClass MetalLB handles ('' = services without one). */
  lbClass?: string;
}

const list = (xs: readonly string[]): string => (xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const q = (s: string): string => `"${s}"`;

const NODE_REASONS: Record<string, string> = {
  notOwner: 'no BGPAdvertisement of the pool selects this node',
  noMatchingAdvertisement: "the pool's BGPAdvertisements select this node but none of them selects the service's labels",
  conflictingAdvertisements: 'the BGPAdvertisements of the pool set conflicting localPref values',
  nodeNetworkUnavailable: 'the node has the condition NetworkUnavailable=True',
  nodeLabeledExcludeBalancers: 'the node is labeled node.kubernetes.io/exclude-from-external-load-balancers',
  noLocalEndpoints: 'no ready endpoint of the service runs on this node (externalTrafficPolicy: Local)',
  noEndpoints: 'the service has no ready endpoint',
};

/** Explains the service `key` (namespace/name). */
export function explainService(key: string, input: ExplainInput, opts: ExplainOptions): Explanation {
  const svc = input.services.find((s) => serviceKey(s) === key);
  if (!svc) {
    return {
      verdict: 'not-found',
      sentence: `Service ${key} does not exist in the given input.`,
      todo: 'check the namespace and the name (kubectl get svc -A), or pass the file or cluster that has it.',
      details: [],
    };
  }
  if (svc.spec?.type !== 'LoadBalancer') {
    return {
      verdict: 'not-loadbalancer',
      sentence: `Service ${key} is of type ${svc.spec?.type ?? 'ClusterIP'}, not LoadBalancer, so MetalLB gives it no address.`,
      todo: 'set spec.type: LoadBalancer if it should get an external address.',
      details: [],
    };
  }
  const lbClass = opts.lbClass ?? '';
  if (!lbClassMatches(svc as ServiceObject, lbClass)) {
    const cls = svc.spec.loadBalancerClass ?? '';
    return {
      verdict: 'no-address',
      sentence: `Service ${key} has loadBalancerClass ${q(cls)}, but MetalLB handles ${lbClass === '' ? 'only services without a loadBalancerClass' : `loadBalancerClass ${q(lbClass)}`}, so another implementation is expected to give it an address.`,
      todo: lbClass === '' ? 'remove spec.loadBalancerClass (it is immutable: recreate the service), or run MetalLB with --lb-class matching it.' : `set spec.loadBalancerClass to ${q(lbClass)} (recreate the service), or run MetalLB with --lb-class ${q(cls)}.`,
      details: [],
    };
  }

  const res: ClusterResources = { ...emptyResources(), ...input.resources, nodes: input.nodes ?? [], namespaces: input.namespaces ?? [] };
  const rejected = (verdict: Verdict, errors: ConfigError[], who: string): Explanation => {
    const e = errors[0];
    return {
      verdict,
      sentence: `The MetalLB configuration is rejected by the ${who} (${e ? `${e.kind} ${e.name}: ${e.message}` : 'invalid'}), so it keeps its last good configuration and ${key} is not handled by this one.`,
      todo: 'fix the configuration error (metalfrr validate FILE... shows every problem).',
      details: errors.map((x) => `${x.kind} ${x.name}: ${x.message}`),
    };
  };
  // the controller reads only the pools, communities and namespaces
  const ipam = parseConfig(
    { ...emptyResources(), pools: res.pools, communities: res.communities, namespaces: res.namespaces },
    { backend: 'none', namespace: opts.namespace },
  );
  if (!ipam.config) return rejected('no-address', ipam.errors, 'controller');
  const addr = explainAddress(svc, input.services, ipam.config, lbClass);
  if (addr) return addr;

  // the speakers read everything (peer password Secrets are left to frr-k8s: not resolved here)
  const parsed = parseConfig(res, { backend: 'none', namespace: opts.namespace, assumeCommonNode: res.nodes.length === 0, frrk8sSecretPassthrough: true });
  const config = parsed.config;
  if (!config) return rejected('not-announced', parsed.errors, 'speakers');
  return explainAnnouncement(svc, input, config, lbClass);
}

/** null when the service holds an address MetalLB keeps; else the no-address explanation. */
function explainAddress(svc: ExplainService, services: readonly ExplainService[], config: Config, lbClass: string): Explanation | null {
  const key = serviceKey(svc);
  const alloc = new Allocator();
  alloc.setConfig(config);
  // the other services keep what their status says (what a running controller re-registered at start-up)
  const others = startupOrder(services.filter((s) => serviceKey(s) !== key && s.spec?.type === 'LoadBalancer' && lbClassMatches(s as ServiceObject, lbClass)));
  for (const o of others) {
    const ips = currentIngress(o);
    if (ips.length === 0) continue;
    try {
      alloc.assign(serviceKey(o), serviceInfo(o), ips);
    } catch {
      /* an address the controller would not keep either */
    }
  }
  const holders = (ip: string): string[] => others.filter((o) => currentIngress(o).includes(ip)).map(serviceKey);
  const current = currentIngress(svc);
  const r = convergeService(alloc, svc);
  const details = r.events.map((e) => `${e.type} ${e.reason}: ${e.message}`);
  if (r.ingress.length > 0) {
    if (current.length > 0 && current.length === r.ingress.length && current.every((ip) => r.ingress.includes(ip))) return null;
    return {
      verdict: 'no-address',
      sentence:
        current.length === 0
          ? `Service ${key} has no address yet, although pool ${r.pool} has ${list(r.ingress)} free for it: the MetalLB controller has not processed it.`
          : `Service ${key} shows ${list(current)}, but MetalLB would now give it ${list(r.ingress)} from pool ${r.pool}: the controller has not caught up.`,
      todo: 'check that the MetalLB controller is running and look at its logs and the service events (kubectl describe svc).',
      details,
    };
  }
  const failure = r.events.find((e) => e.type === 'Warning');
  const msg = failure?.message ?? '';
  const noAddr = (sentence: string, todo: string): Explanation => ({ verdict: 'no-address', sentence, todo, details });
  const pools = [...config.pools.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  if (failure?.reason === 'not enough clusterips' || failure?.reason === 'noclusterIPsIPFamily')
    return noAddr(`Service ${key} has no usable clusterIPs (${failure.message}), so MetalLB cannot tell which IP family to allocate.`, 'let Kubernetes assign the clusterIPs (ipFamilyPolicy/ipFamilies) before MetalLB can allocate.');
  if (pools.length === 0)
    return noAddr(`Service ${key} has no address because there is no IPAddressPool in the MetalLB namespace.`, 'create an IPAddressPool (and a BGPAdvertisement or L2Advertisement for it) in the MetalLB namespace.');

  let req: string[] = [];
  try {
    req = requestedIPs(svc).ips;
  } catch (e) {
    return noAddr(`Service ${key} requests its address in an invalid way: ${(e as Error).message}.`, 'fix the metallb.io/loadBalancerIPs annotation or spec.loadBalancerIP.');
  }
  const family = (() => {
    try {
      return serviceFamily(svc);
    } catch {
      return 'ipv4';
    }
  })();
  const famText = family === 'dual' ? 'dual-stack' : family === 'ipv6' ? 'IPv6' : 'IPv4';
  const wantPool = requestedPool(svc);

  const incompat = /pool (\S+) not compatible for ip assignment/.exec(msg);
  if (incompat)
    return noAddr(
      `Service ${key} ${req.length > 0 ? `requests ${list(req)} from` : 'asks for'} pool ${incompat[1]}, but the pool's serviceAllocation (namespaces/serviceSelectors) does not select this service.`,
      `label the service or move it so pool ${incompat[1]}'s serviceAllocation matches, or widen that serviceAllocation.`,
    );
  if (req.length > 0) {
    const reqText = list(req);
    if (msg.includes('does not match the ipFamily'))
      return noAddr(`Service ${key} requests ${reqText}, which does not match its IP family (${famText}).`, 'request addresses of the service family, or change spec.ipFamilies/ipFamilyPolicy.');
    if (msg.includes('is not allowed in config'))
      return noAddr(`Service ${key} requests ${reqText}, which is outside every IPAddressPool (${pools.map((p) => `${p.name}: ${p.addresses.map((a) => a.text).join(', ')}`).join('; ')}).`, `request an address inside a pool, or add ${reqText} to an IPAddressPool.`);
    if (msg.includes('not compatible with requested address pool'))
      return noAddr(`Service ${key} requests ${reqText}, which is not in the pool it asks for (${wantPool}).`, 'make the metallb.io/address-pool annotation and the requested IP agree.');
    if (/already in use|sharing key/.test(msg)) {
      const by = req.flatMap(holders);
      return noAddr(
        `Service ${key} requests ${reqText}, which is already taken by ${by.length > 0 ? list([...new Set(by)]) : 'another service'}${/port/.test(msg) ? ' on the same port' : ''}.`,
        'request another address, or let both services share it: the same metallb.io/allow-shared-ip value on both, different ports, and the same selector with Local policy.',
      );
    }
    return noAddr(`Service ${key} cannot get ${reqText}: ${msg}.`, 'see the details and the service events.');
  }

  if (wantPool !== '') {
    const p = config.pools.get(wantPool);
    if (!p) return noAddr(`Service ${key} asks for pool ${wantPool}, which does not exist (pools: ${pools.map((x) => x.name).join(', ')}).`, 'fix the metallb.io/address-pool annotation or create that IPAddressPool.');
    if (!hasFamily(p, family)) return noAddr(`Service ${key} is ${famText} but pool ${p.name} has no ${famText} addresses.`, `add ${famText} addresses to pool ${p.name} or change the service's ipFamilies.`);
    return noAddr(`Service ${key} asks for pool ${p.name}, which is exhausted: every address is already in use.`, `add addresses to pool ${p.name}, free some, or let services share an IP (metallb.io/allow-shared-ip).`);
  }

  const info = serviceInfo(svc);
  const auto = pools.filter((p) => p.autoAssign);
  if (auto.length === 0)
    return noAddr(`Service ${key} has no address because every IPAddressPool (${list(pools.map((p) => p.name))}) has autoAssign: false.`, 'annotate the service with metallb.io/address-pool: POOL, or set autoAssign: true on a pool.');
  const usable = auto.filter((p) => alloc.compatible(p, info));
  if (usable.length === 0)
    return noAddr(
      `Service ${key} has no address because the serviceAllocation of ${list(auto.map((p) => p.name))} (namespaces/serviceSelectors) does not select it${pools.length > auto.length ? `, and ${list(pools.filter((p) => !p.autoAssign).map((p) => p.name))} ${pools.length - auto.length > 1 ? 'have' : 'has'} autoAssign: false` : ''}.`,
      'label the service or adjust the pool serviceAllocation so one pool selects it, or annotate it with metallb.io/address-pool.',
    );
  const fam = usable.filter((p) => hasFamily(p, family));
  if (fam.length === 0)
    return noAddr(`Service ${key} is ${famText} but no pool it may use (${list(usable.map((p) => p.name))}) has ${famText} addresses.`, `add ${famText} addresses to a pool, or change the service's ipFamilies/ipFamilyPolicy.`);
  return noAddr(`Service ${key} has no address because ${fam.length > 1 ? 'pools' : 'pool'} ${list(fam.map((p) => p.name))} ${fam.length > 1 ? 'are' : 'is'} exhausted: every address is in use.`, 'add addresses to the pool, delete unused LoadBalancer services, or let services share an IP (metallb.io/allow-shared-ip).');
}

function hasFamily(p: Pool, family: string): boolean {
  const has4 = p.cidrs.some((c) => c.family === 4);
  const has6 = p.cidrs.some((c) => c.family === 6);
  return family === 'dual' ? has4 && has6 : family === 'ipv6' ? has6 : has4;
}

/** L2 mode: the §4.2 election as every speaker runs it (reasons notOwner, sharedIPWithServiceSelector, noMatchingAdvertisement). */
function explainL2(key: string, svc: ServiceObject, pool: Pool, ipTexts: string[], ips: string, nodes: Node[], slices: EndpointSliceObject[], input: ExplainInput, details: string[]): Explanation {
  const adNames = list(pool.l2Advertisements.map((a) => a.name));
  if (nodes.length === 0) {
    details.push('no Node objects given: the L2 election is not checked');
    return { verdict: 'ok', sentence: `Service ${key} has ${ips} from pool ${pool.name}, which is announced in L2 mode (L2Advertisement ${adNames}).`, todo: 'nothing (pass the Nodes to see which node answers ARP/NDP for it).', details };
  }
  const views = nodes.map((n) => nodeView(n.metadata.name!, n));
  const live = input.liveSpeakers;
  const e = l2ShouldAnnounce({ svc, pool, ips: ipTexts, node: views[0]!, nodes: views, liveSpeakers: live, slices });
  const assumed = live === undefined ? ' (every Node assumed to run a speaker)' : '';
  if (e.reason === 'sharedIPWithServiceSelector')
    return {
      verdict: 'not-announced',
      sentence: `Service ${key} has ${ips} and the annotation metallb.io/allow-shared-ip, but an L2Advertisement of pool ${pool.name} (${adNames}) has serviceSelectors, which MetalLB does not combine with shared IPs, so no node announces it.`,
      todo: 'remove the serviceSelectors from the L2Advertisement, or stop sharing the IP.',
      details,
    };
  if (e.winner) {
    details.push(`layer2 election order for ${ipTexts[0]}: ${e.candidates.join(', ')}${assumed}`);
    return {
      verdict: 'ok',
      sentence: `Service ${key} has ${ips} from pool ${pool.name}, announced in L2 mode (L2Advertisement ${adNames}) by node ${e.winner}, which answers ARP/NDP for it.`,
      todo: 'nothing.',
      details,
    };
  }
  const usable = slices.some((s) => (s.endpoints ?? []).some(endpointUsable));
  if (!usable)
    return { verdict: 'not-announced', sentence: `Service ${key} has ${ips}, but it has no ready endpoint, so no node answers ARP/NDP for it.`, todo: 'make the pods behind the service ready (kubectl get endpointslices -l kubernetes.io/service-name=NAME), or fix its selector.', details };
  const ads = l2AdsForService(pool, svc);
  if (ads.length === 0)
    return {
      verdict: 'not-announced',
      sentence: `Service ${key} has ${ips}, but the serviceSelectors of pool ${pool.name}'s L2Advertisements (${adNames}) do not match its labels, so no node announces it.`,
      todo: 'label the service to match an L2Advertisement serviceSelector, or widen the selector.',
      details,
    };
  for (const v of views) {
    if (live !== undefined && !live.includes(v.name)) details.push(`node ${v.name}: no live speaker`);
    else if (nodeExcluded(v)) details.push(`node ${v.name}: ${v.networkUnavailable ? NODE_REASONS.nodeNetworkUnavailable : NODE_REASONS.nodeLabeledExcludeBalancers}`);
    else if (!ads.some((a) => selectsNode(a, v.labels))) details.push(`node ${v.name}: no L2Advertisement of the pool selects it`);
  }
  return {
    verdict: 'not-announced',
    sentence:
      svc.spec?.externalTrafficPolicy === 'Local'
        ? `Service ${key} has ${ips} and externalTrafficPolicy: Local, but no node that may announce it in L2 mode${assumed} runs a ready endpoint of it, so no node answers ARP/NDP for it.`
        : `Service ${key} has ${ips}, but no node may announce it in L2 mode${assumed} (L2Advertisement ${adNames}: nodeSelectors, excluded nodes or no live speaker), so no node answers ARP/NDP for it.`,
    todo: 'see the details per node: fix the L2Advertisement nodeSelectors, the node conditions/labels, or start the speakers.',
    details,
  };
}

function explainAnnouncement(svc: ExplainService, input: ExplainInput, config: Config, lbClass: string): Explanation {
  const key = serviceKey(svc);
  const sobj = svc as ServiceObject;
  const check = checkService(sobj, config, { lbClass });
  if ('reason' in check) {
    return {
      verdict: 'not-announced',
      sentence: `Service ${key} is not announced: its address is not in any pool (${check.reason}).`,
      todo: 'check the service status and the pools.',
      details: [],
    };
  }
  const pool = check.pool;
  const ips = list(check.texts);
  const details: string[] = [`address ${ips} from pool ${pool.name}`];
  if (pool.bgpAdvertisements.length === 0 && pool.l2Advertisements.length === 0) {
    return {
      verdict: 'not-announced',
      sentence: `Service ${key} has ${ips} from pool ${pool.name}, but no BGPAdvertisement or L2Advertisement covers pool ${pool.name}, so nobody announces it.`,
      todo: `create a BGPAdvertisement (or L2Advertisement) with ipAddressPools: [${pool.name}] (or without any pool selection).`,
      details,
    };
  }
  const nodes = [...(input.nodes ?? [])].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const slices = slicesOf(sobj, input.endpointSlices ?? []);
  if (pool.bgpAdvertisements.length === 0) return explainL2(key, sobj, pool, check.ips.map(formatIP), ips, nodes, slices, input, details);
  if (pool.l2Advertisements.length > 0 && nodes.length > 0) {
    const l2 = explainL2(key, sobj, pool, check.ips.map(formatIP), ips, nodes, slices, input, []);
    details.push(`layer2: ${l2.sentence}`);
  }
  if (nodes.length === 0) {
    details.push('no Node objects given: node eligibility, endpoints and sessions not checked');
    return { verdict: 'ok', sentence: `Service ${key} has ${ips} from pool ${pool.name}, covered by BGPAdvertisement ${list(pool.bgpAdvertisements.map((a) => a.name))}.`, todo: 'nothing (pass the Nodes to check which node announces it).', details };
  }
  const announcing: string[] = [];
  const why = new Map<string, string[]>();
  for (const n of nodes) {
    const name = n.metadata.name ?? '';
    const reason = bgpShouldAnnounce(sobj, pool, nodeView(name, n), slices);
    if (reason === '') announcing.push(name);
    else {
      details.push(`node ${name}: ${NODE_REASONS[reason] ?? reason}`);
      why.set(reason, [...(why.get(reason) ?? []), name]);
    }
  }
  if (announcing.length === 0) {
    const all = (r: string) => why.get(r)?.length === nodes.length;
    let sentence: string;
    let todo: string;
    if (all('notOwner')) {
      sentence = `Service ${key} has ${ips}, but no BGPAdvertisement of pool ${pool.name} (${list(pool.bgpAdvertisements.map((a) => a.name))}) selects any node with its nodeSelectors, so no node announces it.`;
      todo = 'fix the BGPAdvertisement nodeSelectors (or the node labels).';
    } else if (all('noMatchingAdvertisement')) {
      sentence = `Service ${key} has ${ips}, but the serviceSelectors of pool ${pool.name}'s BGPAdvertisements (${list(pool.bgpAdvertisements.map((a) => a.name))}) do not match its labels, so no node announces it.`;
      todo = 'label the service to match a BGPAdvertisement serviceSelector, or widen the selector.';
    } else if (all('noEndpoints')) {
      sentence = `Service ${key} has ${ips}, but it has no ready endpoint, so no node announces it.`;
      todo = 'make the pods behind the service ready (kubectl get endpointslices -l kubernetes.io/service-name=NAME), or fix its selector.';
    } else if (why.has('noLocalEndpoints')) {
      sentence = `Service ${key} has ${ips} and externalTrafficPolicy: Local, but no eligible node (${list(why.get('noLocalEndpoints')!)}) runs a ready endpoint of it, so no node announces it.`;
      todo = 'make the pods ready on nodes the BGPAdvertisement selects, or use externalTrafficPolicy: Cluster.';
    } else {
      sentence = `Service ${key} has ${ips}, but no node is eligible to announce it (${[...why].map(([r, ns]) => `${list(ns)}: ${NODE_REASONS[r] ?? r}`).join('; ')}).`;
      todo = 'see the details per node: fix the node conditions/labels or the BGPAdvertisement.';
    }
    return { verdict: 'not-announced', sentence, todo, details };
  }

  // peers the announcing nodes send the prefixes to
  const targets: { node: string; peer: string; address: string; iface: string }[] = [];
  for (const node of announcing) {
    const { ads } = bgpAdsFor(pool, sobj, nodeView(node, nodes.find((n) => n.metadata.name === node)));
    for (const p of [...config.peers.values()]) {
      if (!p.nodes.includes(node)) continue;
      if (!ads.some((a) => adForPeer(a, p.name))) continue;
      targets.push({ node, peer: p.name, address: p.address, iface: p.iface });
    }
  }
  if (targets.length === 0) {
    return {
      verdict: 'not-announced',
      sentence: `Service ${key} has ${ips} and node${announcing.length > 1 ? 's' : ''} ${list(announcing)} would announce it, but no BGPPeer ${pool.bgpAdvertisements.some((a) => a.peers.length > 0) ? 'named in the BGPAdvertisements ' : ''}selects ${announcing.length > 1 ? 'these nodes' : 'that node'}, so it reaches no router.`,
      todo: 'create a BGPPeer whose nodeSelectors select these nodes, or fix the BGPAdvertisement peers list.',
      details,
    };
  }
  for (const t of targets) details.push(`node ${t.node} -> peer ${t.peer} (${t.address || t.iface})`);
  if (input.sessions === undefined || input.sessions.length === 0) details.push('no BGPSessionState objects: session state not checked');
  else {
    const stateOf = (t: (typeof targets)[number]): string => {
      const s = input.sessions!.find((x) => x.status?.node === t.node && [t.address, peerLabelValue(t.address), t.iface].filter(Boolean).includes(x.status?.peer ?? ''));
      return s?.status?.bgpStatus ?? 'unknown';
    };
    const states = targets.map((t) => ({ ...t, state: stateOf(t) }));
    for (const s of states) details.push(`session ${s.node} -> ${s.peer}: ${s.state}`);
    if (!states.some((s) => /^established$/i.test(s.state))) {
      return {
        verdict: 'not-announced',
        sentence: `Service ${key} has ${ips} and is advertised by ${list(announcing)}, but no BGP session to its peers is Established (${states.map((s) => `${s.node} -> ${s.peer} ${s.address || s.iface}: ${s.state}`).join('; ')}).`,
        todo: 'check the peer address, ASNs, password and reachability on both sides (BGPSessionState objects and the router logs).',
        details,
      };
    }
  }
  return {
    verdict: 'ok',
    sentence: `Service ${key} has ${ips} from pool ${pool.name} and is announced over BGP by ${list(announcing)} to ${list([...new Set(targets.map((t) => t.peer))])}.`,
    todo: 'nothing.',
    details,
  };
}
