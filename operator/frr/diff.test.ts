import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { projectPath } from '../util/paths.js';
import { canonicalCommunities, canonicalizeFRRText, formatTree, parseFRRConfig, UnsupportedConfigError } from './configtree.js';
import { diffFRRConfig, prefixListOps } from './diff.js';
import { prepareDesired } from './desired.js';

const lines = (running: string, desired: string): string[] =>
  diffFRRConfig(running, desired)
    .split('\n')
    .filter((l) => l !== '');
const stripped = (running: string, desired: string): string[] => lines(running, desired).map((l) => l.trim());
const testdata = (f: string): string => readFileSync(projectPath('operator', 'frr', 'testdata', f), 'utf8');

// ---------------------------------------------------------------------------------------------
// parsing and canonical forms

test('a rendered config and the running config FRR 8.4 prints for it parse to the same tree', () => {
  const desired = testdata('rich-desired.conf');
  const running = testdata('rich-running.txt');
  // the running config carries the host's forwarding lines; everything else matches
  assert.deepEqual(lines(running, desired), ['ip forwarding', 'ipv6 forwarding']);
  assert.equal(diffFRRConfig(running, prepareDesired(desired, running)), '');
  // running config -> frr.conf direction too: nothing to add
  assert.deepEqual(lines(desired, running), ['no ip forwarding', 'no ipv6 forwarding']);
});

test('context ends are found without exit lines, like vtysh walking up', () => {
  const t = parseFRRConfig(['router bgp 1', '  neighbor 1.1.1.1 remote-as 2', '  address-family ipv4 unicast', '    network 10.0.0.0/24', 'ip prefix-list L seq 1 permit any', 'route-map R permit 1', '  on-match next', 'bfd', '  profile p', '    echo-mode', 'log stdout'].join('\n'));
  assert.deepEqual(formatTree(t), [
    'ip prefix-list L seq 1 permit any',
    'log stdout',
    'router bgp 1',
    ' neighbor 1.1.1.1 remote-as 2',
    ' address-family ipv4 unicast',
    '  network 10.0.0.0/24',
    'route-map R permit 1',
    ' on-match next',
    'bfd',
    ' profile p',
    '  echo-mode',
  ]);
});

test('repeated blocks merge; a later value of a one-value line replaces the earlier one', () => {
  const t = parseFRRConfig(['router bgp 1', ' bgp router-id 1.1.1.1', ' address-family ipv4', '  network 10.0.0.0/24', ' exit-address-family', 'router bgp 1', ' bgp router-id 2.2.2.2', ' address-family ipv4 unicast', '  network 10.0.1.0/24'].join('\n'));
  assert.deepEqual(formatTree(t), ['router bgp 1', ' bgp router-id 2.2.2.2', ' address-family ipv4 unicast', '  network 10.0.0.0/24', '  network 10.0.1.0/24']);
});

test('canonical forms: what FRR 8.4 prints for what we send', () => {
  const text = [
    'log stdout debugging',
    'debug bgp updates',
    'ip prefix-list L seq 1 permit 10.0.0.0/8 le 32 ge 16',
    'ip forwarding',
    'router bgp 1',
    '  bgp ebgp-requires-policy',
    '  neighbor 1.1.1.1 remote-as 2',
    '  neighbor 1.1.1.1 ebgp-multihop',
    '  neighbor 1.1.1.1 port 179',
    '  no bgp graceful-restart preserve-fw-state',
    'route-map R permit 1',
    '  set community 65000:2 65535:65281 65000:1 additive',
    'bfd',
    '  profile p',
    '    receive-interval 300',
    '    transmit-interval 100',
    '    detect-multiplier 3',
    '    echo transmit-interval 50',
    '    minimum-ttl 254',
  ].join('\n');
  assert.deepEqual(canonicalizeFRRText(text).split('\n'), [
    'log stdout',
    'debug bgp updates in',
    'debug bgp updates out',
    'ip prefix-list L seq 1 permit 10.0.0.0/8 ge 16 le 32',
    'router bgp 1',
    '  neighbor 1.1.1.1 remote-as 2',
    '  neighbor 1.1.1.1 ebgp-multihop 255',
    'route-map R permit 1',
    '  set community 65000:1 65000:2 no-export additive',
    'bfd',
    '  profile p',
    '    transmit-interval 100',
  ]);
  assert.equal(canonicalCommunities('0:0 65535:666 blackhole'), 'internet blackhole');
  assert.equal(canonicalCommunities('weird:thing'), 'weird:thing');
});

