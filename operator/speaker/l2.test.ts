import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { KubeObject, Node } from '../api/meta.js';
import { parseConfig, type Config } from '../config/metallb/parse.js';
import { l2Adv, node, pool, resources } from '../config/metallb/testutil.js';
import { nodeView } from './announce.js';
import { l2AnnouncementsOf, l2DecisionsForNode, l2Interfaces, l2ShouldAnnounce, orderCandidates, type L2Decision } from './l2.js';
import type { EndpointSliceObject, ServiceObject } from './types.js';

const NS = 'metallb-system';

function cfg(...objs: KubeObject[]): { config: Config; nodes: Node[] } {
  const res = resources(...objs);
  const r = parseConfig(res, { backend: 'frr-k8s', namespace: NS });
  assert.deepEqual(r.errors, []);
  return { config: r.config!, nodes: res.nodes as Node[] };
}

const svc = (name: string, ips: string[], extra: { policy?: 'Local' | 'Cluster'; labels?: Record<string, string>; annotations?: Record<string, string> } = {}): ServiceObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.annotations ? { annotations: extra.annotations } : {}) },
  spec: { type: 'LoadBalancer', externalTrafficPolicy: extra.policy ?? 'Cluster' },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});

const eps = (service: string, endpoints: { node: string; ready?: boolean; serving?: boolean }[]): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: endpoints.map((e, i) => ({
    addresses: [`10.244.0.${i + 1}`],
    nodeName: e.node,
    conditions: { ...(e.ready !== undefined ? { ready: e.ready } : {}), ...(e.serving !== undefined ? { serving: e.serving } : {}) },
  })),
});

const ABC = ['node-a', 'node-b', 'node-c'];
const nodesABC = (labels: Record<string, Record<string, string>> = {}) => ABC.map((n) => node(n, labels[n] ?? {}));

/** The winner as seen from each node; every node must agree (exactly one announces). */
function winners(config: Config, nodes: Node[], services: ServiceObject[], slices: EndpointSliceObject[], live?: string[], opts = {}): Map<string, L2Decision[]> {
  const out = new Map<string, L2Decision[]>();
  for (const n of nodes.map((x) => x.metadata.name!)) out.set(n, l2DecisionsForNode(n, config, services, slices, nodes, live, opts));
  return out;
}
function winnerOf(all: Map<string, L2Decision[]>, service: string): string[] {
  return [...all.entries()].filter(([, ds]) => ds.find((d) => d.service === service)?.reason === '').map(([n]) => n);
}

test('spec vectors: hash order of <node>#<ip> (10.0.0.1 → b, a, c; 10.0.0.2 → b, c, a)', () => {
  assert.deepEqual(orderCandidates(ABC, '10.0.0.1'), ['node-b', 'node-a', 'node-c']);
  assert.deepEqual(orderCandidates(['node-c', 'node-a', 'node-b'], '10.0.0.2'), ['node-b', 'node-c', 'node-a']);
  // the order is the byte order of SHA-256 digests, independent of input order
  const digests = ABC.map((n) => createHash('sha256').update(`${n}#10.0.0.1`).digest('hex'));
  assert.deepEqual(orderCandidates([...ABC].reverse(), '10.0.0.1'), [...ABC].sort((x, y) => (digests[ABC.indexOf(x)]! < digests[ABC.indexOf(y)]! ? -1 : 1)));
});

test('exactly one node announces, the first of the hash order; the others say notOwner', () => {
  const { config, nodes } = cfg(...nodesABC(), pool('p', { addresses: ['10.0.0.0/24'] }), l2Adv('l2'));
  const services = [svc('s1', ['10.0.0.1']), svc('s2', ['10.0.0.2'])];
  const slices = [eps('s1', [{ node: 'node-c' }]), eps('s2', [{ node: 'node-a' }])];
  const all = winners(config, nodes, services, slices);
  assert.deepEqual(winnerOf(all, 'default/s1'), ['node-b']);
  assert.deepEqual(winnerOf(all, 'default/s2'), ['node-b']);
  const a = all.get('node-a')!.find((d) => d.service === 'default/s1')!;
  assert.equal(a.reason, 'notOwner');
  assert.deepEqual(a.candidates, ['node-b', 'node-a', 'node-c']);
  assert.equal(a.winner, 'node-b');
  // live speakers: node-b gone → node-a for 10.0.0.1, node-c for 10.0.0.2
  const live = winners(config, nodes, services, slices, ['node-a', 'node-c']);
  assert.deepEqual(winnerOf(live, 'default/s1'), ['node-a']);
  assert.deepEqual(winnerOf(live, 'default/s2'), ['node-c']);
});

