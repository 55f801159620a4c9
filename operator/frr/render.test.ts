import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FRRConfiguration } from '../api/frrk8s.js';
import type { Secret } from '../api/meta.js';
import { ConversionError } from '../config/frrk8s/errors.js';
import { emptyModelConfig, neighborFromJSON, type FRRModelConfig, type NeighborModel, type RouterModel } from '../config/frrk8s/model.js';
import { renderForNode } from './pipeline.js';
import { crc32, fallbackRouterID, frrLogLevel, RenderError, renderFRRConfig, tidy } from './render.js';
import { Counters, filterMatch, fnv1a32, MAX_SEQ, mustDisableConnectedCheck, sortedModifiers, timersValue, connectTimeValue } from './view.js';
import { normalizedLines, requireVtysh, vtyshCheck } from './testutil.js';

// every configuration rendered here is also fed to vtysh -C -f at the end
const produced: Record<string, string> = {};
function keep(name: string, text: string): string {
  produced[name] = text;
  return text;
}

const HEADER = ['log stdout informational', 'log timestamp precision 3', 'hostname node1', 'ip nht resolve-via-default', 'ipv6 nht resolve-via-default'];

function frrConfig(name: string, spec: Record<string, unknown>): FRRConfiguration {
  return { apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'FRRConfiguration', metadata: { name, namespace: 'frr-k8s-system' }, spec } as FRRConfiguration;
}

const NODE = { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } };

function neighbor(over: Partial<NeighborModel> & Record<string, unknown>): NeighborModel {
  return neighborFromJSON({ ipFamily: 'ipv4', asn: '65001', addr: '192.0.2.1', ...over });
}

function router(neighbors: NeighborModel[], over: Partial<RouterModel> = {}): RouterModel {
  return { myASN: 65000, routerID: '', vrf: '', neighbors, ipv4Prefixes: [], ipv6Prefixes: [], importVRFs: [], evpn: null, ...over };
}

function model(routers: RouterModel[], over: Partial<FRRModelConfig> = {}): FRRModelConfig {
  return { ...emptyModelConfig(), routers, ...over };
}

const sessionLines = (conf: string): string[] => normalizedLines(conf).filter((l) => l.startsWith('  neighbor ') && !l.includes(' activate'));

test('frrLogLevel maps the frr-k8s levels, unknown ones to informational', () => {
  assert.deepEqual(
    ['all', 'debug', 'info', 'warn', 'error', 'none', '', 'verbose'].map(frrLogLevel),
    ['debugging', 'debugging', 'informational', 'warnings', 'errors', 'emergencies', 'informational', 'informational'],
  );
});

test('fallback router id: CRC-32 IEEE of the hostname, little-endian, dotted', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
  assert.equal(fallbackRouterID('dummyhostname'), '167.62.253.30');
  const conf = renderFRRConfig(model([router([]), router([], { vrf: 'red', routerID: '10.0.0.1' })]), { hostname: 'dummyhostname', hostHasIPv4: false });
  assert.deepEqual(normalizedLines(conf).filter((l) => l.includes('router-id')), ['  bgp router-id 167.62.253.30', '  bgp router-id 10.0.0.1']);
  const withV4 = renderFRRConfig(model([router([])]), { hostname: 'dummyhostname' });
  assert.ok(!withV4.includes('router-id'));
});

test('the empty configuration is the header; debugging adds 13 debug lines; no hostname line without a hostname', () => {
  assert.equal(keep('empty', renderFRRConfig(emptyModelConfig(), { hostname: 'node1' })), HEADER.join('\n') + '\n');
  const dbg = keep('debug', renderFRRConfig(emptyModelConfig(), { hostname: 'node1', logLevel: 'all' }));
  const lines = normalizedLines(dbg);
  assert.equal(lines[0], 'log stdout debugging');
  assert.equal(lines.filter((l) => l.startsWith('debug ')).length, 13);
  assert.equal(lines.length, 18);
  assert.ok(!renderFRRConfig(emptyModelConfig(), { hostname: '' }).includes('hostname'));
  // without an explicit level the model's FRR word is kept
  assert.match(renderFRRConfig({ ...emptyModelConfig(), logLevel: 'warnings' }, { hostname: 'h' }), /^log stdout warnings\n/);
  assert.match(renderFRRConfig({ ...emptyModelConfig(), logLevel: 'error' }, { hostname: 'h' }), /^log stdout errors\n/);
});

