import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Node } from '../api/meta.js';
import type { FRRConfiguration, Neighbor } from '../api/frrk8s.js';
import { parseConfig, type Config } from '../config/metallb/parse.js';
import { bfd, bgpAdv, community, node, peer, peerSpec, pool, resources, secret } from '../config/metallb/testutil.js';
import { convertConfigurations } from '../config/frrk8s/convert.js';
import { renderForNode } from '../frr/pipeline.js';
import { bgpShouldAnnounce, checkService, nodeView } from './announce.js';
import { buildFRRConfiguration, sessionKey, speakerState, type BuildOptions } from './frrk8s.js';
import type { EndpointSliceObject, ServiceObject } from './types.js';

const NS = 'metallb-system';
const OPTS: BuildOptions = { namespace: 'frr-k8s-system' };

function cfg(...objs: KubeObject[]): { config: Config; nodes: Node[] } {
  const res = resources(...objs);
  const r = parseConfig(res, { backend: 'frr-k8s', namespace: NS });
  assert.deepEqual(r.errors, []);
  return { config: r.config!, nodes: res.nodes as Node[] };
}

const svc = (name: string, ips: string[], extra: { policy?: 'Local' | 'Cluster'; labels?: Record<string, string>; type?: string; lbClass?: string } = {}): ServiceObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', ...(extra.labels ? { labels: extra.labels } : {}) },
  spec: { type: extra.type ?? 'LoadBalancer', externalTrafficPolicy: extra.policy ?? 'Cluster', ...(extra.lbClass ? { loadBalancerClass: extra.lbClass } : {}) },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});

const eps = (service: string, endpoints: { node: string; ready?: boolean; serving?: boolean; addresses?: string[] }[]): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: endpoints.map((e) => ({
    addresses: e.addresses ?? ['10.244.0.5'],
    nodeName: e.node,
    conditions: { ...(e.ready !== undefined ? { ready: e.ready } : {}), ...(e.serving !== undefined ? { serving: e.serving } : {}) },
  })),
});

const routers = (o: FRRConfiguration) => o.spec!.bgp!.routers!;
const nb = (o: FRRConfiguration, i = 0, r = 0): Neighbor => routers(o)[r]!.neighbors![i]!;

function convertsAndRenders(o: FRRConfiguration, nodeName = 'node1'): string {
  convertConfigurations([o]);
  return renderForNode([o], { name: nodeName, labels: { 'kubernetes.io/hostname': nodeName } }, { hostname: nodeName }).config;
}

const base = () => [
  node('node1', { zone: 'a' }),
  node('node2', { zone: 'b' }),
  pool('p1', { addresses: ['192.168.10.0/24', 'fc00:f853:ccd:e799::/124'] }),
  peer('peer1', peerSpec({ peerAddress: '172.18.0.5', holdTime: '90s', keepaliveTime: '30s' })),
  bgpAdv('adv1'),
];

test('Cluster policy: every eligible node announces; exact FRRConfiguration shape', () => {
  const { config, nodes } = cfg(...base());
  const services = [svc('s1', ['192.168.10.1'])];
  const slices = [eps('s1', [{ node: 'node2' }])];
  const o = buildFRRConfiguration('node1', config, services, slices, nodes, OPTS);
  assert.deepEqual(o, {
    apiVersion: 'frrk8s.metallb.io/v1beta1',
    kind: 'FRRConfiguration',
    metadata: { name: 'metallb-node1', namespace: 'frr-k8s-system' },
    spec: {
      nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node1' } },
      bgp: {
        routers: [
          {
            asn: 64500,
            prefixes: ['192.168.10.1/32'],
            neighbors: [{ asn: 64501, address: '172.18.0.5', port: 179, holdTime: '1m30s', keepaliveTime: '30s', toAdvertise: { allowed: { prefixes: ['192.168.10.1/32'] } } }],
          },
        ],
      },
    },
  });
  const conf = convertsAndRenders(o);
  assert.match(conf, /network 192\.168\.10\.1\/32/);
  assert.match(conf, /neighbor 172\.18\.0\.5 remote-as 64501/);
});

