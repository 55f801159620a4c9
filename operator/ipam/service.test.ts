import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pool } from '../config/metallb/testutil.js';
import { Allocator } from './allocator.js';
import { config } from './testutil.js';
import { backendKey, convergeService, requestedIPs, startupOrder, type ServiceLike } from './service.js';

interface Opts {
  ns?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  clusterIPs?: string[];
  policy?: string;
  families?: string[];
  lbIP?: string;
  ingress?: string[];
  type?: string;
  ports?: { protocol?: string; port: number }[];
  etp?: string;
}
const svc = (name: string, o: Opts = {}): ServiceLike => ({
  metadata: { name, namespace: o.ns ?? 'default', annotations: o.annotations ?? {}, labels: o.labels ?? {} },
  spec: {
    type: o.type ?? 'LoadBalancer',
    clusterIPs: o.clusterIPs ?? ['10.96.0.10'],
    ...(o.policy ? { ipFamilyPolicy: o.policy } : {}),
    ...(o.families ? { ipFamilies: o.families } : {}),
    ...(o.lbIP ? { loadBalancerIP: o.lbIP } : {}),
    ...(o.etp ? { externalTrafficPolicy: o.etp, selector: { app: 'x', b: 'y' } } : {}),
    ports: o.ports ?? [{ protocol: 'TCP', port: 80 }],
  },
  status: { loadBalancer: { ingress: (o.ingress ?? []).map((ip) => ({ ip })) } },
});

const alloc = (...pools: Parameters<typeof pool>[]) => {
  const a = new Allocator();
  a.setConfig(config(...pools.map((p) => pool(...p))));
  return a;
};

test('allocates and reports IPAllocated; re-converge is idempotent', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/24'] }]);
  const r = convergeService(a, svc('s'));
  assert.deepEqual(r, { ingress: ['10.0.0.0'], pool: 'p', events: [{ type: 'Normal', reason: 'IPAllocated', message: 'Assigned IP ["10.0.0.0"]' }], deprecatedAnnotations: [] });
  const again = convergeService(a, svc('s', { ingress: ['10.0.0.0'] }));
  assert.deepEqual(again, { ingress: ['10.0.0.0'], pool: 'p', events: [], deprecatedAnnotations: [] });
});

test('non-LoadBalancer services are cleared', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/24'] }]);
  convergeService(a, svc('s'));
  const r = convergeService(a, svc('s', { type: 'ClusterIP', ingress: ['10.0.0.0'] }));
  assert.deepEqual([r.ingress, r.pool, r.events], [[], null, []]);
  assert.equal(a.poolOf('default/s'), '');
});