test('the illustrative example of spec §4.7 renders exactly (upstream numbering)', () => {
  const cfg = frrConfig('example', {
    bgp: {
      routers: [
        {
          asn: 64512,
          prefixes: ['10.0.0.0/24', '10.0.1.0/24'],
          neighbors: [
            {
              address: '192.0.2.1',
              asn: 64512,
              toAdvertise: {
                allowed: { mode: 'all' },
                withCommunity: [{ community: '65000:100', prefixes: ['10.0.1.0/24'] }],
                withLocalPref: [{ localPref: 200, prefixes: ['10.0.1.0/24'] }],
              },
            },
          ],
        },
      ],
    },
  });
  const { config, model: m } = renderForNode([cfg], NODE, { hostname: 'node1', logLevel: 'info', seqNumbering: 'upstream' });
  keep('example', config);
  assert.equal(m.hostname, 'node1');
  assert.equal(m.logLevel, 'informational');
  assert.deepEqual(normalizedLines(config), [
    ...HEADER,
    'ip prefix-list 192.0.2.1-200-ip-localpref-prefixes seq 1 permit 10.0.1.0/24',
    'route-map 192.0.2.1-out permit 1',
    '  match ip address prefix-list 192.0.2.1-200-ip-localpref-prefixes',
    '  set local-preference 200',
    '  on-match next',
    'ip prefix-list 192.0.2.1-65000:100-ip-community-prefixes seq 1 permit 10.0.1.0/24',
    'route-map 192.0.2.1-out permit 2',
    '  match ip address prefix-list 192.0.2.1-65000:100-ip-community-prefixes',
    '  set community 65000:100 additive',
    '  on-match next',
    'ip prefix-list 192.0.2.1-allowed-ipv4 seq 1 permit 10.0.0.0/24',
    'ip prefix-list 192.0.2.1-allowed-ipv4 seq 2 permit 10.0.1.0/24',
    'ipv6 prefix-list 192.0.2.1-allowed-ipv6 seq 1 deny any',
    'route-map 192.0.2.1-out permit 3',
    '  match ip address prefix-list 192.0.2.1-allowed-ipv4',
    'route-map 192.0.2.1-out permit 4',
    '  match ipv6 address prefix-list 192.0.2.1-allowed-ipv6',
    'ip prefix-list 192.0.2.1-inpl-ipv4 seq 1 deny any',
    'ipv6 prefix-list 192.0.2.1-inpl-ipv4 seq 2 deny any',
    'route-map 192.0.2.1-in permit 5',
    '  match ip address prefix-list 192.0.2.1-inpl-ipv4',
    'route-map 192.0.2.1-in permit 6',
    '  match ipv6 address prefix-list 192.0.2.1-inpl-ipv4',
    'router bgp 64512',
    '  no bgp ebgp-requires-policy',
    '  no bgp network import-check',
    '  no bgp default ipv4-unicast',
    '  bgp graceful-restart preserve-fw-state',
    '  neighbor 192.0.2.1 remote-as 64512',
    '  address-family ipv4 unicast',
    '    neighbor 192.0.2.1 activate',
    '    neighbor 192.0.2.1 route-map 192.0.2.1-in in',
    '    neighbor 192.0.2.1 route-map 192.0.2.1-out out',
    '  exit-address-family',
    '  address-family ipv4 unicast',
    '    network 10.0.0.0/24',
    '    network 10.0.1.0/24',
    '  exit-address-family',
  ]);
  // the real output is tidy: no trailing blanks, no runs of empty lines, one final newline
  assert.equal(tidy(config), config);
});

