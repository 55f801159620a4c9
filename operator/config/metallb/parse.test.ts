import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCIDR } from '../../util/ip.js';
import { communityLiteral } from './community.js';
import { parseConfig, type ParseOptions } from './parse.js';
import { bfd, bgpAdv, community, l2Adv, namespace, node, NS, peer, peerSpec, pool, resources, secret } from './testutil.js';
import type { ClusterResources } from './types.js';

const opts = (o: Partial<ParseOptions> = {}): ParseOptions => ({ backend: 'none', namespace: NS, ...o });
const parse = (r: ClusterResources, o: Partial<ParseOptions> = {}) => parseConfig(r, opts(o));
const messages = (r: ClusterResources, o: Partial<ParseOptions> = {}) => parse(r, o).errors.map((e) => e.message);
const first = (r: ClusterResources, o: Partial<ParseOptions> = {}) => parse(r, o).errors[0]?.message;

test('I1-I3: BFD profile ranges, names and duplicates', () => {
  const cases: [string, number, string][] = [
    ['detectMultiplier', 1, 'invalid value 1, must be in 2-255 range\ninvalid detect multiplier value'],
    ['detectMultiplier', 256, 'invalid value 256, must be in 2-255 range\ninvalid detect multiplier value'],
    ['receiveInterval', 9, 'invalid value 9, must be in 10-60000 range\ninvalid receive interval value'],
    ['transmitInterval', 60001, 'invalid value 60001, must be in 10-60000 range\ninvalid transmit interval value'],
    ['minimumTtl', 0, 'invalid value 0, must be in 1-254 range\ninvalid minimum ttl value'],
    ['minimumTtl', 255, 'invalid value 255, must be in 1-254 range\ninvalid minimum ttl value'],
    ['echoInterval', 5, 'invalid value 5, must be in 10-60000 range\ninvalid echo interval value'],
  ];
  for (const [field, value, msg] of cases) {
    const r = parse(resources(bfd('a'), bfd('b', { [field]: value })));
    assert.equal(r.errors.length, 1);
    assert.deepEqual(r.errors[0], { kind: 'BFDProfile', name: 'b', message: `parsing bfd profile #2: ${msg}` });
  }
  // boundaries are accepted; detect multiplier is checked before receive interval
  const ok = parse(resources(bfd('p', { detectMultiplier: 2, receiveInterval: 60000, transmitInterval: 10, minimumTtl: 254, echoInterval: 10, echoMode: true })));
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.config!.bfdProfiles.get('p'), {
    name: 'p',
    receiveInterval: 60000,
    transmitInterval: 10,
    detectMultiplier: 2,
    echoInterval: 10,
    echoMode: true,
    passiveMode: false,
    minimumTtl: 254,
  });
  assert.match(first(resources(bfd('p', { receiveInterval: 1, detectMultiplier: 1 })))!, /invalid detect multiplier value$/);
  assert.equal(first(resources(bfd('', {}))), 'parsing bfd profile #1: missing bfd profile name');
  assert.equal(first(resources(bfd('x'), bfd('x'))), 'found duplicate bfd profile name x');
});

test('H7: timers are defaulted from each other and checked', () => {
  const p = (spec: Record<string, unknown>) => parse(resources(peer('p', peerSpec(spec))));
  const hold10 = p({ holdTime: '10s' }).config!.peers.get('p')!;
  assert.equal(hold10.holdTime, 10);
  assert.equal(hold10.keepaliveTimeNs, 3333333333);
  assert.equal(p({ keepaliveTime: '30s' }).config!.peers.get('p')!.holdTime, 90);
  assert.equal(p({ holdTime: '2s' }).errors[0]!.message, 'parsing peer p invalid BGPPeer timers: invalid hold time "2s": must be 0 or >=3s');
  // a hold time derived from keepalive prints the unset holdTime as <nil>
  assert.equal(p({ keepaliveTime: '500ms' }).errors[0]!.message, 'parsing peer p invalid BGPPeer timers: invalid hold time <nil>: must be 0 or >=3s');
  assert.equal(
    p({ holdTime: '90s', keepaliveTime: '100s' }).errors[0]!.message,
    'parsing peer p invalid BGPPeer timers: invalid keepaliveTime "1m40s", must be lower than holdTime "1m30s"',
  );
  assert.equal(p({ holdTime: '3500ms' }).errors.length, 0);
  const ct = p({ connectTime: '5s' }).config!.peers.get('p')!;
  assert.equal(ct.connectTime, 5);
  assert.equal(ct.holdTime, null);
  assert.match(p({ holdTime: 'soon' }).errors[0]!.message, /time: invalid duration "soon"/);
});

