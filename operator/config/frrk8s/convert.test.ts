// Unit tests for conversion rules the shared vectors do not cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FRRConfiguration, FRRConfigurationSpec, Neighbor, Router } from '../../api/frrk8s.js';
import type { Secret } from '../../api/meta.js';
import { ConversionError, convertConfigurations, selectForNode, type ConvertOptions } from './convert.js';
import { communityCanonical, parseCommunity } from './community.js';
import { neighborID } from './model.js';

const NS = 'frr-k8s-system';

function cfg(name: string, spec: FRRConfigurationSpec, namespace = NS): FRRConfiguration {
  return { apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'FRRConfiguration', metadata: { name, namespace }, spec };
}

function router(neighbors: Neighbor[], extra: Partial<Router> = {}): Router {
  return { asn: 65001, prefixes: ['192.0.2.0/24', '2001:db8::/64'], neighbors, ...extra };
}

function one(r: Router | Router[], opts?: ConvertOptions, bfd?: FRRConfigurationSpec['bgp']): ReturnType<typeof convertConfigurations> {
  const routers = Array.isArray(r) ? r : [r];
  return convertConfigurations([cfg('c', { bgp: { routers, ...(bfd ?? {}) } })], opts);
}

function throwsText(fn: () => unknown, text: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConversionError, `not a ConversionError: ${String(e)}`);
    assert.equal(e.message, text);
    return true;
  });
}

const N = (extra: Partial<Neighbor> = {}): Neighbor => ({ asn: 65002, address: '192.0.2.2', ...extra });
const WRAP = 'failed to process neighbor 65002@192.0.2.2 for router 65001-: ';

test('router prefix must be a CIDR (V1)', () => {
  throwsText(() => one(router([], { prefixes: ['192.a.b.10'] })), 'unknown ipfamily for 192.a.b.10');
});

test('importing default without a default router in the object (V3)', () => {
  throwsText(() => one({ asn: 65001, vrf: 'red', imports: [{ vrf: 'default' }] }), 'vrf  not found in prefixes in router');
});

test('address and interface together (V12), invalid dynamicASN (V16)', () => {
  throwsText(
    () => one(router([N({ interface: 'eth0' })])),
    `${WRAP}neighbor 65002@192.0.2.2 has both Address and Interface specified`,
  );
  throwsText(
    () => one(router([{ address: '192.0.2.2', dynamicASN: 'foo' }])),
    'failed to process neighbor foo@192.0.2.2 for router 65001-: neighbor foo@192.0.2.2 has invalid DynamicASN foo specified, must be one of internal,external',
  );
});

test('hold time below 3s (V18), keepalive printed Go-style (V19)', () => {
  throwsText(
    () => one(router([N({ holdTime: '2s', keepaliveTime: '1s' })])),
    `${WRAP}invalid timers for neighbor 65002@192.0.2.2, err: invalid hold time "2s": must be 0 or >=3s`,
  );
  throwsText(
    () => one(router([N({ holdTime: '80s', keepaliveTime: '90s' })])),
    `${WRAP}invalid timers for neighbor 65002@192.0.2.2, err: invalid keepaliveTime "1m30s", must be lower than holdTime "1m20s"`,
  );
  // equal values are allowed; whole seconds kept
  const m = one(router([N({ holdTime: '90s', keepaliveTime: '90s', connectTime: '5s' })]));
  const n = m.routers[0]!.neighbors[0]!;
  assert.equal(n.holdTime, 90);
  assert.equal(n.keepaliveTime, 90);
  assert.equal(n.connectTime, 5);
});

test('defaults are normalised away even for a single object (rule 11/12)', () => {
  const m = one(router([N({ port: 179, holdTime: '3m', keepaliveTime: '1m', connectTime: '60s' })]));
  const n = m.routers[0]!.neighbors[0]!;
  assert.equal(n.port, null);
  assert.equal(n.holdTime, null);
  assert.equal(n.keepaliveTime, null);
  assert.equal(n.connectTime, null);
  const m2 = one(router([N({ port: 1790 })]));
  assert.equal(m2.routers[0]!.neighbors[0]!.port, 1790);
});