test('Local policy: only nodes with a usable local endpoint announce', () => {
  const { config, nodes } = cfg(...base());
  const services = [svc('s1', ['192.168.10.1'], { policy: 'Local' })];
  const p1 = config.pools.get('p1')!;
  const slices = [eps('s1', [{ node: 'node2' }])];
  assert.equal(bgpShouldAnnounce(services[0]!, p1, nodeView('node1', nodes[0]), slices), 'noLocalEndpoints');
  assert.equal(bgpShouldAnnounce(services[0]!, p1, nodeView('node2', nodes[1]), slices), '');
  // terminating but serving counts; not ready and not serving does not; an endpoint without addresses does not
  assert.equal(bgpShouldAnnounce(services[0]!, p1, nodeView('node1', nodes[0]), [eps('s1', [{ node: 'node1', ready: false, serving: true }])]), '');
  assert.equal(bgpShouldAnnounce(services[0]!, p1, nodeView('node1', nodes[0]), [eps('s1', [{ node: 'node1', ready: false }])]), 'noLocalEndpoints');
  assert.equal(bgpShouldAnnounce(services[0]!, p1, nodeView('node1', nodes[0]), [eps('s1', [{ node: 'node1', addresses: [] }])]), 'noLocalEndpoints');
  // an address some endpoint reports as not serving is not healthy, whatever the others say
  const mixed = [eps('s1', [{ node: 'node1', ready: true }]), { ...eps('s1', [{ node: 'node1', ready: false }]), metadata: { name: 's1-y', namespace: 'default', labels: { 'kubernetes.io/service-name': 's1' } } }];
  assert.equal(bgpShouldAnnounce(services[0]!, p1, nodeView('node1', nodes[0]), mixed), 'noLocalEndpoints');
  const o = buildFRRConfiguration('node1', config, services, slices, nodes, OPTS);
  assert.equal(routers(o)[0]!.prefixes, undefined);
  assert.deepEqual(nb(o).toAdvertise, { allowed: { prefixes: [] } });
  convertsAndRenders(o);
  // Cluster without any endpoint
  assert.equal(bgpShouldAnnounce(svc('s1', ['192.168.10.1']), p1, nodeView('node1', nodes[0]), []), 'noEndpoints');
});

test('reasons in order: notOwner, noMatchingAdvertisement, conflicting, network unavailable, exclude label', () => {
  const { config, nodes } = cfg(
    node('node1'),
    node('node2', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' }),
    node('node3'),
    pool('p1', { addresses: ['192.168.10.0/24'] }),
    pool('p2', { addresses: ['192.168.20.0/24'] }),
    pool('p3', { addresses: ['192.168.30.0/24'] }),
    bgpAdv('a1', { ipAddressPools: ['p1'], nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'node2' } }] }),
    bgpAdv('a2', { ipAddressPools: ['p2'], serviceSelectors: [{ matchLabels: { app: 'x' } }] }),
    bgpAdv('a3', { ipAddressPools: ['p3'], localPref: 100, serviceSelectors: [{ matchLabels: { app: 'y' } }] }),
    bgpAdv('a4', { ipAddressPools: ['p3'], localPref: 200, serviceSelectors: [{ matchLabels: { app: 'y' } }] }),
  );
  const n1 = nodeView('node1', nodes[0]);
  const slices = [eps('s', [{ node: 'node1' }])];
  const p = (n: string) => config.pools.get(n)!;
  assert.equal(bgpShouldAnnounce(svc('s', ['192.168.10.1']), p('p1'), n1, slices), 'notOwner');
  assert.equal(bgpShouldAnnounce(svc('s', ['192.168.20.1']), p('p2'), n1, slices), 'noMatchingAdvertisement');
  assert.equal(bgpShouldAnnounce(svc('s', ['192.168.20.1'], { labels: { app: 'x' } }), p('p2'), n1, slices), '');
  assert.equal(bgpShouldAnnounce(svc('s', ['192.168.30.1'], { labels: { app: 'y' } }), p('p3'), n1, slices), 'conflictingAdvertisements');
  const unavailable = nodeView('node3', { ...nodes[2]!, status: { conditions: [{ type: 'NetworkUnavailable', status: 'True' }] } });
  assert.equal(bgpShouldAnnounce(svc('s', ['192.168.20.1'], { labels: { app: 'x' } }), p('p2'), unavailable, slices), 'nodeNetworkUnavailable');
  const n2 = nodeView('node2', nodes[1]);
  assert.equal(bgpShouldAnnounce(svc('s', ['192.168.10.1']), p('p1'), n2, slices), 'nodeLabeledExcludeBalancers');
  assert.equal(bgpShouldAnnounce(svc('s', ['192.168.10.1']), p('p1'), n2, slices, { ignoreExcludeLB: true }), '');
});