test('H1-H10: peer field checks in upstream order', () => {
  const m = (spec: Record<string, unknown>) => first(resources(peer('p', spec)));
  assert.equal(m({ myASN: 0, peerASN: 1, peerAddress: 'x' }), 'parsing peer p missing local ASN');
  assert.equal(m({ myASN: 1, peerAddress: 'x' }), 'parsing peer p missing peer ASN and dynamicASN');
  assert.equal(m({ myASN: 1, peerASN: 2, dynamicASN: 'external' }), 'parsing peer p both peer ASN and dynamicASN specified');
  assert.equal(m({ myASN: 1, dynamicASN: 'foo', peerAddress: '1.1.1.1' }), 'parsing peer p invalid dynamicASN foo');
  assert.equal(m({ myASN: 1, peerASN: 1, ebgpMultiHop: true }), 'parsing peer p invalid ebgp-multihop parameter set for an ibgp peer');
  assert.equal(m({ myASN: 1, peerASN: 2, peerAddress: '1.1.1.1', sourceAddress: '1.2.3' }), 'parsing peer p invalid source IP "1.2.3"');
  assert.equal(m(peerSpec({ interface: 'eth0\nrouter bgp 1', peerAddress: '' })), 'parsing peer p interface for peer "metallb-system"/"p" contains invalid characters');
  assert.equal(m(peerSpec({ password: 'a\rb' })), 'parsing peer p password for peer "metallb-system"/"p" contains invalid characters');
  assert.equal(m(peerSpec({ vrf: 'red\n' })), 'parsing peer p VRF name for peer "metallb-system"/"p" contains invalid characters');
  const ok = parse(resources(peer('p', peerSpec({ peerAddress: '2001:DB8::1', routerID: '10.0.0.1', sourceAddress: '::ffff:10.0.0.2', dynamicASN: undefined }))));
  const pp = ok.config!.peers.get('p')!;
  assert.equal(pp.address, '2001:db8::1');
  assert.equal(pp.addressFamily, 6);
  assert.equal(pp.srcAddress, '10.0.0.2');
  assert.deepEqual(pp.nodeSelectors, [{}]);
});

test('H12-H15: password secrets', () => {
  const withRef = (extra: Record<string, unknown> = {}) => peer('p', peerSpec({ passwordSecret: { name: 's', namespace: NS }, ...extra }));
  assert.equal(
    first(resources(withRef({ password: 'x' }))),
    'parsing peer p can not have both password and secret ref set in peer config "metallb-system"/"p"',
  );
  const missing = parse(resources(withRef()));
  assert.deepEqual(missing.errors, [
    {
      kind: 'BGPPeer',
      name: 'p',
      message: 'parsing peer p secret ref not found for peer config "metallb-system"/"p"\nfailed to parse peer p password secret',
      transient: true,
    },
  ]);
  // a secret in another namespace is not visible
  assert.match(first(resources(withRef(), secret('s', 'kubernetes.io/basic-auth', { password: 'pw' }, 'other')))!, /secret ref not found/);
  assert.equal(
    first(resources(withRef(), secret('s', 'Opaque', { password: 'pw' }))),
    'parsing peer p secret type mismatch on "metallb-system"/"s", type "kubernetes.io/basic-auth" is expected \nfailed to parse peer p password secret',
  );
  assert.equal(
    first(resources(withRef(), secret('s', 'kubernetes.io/basic-auth', { username: 'u' }))),
    'parsing peer p password not specified in the secret "metallb-system"/"s"\nfailed to parse peer p password secret',
  );
  assert.equal(
    first(resources(withRef(), secret('s', 'kubernetes.io/basic-auth', { password: 'a\nb' }))),
    'parsing peer p password secret for peer "metallb-system"/"p" contains invalid characters',
  );
  const ok = parse(resources(withRef(), secret('s', 'kubernetes.io/basic-auth', { password: 's3cret' })));
  assert.equal(ok.config!.peers.get('p')!.secretPassword, 's3cret');
  assert.deepEqual(ok.config!.peers.get('p')!.passwordSecret, { name: 's', namespace: NS });
  const sd = { ...secret('s', 'kubernetes.io/basic-auth'), stringData: { password: 'plain' } };
  assert.equal(parse(resources(withRef(), sd)).config!.peers.get('p')!.secretPassword, 'plain');
  const pass = parse(resources(withRef()), { frrk8sSecretPassthrough: true });
  assert.deepEqual(pass.errors, []);
  assert.equal(pass.config!.peers.get('p')!.secretPassword, '');
});

