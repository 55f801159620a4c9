import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta.js';
import { emptyResources } from './types.js';
import { admitMetalLB, DISABLE_MP_WARNING, stripTransientFields } from './webhook.js';
import { bfd, bgpAdv, community, l2Adv, node, NS, peer, peerSpec, pool, resources } from './testutil.js';

const o = { namespace: NS, backend: 'frr-k8s' as const };
const inOtherNs = (x: KubeObject): KubeObject => ({ ...x, metadata: { ...x.metadata, namespace: 'elsewhere' } });

test('B1: CREATE must be in the MetalLB namespace, for all six kinds; UPDATE skips the check (B4)', () => {
  const objs = [pool('p', { addresses: ['10.0.0.0/24'] }), l2Adv('l'), bgpAdv('b'), community('c', []), bfd('f'), peer('x', peerSpec())];
  for (const obj of objs) {
    const d = admitMetalLB({ operation: 'CREATE', object: inOtherNs(obj) }, emptyResources(), o);
    assert.deepEqual(d, { allowed: false, message: 'resource must be created in metallb-system namespace' }, obj.kind);
    assert.equal(admitMetalLB({ operation: 'CREATE', object: obj }, emptyResources(), o).allowed, true, obj.kind);
    assert.equal(admitMetalLB({ operation: 'UPDATE', object: inOtherNs(obj) }, emptyResources(), o).allowed, true, obj.kind);
  }
});

test('B3: BGPPeer CREATE with disableMP returns early with a warning', () => {
  const bad = inOtherNs(peer('x', { myASN: 0, disableMP: true }));
  assert.deepEqual(admitMetalLB({ operation: 'CREATE', object: bad }, emptyResources(), o), { allowed: true, warnings: [DISABLE_MP_WARNING] });
  // on UPDATE the parser runs
  assert.deepEqual(admitMetalLB({ operation: 'UPDATE', object: bad }, emptyResources(), o), { allowed: false, message: 'parsing peer x missing local ASN' });
});

test('B2: BFDProfile delete is denied while referenced; other deletes are not intercepted', () => {
  const existing = resources(bfd('f'), peer('uses-f', peerSpec({ bfdProfile: 'f' })));
  assert.deepEqual(admitMetalLB({ operation: 'DELETE', oldObject: bfd('f') }, existing, o), {
    allowed: false,
    message: 'failed to delete BFDProfile f, used by BGPPeer uses-f',
  });
  assert.equal(admitMetalLB({ operation: 'DELETE', oldObject: bfd('g') }, existing, o).allowed, true);
  // peers of other namespaces are not listed by the webhook
  assert.equal(admitMetalLB({ operation: 'DELETE', oldObject: bfd('f') }, resources(inOtherNs(peer('uses-f', peerSpec({ bfdProfile: 'f' })))), o).allowed, true);
  assert.equal(admitMetalLB({ operation: 'DELETE', oldObject: peer('uses-f', peerSpec()) }, existing, o).allowed, true);
  assert.equal(admitMetalLB({ operation: 'DELETE', oldObject: pool('p', {}) }, existing, o).allowed, true);
  // BFDProfile create only checks the namespace, updates are allowed
  assert.equal(admitMetalLB({ operation: 'CREATE', object: bfd('z', { detectMultiplier: 1 }) }, existing, o).allowed, true);
  assert.equal(admitMetalLB({ operation: 'UPDATE', object: bfd('z', { detectMultiplier: 1 }) }, existing, o).allowed, true);
});

test('transient fields are stripped before parsing', () => {
  // a peer referencing a missing BFD profile or secret is accepted
  const p = peer('p', peerSpec({ bfdProfile: 'later', passwordSecret: { name: 'later', namespace: NS } }));
  assert.equal(admitMetalLB({ operation: 'CREATE', object: p }, emptyResources(), o).allowed, true);
  // an advertisement naming a not-yet-existing alias is accepted, a bad literal is not
  assert.equal(admitMetalLB({ operation: 'CREATE', object: bgpAdv('a', { communities: ['later'] }) }, emptyResources(), o).allowed, true);
  assert.deepEqual(admitMetalLB({ operation: 'CREATE', object: bgpAdv('a', { communities: ['1:99999'] }) }, emptyResources(), o), {
    allowed: false,
    message:
      'invalid community value: invalid section "99999" of community "1:99999", err: "strconv.ParseUint: parsing \\"99999\\": value out of range"\ninvalid community "1:99999" in BGP advertisement',
  });
  const s = stripTransientFields(resources(p, bgpAdv('a', { communities: ['x', '1:1'] })));
  assert.deepEqual((s.peers[0] as unknown as { spec: object }).spec, peerSpec());
  assert.deepEqual((s.bgpAdvertisements[0] as unknown as { spec: object }).spec, { communities: ['1:1'] });
  // the input is not modified
  assert.equal((p.spec as { bfdProfile: string }).bfdProfile, 'later');
});