test('service checks: type, ingress, invalid IP, IPs in one pool, lbClass', () => {
  const { config } = cfg(...base());
  const reason = (s: ServiceObject, lbClass?: string) => {
    const c = checkService(s, config, { lbClass });
    return 'reason' in c ? c.reason : '';
  };
  assert.equal(reason(svc('s', ['192.168.10.1'], { type: 'ClusterIP' })), 'notLoadBalancer');
  assert.equal(reason(svc('s', [])), 'noIPAllocated');
  assert.equal(reason(svc('s', ['nope'])), 'invalidIP');
  assert.equal(reason(svc('s', ['10.0.0.1'])), 'ipNotAllowed');
  assert.equal(reason(svc('s', ['192.168.10.1', 'fc00:f853:ccd:e799::1'])), '');
  assert.equal(reason(svc('s', ['192.168.10.1'], { lbClass: 'other' })), 'lbClassMismatch');
  assert.equal(reason(svc('s', ['192.168.10.1'], { lbClass: 'other' }), 'other'), '');
  assert.equal(reason(svc('s', ['192.168.10.1']), 'other'), 'lbClassMismatch');
});

test('peer node selectors and advertisement peers; family filtering; sort orders', () => {
  const { config, nodes } = cfg(
    node('node1', { zone: 'a' }),
    pool('p1', { addresses: ['192.168.10.0/24', 'fc00:f853:ccd:e799::/124'] }),
    peer('peer-b', peerSpec({ peerAddress: '172.18.0.6', peerASN: 64502 })),
    peer('peer-a', peerSpec({ peerAddress: '172.18.0.5' })),
    peer('peer-v6', peerSpec({ peerAddress: 'fc00:f853:ccd:e793::5' })),
    peer('peer-dual', peerSpec({ peerAddress: '172.18.0.9', dualStackAddressFamily: true })),
    peer('peer-other-node', peerSpec({ peerAddress: '172.18.0.7', nodeSelectors: [{ matchLabels: { zone: 'b' } }] })),
    peer('peer-vrf', peerSpec({ peerAddress: '172.18.0.8', vrf: 'red', myASN: 64600 })),
    bgpAdv('adv-all', { peers: ['peer-a', 'peer-v6', 'peer-dual', 'peer-vrf', 'peer-other-node'] }),
    bgpAdv('adv-b', { peers: ['peer-b'], localPref: 50 }),
  );
  const st = speakerState('node1', config, [svc('s1', ['192.168.10.3', 'fc00:f853:ccd:e799::3'])], [eps('s1', [{ node: 'node1' }])], nodes, OPTS);
  const o = st.frrConfiguration;
  assert.deepEqual(
    routers(o).map((r) => [r.asn, r.id, r.vrf]),
    [
      [64500, undefined, undefined],
      [64600, undefined, 'red'],
    ],
  );
  const addrs = routers(o)[0]!.neighbors!.map((n) => n.address);
  assert.deepEqual(addrs, ['172.18.0.5', '172.18.0.9', 'fc00:f853:ccd:e793::5', '172.18.0.6']); // session key order (asn first)
  const byAddr = (a: string) => routers(o).flatMap((r) => r.neighbors!).find((n) => n.address === a)!;
  assert.deepEqual(byAddr('172.18.0.5').toAdvertise, { allowed: { prefixes: ['192.168.10.3/32'] } });
  assert.deepEqual(byAddr('172.18.0.9').toAdvertise!.allowed!.prefixes, ['192.168.10.3/32', 'fc00:f853:ccd:e799::3/128']);
  assert.deepEqual(byAddr('fc00:f853:ccd:e793::5').toAdvertise!.allowed!.prefixes, ['fc00:f853:ccd:e799::3/128']);
  assert.deepEqual(byAddr('172.18.0.6').toAdvertise, {
    allowed: { prefixes: ['192.168.10.3/32'] },
    withLocalPref: [{ localPref: 50, prefixes: ['192.168.10.3/32'] }],
  });
  assert.equal(byAddr('172.18.0.7'), undefined, 'peer selecting another node');
  assert.deepEqual(routers(o)[0]!.prefixes, ['192.168.10.3/32', 'fc00:f853:ccd:e799::3/128']);
  assert.deepEqual(st.statuses, [{ node: 'node1', serviceNamespace: 'default', serviceName: 's1', peers: ['peer-a', 'peer-b', 'peer-dual', 'peer-v6', 'peer-vrf'] }]);
  assert.equal(sessionKey(config.peers.get('peer-vrf')!), '64501@172.18.0.8-64500@/red'.replace('64500', '64600'));
  const conf = convertsAndRenders(o);
  assert.match(conf, /router bgp 64600 vrf red/);
});