test('H16/H17: BFD profile references and identical peers', () => {
  assert.deepEqual(parse(resources(peer('p', peerSpec({ bfdProfile: 'nope' })))).errors, [
    { kind: 'BGPPeer', name: 'p', message: 'peer p referencing non existing bfd profile nope', transient: true },
  ]);
  // a profile that failed to parse is reported once, not again through the peer
  assert.deepEqual(messages(resources(bfd('b', { detectMultiplier: 1 }), peer('p', peerSpec({ bfdProfile: 'b' })))), [
    'parsing bfd profile #1: invalid value 1, must be in 2-255 range\ninvalid detect multiplier value',
  ]);
  assert.equal(first(resources(peer('p', peerSpec()), peer('p', peerSpec()))), 'peer p already exists');
  assert.deepEqual(parse(resources(peer('p', peerSpec()), peer('q', peerSpec()))).errors, []);
});

test('C1-C7: pools', () => {
  assert.equal(first(resources(pool('p', {}))), 'parsing address pool p: pool has no prefixes defined');
  assert.equal(
    first(resources(pool('p', { addresses: ['1.2.3.x-1.2.3.9'] }))),
    'parsing address pool p: invalid CIDR "1.2.3.x-1.2.3.9" in pool "p": invalid IP range "1.2.3.x-1.2.3.9": invalid start IP "1.2.3.x"',
  );
  assert.equal(
    first(resources(pool('p', { addresses: ['1.2.3.1 - nope'] }))),
    'parsing address pool p: invalid CIDR "1.2.3.1 - nope" in pool "p": invalid IP range "1.2.3.1 - nope": invalid end IP " nope"',
  );
  // ranges are trimmed and summarized, CIDRs are masked; the per-entry grouping is kept
  const ok = parse(resources(pool('p', { addresses: ['10.0.0.5/24', ' 10.0.1.1 - 10.0.1.6', 'fc00::1/126'] })));
  const p = ok.config!.pools.get('p')!;
  assert.deepEqual(p.cidrs.map(formatCIDR), ['10.0.0.0/24', '10.0.1.1/32', '10.0.1.2/31', '10.0.1.4/31', '10.0.1.6/32', 'fc00::/126']);
  assert.deepEqual(
    p.addresses.map((a) => [a.text, a.cidrs.length]),
    [
      ['10.0.0.5/24', 1],
      [' 10.0.1.1 - 10.0.1.6', 4],
      ['fc00::1/126', 1],
    ],
  );
  assert.equal(p.autoAssign, true);
  assert.equal(p.serviceAllocation, null);
  // C6
  assert.deepEqual(messages(resources(pool('a', { addresses: ['10.0.0.0/24'] }), pool('a', { addresses: ['10.1.0.0/24'] }))), [
    'duplicate definition of pool "a"',
  ]);
  // C7: attributed to the pool found second (sorted by name), naming both CIDRs; the other pool is `related`
  const ov = parse(resources(pool('b', { addresses: ['10.0.0.128/25'] }), pool('a', { addresses: ['10.0.0.0/24'] })));
  assert.deepEqual(ov.errors, [
    {
      kind: 'IPAddressPool',
      name: 'b',
      message: 'CIDR "10.0.0.128/25" in pool "b" overlaps with already defined CIDR "10.0.0.0/24"',
      related: { kind: 'IPAddressPool', name: 'a' },
    },
  ]);
  // within one pool, and equal prefixes count as overlap; one error per pair of pools
  assert.deepEqual(messages(resources(pool('a', { addresses: ['10.0.0.0/24', '10.0.0.0/24'] }))), [
    'CIDR "10.0.0.0/24" in pool "a" overlaps with already defined CIDR "10.0.0.0/24"',
  ]);
  assert.deepEqual(
    messages(resources(pool('a', { addresses: ['10.0.0.0/24'] }), pool('b', { addresses: ['10.0.0.1-10.0.0.3'] }), pool('c', { addresses: ['10.0.0.2/32'] }))),
    [
      'CIDR "10.0.0.1/32" in pool "b" overlaps with already defined CIDR "10.0.0.0/24"',
      'CIDR "10.0.0.2/32" in pool "c" overlaps with already defined CIDR "10.0.0.0/24"',
      'CIDR "10.0.0.2/32" in pool "c" overlaps with already defined CIDR "10.0.0.2/31"',
    ],
  );
  // different families never overlap; a range mixing families yields no CIDR (as upstream)
  assert.deepEqual(parse(resources(pool('a', { addresses: ['::/0', '0.0.0.0/0'] }))).errors, []);
  assert.deepEqual(parse(resources(pool('a', { addresses: ['::5-10.0.0.1'] }))).config!.pools.get('a')!.cidrs, []);
});