test('no usable endpoint → notOwner everywhere; serving-but-not-ready counts, not-ready does not', () => {
  const { config, nodes } = cfg(...nodesABC(), pool('p', { addresses: ['10.0.0.0/24'] }), l2Adv('l2'));
  const s = [svc('s1', ['10.0.0.1'])];
  for (const slices of [[], [eps('s1', [{ node: 'node-a', ready: false }])]]) {
    const all = winners(config, nodes, s, slices);
    assert.deepEqual(winnerOf(all, 'default/s1'), []);
    assert.equal(all.get('node-b')![0]!.reason, 'notOwner');
  }
  assert.deepEqual(winnerOf(winners(config, nodes, s, [eps('s1', [{ node: 'node-a', ready: false, serving: true }])]), 'default/s1'), ['node-b']);
});

test('Local policy: only nodes with a usable endpoint are candidates', () => {
  const { config, nodes } = cfg(...nodesABC(), pool('p', { addresses: ['10.0.0.0/24'] }), l2Adv('l2'));
  const s = [svc('s1', ['10.0.0.1'], { policy: 'Local' })];
  assert.deepEqual(winnerOf(winners(config, nodes, s, [eps('s1', [{ node: 'node-c' }])]), 'default/s1'), ['node-c']);
  assert.deepEqual(winnerOf(winners(config, nodes, s, [eps('s1', [{ node: 'node-c' }, { node: 'node-a' }])]), 'default/s1'), ['node-a']);
  // endpoint on a node without a live speaker: nobody
  assert.deepEqual(winnerOf(winners(config, nodes, s, [eps('s1', [{ node: 'node-c' }])], ['node-a', 'node-b']), 'default/s1'), []);
});

test('nodeSelectors: nodes outside every ad say noMatchingAdvertisement and are no candidates', () => {
  const { config, nodes } = cfg(
    ...nodesABC({ 'node-a': { l2: 'yes' }, 'node-c': { l2: 'yes' } }),
    pool('p', { addresses: ['10.0.0.0/24'] }),
    l2Adv('l2', { nodeSelectors: [{ matchLabels: { l2: 'yes' } }] }),
  );
  const all = winners(config, nodes, [svc('s1', ['10.0.0.1'])], [eps('s1', [{ node: 'node-b' }])]);
  assert.deepEqual(winnerOf(all, 'default/s1'), ['node-a']);
  const b = all.get('node-b')![0]!;
  assert.equal(b.reason, 'noMatchingAdvertisement');
  assert.deepEqual(b.candidates, ['node-a', 'node-c']);
});