test('anything outside the rendered grammar is refused (frr-reload takes over)', () => {
  for (const text of [
    'router bgp 1 vrf red\n neighbor 1.1.1.1 remote-as 2',
    'vrf red\n vni 100\nexit-vrf',
    'router bgp 1\n address-family l2vpn evpn\n  advertise-all-vni',
    'router bgp 1\n address-family ipv4 unicast\n  import vrf red',
    'interface eth0\n ip address 10.0.0.1/24',
    'router bgp 1\n neighbor 1.1.1.1 route-map X in', // AF setting at router level
    'ip route 10.0.0.0/8 10.1.1.1',
    'ip prefix-list L permit 10.0.0.0/8', // no seq: FRR numbers it
    'no route-map X permit 1',
  ]) {
    assert.throws(() => parseFRRConfig(text), UnsupportedConfigError, text);
  }
  assert.match(String((() => { try { parseFRRConfig('router bgp 1 vrf red'); } catch (e) { return (e as Error).message; } })()), /line 1: BGP in a VRF is not handled by the diff/);
});

// ---------------------------------------------------------------------------------------------
// root: single lines and prefix-lists

const BASE = ['log stdout informational', 'ip prefix-list L seq 1 permit 10.0.0.1/32', 'ip prefix-list L seq 2 permit 10.0.0.3/32'];

test('root lines: add, remove, replace in place', () => {
  assert.deepEqual(lines('', 'log timestamp precision 3\n'), ['log timestamp precision 3']);
  assert.deepEqual(lines('log timestamp precision 3\ndebug bgp nht\n', ''), ['no log timestamp precision 3', 'no debug bgp nht']);
  // a new level replaces the old one: no removal first
  assert.deepEqual(lines('log stdout informational\n', 'log stdout warnings\n'), ['log stdout warnings']);
  // forwarding: removing a `no` line is the positive command
  assert.deepEqual(lines('no ip forwarding\n', ''), ['ip forwarding']);
  assert.deepEqual(lines('', 'no ipv6 forwarding\n'), ['no ipv6 forwarding']);
  // hostname and headers are not configuration for the diff
  assert.equal(diffFRRConfig('frr version 8.4.4\nfrr defaults traditional\nhostname a\nservice integrated-vtysh-config\n!\nend\n', 'hostname b\n'), '');
});

test('prefix-lists: one added entry, one removed entry, in place', () => {
  assert.deepEqual(lines(BASE.join('\n'), [...BASE, 'ip prefix-list L seq 3 permit 10.0.0.4/32'].join('\n')), ['ip prefix-list L seq 3 permit 10.0.0.4/32']);
  assert.deepEqual(lines(BASE.join('\n'), BASE.slice(0, 2).join('\n')), ['no ip prefix-list L seq 2 permit 10.0.0.3/32']);
  // same name in the other family is another list
  assert.deepEqual(lines(BASE.join('\n'), [...BASE, 'ipv6 prefix-list L seq 1 deny any'].join('\n')), ['ipv6 prefix-list L seq 1 deny any']);
  // `deny any` becomes a permit: overwritten in place
  assert.deepEqual(lines('ip prefix-list A seq 1 deny any\n', 'ip prefix-list A seq 1 permit 10.0.0.1/32\n'), ['ip prefix-list A seq 1 permit 10.0.0.1/32']);
});