test('C8-C10: service allocation', () => {
  const sa = (serviceAllocation: Record<string, unknown>) => resources(pool('p', { addresses: ['10.0.0.0/24'], serviceAllocation }));
  assert.equal(first(sa({ namespaces: ['a', 'a'] })), 'parsing address pool p: duplicate definition in namespaces field');
  assert.equal(
    first(sa({ namespaceSelectors: [{ matchLabels: { a: 'b' } }, { matchLabels: { a: 'b' } }] })),
    'parsing address pool p: duplicate definition of namespaceSelectors {map["a":"b"] []}',
  );
  assert.equal(
    first(sa({ serviceSelectors: [{ matchExpressions: [{ key: 'k', operator: 'In', values: ['y', 'x'] }] }, { matchExpressions: [{ key: 'k', operator: 'In', values: ['x', 'y'] }] }] })),
    'parsing address pool p: duplicate definition of serviceSelectors {map[] [{"k" "In" ["x" "y"]}]}',
  );
  assert.equal(
    first(sa({ namespaceSelectors: [{ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'Foo' }] }] })),
    'parsing address pool p: "Foo" is not a valid label selector operator\ninvalid namespace label selector &LabelSelector{MatchLabels:map[string]string{a: b,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:k,Operator:Foo,Values:[],},},} in ip pool p',
  );
  assert.equal(
    first(sa({ serviceSelectors: [{ matchExpressions: [{ key: 'k', operator: 'In', values: [] }] }] })),
    "parsing address pool p: values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty\ninvalid service label selector {map[] [{k In []}]} in ip pool p",
  );
  // namespaces are resolved against the Namespace objects
  const r = parse(
    resources(
      pool('p', { addresses: ['10.0.0.0/24'], serviceAllocation: { priority: 5, namespaces: ['zz'], namespaceSelectors: [{ matchLabels: { team: 'x' } }] } }),
      pool('q', { addresses: ['10.1.0.0/24'], serviceAllocation: { priority: 1 } }),
      pool('s', { addresses: ['10.2.0.0/24'], serviceAllocation: { serviceSelectors: [{ matchLabels: { app: 'web' } }] } }),
      namespace('ns1', { team: 'x' }),
      namespace('ns2', { team: 'y' }),
    ),
  );
  const cfg = r.config!;
  assert.deepEqual(cfg.pools.get('p')!.serviceAllocation, {
    priority: 5,
    namespaces: ['ns1', 'zz'],
    namespaceSelectors: [{ matchLabels: { team: 'x' } }],
    serviceSelectors: [],
  });
  assert.deepEqual(cfg.pools.get('q')!.serviceAllocation!.serviceSelectors, [{}]);
  assert.deepEqual([...cfg.poolsByNamespace.entries()], [
    ['ns1', ['p']],
    ['zz', ['p']],
  ]);
  assert.deepEqual(cfg.poolsByServiceSelector, ['q', 's']);
});

