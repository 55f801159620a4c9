import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCIDR, formatIP, parseCIDR, parseIP, rangeToCIDRs, cidrsOverlap } from './ip.js';

test('parseIP follows Go net.ParseIP', () => {
  assert.equal(parseIP('10.0.0.1')?.family, 4);
  assert.equal(parseIP('2001:db8::1')?.family, 6);
  assert.equal(parseIP('::ffff:1.2.3.4')?.family, 4);
  for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4', '192.a.b.10', '', 'fe80::1%eth0', ' 1.2.3.4'])
    assert.equal(parseIP(bad), null, bad);
  assert.equal(formatIP(parseIP('2001:0db8:0:0:0:0:0:1')!), '2001:db8::1');
});

test('parseCIDR masks host bits and rejects bad lengths', () => {
  const c = parseCIDR('10.0.0.77/24')!;
  assert.equal(formatCIDR(c), '10.0.0.0/24');
  assert.equal(parseCIDR('1.2.3.0/33'), null);
  assert.equal(parseCIDR(' 10.0.0.0/8'), null);
  assert.equal(formatCIDR(parseCIDR('fc00::1/124')!), 'fc00::/124');
});

test('rangeToCIDRs summarizes like MetalLB pools do', () => {
  const s = parseIP('40.0.0.150')!.value;
  const e = parseIP('40.0.0.200')!.value;
  assert.deepEqual(rangeToCIDRs(4, s, e).map(formatCIDR), [
    '40.0.0.150/31', '40.0.0.152/29', '40.0.0.160/27', '40.0.0.192/29', '40.0.0.200/32',
  ]);
  assert.deepEqual(rangeToCIDRs(4, parseIP('192.168.1.240')!.value, parseIP('192.168.1.250')!.value).map(formatCIDR), [
    '192.168.1.240/29', '192.168.1.248/31', '192.168.1.250/32',
  ]);
});

test('cidrsOverlap', () => {
  assert.ok(cidrsOverlap(parseCIDR('10.0.0.0/24')!, parseCIDR('10.0.0.128/25')!));
  assert.ok(!cidrsOverlap(parseCIDR('10.0.0.0/25')!, parseCIDR('10.0.0.128/25')!));
  assert.ok(!cidrsOverlap(parseCIDR('10.0.0.0/8')!, parseCIDR('fc00::/7')!));
});