test('community syntax errors (V26) are prefixed with the local pref text (QUIRK)', () => {
  const adv = (community: string) => ({ allowed: { mode: 'all' }, withCommunity: [{ community, prefixes: ['192.0.2.0/24'] }] });
  const pre = `${WRAP}failed to process local pref for neighbor 65002@192.0.2.2, err: `;
  throwsText(() => one(router([N({ toAdvertise: adv('1:2:3') })])), `${pre}invalid community 1:2:3, err: invalid community format: 1:2:3`);
  throwsText(
    () => one(router([N({ toAdvertise: adv('70000:1') })])),
    `${pre}invalid community 70000:1, err: invalid community value: invalid section "70000" of community "70000:1", err: "strconv.ParseUint: parsing \\"70000\\": value out of range"`,
  );
  throwsText(
    () => one(router([N({ toAdvertise: adv('larg:1:2:3') })])),
    `${pre}invalid community larg:1:2:3, err: invalid community value: invalid marker for large community, expected community to be of format large:<uint32>:<uint32>:<uint32> but got "larg:1:2:3" instead`,
  );
});

test('community prefix must be advertised (V28), no duplicate prefix in one entry (V29)', () => {
  const pre = `${WRAP}failed to process local pref for neighbor 65002@192.0.2.2, err: `;
  throwsText(
    () =>
      one(
        router([N({ toAdvertise: { allowed: { prefixes: [] }, withCommunity: [{ community: 'large:1:2:3', prefixes: ['192.0.2.0/24'] }] } })]),
      ),
    `${pre}prefix 192.0.2.0/24 is advertised for community 1:2:3 but it's not in the advertisement list of the neighbor`,
  );
  throwsText(
    () =>
      one(
        router([
          N({ toAdvertise: { allowed: { mode: 'all' }, withCommunity: [{ community: '10:100', prefixes: ['192.0.2.0/24', '192.0.2.0/24'] }] } }),
        ]),
      ),
    `${pre}prefix 192.0.2.0/24 is already defined for community 10:100`,
  );
});

test('community canonical forms and list names', () => {
  assert.equal(communityCanonical(parseCommunity('0010:0100')), '10:100');
  assert.equal(communityCanonical(parseCommunity('large:1:2:3')), 'large:1:2:3');
  const m = one(
    router([
      N({
        toAdvertise: {
          allowed: { mode: 'all' },
          withCommunity: [
            { community: '0010:0100', prefixes: ['192.0.2.0/24'] },
            { community: 'large:1:2:3', prefixes: ['192.0.2.0/24'] },
          ],
        },
      }),
    ]),
  );
  const names = m.routers[0]!.neighbors[0]!.outgoing.communityPrefixesModifiers.map((l) => [l.name, l.community]);
  assert.deepEqual(names, [
    ['192.0.2.2-10:100-ip-community-prefixes', '10:100'],
    ['192.0.2.2-large:1:2:3-ip-community-prefixes', 'large:1:2:3'],
  ]);
});

test('allowed prefixes must be CIDRs (V8), receive selectors (V30, V32, V33)', () => {
  throwsText(
    () => one(router([N({ toAdvertise: { allowed: { prefixes: ['foo'] } } })])),
    'invalid allowed prefixes [foo] for neighbor 65002@192.0.2.2, err: unknown ipfamily for foo',
  );
  throwsText(
    () => one(router([N({ toReceive: { allowed: { prefixes: [{ prefix: '10.0.0.0' }] } } })])),
    `${WRAP}failed to parse prefix 10.0.0.0: invalid CIDR address: 10.0.0.0`,
  );
  throwsText(
    () => one(router([N({ toReceive: { allowed: { prefixes: [{ prefix: '192.168.1.0/24', le: 22 }] } } })])),
    `${WRAP}invalid selector lengths: cidr mask 24 is bigger than le 22`,
  );
  throwsText(
    () => one(router([N({ toReceive: { allowed: { prefixes: [{ prefix: '192.168.1.0/24', ge: 22 }] } } })])),
    `${WRAP}invalid selector lengths: cidr mask 24 is bigger than ge 22`,
  );
});

test('incoming selectors sorted by prefix+le+ge as strings (QUIRK)', () => {
  const m = one(
    router([
      N({
        toReceive: {
          allowed: {
            prefixes: [
              { prefix: '10.0.0.0/8', le: 9 },
              { prefix: '10.0.0.0/8', le: 24 },
              { prefix: '10.0.0.0/8', le: 24 },
            ],
          },
        },
      }),
    ]),
  );
  assert.deepEqual(
    m.routers[0]!.neighbors[0]!.incoming.prefixesV4.map((f) => f.le),
    [24, 9],
  );
});

function secret(name: string, data: Record<string, string> | undefined, type = 'kubernetes.io/basic-auth', namespace = NS): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type, ...(data ? { data } : {}) };
}