test('upstream numbering: seq per list name shared by ip and ipv6, route-map entries per neighbor shared by -out and -in', () => {
  const c = new Counters();
  assert.deepEqual([c.next('a'), c.next('b'), c.next('a')], [1, 1, 2]);
  const n = neighbor({
    ipFamily: 'dual',
    incoming: { all: false, prefixesV4: [{ ipFamily: 'ipv4', prefix: '10.0.0.0/8', le: 24, ge: 0 }], prefixesV6: [{ ipFamily: 'ipv6', prefix: '2001:db8::/32', le: 0, ge: 48 }] },
    alwaysBlock: [
      { ipFamily: 'ipv4', prefix: '192.168.0.0/16', le: 32, ge: 0 },
      { ipFamily: 'ipv6', prefix: 'fc00::/7', le: 128, ge: 0 },
    ],
  });
  const conf = keep('numbering', renderFRRConfig(model([router([n])]), { hostname: 'node1', seqNumbering: 'upstream' }));
  const lines = normalizedLines(conf);
  assert.deepEqual(
    lines.filter((l) => l.includes('inpl-dual seq')),
    [
      'ip prefix-list 192.0.2.1-inpl-dual seq 1 permit 10.0.0.0/8 le 24',
      'ipv6 prefix-list 192.0.2.1-inpl-dual seq 2 permit 2001:db8::/32 ge 48',
      'ip prefix-list 192.0.2.1-denied-inpl-dual seq 1 permit 192.168.0.0/16 le 32',
      'ipv6 prefix-list 192.0.2.1-denied-inpl-dual seq 2 permit fc00::/7 le 128',
    ],
  );
  assert.deepEqual(
    lines.filter((l) => l.startsWith('route-map')),
    [
      'route-map 192.0.2.1-out permit 1',
      'route-map 192.0.2.1-out permit 2',
      'route-map 192.0.2.1-in deny 3',
      'route-map 192.0.2.1-in deny 4',
      'route-map 192.0.2.1-in permit 5',
      'route-map 192.0.2.1-in permit 6',
    ],
  );
  // dual stack: activated in both unicast families
  assert.equal(lines.filter((l) => l === '    neighbor 192.0.2.1 activate').length, 2);
});

test('modifier lists: local-pref and community lists sorted together by name, prefixes sorted; large communities', () => {
  const out = {
    prefixesV4: [],
    prefixesV6: [],
    nextHopV4: '',
    nextHopV6: '',
    localPrefPrefixesModifiers: [{ name: 'n-50-ip-localpref-prefixes', ipFamily: 'ip' as const, prefixes: ['10.0.2.0/24', '10.0.1.0/24'], localPref: 50 }],
    communityPrefixesModifiers: [
      { name: 'n-large:1:2:3-ip-community-prefixes', ipFamily: 'ip' as const, prefixes: ['10.0.1.0/24'], community: 'large:1:2:3' },
      { name: 'n-10:1-ip-community-prefixes', ipFamily: 'ip' as const, prefixes: ['10.0.1.0/24'], community: '10:1' },
    ],
  };
  const sorted = sortedModifiers(out);
  assert.deepEqual(sorted.map((m) => m.name), ['n-10:1-ip-community-prefixes', 'n-50-ip-localpref-prefixes', 'n-large:1:2:3-ip-community-prefixes']);
  assert.deepEqual(sorted[1]!.prefixes, ['10.0.1.0/24', '10.0.2.0/24']);
  const conf = keep('modifiers', renderFRRConfig(model([router([neighbor({ outgoing: out })])]), { hostname: 'node1' }));
  assert.match(conf, /\n {2}set large-community 1:2:3 additive\n/);
  assert.match(conf, /\n {2}set community 10:1 additive\n/);
  // the model is not changed by rendering
  assert.deepEqual(out.localPrefPrefixesModifiers[0]!.prefixes, ['10.0.2.0/24', '10.0.1.0/24']);
});