test('aggregation lengths, communities (aliases, large) and localPref; merged across services', () => {
  const { config, nodes } = cfg(
    node('node1'),
    pool('p1', { addresses: ['192.168.10.0/24', 'fc00:f853:ccd:e799::/120'] }),
    peer('peer1', peerSpec({ peerAddress: '172.18.0.5', dualStackAddressFamily: true })),
    community('c', [{ name: 'no-export', value: '65535:65281' }]),
    bgpAdv('agg', { aggregationLength: 24, aggregationLengthV6: 120, localPref: 100, communities: ['no-export', 'large:1:2:3', '1000:1'] }),
    bgpAdv('host', { communities: ['1000:1'] }),
  );
  const services = [svc('s1', ['192.168.10.3', 'fc00:f853:ccd:e799::3']), svc('s2', ['192.168.10.4'])];
  const o = buildFRRConfiguration('node1', config, services, [eps('s1', [{ node: 'x' }]), eps('s2', [{ node: 'x' }])], nodes, OPTS);
  assert.deepEqual(nb(o).toAdvertise, {
    allowed: { prefixes: ['192.168.10.0/24', '192.168.10.3/32', '192.168.10.4/32', 'fc00:f853:ccd:e799::/120', 'fc00:f853:ccd:e799::3/128'] },
    withLocalPref: [{ localPref: 100, prefixes: ['192.168.10.0/24', 'fc00:f853:ccd:e799::/120'] }],
    withCommunity: [
      { community: '1000:1', prefixes: ['192.168.10.0/24', '192.168.10.3/32', '192.168.10.4/32', 'fc00:f853:ccd:e799::/120', 'fc00:f853:ccd:e799::3/128'] },
      { community: '65535:65281', prefixes: ['192.168.10.0/24', 'fc00:f853:ccd:e799::/120'] },
      { community: 'large:1:2:3', prefixes: ['192.168.10.0/24', 'fc00:f853:ccd:e799::/120'] },
    ],
  });
  const conf = convertsAndRenders(o);
  assert.match(conf, /set local-preference 100/);
  assert.match(conf, /large-community/);
});