test('excluded nodes (NetworkUnavailable, exclude label unless ignored) are no candidates', () => {
  const objs = [...nodesABC({ 'node-b': { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }), pool('p', { addresses: ['10.0.0.0/24'] }), l2Adv('l2')];
  const { config, nodes } = cfg(...objs);
  const s = [svc('s1', ['10.0.0.1'])];
  const sl = [eps('s1', [{ node: 'node-c' }])];
  assert.deepEqual(winnerOf(winners(config, nodes, s, sl), 'default/s1'), ['node-a']);
  assert.deepEqual(winnerOf(winners(config, nodes, s, sl, undefined, { ignoreExcludeLB: true }), 'default/s1'), ['node-b']);
  const unavailable = nodes.map((n) =>
    n.metadata.name === 'node-a' ? { ...n, status: { conditions: [{ type: 'NetworkUnavailable', status: 'True' }] } } : n,
  ) as Node[];
  assert.deepEqual(winnerOf(winners(config, unavailable, s, sl, undefined, { ignoreExcludeLB: true }), 'default/s1'), ['node-b']);
  assert.deepEqual(winnerOf(winners(config, unavailable, s, sl), 'default/s1'), ['node-c']);
});

test('preferredNodeSelectors: weights summed over the ads, only where the ad selects the node; ties by hash', () => {
  const objs = [
    ...nodesABC({ 'node-a': { rack: 'r1', ssd: 'y' }, 'node-c': { rack: 'r1' } }),
    pool('p', { addresses: ['10.0.0.0/24'] }),
    l2Adv('pref-rack', { preferredNodeSelectors: [{ weight: 10, preference: { matchLabels: { rack: 'r1' } } }] }),
  ];
  const s = [svc('s1', ['10.0.0.1'])];
  const sl = [eps('s1', [{ node: 'node-b' }])];
  let { config, nodes } = cfg(...objs);
  // node-a and node-c tie at 10: hash order between them (a before c for 10.0.0.1); node-b (0) last
  let d = l2DecisionsForNode('node-b', config, s, sl, nodes, undefined)[0]!;
  assert.deepEqual(d.candidates, ['node-a', 'node-c', 'node-b']);
  // a second ad adds 5 for ssd=y but only selects rack r2 nodes: node-a is not eligible under it → no bonus
  ({ config, nodes } = cfg(
    ...objs,
    l2Adv('pref-ssd', { nodeSelectors: [{ matchLabels: { rack: 'r2' } }], preferredNodeSelectors: [{ weight: 5, preference: { matchLabels: { ssd: 'y' } } }] }),
    l2Adv('pref-c', { preferredNodeSelectors: [{ weight: 3, preference: { matchLabels: { 'kubernetes.io/hostname': 'node-c' } } }] }),
  ));
  d = l2DecisionsForNode('node-c', config, s, sl, nodes, undefined)[0]!;
  assert.deepEqual(d.candidates, ['node-c', 'node-a', 'node-b']);
  assert.equal(d.reason, '');
  // an empty preference matches every node: the scores shift equally, the hash order decides
  ({ config, nodes } = cfg(...nodesABC(), pool('p', { addresses: ['10.0.0.0/24'] }), l2Adv('all', { preferredNodeSelectors: [{ weight: 7, preference: {} }] })));
  assert.deepEqual(l2DecisionsForNode('node-a', config, s, sl, nodes, undefined)[0]!.candidates, ['node-b', 'node-a', 'node-c']);
});

test('allow-shared-ip with serviceSelectors → sharedIPWithServiceSelector; serviceSelectors filter the ads', () => {
  const { config, nodes } = cfg(
    ...nodesABC({ 'node-c': { only: 'web' } }),
    pool('p', { addresses: ['10.0.0.0/24'] }),
    l2Adv('web-only', { serviceSelectors: [{ matchLabels: { app: 'web' } }], nodeSelectors: [{ matchLabels: { only: 'web' } }] }),
  );
  const sl = [eps('s1', [{ node: 'node-a' }])];
  const shared = svc('s1', ['10.0.0.1'], { labels: { app: 'web' }, annotations: { 'metallb.io/allow-shared-ip': 'k' } });
  assert.equal(l2DecisionsForNode('node-c', config, [shared], sl, nodes, undefined)[0]!.reason, 'sharedIPWithServiceSelector');
  const web = svc('s1', ['10.0.0.1'], { labels: { app: 'web' } });
  assert.deepEqual(winnerOf(winners(config, nodes, [web], sl), 'default/s1'), ['node-c']);
  const other = svc('s1', ['10.0.0.1'], { labels: { app: 'db' } });
  assert.equal(l2DecisionsForNode('node-c', config, [other], sl, nodes, undefined)[0]!.reason, 'noMatchingAdvertisement');
});

test('ipAddressPools / ipAddressPoolSelectors: both empty = every pool; a pool without L2 ads is not a layer2 service', () => {
  const { config, nodes } = cfg(
    ...nodesABC(),
    pool('p1', { addresses: ['10.0.0.0/24'] }, { l2: 'on' }),
    pool('p2', { addresses: ['10.0.1.0/24'] }),
    pool('p3', { addresses: ['10.0.2.0/24'] }),
    l2Adv('by-label', { ipAddressPoolSelectors: [{ matchLabels: { l2: 'on' } }], interfaces: ['eth1'] }),
    l2Adv('by-name', { ipAddressPools: ['p2'], interfaces: ['eth2'] }),
  );
  const services = [svc('s1', ['10.0.0.1']), svc('s2', ['10.0.1.1']), svc('s3', ['10.0.2.1'])];
  const ds = l2DecisionsForNode('node-b', config, services, ['s1', 's2', 's3'].map((s) => eps(s, [{ node: 'node-a' }])), nodes, undefined);
  assert.deepEqual(ds.map((d) => d.service), ['default/s1', 'default/s2']);
  const all = cfg(...nodesABC(), pool('p1', { addresses: ['10.0.0.0/24'] }), pool('p2', { addresses: ['10.0.1.0/24'] }), l2Adv('any'));
  assert.equal(all.config.pools.get('p2')!.l2Advertisements.length, 1);
  assert.equal(all.config.pools.get('p1')!.l2Advertisements.length, 1);
});

test('interfaces: union over the ads selecting the node; empty when any of them has none', () => {
  const { config, nodes } = cfg(
    ...nodesABC({ 'node-a': { zone: 'z1' }, 'node-b': { zone: 'z1' } }),
    pool('p', { addresses: ['10.0.0.0/24', 'fd00::/120'] }),
    l2Adv('eth1', { interfaces: ['eth1'] }),
    l2Adv('eth2', { interfaces: ['eth2', 'eth1'], nodeSelectors: [{ matchLabels: { zone: 'z1' } }] }),
    l2Adv('all-c', { nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node-c' } }] }),
  );
  const ads = config.pools.get('p')!.l2Advertisements;
  assert.deepEqual(l2Interfaces(ads, { zone: 'z1' }), ['eth1', 'eth2']);
  assert.deepEqual(l2Interfaces(ads, { zone: 'z2' }), ['eth1']);
  assert.deepEqual(l2Interfaces(ads, { 'kubernetes.io/hostname': 'node-c' }), []);
  // dual-stack: both IPs follow the first IP's winner, with the winner's interfaces
  const ds = svc('ds', ['10.0.0.1', 'fd00::1']);
  const all = winners(config, nodes, [ds], [eps('ds', [{ node: 'node-a' }])]);
  assert.deepEqual(winnerOf(all, 'default/ds'), ['node-b']);
  const d = all.get('node-b')![0]!;
  assert.deepEqual(d.ips, ['10.0.0.1', 'fd00::1']);
  assert.deepEqual(d.interfaces, ['eth1', 'eth2']);
  const one = l2ShouldAnnounce({
    svc: ds,
    pool: config.pools.get('p')!,
    ips: ['10.0.0.1', 'fd00::1'],
    node: nodeView('node-b', nodes[1]),
    nodes: nodes.map((n) => nodeView(n.metadata.name!, n)),
    slices: [eps('ds', [{ node: 'node-a' }])],
  });
  assert.equal(one.winner, 'node-b');
  assert.deepEqual(l2AnnouncementsOf([d, { ips: ['10.0.0.1'], interfaces: ['eth9'] }, { ips: ['10.0.0.9'], interfaces: [] }]), [
    { ip: '10.0.0.1', interfaces: ['eth1', 'eth2', 'eth9'] },
    { ip: '10.0.0.9', interfaces: [] },
    { ip: 'fd00::1', interfaces: ['eth1', 'eth2'] },
  ]);
});

test('§4.1 reasons are kept for layer2 services (noIPAllocated, ipNotAllowed)', () => {
  const { config, nodes } = cfg(...nodesABC(), pool('p', { addresses: ['10.0.0.0/24'] }), l2Adv('l2'));
  const ds = l2DecisionsForNode('node-a', config, [svc('none', []), svc('out', ['192.0.2.1'])], [], nodes, undefined);
  assert.deepEqual(ds.map((d) => d.reason), ['noIPAllocated', 'ipNotAllowed']);
});