test('the incoming object replaces the existing one with the same name', () => {
  const existing = resources(pool('a', { addresses: ['10.0.0.0/24'] }), pool('b', { addresses: ['10.1.0.0/24'] }));
  assert.deepEqual(admitMetalLB({ operation: 'UPDATE', object: pool('b', { addresses: ['10.0.0.128/25'] }) }, existing, o), {
    allowed: false,
    message: 'CIDR "10.0.0.128/25" in pool "b" overlaps with already defined CIDR "10.0.0.0/24"',
  });
  assert.equal(admitMetalLB({ operation: 'UPDATE', object: pool('a', { addresses: ['10.0.0.0/16'] }) }, resources(pool('a', { addresses: ['10.0.0.0/24'] })), o).allowed, true);
  // objects in other namespaces are not part of the set
  assert.equal(admitMetalLB({ operation: 'CREATE', object: pool('c', { addresses: ['10.0.0.0/24'] }) }, resources(inOtherNs(pool('a', { addresses: ['10.0.0.0/24'] }))), o).allowed, true);
});

test('resources passed to the parser per kind', () => {
  // L2/BGP advertisements see the pools
  const pools = resources(pool('p', { addresses: ['1.1.1.0/28'] }));
  assert.match(admitMetalLB({ operation: 'CREATE', object: bgpAdv('a', { aggregationLength: 26 }) }, pools, o).message!, /invalid aggregation length 26: prefix 28/);
  // a pool creation does not look at the advertisements
  assert.equal(
    admitMetalLB({ operation: 'CREATE', object: pool('q', { addresses: ['2.2.2.0/28'] }) }, { ...pools, bgpAdvertisements: [bgpAdv('a', { aggregationLength: 26 }) as never] }, o).allowed,
    true,
  );
  // peers are checked per node in FRR modes, with every Node
  const nodes = [node('n1'), node('n2')];
  const onNode = (name: string, n: string) => peer(name, peerSpec({ nodeSelectors: [{ matchLabels: { 'kubernetes.io/hostname': n } }] }));
  assert.equal(admitMetalLB({ operation: 'CREATE', object: onNode('b', 'n2') }, resources(...nodes, onNode('a', 'n1')), o).allowed, true);
  assert.match(admitMetalLB({ operation: 'CREATE', object: onNode('b', 'n1') }, resources(...nodes, onNode('a', 'n1')), o).message!, /already exists/);
  // native mode rejects FRR-only fields
  assert.equal(
    admitMetalLB({ operation: 'CREATE', object: peer('v', peerSpec({ vrf: 'red' })) }, emptyResources(), { namespace: NS, backend: 'native' }).message,
    'peer 192.0.2.1 has vrf set on native bgp mode',
  );
  // communities
  assert.match(admitMetalLB({ operation: 'CREATE', object: community('c2', [{ name: 'x', value: '1:1' }]) }, resources(community('c1', [{ name: 'x', value: '2:2' }])), o).message!, /duplicate definition of community "x"/);
  // other kinds are not intercepted
  assert.equal(admitMetalLB({ operation: 'CREATE', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } }, emptyResources(), o).allowed, true);
});

test('v1beta1 BGPPeer requests are converted to v1beta2', () => {
  const old = peer('p', { myASN: 1, peerASN: 2, peerAddress: '192.0.2.1' }, 'metallb.io/v1beta1');
  assert.equal(admitMetalLB({ operation: 'CREATE', object: old }, emptyResources(), { namespace: NS, backend: 'native' }).allowed, true);
});