test('requested IPs: annotation, deprecated annotation, spec.loadBalancerIP and errors', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/24', 'fc00::/120'] }], ['q', { addresses: ['10.1.0.0/24'] }]);
  assert.deepEqual(convergeService(a, svc('a', { annotations: { 'metallb.io/loadBalancerIPs': ' 10.0.0.7 ' } })).ingress, ['10.0.0.7']);
  const dep = convergeService(a, svc('b', { annotations: { 'metallb.universe.tf/loadBalancerIPs': '10.0.0.8' } }));
  assert.deepEqual([dep.ingress, dep.deprecatedAnnotations], [['10.0.0.8'], ['metallb.universe.tf/loadBalancerIPs']]);
  assert.deepEqual(convergeService(a, svc('c', { lbIP: '10.1.0.9' })).ingress, ['10.1.0.9']);
  assert.throws(() => requestedIPs(svc('x', { lbIP: '10.1.0.9', annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.1' } })), {
    message: 'service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP',
  });
  const fail = (o: Opts) => convergeService(a, svc('x', o)).events[0]!.message;
  assert.equal(fail({ annotations: { 'metallb.io/loadBalancerIPs': 'nope' } }), 'Failed to allocate IP for "default/x": invalid metallb.io/loadBalancerIPs: "nope"');
  assert.equal(fail({ lbIP: 'nope' }), 'Failed to allocate IP for "default/x": invalid spec.loadBalancerIP "nope"');
  assert.equal(
    fail({ annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.1,10.0.0.2' } }),
    'Failed to allocate IP for "default/x": IPFamilyForAddresses: same address family ["10.0.0.1" "10.0.0.2"]',
  );
  assert.equal(fail({ lbIP: 'fc00::1' }), 'Failed to allocate IP for "default/x": requested loadBalancer IP(s) ["fc00::1"] does not match the ipFamily of the service');
  assert.equal(fail({ lbIP: '10.0.0.7' }), `Failed to allocate IP for "default/x": can't change sharing key for "default/x", address also in use by default/a`);
  assert.equal(fail({ lbIP: '10.9.0.1' }), 'Failed to allocate IP for "default/x": ["10.9.0.1"] is not allowed in config');
  assert.equal(
    fail({ lbIP: '10.0.0.50', annotations: { 'metallb.io/address-pool': 'q' } }),
    'Failed to allocate IP for "default/x": requested loadBalancer IP(s) ["10.0.0.50"] is not compatible with requested address pool q',
  );
  assert.equal(a.poolOf('default/x'), '');
  assert.equal(fail({ annotations: { 'metallb.io/address-pool': 'zz' } }), 'Failed to allocate IP for "default/x": unknown pool "zz"');
  // dual-stack request
  const d = convergeService(a, svc('d', { clusterIPs: ['10.96.0.1', 'fd00::1'], policy: 'RequireDualStack', annotations: { 'metallb.io/loadBalancerIPs': '10.0.0.20,fc00::20' } }));
  assert.deepEqual(d.ingress, ['10.0.0.20', 'fc00::20']);
});

test('changing the requested IP or pool moves the service; invalid request with IPs -> LoadBalancerFailed', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/24'] }], ['q', { addresses: ['10.1.0.0/24'] }]);
  assert.deepEqual(convergeService(a, svc('s')).ingress, ['10.0.0.0']);
  const moved = convergeService(a, svc('s', { ingress: ['10.0.0.0'], annotations: { 'metallb.io/address-pool': 'q' } }));
  assert.deepEqual([moved.ingress, moved.pool], [['10.1.0.0'], 'q']);
  const req = convergeService(a, svc('s', { ingress: ['10.1.0.0'], lbIP: '10.0.0.9' }));
  assert.deepEqual([req.ingress, req.pool], [['10.0.0.9'], 'p']);
  const bad = convergeService(a, svc('s', { ingress: ['10.0.0.9'], lbIP: 'bad' }));
  assert.deepEqual(bad.events, [{ type: 'Warning', reason: 'LoadBalancerFailed', message: 'invalid requested loadbalancer IPs: invalid spec.loadBalancerIP "bad"' }]);
  assert.deepEqual(bad.ingress, ['10.0.0.9']);
});

test('sharing via allow-shared-ip and backend key', () => {
  const a = alloc(['p', { addresses: ['10.0.0.1/32'] }]);
  const share = { 'metallb.io/allow-shared-ip': 'k' };
  assert.deepEqual(convergeService(a, svc('tcp', { annotations: share, ports: [{ protocol: 'TCP', port: 53 }] })).ingress, ['10.0.0.1']);
  assert.deepEqual(convergeService(a, svc('udp', { annotations: share, ports: [{ protocol: 'UDP', port: 53 }] })).ingress, ['10.0.0.1']);
  const local = convergeService(a, svc('local', { annotations: share, ports: [{ protocol: 'TCP', port: 1 }], etp: 'Local' }));
  assert.deepEqual(local.events, [{ type: 'Warning', reason: 'AllocationFailed', message: 'Failed to allocate IP for "default/local": no available IPs' }]);
  assert.equal(backendKey(svc('x', { etp: 'Local' })), 'app=x,b=y');
  const explicit = convergeService(a, svc('e', { annotations: { ...share, 'metallb.io/loadBalancerIPs': '10.0.0.1' }, etp: 'Local' }));
  assert.equal(explicit.events[0]!.message, `Failed to allocate IP for "default/e": can't change sharing key for "default/e", address also in use by default/tcp,default/udp`);
});

test('config change: current IP no longer allowed -> ClearAssignment and a new IP; zero pools -> cleared', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/24'] }], ['q', { addresses: ['10.1.0.0/24'] }]);
  assert.deepEqual(convergeService(a, svc('s')).ingress, ['10.0.0.0']);
  a.setConfig(config(pool('q', { addresses: ['10.1.0.0/24'] })));
  const r = convergeService(a, svc('s', { ingress: ['10.0.0.0'] }));
  assert.deepEqual(r.events, [
    { type: 'Normal', reason: 'ClearAssignment', message: 'current IP for "default/s" not allowed by config, will attempt for new IP assignment: ["10.0.0.0"] is not allowed in config' },
    { type: 'Normal', reason: 'IPAllocated', message: 'Assigned IP ["10.1.0.0"]' },
  ]);
  assert.deepEqual([r.ingress, r.pool], [['10.1.0.0'], 'q']);
  a.setConfig(config());
  const z = convergeService(a, svc('s', { ingress: ['10.1.0.0'] }));
  assert.deepEqual([z.ingress, z.pool, z.events.map((e) => e.reason)], [[], null, ['ClearAssignment', 'AllocationFailed']]);
});

test('families: RequireDualStack without two clusterIPs, wrong-family ingress dropped, PreferDualStack extra IP', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/24'] }]);
  const nd = convergeService(a, svc('r', { policy: 'RequireDualStack' }));
  assert.deepEqual(nd.events, [{ type: 'Warning', reason: 'not enough clusterips', message: 'Service requires dual stack but not enough clusterips [10.96.0.10]' }]);
  const dual = { clusterIPs: ['10.96.0.1', 'fd00::1'], policy: 'PreferDualStack' };
  const p = convergeService(a, svc('pd', dual));
  assert.deepEqual(p.ingress, ['10.0.0.0']);
  // no IPv6 in the pool: nothing happens on re-converge
  assert.deepEqual(convergeService(a, svc('pd', { ...dual, ingress: ['10.0.0.0'] })).events, []);
  // the pool gains IPv6 -> extra IP
  a.setConfig(config(pool('p', { addresses: ['10.0.0.0/24', 'fc00::/126'] })));
  const extra = convergeService(a, svc('pd', { ...dual, ingress: ['10.0.0.0'] }));
  assert.deepEqual(extra.events, [{ type: 'Normal', reason: 'IPAllocated', message: 'Assigned additional IP ["fc00::"]' }]);
  assert.deepEqual(extra.ingress, ['10.0.0.0', 'fc00::']);
  // an IPv6 ingress on an IPv4 single-stack service is dropped and re-allocated
  const wrong = convergeService(a, svc('w', { ingress: ['fc00::3'] }));
  assert.deepEqual(wrong.ingress, ['10.0.0.1']);
  // the pool loses IPv6: both IPs are cleared and re-allocated (IPv4 only, PreferDualStack)
  a.setConfig(config(pool('p', { addresses: ['10.0.0.0/24'] })));
  const lost = convergeService(a, svc('pd', { ...dual, ingress: ['10.0.0.0', 'fc00::'] }));
  assert.deepEqual(lost.events.map((e) => e.reason), ['ClearAssignment', 'IPAllocated']);
  assert.deepEqual(lost.ingress, ['10.0.0.0']);
  // missing clusterIPs
  const none = convergeService(a, svc('n', { clusterIPs: [] }));
  assert.deepEqual(none.events.map((e) => e.reason), ['noclusterIPsIPFamily']);
});