test('prefix-lists renumbered by an insertion go up, by a removal go down, never creating a duplicate', () => {
  // insert 10.0.0.2 between .1 and .3: seq 2 and 3 change
  const ins = lines(BASE.join('\n'), ['log stdout informational', 'ip prefix-list L seq 1 permit 10.0.0.1/32', 'ip prefix-list L seq 2 permit 10.0.0.2/32', 'ip prefix-list L seq 3 permit 10.0.0.3/32'].join('\n'));
  assert.deepEqual(ins, ['ip prefix-list L seq 2 permit 10.0.0.2/32', 'ip prefix-list L seq 3 permit 10.0.0.3/32']);
  // remove .1: .3 moves from seq 2 to 1 only after seq 2 is gone
  const rm = lines(BASE.join('\n'), 'log stdout informational\nip prefix-list L seq 1 permit 10.0.0.3/32\n');
  assert.deepEqual(rm, ['no ip prefix-list L seq 2 permit 10.0.0.3/32', 'ip prefix-list L seq 1 permit 10.0.0.3/32']);
  // a longer removal shift: seq 1..4 = a b c d -> a c d
  const r4 = new Map([[1, 'permit a'], [2, 'permit b'], [3, 'permit c'], [4, 'permit d']]);
  const d3 = new Map([[1, 'permit a'], [2, 'permit c'], [3, 'permit d']]);
  assert.deepEqual(prefixListOps('ip', 'X', r4, d3), ['no ip prefix-list X seq 4 permit d', 'ip prefix-list X seq 3 permit d', 'ip prefix-list X seq 2 permit c']);
  // a swap is a cycle: broken by removing one entry first
  const swap = prefixListOps('ip', 'X', new Map([[1, 'permit a'], [2, 'permit b']]), new Map([[1, 'permit b'], [2, 'permit a']]));
  assert.deepEqual(swap, ['no ip prefix-list X seq 2 permit b', 'ip prefix-list X seq 1 permit b', 'ip prefix-list X seq 2 permit a']);
});

test('prefix-list ops replayed on a model of FRR (duplicates ignored) always reach the desired list', () => {
  // FRR model: an entry whose prefix is already in the list under another seq is silently dropped
  const replay = (start: Map<number, string>, ops: string[]): Map<number, string> => {
    const s = new Map(start);
    const match = (b: string): string => b.replace(/^(permit|deny) /, '');
    for (const op of ops) {
      const m = /^(no )?ip prefix-list X seq (\d+) (.+)$/.exec(op)!;
      const seq = Number(m[2]);
      if (m[1]) s.delete(seq);
      else if (![...s].some(([q, b]) => q !== seq && match(b) === match(m[3]!))) s.set(seq, m[3]!);
    }
    return s;
  };
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const randomList = (): Map<number, string> => {
    const prefixes = [...new Set(Array.from({ length: rnd(8) }, () => `10.0.0.${rnd(10)}/32`))];
    return new Map(prefixes.map((p, i) => [i + 1, `${rnd(4) === 0 ? 'deny' : 'permit'} ${p}`]));
  };
  for (let i = 0; i < 500; i++) {
    const a = randomList();
    const b = randomList();
    assert.deepEqual([...replay(a, prefixListOps('ip', 'X', a, b))].sort((x, y) => x[0] - y[0]), [...b].sort((x, y) => x[0] - y[0]), `${[...a]} -> ${[...b]}`);
  }
});

// ---------------------------------------------------------------------------------------------
// router bgp and address-families

const ROUTER = [
  'router bgp 64500',
  ' no bgp ebgp-requires-policy',
  ' bgp router-id 10.0.0.11',
  ' neighbor 10.0.0.1 remote-as 64501',
  ' neighbor 10.0.0.1 password s3cret',
  ' neighbor 10.0.0.1 bfd',
  ' neighbor 10.0.0.1 bfd profile fast',
  ' neighbor 10.0.0.2 remote-as 64502',
  ' neighbor 10.0.0.2 timers 1 3',
  ' address-family ipv4 unicast',
  '  network 192.168.10.1/32',
  '  neighbor 10.0.0.1 activate',
  '  neighbor 10.0.0.1 route-map 10.0.0.1-in in',
  '  neighbor 10.0.0.2 activate',
  '  neighbor 10.0.0.2 route-map 10.0.0.2-out out',
  ' exit-address-family',
  'exit',
];
const edit = (drop: string[], routerAdd: string[] = [], afAdd: string[] = []): string => {
  const out: string[] = [];
  for (const l of ROUTER) {
    if (drop.includes(l.trim())) continue;
    if (l === ' address-family ipv4 unicast') out.push(...routerAdd);
    if (l === ' exit-address-family') out.push(...afAdd);
    out.push(l);
  }
  return out.join('\n');
};

test('router bgp: identical configs give an empty script', () => {
  assert.equal(diffFRRConfig(ROUTER.join('\n'), ROUTER.join('\n')), '');
});

