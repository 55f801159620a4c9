import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modeOf, peerIdentifier, validateMode } from './mode.js';
import { parseConfig } from './parse.js';
import { bfd, bgpAdv, community, node, NS, peer, peerSpec, pool, resources } from './testutil.js';

test('backends map to modes', () => {
  assert.equal(modeOf('native'), 'native');
  for (const b of ['frr', 'frr-k8s', 'frr-k8s-external']) assert.equal(modeOf(b), 'frr');
  assert.equal(modeOf('none'), 'none');
  assert.equal(modeOf('whatever'), 'none');
});

test('J1-J10: every FRR-only peer field is reported, in upstream order', () => {
  const errs = validateMode(
    resources(
      peer('p', {
        myASN: 1,
        peerASN: 2,
        peerAddress: '10.0.0.1',
        bfdProfile: 'x',
        keepaliveTime: '1s',
        vrf: 'red',
        connectTime: '0s',
        enableGracefulRestart: true,
        disableMP: true,
        dualStackAddressFamily: true,
        dynamicASN: 'external',
        interface: 'eth0',
        localASN: 5,
      }),
    ),
    'native',
  );
  assert.deepEqual(
    errs.map((e) => e.message),
    [
      'peer 10.0.0.1 has bfd-profile set on native bgp mode',
      'peer 10.0.0.1 has keepalive-time set on native bgp mode',
      'peer 10.0.0.1 has vrf set on native bgp mode',
      'peer 10.0.0.1 has connect time set on native bgp mode',
      'peer 10.0.0.1 has EnableGracefulRestart flag set on native bgp mode',
      'peer 10.0.0.1 has disable MP flag set on native bgp mode',
      'peer 10.0.0.1 has dualstackaddressfamily flag set on native bgp mode',
      'peer 10.0.0.1 has dynamicASN set on native bgp mode',
      'peer 10.0.0.1 has interface set on native bgp mode',
      'peer 10.0.0.1 has localASN set on native bgp mode',
    ],
  );
  assert.ok(errs.every((e) => e.kind === 'BGPPeer' && e.name === 'p'));
  // a zero keepalive is allowed (v1beta1 peers convert to 0s)
  assert.deepEqual(validateMode(resources(peer('p', peerSpec({ keepaliveTime: '0s', holdTime: '0s' }))), 'native'), []);
});

test('J11-J13: BFD profiles, IPv6 pools, large communities', () => {
  assert.deepEqual(validateMode(resources(bfd('a'), bfd('b')), 'native'), [
    { kind: 'BFDProfile', name: 'a', message: 'bfd profiles section set' },
    { kind: 'BFDProfile', name: 'b', message: 'bfd profiles section set' },
  ]);
  // only pools selected by an advertisement count; no advertisement at all = nothing selected
  const v6 = pool('six', { addresses: ['10.0.0.0/24', 'fc00::1-fc00::4'] }, { fam: 'v6' });
  assert.deepEqual(validateMode(resources(v6), 'native'), []);
  assert.deepEqual(validateMode(resources(v6, bgpAdv('ad', { ipAddressPools: ['other'] })), 'native'), []);
  assert.deepEqual(validateMode(resources(v6, bgpAdv('ad', { ipAddressPoolSelectors: [{ matchLabels: { fam: 'v6' } }] })), 'native'), [
    { kind: 'IPAddressPool', name: 'six', message: 'pool "six" has ipv6 CIDR fc00::1/128, native bgp mode does not support ipv6' },
  ]);
  assert.deepEqual(
    validateMode(resources(bgpAdv('ad', { communities: ['1:1', 'alias', 'large:1:2:3'] }), community('c', [{ name: 'n', value: 'large:4:5:6' }])), 'native').map(
      (e) => e.message,
    ),
    [
      'native BGP mode only supports legacy communities, BGP advertisement "ad" has non legacy community "large:1:2:3"',
      'native BGP mode only supports legacy communities, BGP community CR "c" has non legacy community {"n" "large:4:5:6"}',
    ],
  );
  // FRR modes accept all of this
  assert.deepEqual(validateMode(resources(bfd('a'), v6, bgpAdv('ad', { communities: ['large:1:2:3'] })), 'frr-k8s'), []);
});

