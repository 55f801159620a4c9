import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespace, pool } from '../config/metallb/testutil.js';
import type { KubeObject } from '../api/meta.js';
import { config } from './testutil.js';
import { Allocator, MAX_INT64, poolCapacity, type ServiceInfo } from './allocator.js';


const svc = (o: Partial<ServiceInfo> = {}): ServiceInfo => ({
  namespace: 'default',
  labels: {},
  ports: [{ protocol: 'TCP', port: 80 }],
  sharingKey: '',
  backendKey: '',
  ...o,
});

const withCfg = (...objs: KubeObject[]) => {
  const a = new Allocator();
  a.setConfig(config(...objs));
  return a;
};

test('first-free walk includes network address; avoidBuggyIPs skips .0/.255', () => {
  const a = withCfg(pool('p', { addresses: ['10.0.0.0/24'] }), pool('q', { addresses: ['10.1.0.254-10.1.1.1'], avoidBuggyIPs: true }));
  assert.deepEqual(a.allocateFromPool('d/a', svc(), 'ipv4', 'p'), ['10.0.0.0']);
  assert.deepEqual(a.allocateFromPool('d/b', svc(), 'ipv4', 'p'), ['10.0.0.1']);
  assert.deepEqual(a.allocateFromPool('d/c', svc(), 'ipv4', 'q'), ['10.1.0.254']);
  assert.deepEqual(a.allocateFromPool('d/d', svc(), 'ipv4', 'q'), ['10.1.1.1']);
  assert.throws(() => a.allocateFromPool('d/e', svc(), 'ipv4', 'q'), { message: 'no available IPs in pool "q" for ipv4 IPFamily' });
  assert.throws(() => a.allocateFromPool('d/e', svc(), 'ipv4', 'zz'), { message: 'unknown pool "zz"' });
  // idempotent: a service already holding IPs gets them again
  assert.deepEqual(a.allocateFromPool('d/a', svc(), 'ipv4', 'q'), ['10.0.0.0']);
  assert.throws(() => a.assign('d/x', svc(), ['10.1.1.0']), { message: '["10.1.1.0"] is not allowed in config' });
});

test('assign validation texts', () => {
  const a = withCfg(pool('p', { addresses: ['10.0.0.0/24', 'fc00::/120'] }), pool('r', { addresses: ['10.2.0.0/24'] }));
  assert.throws(() => a.assign('d/a', svc(), ['10.0.0.5', '10.2.0.1']), { message: '["10.0.0.5" "10.2.0.1"] is not allowed in config' });
  assert.throws(() => a.assign('d/a', svc(), ['10.0.0.5', '10.0.0.6']), { message: '"10.0.0.5" "10.0.0.6" has the same family' });
  assert.throws(() => a.assign('d/a', svc(), ['10.0.0.5', 'fc00::1', '10.0.0.6']), { message: 'more than two addresses ["10.0.0.5" "fc00::1" "10.0.0.6"]' });
  a.assign('d/a', svc(), ['10.0.0.5', 'fc00::1']);
  assert.equal(a.poolOf('d/a'), 'p');
});