test('router bgp: a network added and removed inside the address-family', () => {
  assert.deepEqual(lines(ROUTER.join('\n'), edit([], [], ['  network 192.168.10.2/32'])), ['router bgp 64500', ' address-family ipv4 unicast', '  network 192.168.10.2/32', ' exit-address-family', 'exit']);
  assert.deepEqual(lines(ROUTER.join('\n'), edit(['network 192.168.10.1/32'])), ['router bgp 64500', ' address-family ipv4 unicast', '  no network 192.168.10.1/32', ' exit-address-family', 'exit']);
});

test('router bgp: a neighbor that goes away is one `no neighbor P`, none of its other lines', () => {
  const desired = ROUTER.filter((l) => !l.includes('10.0.0.2')).join('\n');
  assert.deepEqual(stripped(ROUTER.join('\n'), desired), ['router bgp 64500', 'no neighbor 10.0.0.2', 'exit']);
});

test('router bgp: a new neighbor comes with its session lines first, then its address-family lines', () => {
  const desired = edit([], [' neighbor 10.0.0.3 remote-as 64503', ' neighbor 10.0.0.3 ebgp-multihop'], ['  neighbor 10.0.0.3 activate']);
  assert.deepEqual(stripped(ROUTER.join('\n'), desired), ['router bgp 64500', 'neighbor 10.0.0.3 remote-as 64503', 'neighbor 10.0.0.3 ebgp-multihop 255', 'address-family ipv4 unicast', 'neighbor 10.0.0.3 activate', 'exit-address-family', 'exit']);
});

test('router bgp: one-value settings are replaced in place (remote-as must never be removed)', () => {
  const desired = ROUTER.map((l) =>
    l
      .replace('remote-as 64501', 'remote-as 64599')
      .replace('password s3cret', 'password other')
      .replace('timers 1 3', 'timers 2 6')
      .replace('router-id 10.0.0.11', 'router-id 10.0.0.12')
      .replace('10.0.0.1-in in', 'OTHER in'),
  );
  assert.deepEqual(stripped(ROUTER.join('\n'), desired.join('\n')), [
    'router bgp 64500',
    'bgp router-id 10.0.0.12',
    'neighbor 10.0.0.1 remote-as 64599',
    'neighbor 10.0.0.1 password other',
    'neighbor 10.0.0.2 timers 2 6',
    'address-family ipv4 unicast',
    'neighbor 10.0.0.1 route-map OTHER in',
    'exit-address-family',
    'exit',
  ]);
});

test('router bgp: settings removed with `no`; BFD off is one `no neighbor P bfd`', () => {
  const desired = ROUTER.filter((l) => !/password|bfd|timers|no bgp ebgp/.test(l));
  assert.deepEqual(stripped(ROUTER.join('\n'), desired.join('\n')), ['router bgp 64500', 'bgp ebgp-requires-policy', 'no neighbor 10.0.0.1 password s3cret', 'no neighbor 10.0.0.1 bfd', 'no neighbor 10.0.0.2 timers 1 3', 'exit']);
  // only the profile goes: `bfd` stays
  const noProfile = ROUTER.filter((l) => !l.includes('bfd profile'));
  assert.deepEqual(stripped(ROUTER.join('\n'), noProfile.join('\n')), ['router bgp 64500', 'no neighbor 10.0.0.1 bfd profile fast', 'exit']);
});

test('router bgp: an AS change replaces the whole instance; a removed instance is `no router bgp`', () => {
  const desired = ROUTER.map((l) => l.replace('router bgp 64500', 'router bgp 64600'));
  const out = lines(ROUTER.join('\n'), desired.join('\n'));
  assert.equal(out[0], 'no router bgp 64500');
  assert.equal(out[1], 'router bgp 64600');
  assert.equal(out.filter((l) => l.includes('neighbor')).length, 10);
  assert.equal(out.at(-1), 'exit');
  assert.deepEqual(lines(ROUTER.join('\n'), ''), ['no router bgp 64500']);
});

test('router bgp: an address-family that disappears loses its lines (removed neighbors excepted)', () => {
  const running = [...ROUTER.slice(0, -1), ' address-family ipv6 unicast', '  network 2001:db8::1/128', '  neighbor 10.0.0.2 activate', ' exit-address-family', 'exit'].join('\n');
  const desired = ROUTER.filter((l) => !l.includes('10.0.0.2')).join('\n');
  assert.deepEqual(stripped(running, desired), ['router bgp 64500', 'no neighbor 10.0.0.2', 'address-family ipv6 unicast', 'no network 2001:db8::1/128', 'exit-address-family', 'exit']);
});