test('F1-F5: BGP advertisement checks', () => {
  const ad = (spec: Record<string, unknown>) => resources(pool('p', { addresses: ['10.0.0.0/24'] }), bgpAdv('ad', spec));
  assert.equal(first(ad({ peers: ['a', 'a'] })), 'duplicate definition of peers "a"');
  assert.equal(first(ad({ communities: ['1:1', '1:1'] })), 'duplicate definition of community "1:1"');
  assert.equal(first(ad({ aggregationLength: 33 })), "invalid aggregation length '!' for IPv4");
  assert.equal(first(ad({ aggregationLengthV6: 129 })), "invalid aggregation length '\\u0081' for IPv6");
  assert.equal(
    first(ad({ nodeSelectors: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }, { key: 'a', operator: 'In', values: ['x'] }] }] })),
    'duplicate definition of match expressions {"a" "In" ["x"]}',
  );
  assert.equal(
    first(ad({ nodeSelectors: [{ matchLabels: { 'bad key!': 'x' } }] })),
    `key: Invalid value: "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')\ninvalid label selector {map[bad key!:x] []}\nfailed to parse node selector for ad`,
  );
  assert.equal(
    first(ad({ serviceSelectors: [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }] })),
    'invalid service selector {map[] [{a Exists [x]}]}: values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist\nfailed to parse service selector for ad',
  );
  assert.equal(
    first(ad({ ipAddressPoolSelectors: [{ matchExpressions: [{ key: 'a', operator: 'Nope' }] }] })),
    '"Nope" is not a valid label selector operator\ninvalid label selector {map[] [{a Nope []}]}',
  );
});

test('F6: aggregation length against every addresses entry, IPv6 entries use the v6 length', () => {
  const r = (spec: Record<string, unknown>) => resources(pool('p', { addresses: ['10.0.0.0/28', 'fc00::/120'] }), bgpAdv('ad', spec));
  assert.deepEqual(parse(r({ aggregationLength: 28, aggregationLengthV6: 120 })).errors, []);
  assert.equal(
    first(r({ aggregationLength: 28, aggregationLengthV6: 64 })),
    'invalid aggregation length 28: prefix 120 in this pool is more specific than the aggregation length for addresses fc00::/120',
  );
});

test('F7: LOCAL_PREF consistency', () => {
  const base = [pool('p', { addresses: ['10.0.0.0/24'] }), node('n1', { zone: 'a' }), node('n2', { zone: 'b' })];
  const conflict = parse(resources(...base, bgpAdv('a1', { localPref: 100 }), bgpAdv('a2', { localPref: 200 })));
  assert.deepEqual(conflict.errors, [
    {
      kind: 'BGPAdvertisement',
      name: 'a2',
      message:
        'invalid local preference 200: local preferernce 100 was already set for the same type of BGP update. Check existing BGP advertisements with common pools and aggregation lengths',
      related: { kind: 'BGPAdvertisement', name: 'a1' },
    },
  ]);
  // (a) aggregation differs, (b) disjoint explicit peers, (c) disjoint nodes, serviceSelectors skip the check
  assert.deepEqual(parse(resources(...base, bgpAdv('a1', { localPref: 100 }), bgpAdv('a2', { localPref: 200, aggregationLength: 24 }))).errors, []);
  assert.deepEqual(parse(resources(...base, bgpAdv('a1', { localPref: 100, peers: ['x'] }), bgpAdv('a2', { localPref: 200, peers: ['y'] }))).errors, []);
  assert.equal(parse(resources(...base, bgpAdv('a1', { localPref: 100, peers: ['x'] }), bgpAdv('a2', { localPref: 200 }))).errors.length, 1);
  const disjoint = [
    bgpAdv('a1', { localPref: 100, nodeSelectors: [{ matchLabels: { zone: 'a' } }] }),
    bgpAdv('a2', { localPref: 200, nodeSelectors: [{ matchLabels: { zone: 'b' } }] }),
  ];
  assert.deepEqual(parse(resources(...base, ...disjoint)).errors, []);
  assert.deepEqual(
    parse(resources(...base, bgpAdv('a1', { localPref: 100 }), bgpAdv('a2', { localPref: 200, serviceSelectors: [{ matchLabels: { a: 'b' } }] }))).errors,
    [],
  );
  // no Node known: upstream sees empty node sets (disjoint); assumeCommonNode makes them overlap
  const noNodes = resources(pool('p', { addresses: ['10.0.0.0/24'] }), bgpAdv('a1', { localPref: 100 }), bgpAdv('a2', { localPref: 200 }));
  assert.deepEqual(parse(noNodes).errors, []);
  assert.equal(parse(noNodes, { assumeCommonNode: true }).errors.length, 1);
  // ... even when node selectors differ
  assert.equal(parse(resources(pool('p', { addresses: ['10.0.0.0/24'] }), ...disjoint), { assumeCommonNode: true }).errors.length, 1);
  // dual-stack pool: only both lengths differing counts
  const dual = [pool('p', { addresses: ['10.0.0.0/24', 'fc00::/64'] })];
  assert.equal(parse(resources(...dual, bgpAdv('a1', { localPref: 1 }), bgpAdv('a2', { localPref: 2, aggregationLength: 24 })), { assumeCommonNode: true }).errors.length, 1);
  assert.deepEqual(
    parse(resources(...dual, bgpAdv('a1', { localPref: 1 }), bgpAdv('a2', { localPref: 2, aggregationLength: 24, aggregationLengthV6: 64 })), { assumeCommonNode: true }).errors,
    [],
  );
});