test('BFD profiles: sorted, echoMode/passiveMode always present; neighbor references the profile', () => {
  const { config, nodes } = cfg(
    node('node1'),
    pool('p1', { addresses: ['192.168.10.0/24'] }),
    bfd('zz', { receiveInterval: 100, echoMode: true }),
    bfd('aa'),
    peer('peer1', peerSpec({ peerAddress: '172.18.0.5', bfdProfile: 'zz', connectTime: '5s', ebgpMultiHop: true, peerPort: 1179 })),
    bgpAdv('adv'),
  );
  const o = buildFRRConfiguration('node1', config, [], [], nodes, OPTS);
  assert.deepEqual(o.spec!.bgp!.bfdProfiles, [
    { name: 'aa', echoMode: false, passiveMode: false },
    { name: 'zz', receiveInterval: 100, echoMode: true, passiveMode: false },
  ]);
  assert.deepEqual(nb(o), { asn: 64501, address: '172.18.0.5', port: 1179, connectTime: '5s', bfdProfile: 'zz', ebgpMultiHop: true, toAdvertise: { allowed: { prefixes: [] } } });
  const conf = convertsAndRenders(o);
  assert.match(conf, /bfd profile zz/);
});

test('passwords: secret resolved to plaintext unless passthrough / same namespace', () => {
  const objs = [
    node('node1'),
    pool('p1', { addresses: ['192.168.10.0/24'] }),
    secret('pw', 'kubernetes.io/basic-auth', { password: 's3cret' }),
    peer('peer1', peerSpec({ peerAddress: '172.18.0.5', passwordSecret: { name: 'pw', namespace: NS } })),
    peer('peer2', peerSpec({ peerAddress: '172.18.0.6', password: 'clear' })),
    bgpAdv('adv'),
  ];
  const { config, nodes } = cfg(...objs);
  const o = buildFRRConfiguration('node1', config, [], [], nodes, OPTS);
  assert.equal(nb(o, 0).password, 's3cret');
  assert.equal(nb(o, 0).passwordSecret, undefined);
  assert.equal(nb(o, 1).password, 'clear');
  convertsAndRenders(o);
  const res = resources(...objs);
  const pass = parseConfig(res, { backend: 'frr-k8s', namespace: NS, frrk8sSecretPassthrough: true }).config!;
  const o2 = buildFRRConfiguration('node1', pass, [], [], nodes, { ...OPTS, secretPassthrough: true });
  assert.equal(nb(o2, 0).password, undefined);
  assert.deepEqual(nb(o2, 0).passwordSecret, { name: 'pw', namespace: NS });
  const o3 = buildFRRConfiguration('node1', config, [], [], nodes, { ...OPTS, frrk8sInMetalLBNamespace: true });
  assert.deepEqual(nb(o3, 0).passwordSecret, { name: 'pw', namespace: NS });
  assert.equal(nb(o3, 1).password, 'clear');
});

test('zero sessions still give an object with an empty router list', () => {
  const { config, nodes } = cfg(node('node1'), pool('p1', { addresses: ['192.168.10.0/24'] }));
  const o = buildFRRConfiguration('node1', config, [svc('s1', ['192.168.10.1'])], [], nodes, OPTS);
  assert.deepEqual(o.spec!.bgp, { routers: [] });
  convertsAndRenders(o);
});

test('neighbors inside a router are ordered by upstream neighbor key <asn>@<host:port>@<vrf>', () => {
  const { config, nodes } = cfg(
    node('node1'),
    pool('p1', { addresses: ['192.168.10.0/24'] }),
    peer('p5', peerSpec({ peerAddress: '172.18.0.5' })),
    peer('p50', peerSpec({ peerAddress: '172.18.0.50' })),
    peer('dyn', peerSpec({ peerAddress: '172.18.0.1', peerASN: undefined, dynamicASN: 'external' })),
  );
  const o = buildFRRConfiguration('node1', config, [], [], nodes, OPTS);
  // "172.18.0.50:179" sorts before "172.18.0.5:179" (':' > '0'); numeric ASNs before "external"
  assert.deepEqual(
    nb(o, 0) && routers(o)[0]!.neighbors!.map((n) => n.address),
    ['172.18.0.50', '172.18.0.5', '172.18.0.1'],
  );
  assert.equal(nb(o, 2).dynamicASN, 'external');
  assert.equal(nb(o, 2).asn, undefined);
  convertsAndRenders(o);
});
