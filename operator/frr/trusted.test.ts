import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trustedLine, trustedScript } from './trusted.js';
import { diffFRRConfig } from './diff.js';
import { prefixSet, scaledConfig } from './testconfigs.js';
import { requireVtysh, vtyshCheck } from './testutil.js';

const GOOD = [
  'router bgp 64500',
  ' address-family ipv4 unicast',
  '  network 192.168.10.1/32',
  '  no network 10.0.0.0/8',
  ' exit-address-family',
  ' address-family ipv6 unicast',
  '  network 2001:db8::/64',
  ' exit-address-family',
  'exit',
  'ip prefix-list 10.9.1.1-allowed-ipv4 seq 3232240641 permit 192.168.20.1/32',
  'no ip prefix-list 10.9.1.1-allowed-ipv4 seq 5 permit 192.168.20.1/32',
  'ip prefix-list 10.9.1.1-inpl-ipv4 seq 4294967295 deny any',
  'ipv6 prefix-list fd00::9-allowed-ipv6 seq 77 permit 2001:db8:1::/48 ge 56 le 64',
  'ip prefix-list x-65000:100-ip-community-prefixes seq 1 permit 10.0.0.0/8 le 24',
  'ip prefix-list x seq 2 permit 10.0.0.0/8 ge 16',
  'no ip prefix-list 10.9.1.2-allowed-ipv4',
  'no ipv6 prefix-list 10.9.1.2-inpl-ipv4',
];

const BAD = [
  'network 192.168.10.1/24', // host bits
  'network 192.168.10.0/33',
  'ip prefix-list a seq 0 permit 10.0.0.0/8', // seq out of range
  'ip prefix-list a seq 4294967296 permit 10.0.0.0/8',
  'ip prefix-list a seq 1 permit 2001:db8::/32', // family
  'ipv6 prefix-list a seq 1 permit 10.0.0.0/8',
  'ip prefix-list a seq 1 permit 10.0.0.0/8 le 8', // le must exceed the length
  'ip prefix-list a seq 1 permit 10.0.0.0/8 ge 24 le 16',
  'ip prefix-list a seq 1 permit 10.0.0.0/8 le 24 ge 16', // FRR's order is ge before le
  'ip prefix-list a seq 1 permit any le 24',
  'ip prefix-list a seq 1 allow 10.0.0.0/8',
  'ip prefix-list a"b seq 1 permit 10.0.0.0/8',
  'router bgp 0',
  'router bgp 64500 vrf red',
  'neighbor 10.0.0.1 remote-as 64501',
  'route-map x permit 10',
  'this is not frr',
];

test('trusted line forms: the common change lines pass, anything else or any bad token does not', () => {
  for (const l of GOOD) assert.equal(trustedLine(l), true, l);
  for (const l of BAD) assert.equal(trustedLine(l), false, l);
  assert.equal(trustedScript(GOOD.join('\n')), true);
  assert.equal(trustedScript([...GOOD, 'neighbor 10.0.0.1 password x'].join('\n')), false);
});

test('the diff scripts of adding and removing Services are trusted; a new neighbor is not', () => {
  const base = prefixSet(20);
  const add = diffFRRConfig(scaledConfig(3, base), scaledConfig(3, [...base, '192.168.99.1/32']));
  const del = diffFRRConfig(scaledConfig(3, base), scaledConfig(3, base.slice(1)));
  assert.ok(add.includes('network 192.168.99.1/32') && trustedScript(add), add);
  assert.ok(del.includes('no network') && trustedScript(del), del);
  assert.equal(trustedScript(diffFRRConfig(scaledConfig(3, base), scaledConfig(4, base))), false);
});

test('vtysh -C accepts every trusted form (the rule never lets through what FRR refuses)', (t) => {
  if (!requireVtysh(t)) return;
  const good = GOOD.filter((l) => !l.trim().startsWith('no '));
  const r = vtyshCheck({ trusted: good.join('\n') + '\n' }).trusted!;
  assert.ok(r.ran, r.reason);
  assert.equal(r.status, 0, r.output);
  // vtysh -C refuses some of the forms the rule rejects (it checks syntax only: `ge 24 le 16` passes it
  // and fails in the daemon, so the rule is stricter than the check it replaces)
  for (const bad of ['ip prefix-list a seq 1 permit 10.0.0.0/8 le 33', 'ip prefix-list a seq 0 permit 10.0.0.0/8', 'network 10.0.0.5/8']) {
    assert.equal(trustedLine(bad), false, bad);
    assert.notEqual(vtyshCheck({ bad: bad + '\n' }).bad!.status, 0, bad);
  }
});