test('password secrets: resolution and runtime errors (§3.3)', () => {
  const r = router([N({ passwordSecret: { name: 's1', namespace: 'ignored' } })]);
  const b64 = Buffer.from('pw1').toString('base64');
  assert.equal(one(r, { secrets: [secret('s1', { password: b64 })] }).routers[0]!.neighbors[0]!.password, 'pw1');
  throwsText(
    () => one(r, { secrets: [secret('s1', { password: b64 }, 'Opaque')] }),
    `${WRAP}secret type mismatch on "${NS}"/"s1", type "kubernetes.io/basic-auth" is expected `,
  );
  throwsText(() => one(r, { secrets: [secret('s1', { other: b64 })] }), `${WRAP}password field not specified in the secret "${NS}"/"s1"`);
  // missing secret: transient
  assert.throws(
    () => one(r, { secrets: [] }),
    (e: unknown) => e instanceof ConversionError && e.transient && e.message === `${WRAP}secret s1 not found for neighbor 65002@192.0.2.2`,
  );
  // only the daemon namespace counts when asked
  throwsText(
    () => one(r, { secrets: [secret('s1', { password: b64 }, undefined, 'other')], daemonNamespace: NS }),
    `${WRAP}secret s1 not found for neighbor 65002@192.0.2.2`,
  );
  // webhook mode: references blanked, not checked (even together with a cleartext password)
  const both = router([N({ password: 'clear', passwordSecret: { name: 'missing' } })]);
  assert.equal(one(both, { resolvePasswords: false }).routers[0]!.neighbors[0]!.password, 'clear');
  throwsText(() => one(both), `${WRAP}neighbor 65002@192.0.2.2 specifies both cleartext password and secret ref`);
  // secrets given as a map by name
  assert.equal(one(r, { secrets: new Map([['s1', secret('s1', { password: b64 })]]) }).routers[0]!.neighbors[0]!.password, 'pw1');
});

test('BFD profiles: same name with different values in two objects (rule 5)', () => {
  const a = cfg('a', { bgp: { bfdProfiles: [{ name: 'p', receiveInterval: 100 }] } });
  const b = cfg('b', { bgp: { bfdProfiles: [{ name: 'p', receiveInterval: 200 }] } });
  throwsText(() => convertConfigurations([a, b]), 'duplicate bfd profile name p with different values for config b');
  // unset echoMode equals false
  const c = cfg('c', { bgp: { bfdProfiles: [{ name: 'p', receiveInterval: 100, echoMode: false }] } });
  const m = convertConfigurations([a, c]);
  assert.equal(m.bfdProfiles.length, 1);
  assert.equal(m.bfdProfiles[0]!.receiveInterval, 100);
});

test('neighbor compatibility errors across objects (rule 9)', () => {
  const pair = (x: Partial<Neighbor>, y: Partial<Neighbor>) =>
    convertConfigurations([cfg('a', { bgp: { routers: [router([N(x)])] } }), cfg('b', { bgp: { routers: [router([N(y)])] } })]);
  const id = '192.0.2.2';
  throwsText(() => pair({ port: 180 }, {}), `multiple ports specified for ${id}`);
  assert.doesNotThrow(() => pair({ port: 179 }, {}));
  throwsText(() => pair({ sourceaddress: '10.0.0.1' }, {}), `multiple source addresses specified for ${id}`);
  throwsText(() => pair({ password: 'a' }, { password: 'b' }), `multiple passwords specified for ${id}`);
  throwsText(() => pair({ ebgpMultiHop: true }, {}), `conflicting ebgp-multihop specified for ${id}`);
  throwsText(() => pair({ dualStackAddressFamily: true }, {}), `conflicting advertiseDualStack specified for ${id}`);
  throwsText(() => pair({ holdTime: '90s', keepaliveTime: '30s' }, {}), `multiple hold times specified for ${id}`);
  throwsText(() => pair({ holdTime: '180s', keepaliveTime: '30s' }, {}), `multiple keepalive times specified for ${id}`);
  throwsText(() => pair({ connectTime: '10s' }, {}), `multiple connect times specified for ${id}`);
  assert.doesNotThrow(() => pair({ connectTime: '60s' }, {}));
  // graceful restart: first processed wins, silently (QUIRK)
  assert.equal(pair({ enableGracefulRestart: true }, {}).routers[0]!.neighbors[0]!.gracefulRestart, true);
  assert.equal(pair({}, { enableGracefulRestart: true }).routers[0]!.neighbors[0]!.gracefulRestart, false);
  // incoming "all" wins
  const m = pair({ toReceive: { allowed: { mode: 'all' } } }, { toReceive: { allowed: { prefixes: [{ prefix: '10.0.0.0/8' }] } } });
  assert.deepEqual(m.routers[0]!.neighbors[0]!.incoming, { all: true, prefixesV4: [], prefixesV6: [] });
});