test('F8: identical BGP advertisements', () => {
  const a = bgpAdv('same', { localPref: 1 });
  assert.deepEqual(parse(resources(pool('p', { addresses: ['10.0.0.0/24'] }), bgpAdv('other'), a, structuredClone(a))).errors, [
    {
      kind: 'BGPAdvertisement',
      name: 'same',
      message: 'duplicate definition of bgpadvertisements. advertisement 2 and 3 are equal',
      related: { kind: 'BGPAdvertisement', name: 'same' },
    },
  ]);
});

test('F9/G4/G5: communities are resolved through aliases, unknown aliases are transient', () => {
  const r = parse(
    resources(
      community('c1', [
        { name: 'no-export', value: '65535:65281' },
        { name: 'big', value: 'large:1:2:3' },
      ]),
      pool('p', { addresses: ['10.0.0.0/24'] }),
      bgpAdv('ad', { communities: ['no-export', 'big', '65535:65281', '1:1'] }),
    ),
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config!.bgpAdvertisements[0]!.communities.map(communityLiteral), ['large:1:2:3', '1:1', '65535:65281']);
  assert.equal(communityLiteral(r.config!.communities.get('big')!), 'large:1:2:3');
  const unknown = parse(resources(pool('p', { addresses: ['10.0.0.0/24'] }), bgpAdv('ad', { communities: ['missing'] })));
  assert.deepEqual(unknown.errors, [
    { kind: 'BGPAdvertisement', name: 'ad', message: 'invalid community format: missing\ninvalid community "missing" in BGP advertisement', transient: true },
  ]);
  // an alias whose definition is broken is reported once (on the Community), not again on the advertisement
  assert.deepEqual(
    parse(resources(community('c1', [{ name: 'x', value: '1:99999' }]), pool('p', { addresses: ['10.0.0.0/24'] }), bgpAdv('ad', { communities: ['x'] }))).errors.map(
      (e) => `${e.kind}/${e.name}`,
    ),
    ['Community/c1'],
  );
});

test('F10: BFD echo mode towards peers receiving IPv6', () => {
  const base = [bfd('echo', { echoMode: true }), bfd('plain'), pool('v6', { addresses: ['fc00::/64'] }), pool('v4', { addresses: ['10.0.0.0/24'] })];
  const peers = [peer('pe', peerSpec({ bfdProfile: 'echo' })), peer('pp', peerSpec({ peerAddress: '192.0.2.2', bfdProfile: 'plain' }))];
  assert.deepEqual(parse(resources(...base, ...peers, bgpAdv('ad', { ipAddressPools: ['v4'] }))).errors, []);
  assert.deepEqual(parse(resources(...base, ...peers, bgpAdv('ad', { ipAddressPools: ['v6'], peers: ['pp'] }))).errors, []);
  const err = {
    kind: 'BGPAdvertisement',
    name: 'ad',
    message: 'pool v6 has bgpadvertisement ad which references peer pe which has bfd echo enabled, which is not possible',
    related: { kind: 'BGPPeer', name: 'pe' },
  };
  assert.deepEqual(parse(resources(...base, ...peers, bgpAdv('ad', { ipAddressPools: ['v6'], peers: ['pe', 'unknown'] }))).errors, [err]);
  assert.deepEqual(parse(resources(...base, ...peers, bgpAdv('ad'))).errors, [err]);
});

