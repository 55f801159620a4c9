import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainService, type ExplainInput, type ExplainService } from './explain.js';
import type { Node } from '../api/meta.js';
import type { BGPSessionState } from '../api/frrk8s.js';
import type { EndpointSliceObject } from '../speaker/types.js';

const NS = 'metallb-system';
const OPTS = { namespace: NS };

function svc(name: string, o: { ip?: string; annotations?: Record<string, string>; labels?: Record<string, string>; ns?: string; local?: boolean; cls?: string; v6?: boolean; type?: string } = {}): ExplainService {
  const cip = o.v6 ? 'fd00::10' : '10.96.0.10';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.ns ?? 'default', annotations: o.annotations ?? {}, labels: o.labels ?? {} },
    spec: {
      type: o.type ?? 'LoadBalancer',
      clusterIP: cip,
      clusterIPs: [cip],
      ipFamilies: [o.v6 ? 'IPv6' : 'IPv4'],
      ports: [{ port: 80, protocol: 'TCP' }],
      selector: { app: name },
      ...(o.local ? { externalTrafficPolicy: 'Local' } : {}),
      ...(o.cls ? { loadBalancerClass: o.cls } : {}),
    },
    ...(o.ip ? { status: { loadBalancer: { ingress: [{ ip: o.ip }] } } } : {}),
  };
}
const pool = (name: string, addresses: string[], spec: Record<string, unknown> = {}) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec: { addresses, ...spec } });
const bgpAd = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name, namespace: NS }, spec });
const l2Ad = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name, namespace: NS }, spec });
const peer = (name: string, addr: string) => ({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name, namespace: NS }, spec: { myASN: 64512, peerASN: 64513, peerAddress: addr } });
const node = (name: string, labels: Record<string, string> = {}): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } });
const slice = (svcName: string, eps: { node: string; ready: boolean }[]): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svcName}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints: eps.map((e, i) => ({ addresses: [`10.244.0.${i + 1}`], nodeName: e.node, conditions: { ready: e.ready } })),
});
const session = (nodeName: string, peerAddr: string, bgpStatus: string): BGPSessionState => ({
  apiVersion: 'frrk8s.metallb.io/v1beta1',
  kind: 'BGPSessionState',
  metadata: { name: `${nodeName}-x`, namespace: 'frr-k8s-system' },
  status: { node: nodeName, peer: peerAddr, vrf: '', bgpStatus },
});

/** A working BGP setup around `web` at 192.168.10.0 (pool main, ad all, peer router, nodes n1/n2 with endpoints). */
function base(over: Partial<ExplainInput> & { pools?: object[]; ads?: object[]; peers?: object[]; l2?: object[] } = {}): ExplainInput {
  return {
    services: over.services ?? [svc('web', { ip: '192.168.10.0' })],
    endpointSlices: over.endpointSlices ?? [slice('web', [{ node: 'n1', ready: true }])],
    nodes: over.nodes ?? [node('n1'), node('n2')],
    resources: {
      pools: (over.pools ?? [pool('main', ['192.168.10.0/30'])]) as never,
      bgpAdvertisements: (over.ads ?? [bgpAd('all')]) as never,
      l2Advertisements: (over.l2 ?? []) as never,
      peers: (over.peers ?? [peer('router', '172.18.0.1')]) as never,
    },
    ...(over.sessions ? { sessions: over.sessions } : {}),
  };
}

test('all good: address, BGP announcement by the nodes, sessions Established', () => {
  const r = explainService('default/web', base({ sessions: [session('n1', '172.18.0.1', 'Established'), session('n2', '172.18.0.1', 'Established')] }), OPTS);
  assert.equal(r.verdict, 'ok', r.sentence);
  assert.match(r.sentence, /192\.168\.10\.0 from pool main and is announced over BGP by n1 and n2 to router/);
});

test('not found / not a LoadBalancer', () => {
  assert.equal(explainService('default/nope', base(), OPTS).verdict, 'not-found');
  const r = explainService('default/web', base({ services: [svc('web', { type: 'ClusterIP' })] }), OPTS);
  assert.equal(r.verdict, 'not-loadbalancer');
  assert.match(r.sentence, /ClusterIP/);
});