test('router ids: empty takes the other; objects sorted by namespace/name unless preserveOrder', () => {
  const a = cfg('b', { bgp: { routers: [{ asn: 65001 }] } });
  const b = cfg('a', { bgp: { routers: [{ asn: 65001, id: '10.0.0.1' }] } });
  assert.equal(convertConfigurations([a, b]).routers[0]!.routerID, '10.0.0.1');
  const c = cfg('a', { bgp: { routers: [{ asn: 65002 }] } });
  throwsText(() => convertConfigurations([a, c]), 'different asns (65002 != 65001) specified for same vrf: ');
  throwsText(() => convertConfigurations([a, c], { preserveOrder: true }), 'different asns (65001 != 65002) specified for same vrf: ');
  // sort key is namespace first
  const d = cfg('a', { bgp: { routers: [{ asn: 65002 }] } }, 'zzz');
  throwsText(() => convertConfigurations([d, a]), 'different asns (65001 != 65002) specified for same vrf: ');
});

test('raw configs ordered by priority then name', () => {
  const m = convertConfigurations([
    cfg('b', { raw: { rawConfig: 'B', priority: 1 } }),
    cfg('a', { raw: { rawConfig: 'A', priority: 1 } }),
    cfg('c', { raw: { rawConfig: 'C' } }),
  ]);
  assert.equal(m.extraConfig, 'C\nA\nB\n');
});

test('EVPN: the same VNI as l2vni and l3vni in one router', () => {
  throwsText(
    () => one({ asn: 65001, evpn: { l2vnis: [{ vni: 7 }], l3vni: { vni: 7, advertisePrefixes: ['unicast'] } }, neighbors: [] }),
    'invalid EVPN configuration for vrf "": advertiseVNIs=All, advertiseSVI and l2vnis require at least one neighbor with evpn address family',
  );
  throwsText(
    () =>
      one([
        { asn: 65001, vrf: 'a', evpn: { l3vni: { vni: 7, advertisePrefixes: ['unicast'] } } },
        { asn: 65001, vrf: 'b', evpn: { l3vni: { vni: 7, advertisePrefixes: ['unicast'] } } },
      ]),
    'duplicate VNI 7: configured as l3vni in vrf "a" and as l3vni in vrf "b"',
  );
  assert.doesNotThrow(() =>
    one({ asn: 65001, vrf: 'a', evpn: { l3vni: { vni: 7, advertisePrefixes: ['unicast'] } } }, { skipEVPNValidation: true }),
  );
});

test('interface neighbors are dual stack, VRF suffix in the ID', () => {
  const m = one(router([{ asn: 65002, interface: 'eth0' }], { vrf: 'red' }));
  const n = m.routers[0]!.neighbors[0]!;
  assert.equal(n.ipFamily, 'dual');
  assert.equal(n.name, '65002@eth0');
  assert.equal(neighborID(n), 'eth0-red');
});

test('always-block entries are normalised network addresses', () => {
  const m = one(router([N()]), { alwaysBlock: ['192.168.1.7/24', 'fc00::1/64'] });
  assert.deepEqual(m.routers[0]!.neighbors[0]!.alwaysBlock, [
    { ipFamily: 'ipv4', prefix: '192.168.1.0/24', le: 32, ge: 0 },
    { ipFamily: 'ipv6', prefix: 'fc00::/64', le: 128, ge: 0 },
  ]);
});

test('selectForNode', () => {
  const a = cfg('a', { nodeSelector: { matchLabels: { zone: 'x' } } });
  const b = cfg('b', {});
  assert.deepEqual(
    selectForNode([a, b], { zone: 'y' }).map((c) => c.metadata.name),
    ['b'],
  );
  assert.deepEqual(
    selectForNode([a, b], { zone: 'x' }).map((c) => c.metadata.name),
    ['a', 'b'],
  );
  const bad = cfg('bad', { nodeSelector: { matchLabels: { app: '@' } } });
  assert.throws(
    () => selectForNode([b, bad], {}),
    (e: unknown) =>
      e instanceof ConversionError && e.message.startsWith(`could not parse nodeSelector for FRRConfiguration ${NS}/bad, err: `),
  );
});