test('L2 advertisements: nodes, interfaces, preferences, pool selection', () => {
  const r = parse(
    resources(
      node('n1', { zone: 'a', ssd: 'true' }),
      node('n2', { zone: 'b' }),
      node('n3', { zone: 'a' }),
      pool('p1', { addresses: ['10.0.0.0/24'] }, { tier: 'gold' }),
      pool('p2', { addresses: ['10.0.1.0/24'] }),
      l2Adv('l2a', {
        ipAddressPoolSelectors: [{ matchLabels: { tier: 'gold' } }],
        nodeSelectors: [{ matchLabels: { zone: 'a' } }],
        interfaces: ['eth1'],
        preferredNodeSelectors: [
          { weight: 10, preference: { matchLabels: { ssd: 'true' } } },
          { weight: 5, preference: {} },
        ],
        serviceSelectors: [{ matchLabels: { b: '2' } }, { matchLabels: { a: '1' } }],
      }),
      l2Adv('l2b'),
    ),
  );
  assert.deepEqual(r.errors, []);
  const [a, b] = r.config!.l2Advertisements;
  assert.deepEqual(a!.nodes, ['n1', 'n3']);
  assert.deepEqual([...a!.preferredNodes.entries()], [
    ['n1', 15],
    ['n3', 5],
  ]);
  assert.deepEqual(a!.pools, ['p1']);
  assert.equal(a!.allInterfaces, false);
  assert.deepEqual(a!.serviceSelectors, [{ matchLabels: { a: '1' } }, { matchLabels: { b: '2' } }]);
  assert.deepEqual(b!.pools, ['p1', 'p2']);
  assert.deepEqual(b!.nodes, ['n1', 'n2', 'n3']);
  assert.equal(r.config!.pools.get('p1')!.l2Advertisements.length, 2);
  assert.equal(
    first(resources(l2Adv('x', { preferredNodeSelectors: [{ weight: 1, preference: { matchExpressions: [{ key: 'k', operator: 'In' }] } }] }))),
    "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty\ninvalid preferred node selector {map[] [{k In []}]}\nfailed to parse preferred node selectors for x",
  );
});

test('BGP advertisements: parsed model', () => {
  const r = parse(
    resources(
      node('n1', { bgp: 'yes' }),
      node('n2'),
      pool('p1', { addresses: ['10.0.0.0/24'] }, { t: 'x' }),
      pool('p2', { addresses: ['10.0.1.0/24'] }),
      bgpAdv('ad', { ipAddressPools: ['p1', 'nope'], ipAddressPoolSelectors: [{ matchLabels: { t: 'x' } }], nodeSelectors: [{ matchLabels: { bgp: 'yes' } }], localPref: 50, aggregationLength: 24, peers: ['x'] }),
    ),
  );
  assert.deepEqual(r.errors, []);
  const ad = r.config!.bgpAdvertisements[0]!;
  assert.deepEqual(
    { ...ad, communities: ad.communities.length },
    {
      name: 'ad',
      aggregationLength: 24,
      aggregationLengthV6: 128,
      localPref: 50,
      communities: 0,
      nodes: ['n1'],
      nodeSelectors: [{ matchLabels: { bgp: 'yes' } }],
      peers: ['x'],
      serviceSelectors: [],
      pools: ['p1'],
    },
  );
  // attached once even when selected by name and by label
  assert.equal(r.config!.pools.get('p1')!.bgpAdvertisements.length, 1);
  assert.equal(r.config!.pools.get('p2')!.bgpAdvertisements.length, 0);
  assert.deepEqual(r.config!.nodes, ['n1', 'n2']);
});