// ---------------------------------------------------------------------------------------------
// route-maps

const RM = ['route-map N-out permit 1', ' match ip address prefix-list N-65000:100-ip-community-prefixes', ' set community 65000:100 additive', ' on-match next', 'exit', 'route-map N-out permit 2', ' match ip address prefix-list N-allowed-ipv4', 'exit'];

test('route-maps: entry added, entry removed, community changed in place, on-match removed', () => {
  assert.deepEqual(lines(RM.join('\n'), [...RM, 'route-map N-in permit 3', ' match ip address prefix-list N-inpl-ipv4'].join('\n')), ['route-map N-in permit 3', ' match ip address prefix-list N-inpl-ipv4', 'exit']);
  assert.deepEqual(lines(RM.join('\n'), RM.slice(5).join('\n')), ['no route-map N-out permit 1']);
  assert.deepEqual(stripped(RM.join('\n'), RM.join('\n').replace('set community 65000:100 additive', 'set community 65000:200 additive')), ['route-map N-out permit 1', 'set community 65000:200 additive', 'exit']);
  assert.deepEqual(stripped(RM.join('\n'), RM.filter((l) => !l.includes('on-match')).join('\n')), ['route-map N-out permit 1', 'no on-match next', 'exit']);
  // permit -> deny with the same number: another entry
  assert.deepEqual(stripped(RM.slice(5).join('\n'), RM.slice(5).join('\n').replace('permit 2', 'deny 2')), ['no route-map N-out permit 2', 'route-map N-out deny 2', 'match ip address prefix-list N-allowed-ipv4', 'exit']);
  // well-known communities compare by value
  assert.equal(diffFRRConfig('route-map R permit 1\n set community no-export additive\n', 'route-map R permit 1\n set community 65535:65281 additive\n'), '');
});

// ---------------------------------------------------------------------------------------------
// bfd profiles

const BFD = ['bfd', ' profile fast', '  receive-interval 100', '  transmit-interval 100', '  echo-mode', ' exit', ' profile slow', '  receive-interval 1000', ' exit', 'exit'];

test('bfd profiles: added, removed, option changed, option back to its default', () => {
  assert.deepEqual(lines(BFD.join('\n'), [...BFD, 'bfd', ' profile new', '  passive-mode'].join('\n')), ['bfd', ' profile new', '  passive-mode', ' exit', 'exit']);
  assert.deepEqual(lines(BFD.join('\n'), BFD.filter((_, i) => i < 6).join('\n')), ['bfd', ' no profile slow', 'exit']);
  assert.deepEqual(stripped(BFD.join('\n'), BFD.join('\n').replace('receive-interval 1000', 'receive-interval 500')), ['bfd', 'profile slow', 'receive-interval 500', 'exit', 'exit']);
  // the default value is not printed by FRR, and bfdd 8.4 has no `no receive-interval`: set the default
  assert.deepEqual(stripped(BFD.join('\n'), BFD.join('\n').replace('receive-interval 1000', 'receive-interval 300')), ['bfd', 'profile slow', 'receive-interval 300', 'exit', 'exit']);
  assert.deepEqual(stripped(BFD.join('\n'), BFD.filter((l) => !l.includes('echo-mode')).join('\n')), ['bfd', 'profile fast', 'no echo-mode', 'exit', 'exit']);
  // no bfd block wanted: one `no bfd`; the empty block FRR keeps once `bfd` was entered is nothing
  assert.deepEqual(lines(BFD.join('\n'), ''), ['no bfd']);
  assert.equal(diffFRRConfig('bfd\nexit\n', ''), '');
  assert.equal(diffFRRConfig('bfd\nexit\n', 'bfd\n'), '');
});

// ---------------------------------------------------------------------------------------------
// order of the script