test('filter text and disable-connected-check rules', () => {
  assert.equal(filterMatch({ ipFamily: 'ipv4', prefix: '10.0.0.0/8', le: 32, ge: 24 }), '10.0.0.0/8 le 32 ge 24');
  assert.equal(filterMatch({ ipFamily: 'ipv4', prefix: '10.0.0.0/8', le: 0, ge: 0 }), '10.0.0.0/8');
  const v6 = (over: Record<string, unknown>): NeighborModel => neighbor({ ipFamily: 'ipv6', addr: '2001:db8::1', ...over });
  assert.equal(mustDisableConnectedCheck(v6({ asn: '65001' }), 65000), true);
  assert.equal(mustDisableConnectedCheck(v6({ asn: '65000' }), 65000), false, 'iBGP');
  assert.equal(mustDisableConnectedCheck(v6({ asn: 'external' }), 65000), true);
  assert.equal(mustDisableConnectedCheck(v6({ asn: 'internal' }), 65000), false);
  assert.equal(mustDisableConnectedCheck(v6({ asn: '65001', ebgpMultiHop: true }), 65000), false, 'multihop');
  assert.equal(mustDisableConnectedCheck(v6({ asn: '65001', ipFamily: 'dual' }), 65000), false, 'dual stack');
  assert.equal(mustDisableConnectedCheck(neighbor({ asn: '65001' }), 65000), false, 'IPv4');
  assert.equal(mustDisableConnectedCheck(v6({ asn: 'external', iface: 'eth0', addr: '' }), 65000), false, 'unnumbered');
});

test('session lines in order; unset values are not rendered, set ones are (the conversion drops defaults)', () => {
  const n = neighbor({
    asn: '65001',
    ebgpMultiHop: true,
    localASN: 65010,
    port: 1179,
    holdTime: 90,
    keepaliveTime: 30,
    connectTime: 5,
    password: 'p@ss!w#rd',
    srcAddr: '192.0.2.254',
    gracefulRestart: true,
    bfdProfile: 'fast',
  });
  const conf = keep(
    'session',
    renderFRRConfig(
      model([router([n])], {
        bfdProfiles: [
          { name: 'fast', receiveInterval: 10, transmitInterval: 10, detectMultiplier: 2, echoInterval: null, echoMode: false, passiveMode: false, minimumTTL: 254 },
        ],
      }),
      { hostname: 'node1' },
    ),
  );
  assert.deepEqual(sessionLines(conf), [
    '  neighbor 192.0.2.1 remote-as 65001',
    '  neighbor 192.0.2.1 ebgp-multihop',
    '  neighbor 192.0.2.1 local-as 65010 no-prepend replace-as',
    '  neighbor 192.0.2.1 port 1179',
    '  neighbor 192.0.2.1 timers 30 90',
    '  neighbor 192.0.2.1 timers connect 5',
    '  neighbor 192.0.2.1 password p@ss!w#rd',
    '  neighbor 192.0.2.1 update-source 192.0.2.254',
    '  neighbor 192.0.2.1 graceful-restart',
    '  neighbor 192.0.2.1 bfd',
    '  neighbor 192.0.2.1 bfd profile fast',
  ]);
  assert.deepEqual(normalizedLines(conf).slice(-6), ['bfd', '  profile fast', '    receive-interval 10', '    transmit-interval 10', '    detect-multiplier 2', '    minimum-ttl 254']);
  const zero = keep('timers-zero', renderFRRConfig(model([router([neighbor({ holdTime: 0, keepaliveTime: 0 })])]), { hostname: 'node1' }));
  assert.ok(sessionLines(zero).includes('  neighbor 192.0.2.1 timers 0 0'));
  const unnumbered = keep('unnumbered', renderFRRConfig(model([router([neighbor({ iface: 'eth1', addr: '', asn: 'external', ipFamily: 'dual' })])]), { hostname: 'node1' }));
  assert.ok(sessionLines(unnumbered).includes('  neighbor eth1 interface remote-as external'));
  assert.match(unnumbered, /route-map eth1-out permit 65000\n/);
});