test('sharing: same key, same backend, no port overlap', () => {
  const a = withCfg(pool('p', { addresses: ['10.0.0.1/32'] }));
  a.assign('d/a', svc({ sharingKey: 'k', ports: [{ protocol: 'TCP', port: 53 }] }), ['10.0.0.1']);
  // TCP/53 and UDP/53 share
  a.assign('d/b', svc({ sharingKey: 'k', ports: [{ protocol: 'UDP', port: 53 }] }), ['10.0.0.1']);
  assert.throws(() => a.assign('d/c', svc({ sharingKey: 'k', ports: [{ protocol: 'TCP', port: 53 }] }), ['10.0.0.1']), {
    message: 'port TCP/53 is already in use on "10.0.0.1"',
  });
  assert.throws(() => a.assign('d/c', svc({ sharingKey: 'other', ports: [{ protocol: 'TCP', port: 1 }] }), ['10.0.0.1']), {
    message: `can't change sharing key for "d/c", address also in use by d/a,d/b`,
  });
  assert.throws(() => a.assign('d/c', svc({ sharingKey: 'k', backendKey: 'app=x', ports: [] }), ['10.0.0.1']), {
    message: `can't change sharing key for "d/c", address also in use by d/a,d/b`,
  });
  assert.throws(() => a.assign('d/c', svc({ ports: [] }), ['10.0.0.1']), { message: /can't change sharing key/ });
  // automatic allocation co-locates a compatible service on the used IP
  assert.deepEqual(a.allocate('d/c', svc({ sharingKey: 'k', ports: [{ protocol: 'TCP', port: 80 }] }), 'ipv4'), ['10.0.0.1']);
  assert.equal(a.counters().get('p')!.inUse, 1);
  assert.equal(a.counters().get('p')!.services, 3);
  // a sole user may change its own sharing key
  a.unassign('d/b');
  a.unassign('d/c');
  a.assign('d/a', svc({ sharingKey: 'new', ports: [] }), ['10.0.0.1']);
  assert.throws(() => a.allocate('d/z', svc(), 'ipv4'), { message: 'no available IPs' });
  // unassign frees the IP
  a.unassign('d/a');
  assert.deepEqual(a.allocate('d/z', svc(), 'ipv4'), ['10.0.0.1']);
});

test('families: single, dual, PreferDualStack fallback', () => {
  const a = withCfg(
    pool('a-v4', { addresses: ['10.0.0.0/31'] }),
    pool('b-v6', { addresses: ['fc00::/127'] }),
    pool('c-dual', { addresses: ['fc01::/127', '10.1.0.0/31'] }),
  );
  assert.deepEqual(a.allocate('d/six', svc(), 'ipv6'), ['fc00::']);
  // dual: the only pool with both; IPv4 first
  assert.deepEqual(a.allocate('d/dual', svc(), 'dual'), ['10.1.0.0', 'fc01::']);
  assert.deepEqual(a.allocate('d/dual2', svc(), 'dual'), ['10.1.0.1', 'fc01::1']);
  assert.throws(() => a.allocate('d/dual3', svc(), 'dual'), { message: 'no available IPs' });
  // PreferDualStack: no pool with both left -> primary family (ipv4 from a-v4), ipv6 primary -> b-v6
  assert.deepEqual(a.allocate('d/p4', svc({ preferDualStack: true }), 'dual'), ['10.0.0.0']);
  assert.deepEqual(a.allocate('d/p6', svc({ preferDualStack: true, primaryFamily: 'ipv6' }), 'dual'), ['fc00::1']);
  assert.throws(() => a.allocateFromPool('d/x', svc(), 'dual', 'a-v4'), { message: 'no available IPs in pool "a-v4" for ipv6 IPFamily' });
  assert.throws(() => a.allocate('d/six', svc(), 'ipv4'), { message: 'IP for wrong family assigned ["fc00::"]' });
});

test('autoAssign false pools only by explicit request; general pools sorted by name', () => {
  const a = withCfg(pool('z', { addresses: ['10.9.0.0/24'] }), pool('m', { addresses: ['10.5.0.0/24'], autoAssign: false }), pool('b', { addresses: ['10.2.0.0/32'] }));
  assert.deepEqual(a.allocate('d/1', svc(), 'ipv4'), ['10.2.0.0']);
  assert.deepEqual(a.allocate('d/2', svc(), 'ipv4'), ['10.9.0.0']);
  assert.deepEqual(a.allocateFromPool('d/3', svc(), 'ipv4', 'm'), ['10.5.0.0']);
  a.assign('d/4', svc(), ['10.5.0.7']);
});

test('pinned pools: namespaces, namespaceSelectors, serviceSelectors, priority', () => {
  const a = withCfg(
    namespace('team-a', { team: 'a' }),
    namespace('team-b'),
    pool('general', { addresses: ['10.0.0.0/24'] }),
    pool('ns-a', { addresses: ['10.1.0.0/24'], serviceAllocation: { namespaces: ['team-a'], priority: 20 } }),
    pool('sel-a', { addresses: ['10.2.0.0/24'], serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: 'a' } }], priority: 10 } }),
    pool('prio0', { addresses: ['10.3.0.0/32'], serviceAllocation: { namespaces: ['team-b'] } }),
    pool('prio5', { addresses: ['10.4.0.0/32'], serviceAllocation: { namespaces: ['team-b'], priority: 5 } }),
    pool('web', { addresses: ['10.5.0.0/24'], serviceSelectors: undefined, serviceAllocation: { serviceSelectors: [{ matchLabels: { app: 'web' } }] } }),
    pool('nomatch', { addresses: ['10.6.0.0/24'], serviceAllocation: { namespaceSelectors: [{ matchLabels: { none: 'x' } }] } }),
  );
  assert.deepEqual(a.allocate('team-a/s', svc({ namespace: 'team-a' }), 'ipv4'), ['10.2.0.0']);
  // positive priorities first, 0 last
  assert.deepEqual(a.allocate('team-b/1', svc({ namespace: 'team-b' }), 'ipv4'), ['10.4.0.0']);
  assert.deepEqual(a.allocate('team-b/2', svc({ namespace: 'team-b' }), 'ipv4'), ['10.3.0.0']);
  // pinned pools exhausted -> general pools
  assert.deepEqual(a.allocate('team-b/3', svc({ namespace: 'team-b' }), 'ipv4'), ['10.0.0.0']);
  assert.deepEqual(a.allocate('other/web', svc({ namespace: 'other', labels: { app: 'web' } }), 'ipv4'), ['10.5.0.0']);
  assert.deepEqual(a.allocate('other/x', svc({ namespace: 'other' }), 'ipv4'), ['10.0.0.1']);
  // explicit request into a restricted pool from the wrong namespace
  assert.throws(() => a.assign('other/y', svc({ namespace: 'other' }), ['10.1.0.9']), { message: 'pool ns-a not compatible for ip assignment' });
  // Appendix A 10: a namespaceSelector matching nothing: not auto-assigned, explicit request allowed anywhere
  assert.equal(a.pinnedPools(svc({ namespace: 'other' })).some((p) => p.name === 'nomatch'), false);
  a.assign('other/y', svc({ namespace: 'other' }), ['10.6.0.9']);
});