test('script order: removals, plain prefix-list additions, additions (desired order), other prefix-list changes, gone route-map entries, gone lists', () => {
  const running = ['ip prefix-list L seq 1 permit 10.0.0.1/32', 'ip prefix-list OLD seq 5 permit 10.0.0.9/32', ...RM, ...ROUTER].join('\n');
  const desired = ['ip prefix-list L seq 1 permit 10.0.0.2/32', 'ip prefix-list L seq 2 permit 10.0.0.1/32', 'ip prefix-list L seq 3 permit 10.0.0.3/32', ...RM.slice(5), 'route-map N-in permit 9', ' match ip address prefix-list L', ...ROUTER.filter((l) => !l.includes('10.0.0.2')), 'bfd', ' profile fast', '  echo-mode'].join('\n');
  assert.deepEqual(lines(running, desired), [
    // 1. removals inside contexts
    'router bgp 64500',
    ' no neighbor 10.0.0.2',
    'exit',
    // 2. a plain addition (seq 3 free, 10.0.0.3 not in L): before anything refers to it
    'ip prefix-list L seq 3 permit 10.0.0.3/32',
    // 3. additions, in the desired file's order
    'route-map N-in permit 9',
    ' match ip address prefix-list L',
    'exit',
    'bfd',
    ' profile fast',
    '  echo-mode',
    ' exit',
    'exit',
    // 4. the renumbering of L (10.0.0.1 moves from seq 1 to seq 2)
    'ip prefix-list L seq 1 permit 10.0.0.2/32',
    'ip prefix-list L seq 2 permit 10.0.0.1/32',
    // 5. a route-map entry the desired config no longer has
    'no route-map N-out permit 1',
    // 6. a list it no longer has
    'no ip prefix-list OLD',
  ]);
});

// ---------------------------------------------------------------------------------------------
// desired text preparation

test('prepareDesired: running hostname and forwarding lines carried over, tuning added, canonical forms', () => {
  const running = 'frr version 8.4.4\nhostname realhost\nno ip forwarding\nno ipv6 forwarding\n';
  const rendered = 'log stdout informational\nhostname dummyhostname\nip nht resolve-via-default\nrouter bgp 1\n  neighbor 1.1.1.1 remote-as 2\n  neighbor 1.1.1.1 ebgp-multihop\n';
  assert.equal(
    prepareDesired(rendered, running, { tuning: { routeMapDelayTimer: 1, coalesceTime: 100 } }),
    'log stdout informational\nhostname realhost\nno ip forwarding\nno ipv6 forwarding\nbgp route-map delay-timer 1\nip nht resolve-via-default\nrouter bgp 1\n  coalesce-time 100\n  neighbor 1.1.1.1 remote-as 2\n  neighbor 1.1.1.1 ebgp-multihop 255\n',
  );
  // raw config that sets forwarding itself wins for that family; its positive form is FRR's default (dropped)
  assert.equal(prepareDesired('ip forwarding\n', running), 'hostname realhost\nno ipv6 forwarding\n');
  // tuning already in the text (raw config) is left alone; no hostname in the running config: none in the result
  assert.equal(prepareDesired('hostname x\nbgp route-map delay-timer 3\nrouter bgp 1\n coalesce-time 50\n', '', { tuning: { routeMapDelayTimer: 1, coalesceTime: 100 } }), 'bgp route-map delay-timer 3\nrouter bgp 1\n coalesce-time 50\n');
});

test('prepareDesired: a BFD option going back to its default gets the explicit default line (bfdd has no `no` form)', () => {
  const running = 'bfd\n profile fast\n  receive-interval 100\n  detect-multiplier 5\n  echo-mode\n exit\n !\n profile other\n  transmit-interval 100\n exit\nexit\n';
  const desired = 'bfd\n  profile fast\n    receive-interval 300\n    echo-mode\n  profile new\n    receive-interval 100\n';
  assert.equal(prepareDesired(desired, running), 'bfd\n  profile fast\n    receive-interval 300\n    detect-multiplier 3\n    echo-mode\n  profile new\n    receive-interval 100\n');
  // steady state (the running profile is at the default): nothing added, the canonical text stays minimal
  assert.equal(prepareDesired(desired, 'bfd\n profile fast\n  echo-mode\n exit\nexit\n'), 'bfd\n  profile fast\n    echo-mode\n  profile new\n    receive-interval 100\n');
  assert.equal(diffFRRConfig(running, prepareDesired(desired, running)).includes('no receive-interval'), false);
});