test('timer quirks through the API: upstream parity by default, "fixed" renders what was asked', () => {
  const mk = (n: Record<string, unknown>): FRRConfiguration =>
    frrConfig('timers', { bgp: { routers: [{ asn: 65000, neighbors: [{ address: '192.0.2.1', asn: 65001, ...n }] }] } });
  const sessions = (n: Record<string, unknown>, timerDefaults?: 'upstream' | 'fixed'): string[] =>
    sessionLines(renderForNode([mk(n)], NODE, { hostname: 'node1', ...(timerDefaults ? { timerDefaults } : {}) }).config).slice(1);

  // hold 180 is normalised away and the timers line needs both: keepalive 30 is lost (FRR keeps 60/180)
  assert.deepEqual(sessions({ holdTime: '180s', keepaliveTime: '30s' }), []);
  assert.deepEqual(sessions({ holdTime: '90s', keepaliveTime: '60s' }), []);
  // connect 60 is "the default" for frr-k8s but FRR's default is 120
  assert.deepEqual(sessions({ connectTime: '60s' }), []);
  assert.deepEqual(sessions({ port: 179 }), []);
  assert.deepEqual(sessions({ holdTime: '90s', keepaliveTime: '30s', connectTime: '10s' }), ['  neighbor 192.0.2.1 timers 30 90', '  neighbor 192.0.2.1 timers connect 10']);

  assert.deepEqual(sessions({ holdTime: '180s', keepaliveTime: '30s' }, 'fixed'), ['  neighbor 192.0.2.1 timers 30 180', '  neighbor 192.0.2.1 timers connect 60']);
  assert.deepEqual(sessions({ holdTime: '90s', keepaliveTime: '60s' }, 'fixed'), ['  neighbor 192.0.2.1 timers 60 90', '  neighbor 192.0.2.1 timers connect 60']);
  assert.deepEqual(sessions({ connectTime: '60s' }, 'fixed'), ['  neighbor 192.0.2.1 timers connect 60']);
  assert.deepEqual(sessions({}, 'fixed'), ['  neighbor 192.0.2.1 timers connect 60']);
  keep('fixed', renderForNode([mk({ holdTime: '180s', keepaliveTime: '30s' })], NODE, { hostname: 'node1', timerDefaults: 'fixed' }).config);

  assert.equal(timersValue({ holdTime: null, keepaliveTime: null }, 'fixed'), null);
  assert.equal(timersValue({ holdTime: 90, keepaliveTime: null }), null);
  assert.equal(connectTimeValue({ connectTime: null }), null);
});

test('EVPN: VRF bindings, l2vpn evpn block; evpn-only neighbors still get their filters', () => {
  const evpnNeighbor = neighbor({ addressFamilies: ['evpn'] });
  const conf = keep(
    'evpn',
    renderFRRConfig(
      model([
        router([evpnNeighbor], {
          evpn: { advertiseVNIs: 'All', advertiseSVI: false, l2VNIs: [{ vni: 10, rd: '', importRTs: [], exportRTs: [] }, { vni: 11, rd: '65000:11', importRTs: [], exportRTs: [] }], l3VNI: null },
        }),
        router([], { vrf: 'red', evpn: { advertiseVNIs: null, advertiseSVI: false, l2VNIs: [], l3VNI: { vni: 100, rd: '', importRTs: ['65000:100'], exportRTs: [], advertisePrefixes: [] } } }),
      ]),
      { hostname: 'node1' },
    ),
  );
  const lines = normalizedLines(conf);
  assert.ok(lines.includes('route-map 192.0.2.1-out permit 65000'));
  assert.ok(!lines.includes('    neighbor 192.0.2.1 route-map 192.0.2.1-in in'), 'no unicast activation');
  const vrf = lines.indexOf('vrf red');
  assert.deepEqual(lines.slice(vrf, vrf + 3), ['vrf red', '  vni 100', 'exit-vrf']);
  assert.ok(vrf < lines.indexOf('router bgp 65000'));
  const af = lines.indexOf('  address-family l2vpn evpn');
  assert.deepEqual(lines.slice(af, af + 7), [
    '  address-family l2vpn evpn',
    '    neighbor 192.0.2.1 activate',
    '    advertise-all-vni',
    '    vni 11',
    '      rd 65000:11',
    '    exit-vni',
    '  exit-address-family',
  ]);
  const red = lines.indexOf('router bgp 65000 vrf red');
  assert.deepEqual(lines.slice(red + 5), ['  address-family l2vpn evpn', '    route-target import 65000:100', '  exit-address-family']);
});