test('no pool', () => {
  const r = explainService('default/web', base({ services: [svc('web')], pools: [] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /no IPAddressPool/);
});

test('pool exhausted: the other services hold every address', () => {
  const services = [svc('a', { ip: '192.168.10.0' }), svc('b', { ip: '192.168.10.1' }), svc('web')];
  const r = explainService('default/web', base({ services, pools: [pool('main', ['192.168.10.0/31'])] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /pool main is exhausted/);
  const r2 = explainService('default/web', base({ services: [...services.slice(0, 2), svc('web', { annotations: { 'metallb.io/address-pool': 'main' } })], pools: [pool('main', ['192.168.10.0/31'])] }), OPTS);
  assert.match(r2.sentence, /asks for pool main, which is exhausted/);
  const unknown = explainService('default/web', base({ services: [svc('web', { annotations: { 'metallb.io/address-pool': 'gold' } })] }), OPTS);
  assert.match(unknown.sentence, /asks for pool gold, which does not exist \(pools: main\)/);
});

test('autoAssign off', () => {
  const r = explainService('default/web', base({ services: [svc('web')], pools: [pool('manual', ['192.168.20.0/30'], { autoAssign: false })] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /\(manual\) has autoAssign: false/);
  assert.match(r.todo, /metallb\.io\/address-pool/);
});

test('pool serviceAllocation selectors do not match', () => {
  const pools = [pool('team-a', ['192.168.30.0/30'], { serviceAllocation: { namespaces: ['team-a'] } })];
  const r = explainService('default/web', base({ services: [svc('web')], pools }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /serviceAllocation of team-a .* does not select it/);
  const asked = explainService('default/web', base({ services: [svc('web', { annotations: { 'metallb.io/address-pool': 'team-a' } })], pools }), OPTS);
  assert.match(asked.sentence, /asks for pool team-a, but the pool's serviceAllocation .* does not select this service/);
  const req = explainService('default/web', base({ services: [svc('web', { annotations: { 'metallb.io/loadBalancerIPs': '192.168.30.1' } })], pools }), OPTS);
  assert.match(req.sentence, /requests 192\.168\.30\.1 from pool team-a, but/);
});

test('requested IP outside every pool', () => {
  const r = explainService('default/web', base({ services: [svc('web', { annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.5' } })] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /requests 10\.0\.0\.5, which is outside every IPAddressPool \(main: 192\.168\.10\.0\/30\)/);
});

test('requested IP taken by another service', () => {
  const services = [svc('other', { ip: '192.168.10.2' }), svc('web', { annotations: { 'metallb.io/loadBalancerIPs': '192.168.10.2' } })];
  const r = explainService('default/web', base({ services }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /requests 192\.168\.10\.2, which is already taken by default\/other/);
});

test('family mismatch: IPv6 service, IPv4-only pools; requested IPv4 on an IPv6 service', () => {
  const r = explainService('default/web', base({ services: [svc('web', { v6: true })] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /is IPv6 but no pool it may use \(main\) has IPv6 addresses/);
  const r2 = explainService('default/web', base({ services: [svc('web', { v6: true, annotations: { 'metallb.io/loadBalancerIPs': '192.168.10.1' } })] }), OPTS);
  assert.match(r2.sentence, /requests 192\.168\.10\.1, which does not match its IP family \(IPv6\)/);
});

test('another loadBalancerClass', () => {
  const r = explainService('default/web', base({ services: [svc('web', { cls: 'example.com/other' })] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /loadBalancerClass "example\.com\/other"/);
  assert.equal(explainService('default/web', base({ services: [svc('web', { cls: 'example.com/other', ip: '192.168.10.0' })] }), { namespace: NS, lbClass: 'example.com/other' }).verdict, 'ok');
});

test('address free but not assigned yet: controller not running', () => {
  const r = explainService('default/web', base({ services: [svc('web')] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /pool main has 192\.168\.10\.0 free/);
});

test('no BGPAdvertisement / L2Advertisement for the pool; L2 only', () => {
  const r = explainService('default/web', base({ ads: [] }), OPTS);
  assert.equal(r.verdict, 'not-announced');
  assert.match(r.sentence, /no BGPAdvertisement or L2Advertisement covers pool main/);
  const other = explainService('default/web', base({ pools: [pool('main', ['192.168.10.0/30']), pool('other', ['10.1.0.0/30'])], ads: [bgpAd('o', { ipAddressPools: ['other'] })] }), OPTS);
  assert.equal(other.verdict, 'not-announced');
  const l2 = explainService('default/web', base({ ads: [], l2: [l2Ad('l2')] }), OPTS);
  assert.equal(l2.verdict, 'ok');
  assert.match(l2.sentence, /L2 mode \(L2Advertisement l2\)/);
});

test('no eligible node: nodeSelectors select none, node excluded', () => {
  const r = explainService('default/web', base({ ads: [bgpAd('edge', { nodeSelectors: [{ matchLabels: { role: 'edge' } }] })] }), OPTS);
  assert.equal(r.verdict, 'not-announced');
  assert.match(r.sentence, /no BGPAdvertisement of pool main \(edge\) selects any node/);
  const ex = { 'node.kubernetes.io/exclude-from-external-load-balancers': '' };
  const r2 = explainService('default/web', base({ nodes: [node('n1', ex), node('n2', ex)] }), OPTS);
  assert.equal(r2.verdict, 'not-announced');
  assert.match(r2.sentence, /n1 and n2: the node is labeled node\.kubernetes\.io\/exclude-from-external-load-balancers/);
});

test('Local policy without a ready local endpoint; no endpoints at all', () => {
  const r = explainService('default/web', base({ services: [svc('web', { ip: '192.168.10.0', local: true })], endpointSlices: [slice('web', [{ node: 'n1', ready: false }])] }), OPTS);
  assert.equal(r.verdict, 'not-announced');
  assert.match(r.sentence, /externalTrafficPolicy: Local, but no eligible node \(n1 and n2\) runs a ready endpoint/);
  const local = explainService('default/web', base({ services: [svc('web', { ip: '192.168.10.0', local: true })] }), OPTS);
  assert.match(local.sentence, /announced over BGP by n1 to router/);
  const none = explainService('default/web', base({ endpointSlices: [] }), OPTS);
  assert.match(none.sentence, /no ready endpoint/);
});

test('no BGPPeer for the nodes', () => {
  const r = explainService('default/web', base({ peers: [] }), OPTS);
  assert.equal(r.verdict, 'not-announced');
  assert.match(r.sentence, /no BGPPeer selects these nodes/);
});

test('session down', () => {
  const r = explainService('default/web', base({ sessions: [session('n1', '172.18.0.1', 'Active'), session('n2', '172.18.0.1', 'Connect')] }), OPTS);
  assert.equal(r.verdict, 'not-announced');
  assert.match(r.sentence, /no BGP session to its peers is Established \(n1 -> router 172\.18\.0\.1: Active; n2 -> router 172\.18\.0\.1: Connect\)/);
  const unknown = explainService('default/web', base({ sessions: [session('n1', '10.9.9.9', 'Established')] }), OPTS);
  assert.match(unknown.sentence, /n1 -> router 172\.18\.0\.1: unknown; n2 -> router 172\.18\.0\.1: unknown/);
  const none = explainService('default/web', base({ sessions: [] }), OPTS);
  assert.equal(none.verdict, 'ok');
  assert.ok(none.details.includes('no BGPSessionState objects: session state not checked'));
  const one = explainService('default/web', base({ sessions: [session('n1', '172.18.0.1', 'Established')] }), OPTS);
  assert.equal(one.verdict, 'ok');
});

test('invalid configuration', () => {
  const r = explainService('default/web', base({ pools: [pool('main', ['not-a-cidr'])] }), OPTS);
  assert.equal(r.verdict, 'no-address');
  assert.match(r.sentence, /configuration is rejected by the controller \(IPAddressPool main/);
  // a broken peer stops the speakers only
  const bad = { ...peer('router', '172.18.0.1'), spec: { myASN: 64512, peerASN: 64513, peerAddress: '172.18.0.1', bfdProfile: 'missing' } };
  const r2 = explainService('default/web', base({ peers: [bad] }), OPTS);
  assert.equal(r2.verdict, 'not-announced');
  assert.match(r2.sentence, /rejected by the speakers \(BGPPeer router/);
});

test('L2 mode: the election winner, the live speakers, Local policy and shared-IP conflicts', () => {
  // nodes n1/n2, endpoint on n1: the winner is the first of the SHA-256 order of <node>#192.168.10.0
  const l2 = explainService('default/web', base({ ads: [], l2: [l2Ad('l2')] }), OPTS);
  assert.equal(l2.verdict, 'ok');
  const order = l2.details.find((d) => d.startsWith('layer2 election order'))!;
  const first = /: (n\d), (n\d)/.exec(order)!;
  assert.match(l2.sentence, new RegExp(`by node ${first[1]}, which answers ARP/NDP`));
  // only the other node has a live speaker: it wins
  const other = first[1] === 'n1' ? 'n2' : 'n1';
  const live = explainService('default/web', { ...base({ ads: [], l2: [l2Ad('l2')] }), liveSpeakers: [other] }, OPTS);
  assert.match(live.sentence, new RegExp(`by node ${other},`));
  // no live speaker at all
  const none = explainService('default/web', { ...base({ ads: [], l2: [l2Ad('l2')] }), liveSpeakers: [] }, OPTS);
  assert.equal(none.verdict, 'not-announced');
  assert.ok(none.details.includes('node n1: no live speaker'));
  // Local policy with the endpoint on a node no L2Advertisement selects
  const local = explainService(
    'default/web',
    base({ services: [svc('web', { ip: '192.168.10.0', local: true })], ads: [], l2: [l2Ad('l2', { nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': 'n2' } }] })] }),
    OPTS,
  );
  assert.equal(local.verdict, 'not-announced');
  assert.match(local.sentence, /externalTrafficPolicy: Local/);
  // allow-shared-ip with an L2Advertisement that has serviceSelectors
  const shared = explainService(
    'default/web',
    base({ services: [svc('web', { ip: '192.168.10.0', labels: { app: 'web' }, annotations: { 'metallb.io/allow-shared-ip': 'k' } })], ads: [], l2: [l2Ad('l2', { serviceSelectors: [{ matchLabels: { app: 'web' } }] })] }),
    OPTS,
  );
  assert.equal(shared.verdict, 'not-announced');
  assert.match(shared.sentence, /allow-shared-ip/);
  // no ready endpoint
  const noEp = explainService('default/web', base({ ads: [], l2: [l2Ad('l2')], endpointSlices: [slice('web', [{ node: 'n1', ready: false }])] }), OPTS);
  assert.match(noEp.sentence, /no ready endpoint, so no node answers ARP\/NDP/);
  // a pool with both BGP and L2 advertisements: the L2 winner is a detail of the BGP explanation
  const both = explainService('default/web', base({ l2: [l2Ad('l2')] }), OPTS);
  assert.ok(both.details.some((d) => d.startsWith('layer2: ')), both.details.join('\n'));
});