test('restart: rebuilding from statuses, most ingress first, changes no address', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/30', 'fc00::/126'] }]);
  const dualS = { clusterIPs: ['10.96.0.1', 'fd00::1'], policy: 'RequireDualStack' };
  const s1 = convergeService(a, svc('one'));
  const s2 = convergeService(a, svc('dual', dualS));
  const s3 = convergeService(a, svc('two'));
  const written = [svc('one', { ingress: s1.ingress }), svc('two', { ingress: s3.ingress }), svc('dual', { ...dualS, ingress: s2.ingress }), svc('new')];
  const b = alloc(['p', { addresses: ['10.0.0.0/30', 'fc00::/126'] }]);
  const order = startupOrder(written);
  assert.deepEqual(order.map((s) => s.metadata.name), ['dual', 'one', 'two', 'new']);
  const out = new Map(order.map((s) => [s.metadata.name, convergeService(b, s)]));
  assert.deepEqual(out.get('one')!.ingress, s1.ingress);
  assert.deepEqual(out.get('two')!.ingress, s3.ingress);
  assert.deepEqual(out.get('dual')!.ingress, s2.ingress);
  assert.deepEqual(out.get('new')!.ingress, ['10.0.0.3']);
  for (const n of ['one', 'two', 'dual']) assert.deepEqual(out.get(n)!.events, []);
});

test('PreferDualStack: additional IP failure is reported, the single IP kept', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/30', 'fc00::/128'] }]);
  assert.deepEqual(convergeService(a, svc('six', { clusterIPs: ['fd00::9'] })).ingress, ['fc00::']);
  const dual = { clusterIPs: ['10.96.0.1', 'fd00::1'], policy: 'PreferDualStack' };
  const r = convergeService(a, svc('pd', { ...dual, ingress: ['10.0.0.1'] }));
  assert.deepEqual(r.events, [{ type: 'Normal', reason: 'AdditionalAssignFailed', message: 'cannot assign additional IP in PreferDualStack: no available IPs in pool "p" for ipv6 IPFamily' }]);
  assert.deepEqual([r.ingress, r.pool], [['10.0.0.1'], 'p']);
});

test('stable annotations win over deprecated ones; huge IPv6 pools allocate from the start', () => {
  const a = alloc(['p', { addresses: ['10.0.0.0/24'] }], ['q', { addresses: ['10.1.0.0/24'] }], ['big', { addresses: ['fc00::/48'] }]);
  const r = convergeService(a, svc('s', { annotations: { 'metallb.io/address-pool': 'q', 'metallb.universe.tf/address-pool': 'p' } }));
  assert.deepEqual([r.ingress, r.pool, r.deprecatedAnnotations], [['10.1.0.0'], 'q', ['metallb.universe.tf/address-pool']]);
  assert.deepEqual(convergeService(a, svc('v6', { clusterIPs: ['fd00::1'] })).ingress, ['fc00::']);
  assert.deepEqual(convergeService(a, svc('v6b', { clusterIPs: ['fd00::2'] })).ingress, ['fc00::1']);
  const c = a.counters().get('big')!;
  assert.deepEqual([c.total, c.ipv6InUse], [(1n << 63n) - 1n, 2]);
});