test('raw config is appended verbatim at the very end', () => {
  const raw = '! raw\nrouter bgp 65000\n  bgp log-neighbor-changes\n';
  const conf = keep('raw', renderFRRConfig(model([router([])], { extraConfig: raw }), { hostname: 'node1' }));
  assert.ok(conf.endsWith(`\n\n${raw}`), conf);
  assert.ok(renderFRRConfig(model([], { extraConfig: 'x' }), { hostname: 'h' }).endsWith('\nx\n'));
});

test('a value with a line break, or a password with a blank, is refused as a ConversionError', () => {
  const n = neighbor({ password: 'secret\nrouter bgp 1' });
  assert.throws(
    () => renderFRRConfig(model([router([n])]), { hostname: 'node1' }),
    (e: unknown) => e instanceof RenderError && e instanceof ConversionError && /routers\[0\]\.sessions\[0\]\.password contains a line break/.test(e.message),
  );
  assert.throws(() => renderFRRConfig(emptyModelConfig(), { hostname: 'a\nb' }), RenderError);
  // FRR reads the password as one word: a blank would make FRR refuse the whole file
  assert.throws(
    () => renderFRRConfig(model([router([], { vrf: 'red' }), router([neighbor({ password: 'two words' })], { vrf: 'red' })]), { hostname: 'node1' }),
    (e: unknown) => e instanceof RenderError && e.message === 'cannot render frr.conf: the password of neighbor 192.0.2.1 in vrf red contains whitespace, which FRR does not accept',
  );
});

test('renderForNode: node selection, passwords from Secrets, conversion errors', () => {
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'pw', namespace: 'frr-k8s-system' },
    type: 'kubernetes.io/basic-auth',
    data: { password: Buffer.from('s3cret').toString('base64') },
  };
  const edge = frrConfig('edge', {
    nodeSelector: { matchLabels: { edge: 'true' } },
    bgp: { routers: [{ asn: 65000, neighbors: [{ address: '192.0.2.1', asn: 65001, passwordSecret: { name: 'pw', namespace: 'frr-k8s-system' } }] }] },
  });
  const none = renderForNode([edge], NODE, { hostname: 'node1', secrets: [secret] });
  assert.equal(none.config, HEADER.join('\n') + '\n');
  assert.deepEqual(none.model.routers, []);
  const sel = renderForNode([edge], { name: 'node1', labels: { edge: 'true' } }, { hostname: 'node1', secrets: [secret] });
  keep('selected', sel.config);
  assert.ok(sel.config.includes('  neighbor 192.0.2.1 password s3cret\n'));
  assert.throws(() => renderForNode([edge], { name: 'node1', labels: { edge: 'true' } }, { hostname: 'node1' }), ConversionError);
  const other = frrConfig('other', { bgp: { routers: [{ asn: 65099, neighbors: [] }] } });
  const plain = frrConfig('plain', { bgp: { routers: [{ asn: 65000, neighbors: [] }] } });
  assert.throws(() => renderForNode([plain, other], NODE, { hostname: 'node1' }), (e: unknown) => e instanceof ConversionError && /different asns/.test(e.message));
  // always-block from the daemon flag reaches every neighbor
  const ab = renderForNode([frrConfig('x', { bgp: { routers: [{ asn: 65000, neighbors: [{ address: '192.0.2.1', asn: 65001 }] }] } })], NODE, {
    hostname: 'node1',
    alwaysBlock: ['192.168.1.7/24'],
  });
  keep('always-block', ab.config);
  // stable seq of an entry with le/ge: FNV-1a of its text (seq.test.ts pins the hash)
  assert.ok(ab.config.includes(`ip prefix-list 192.0.2.1-denied-inpl-ipv4 seq ${1 + (fnv1a32('192.168.1.0/24 le 32') % (MAX_SEQ - 1))} permit 192.168.1.0/24 le 32\n`));
});

test('vtysh -C -f accepts the configurations rendered by these tests', (t) => {
  if (!requireVtysh(t)) return;
  assert.ok(Object.keys(produced).length >= 10);
  for (const [name, r] of Object.entries(vtyshCheck(produced))) {
    assert.ok(r.ran, `${name}: ${r.reason}`);
    assert.equal(r.status, 0, `${name}: vtysh -C -f failed:\n${r.output}\n${produced[name]}`);
  }
});