test('errors are collected for several broken objects, attributed, in upstream order', () => {
  const r = parse(
    resources(
      bfd('bad-bfd', { transmitInterval: 1 }),
      peer('zz-peer', peerSpec({ peerAddress: '1.2.3' })),
      peer('aa-peer', peerSpec({ myASN: 0 })),
      peer('ok-peer', peerSpec({ peerAddress: '192.0.2.9' })),
      community('comm', [{ name: 'x', value: 'large:1:2' }]),
      pool('pool-b', { addresses: ['10.0.0.0/16'] }),
      pool('pool-a', { addresses: ['10.0.0.0/33'] }),
      pool('pool-c', { addresses: ['10.0.5.0/24'] }),
      l2Adv('l2', { ipAddressPools: ['pool-b', 'pool-b'] }),
      bgpAdv('bgp', { aggregationLength: 8 }),
      bgpAdv('bgp2', { communities: ['1:2:3:4:5'] }),
    ),
  );
  assert.equal(r.config, undefined);
  assert.deepEqual(
    r.errors.map((e) => [e.kind, e.name]),
    [
      ['BFDProfile', 'bad-bfd'],
      ['BGPPeer', 'aa-peer'],
      ['BGPPeer', 'zz-peer'],
      ['Community', 'comm'],
      ['IPAddressPool', 'pool-a'],
      ['IPAddressPool', 'pool-c'],
      ['L2Advertisement', 'l2'],
      ['BGPAdvertisement', 'bgp'],
      ['BGPAdvertisement', 'bgp2'],
    ],
  );
  assert.equal(r.errors[0]!.message, 'parsing bfd profile #1: invalid value 1, must be in 10-60000 range\ninvalid transmit interval value');
  assert.equal(r.errors[5]!.message, 'CIDR "10.0.5.0/24" in pool "pool-c" overlaps with already defined CIDR "10.0.0.0/16"');
  assert.deepEqual(r.errors[5]!.related, { kind: 'IPAddressPool', name: 'pool-b' });
  assert.equal(r.errors[7]!.message, 'invalid aggregation length 8: prefix 16 in this pool is more specific than the aggregation length for addresses 10.0.0.0/16');
  assert.equal(r.errors[8]!.transient, true);
  // sorting by name makes the result independent of the document order; keepOrder follows the input
  assert.equal(r.errors[1]!.message, 'parsing peer aa-peer missing local ASN');
  const kept = parse(resources(peer('zz', peerSpec({ peerAddress: '1.2.3' })), peer('aa', peerSpec({ myASN: 0 }))), { keepOrder: true });
  assert.equal(kept.errors[0]!.name, 'zz');
});

test('mode validation runs first and its errors are not repeated by the parser', () => {
  const r = parse(resources(pool('p', { addresses: ['fc00::/64', 'bad'] }), bgpAdv('ad'), peer('p1', peerSpec({ vrf: 'red' }))), { backend: 'native' });
  assert.deepEqual(r.errors.map((e) => e.message), [
    'peer 192.0.2.1 has vrf set on native bgp mode',
    'pool "p" has ipv6 CIDR fc00::/64, native bgp mode does not support ipv6',
    'parsing address pool p: invalid CIDR "bad" in pool "p": invalid CIDR "bad"',
  ]);
  const r2 = parse(resources(pool('p', { addresses: ['bad'] }), bgpAdv('ad')), { backend: 'native' });
  assert.deepEqual(r2.errors.map((e) => e.message), ['invalid CIDR "bad" in pool "p": invalid CIDR "bad"']);
});

test('BGPPeer v1beta1 objects are converted like the API server does', () => {
  const r = parse(resources(peer('old', { myASN: 1, peerASN: 2, peerAddress: '192.0.2.1', nodeSelectors: [{}] }, 'metallb.io/v1beta1')));
  const p = r.config!.peers.get('old')!;
  assert.equal(p.holdTime, 0);
  assert.equal(p.keepaliveTime, 0);
  assert.deepEqual(p.nodeSelectors, [{}]);
  // a timer the conversion cannot parse is left to the parser, which reports it with its own text
  const bad = parse(resources(peer('old', { myASN: 1, peerASN: 2, peerAddress: '192.0.2.1', keepaliveTime: '90' }, 'metallb.io/v1beta1')));
  assert.deepEqual(
    bad.errors.map((e) => e.message),
    ['parsing peer old invalid BGPPeer timers: time: invalid duration "90"'],
  );
});

test('peers: node names and extras', () => {
  const r = parse({ ...resources(node('a', { x: '1' }), node('b'), peer('p', peerSpec({ nodeSelectors: [{ matchLabels: { x: '1' } }] }))), bgpExtras: '# hi' });
  assert.deepEqual(r.config!.peers.get('p')!.nodes, ['a']);
  assert.equal(r.config!.bgpExtras, '# hi');
});