test('K1-K3: messages and per-node scope', () => {
  const p1 = peer('p1', peerSpec({ routerID: '10.0.0.1', nodeSelectors: [{ matchLabels: { zone: 'a' } }] }));
  const p2 = peer('p2', peerSpec({ routerID: '10.0.0.2', peerAddress: '192.0.2.2', myASN: 64999, nodeSelectors: [{ matchLabels: { zone: 'b' } }] }));
  // no nodes known: assumed to share a node
  assert.deepEqual(validateMode(resources(p1, p2), 'frr'), [
    {
      kind: 'BGPPeer',
      name: 'p2',
      message: 'peer 10.0.0.2 has RouterID different from 10.0.0.1, in FRR mode peers selecting the same node must all have the same RouterID',
      related: { kind: 'BGPPeer', name: 'p1' },
    },
    {
      kind: 'BGPPeer',
      name: 'p2',
      message: 'peer 192.0.2.2 has myAsn different from 192.0.2.1, in FRR mode peers selecting the same node must have the same myAsn within the same VRF',
      related: { kind: 'BGPPeer', name: 'p1' },
    },
  ]);
  // disjoint nodes: fine; overlapping nodes: reported; assumeCommonNode overrides the node sets
  const nodes = [node('n1', { zone: 'a' }), node('n2', { zone: 'b' })];
  assert.deepEqual(validateMode(resources(...nodes, p1, p2), 'frr'), []);
  assert.equal(validateMode(resources(...nodes, p1, p2), 'frr', { assumeCommonNode: true }).length, 2);
  assert.equal(validateMode(resources(node('n1', { zone: 'a', extra: 'x' }), node('n2', { zone: 'b' }), node('n3', { zone: 'a' })), 'frr').length, 0);
  // a peer selecting no known node shares nothing
  assert.deepEqual(validateMode(resources(node('n9'), p1, p2), 'frr'), []);
  // different VRFs may use different ASNs, duplicates are per VRF
  const r1 = peer('r1', peerSpec({ vrf: 'red', myASN: 1 }));
  const r2 = peer('r2', peerSpec({ vrf: 'blue', myASN: 2 }));
  assert.deepEqual(validateMode(resources(r1, r2), 'frr'), []);
  assert.equal(peerIdentifier(r1 as never), '192.0.2.1-red');
  assert.deepEqual(
    validateMode(resources(r1, peer('r3', peerSpec({ vrf: 'red', myASN: 1 }))), 'frr').map((e) => e.message),
    ["peer 192.0.2.1-red already exists, FRR mode doesn't support duplicate BGPPeers selecting the same node"],
  );
  // invalid selectors are reported when nodes are known, and the peer is then assumed to share
  const bad = peer('bad', peerSpec({ nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Bogus' }] }] }));
  const errs = validateMode(resources(...nodes, p1, bad), 'frr');
  assert.equal(errs[0]!.message, 'peer 192.0.2.1 has invalid nodeSelector: "Bogus" is not a valid label selector operator');
  assert.match(errs[1]!.message, /RouterID different/);
});

test('the parser runs the mode validation of its backend first', () => {
  const r = parseConfig(resources(peer('p', peerSpec({ bfdProfile: 'b' })), bfd('b')), { backend: 'native', namespace: NS });
  assert.deepEqual(
    r.errors.map((e) => e.message),
    ['peer 192.0.2.1 has bfd-profile set on native bgp mode', 'bfd profiles section set'],
  );
  assert.deepEqual(parseConfig(resources(peer('p', peerSpec({ bfdProfile: 'b' })), bfd('b')), { backend: 'frr', namespace: NS }).errors, []);
});