test('config reload releases IPs in no pool and re-attributes moved IPs', () => {
  const a = withCfg(pool('p', { addresses: ['10.0.0.0/24'] }), pool('q', { addresses: ['10.1.0.0/24'] }));
  a.assign('d/a', svc(), ['10.0.0.5']);
  a.assign('d/b', svc(), ['10.1.0.5']);
  const released = a.setConfig(config(pool('p2', { addresses: ['10.0.0.0/16'] })));
  assert.deepEqual(released, ['d/b']);
  assert.equal(a.poolOf('d/a'), 'p2');
  assert.equal(a.poolOf('d/b'), '');
  assert.equal(a.counters().get('p2')!.inUse, 1);
  // a pool turning on avoidBuggyIPs releases its .0 address
  a.assign('d/c', svc(), ['10.0.1.0']);
  assert.deepEqual(a.setConfig(config(pool('p2', { addresses: ['10.0.0.0/16'], avoidBuggyIPs: true }))), ['d/c']);
});

test('capacity counters (§3.10)', () => {
  const cap = (spec: Record<string, unknown>) => poolCapacity(config(pool('p', spec)).pools.get('p')!);
  assert.deepEqual(cap({ addresses: ['10.0.0.0/24'] }), [256n, 256n, 0n]);
  assert.deepEqual(cap({ addresses: ['10.0.0.0/23'], avoidBuggyIPs: true }), [508n, 508n, 0n]);
  assert.deepEqual(cap({ addresses: ['10.0.0.0/25'], avoidBuggyIPs: true }), [127n, 127n, 0n]);
  assert.deepEqual(cap({ addresses: ['10.0.0.128/25'], avoidBuggyIPs: true }), [127n, 127n, 0n]);
  assert.deepEqual(cap({ addresses: ['10.0.0.4/30'], avoidBuggyIPs: true }), [4n, 4n, 0n]);
  assert.deepEqual(cap({ addresses: ['10.0.0.0/30', 'fc00::/120'] }), [260n, 4n, 256n]);
  assert.deepEqual(cap({ addresses: ['10.0.0.0/30', 'fc00::/64'] }), [MAX_INT64, 4n, MAX_INT64]);
  const a = withCfg(pool('p', { addresses: ['10.0.0.0/30', 'fc00::/120'] }));
  a.assign('d/a', svc(), ['10.0.0.1', 'fc00::1']);
  const c = a.counters().get('p')!;
  assert.deepEqual([c.inUse, c.ipv4InUse, c.ipv6InUse, c.services], [2, 1, 1, 1]);
});
