import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eligibleInterfaces, ineligibleReason, listInterfaces, parseIfInet6, type InterfaceInfo } from './interfaces.js';

const IF_INET6 = `fe800000000000000000000000000002 00000002 40 20 80     eth0
fd000000000000000000000000000001 00000002 40 00 80     eth0
00000000000000000000000000000001 00000001 80 10 80       lo
fe80000000000000000000000000000a 00000005 40 20 80    wlan0
`;

test('parseIfInet6 keeps the first link-local address per interface', () => {
  assert.deepEqual([...parseIfInet6(IF_INET6)], [
    ['eth0', 'fe80::2'],
    ['wlan0', 'fe80::a'],
  ]);
});

const base = (over: Partial<InterfaceInfo>): InterfaceInfo => ({ name: 'eth0', index: 2, mac: '02:00:00:00:00:02', flags: 0x1003, enslaved: false, ...over });

test('eligibility follows flags and names, not drivers', () => {
  assert.equal(ineligibleReason(base({})), null); // a veth named eth0 in a netns is fine
  assert.equal(ineligibleReason(base({ name: 'lo', flags: 0x9 })), 'excluded name');
  assert.equal(ineligibleReason(base({ name: 'veth1234' })), 'excluded name');
  assert.equal(ineligibleReason(base({ name: 'docker0' })), 'excluded name');
  assert.equal(ineligibleReason(base({ name: 'cali12' })), 'excluded name');
  assert.equal(ineligibleReason(base({ name: 'kube-ipvs0' })), 'excluded name');
  assert.equal(ineligibleReason(base({ name: 'lo2', flags: 0x9 })), 'loopback');
  assert.equal(ineligibleReason(base({ flags: 0x1002 })), 'down');
  assert.equal(ineligibleReason(base({ enslaved: true })), 'enslaved');
  assert.equal(ineligibleReason(base({ flags: 0x1083 })), 'NOARP');
  assert.equal(ineligibleReason(base({ flags: 0x1001 })), 'neither broadcast nor IPv6 link-local');
  assert.equal(ineligibleReason(base({ mac: '00:00:00:00:00:00' })), 'no Ethernet address');
  const e = eligibleInterfaces([base({}), base({ name: 'eth1', flags: 0x1001, linkLocal: 'fe80::1' }), base({ name: 'eth2', linkLocal: 'fe80::3' }), base({ name: 'veth0' })]);
  assert.deepEqual(
    e.map((i) => [i.name, i.arp, i.ndp]),
    [
      ['eth0', true, false],
      ['eth1', false, true],
      ['eth2', true, true],
    ],
  );
});

test('listInterfaces reads a /sys/class/net tree', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'l2if-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mk = (name: string, flags: string, mac: string, index: number, master = false): void => {
    mkdirSync(join(dir, 'net', name), { recursive: true });
    writeFileSync(join(dir, 'net', name, 'flags'), `${flags}\n`);
    writeFileSync(join(dir, 'net', name, 'address'), `${mac}\n`);
    writeFileSync(join(dir, 'net', name, 'ifindex'), `${index}\n`);
    if (master) writeFileSync(join(dir, 'net', name, 'master'), '');
  };
  mk('eth0', '0x1003', '02:00:00:00:00:02', 2);
  mk('lo', '0x9', '00:00:00:00:00:00', 1);
  mk('p1', '0x1003', '02:00:00:00:00:09', 7, true);
  writeFileSync(join(dir, 'if_inet6'), IF_INET6);
  const all = listInterfaces(join(dir, 'net'), join(dir, 'if_inet6'));
  assert.deepEqual(
    all.map((i) => [i.name, i.index, i.flags, i.enslaved, i.linkLocal ?? null]),
    [
      ['eth0', 2, 0x1003, false, 'fe80::2'],
      ['lo', 1, 9, false, null],
      ['p1', 7, 0x1003, true, null],
    ],
  );
  assert.deepEqual(eligibleInterfaces(all).map((i) => i.name), ['eth0']);
  assert.deepEqual(listInterfaces(join(dir, 'missing')), []);
});
