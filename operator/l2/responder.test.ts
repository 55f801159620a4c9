// CapResponder logic with fake links and a fake clock (no pcap, no namespaces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawLink } from './cap.js';
import { ARP_REPLY, ARP_REQUEST, buildArp, buildGratuitousArp, buildNeighborAdvertisement, icmpv6Checksum, parseFrame, type ArpFrame } from './frames.js';
import type { InterfaceInfo } from './interfaces.js';
import { CapResponder, normalizeAnnouncements, type Timers } from './responder.js';
import type { Logger } from '../util/log.js';

const CLIENT = '02:00:00:00:00:01';
const MAC0 = '02:00:00:00:00:a0';
const MAC1 = '02:00:00:00:00:a1';

class FakeClock implements Timers {
  t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  /** advances to `to`, firing timers in order */
  advance(to: number): void {
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.pending) if (e[1].at <= to && (!best || e[1].at < best[1].at)) best = e;
      if (!best) break;
      this.pending.delete(best[0]);
      this.t = best[1].at;
      best[1].fn();
    }
    this.t = to;
  }
}

interface FakeLink extends RawLink {
  name: string;
  filter: string;
  sent: Buffer[];
  closed: boolean;
  deliver(frame: Buffer): void;
}

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => quiet };

function setup(ifs: InterfaceInfo[]) {
  const clock = new FakeClock();
  const links = new Map<string, FakeLink>();
  const counts: string[] = [];
  const r = new CapResponder({
    logger: quiet,
    interfaces: () => ifs.map((i) => i.name),
    interfaceInfo: () => ifs,
    openLink: (name, filter, onFrame) => {
      const l: FakeLink = { name, filter, sent: [], closed: false, send: (f) => l.sent.push(Buffer.from(f)), close: () => (l.closed = true), deliver: (f) => onFrame(f) };
      links.set(name, l);
      return l;
    },
    now: clock.now,
    timers: clock,
    rescanMs: 0,
    counters: { request: (ip) => counts.push(`req ${ip}`), response: (ip) => counts.push(`resp ${ip}`), gratuitous: (ip) => counts.push(`grat ${ip}`) },
  });
  return { r, clock, links, counts };
}

const IFS: InterfaceInfo[] = [
  { name: 'eth0', index: 2, mac: MAC0, flags: 0x1003, enslaved: false, linkLocal: 'fe80::a0' },
  { name: 'eth1', index: 3, mac: MAC1, flags: 0x1003, enslaved: false },
];

const who = (ip: string, dst = 'ff:ff:ff:ff:ff:ff'): Buffer =>
  buildArp({ ethDst: dst, ethSrc: CLIENT, op: ARP_REQUEST, senderMac: CLIENT, senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: ip });

test('normalizeAnnouncements: canonical IPs, interface unions, empty means all', () => {
  const n = normalizeAnnouncements([
    { ip: 'FD00::F0', interfaces: ['eth1'] },
    { ip: 'fd00::f0', interfaces: ['eth0', 'eth1'] },
    { ip: '10.0.0.5', interfaces: ['eth0'] },
    { ip: '10.0.0.5', interfaces: [] },
  ]);
  assert.deepEqual([...n], [
    ['fd00::f0', { v4: false, interfaces: ['eth0', 'eth1'] }],
    ['10.0.0.5', { v4: true, interfaces: [] }],
  ]);
});

test('no links while nothing is announced; links per eligible interface with the right filter', async () => {
  const { r, links } = setup(IFS);
  r.set([]);
  assert.equal(links.size, 0);
  r.set([{ ip: '10.0.0.240', interfaces: [] }]);
  assert.deepEqual(r.listening(), ['eth0', 'eth1']);
  assert.equal(links.get('eth0')!.filter, 'arp or (icmp6 and ip6[40] == 135)');
  assert.equal(links.get('eth1')!.filter, 'arp');
  r.set([]);
  assert.ok(links.get('eth0')!.closed && links.get('eth1')!.closed);
  await r.close();
});

test('answers ARP requests for owned IPs only, with the receiving interface MAC; withdrawal stops at once', async () => {
  const { r, links, counts, clock } = setup(IFS);
  r.set([{ ip: '10.0.0.240', interfaces: ['eth1'] }]);
  const eth0 = links.get('eth0')!;
  const eth1 = links.get('eth1')!;
  eth1.sent.length = 0;
  eth0.sent.length = 0;
  counts.length = 0;
  eth1.deliver(who('10.0.0.240'));
  assert.equal(eth1.sent.length, 1);
  const reply = parseFrame(eth1.sent[0]!) as ArpFrame;
  assert.equal(reply.op, ARP_REPLY);
  assert.equal(reply.ethDst, CLIENT);
  assert.equal(reply.senderMac, MAC1);
  assert.equal(reply.senderIp, '10.0.0.240');
  assert.deepEqual(counts, ['req 10.0.0.240', 'resp 10.0.0.240']);
  // unicast to our MAC: answered; to another MAC: not
  eth1.deliver(who('10.0.0.240', MAC1));
  eth1.deliver(who('10.0.0.240', '02:00:00:00:00:77'));
  assert.equal(eth1.sent.length, 2);
  // not on a non-selected interface, not for other IPs, not replies, not someone's gratuitous ARP, not our own frames
  eth0.deliver(who('10.0.0.240'));
  eth1.deliver(who('10.0.0.241'));
  eth1.deliver(buildArp({ ethDst: MAC1, ethSrc: CLIENT, op: ARP_REPLY, senderMac: CLIENT, senderIp: '10.0.0.1', targetMac: MAC1, targetIp: '10.0.0.240' }));
  eth1.deliver(buildGratuitousArp('10.0.0.240', CLIENT, ARP_REQUEST));
  eth1.deliver(buildGratuitousArp('10.0.0.240', MAC1, ARP_REQUEST));
  assert.equal(eth0.sent.length, 0);
  assert.equal(eth1.sent.length, 2);
  // withdrawal: no answer, no more gratuitous
  r.set([]);
  eth1.sent.length = 0;
  clock.advance(10_000);
  assert.equal(eth1.sent.length, 0);
  await r.close();
});

test('gratuitous ARP: both forms at once, every 1.1 s for 5 s, only while owned, only on selected interfaces', async () => {
  const { r, links, counts, clock } = setup(IFS);
  clock.t = 100;
  r.set([{ ip: '10.0.0.240', interfaces: ['eth0'] }]);
  const eth0 = links.get('eth0')!;
  assert.deepEqual(eth0.sent.map((f) => (parseFrame(f) as ArpFrame).op), [ARP_REQUEST, ARP_REPLY]);
  assert.equal(links.get('eth1')!.sent.length, 0);
  const times: number[] = [];
  for (let t = 101; t <= 10_000; t += 50) {
    const before = eth0.sent.length;
    clock.advance(t);
    if (eth0.sent.length > before) times.push(t);
  }
  // timers fire at 1200, 2300, 3400, 4500 (observed at the next 50 ms step)
  assert.deepEqual(times, [1201, 2301, 3401, 4501]);
  assert.equal(eth0.sent.length, 10);
  assert.equal(counts.filter((c) => c === 'grat 10.0.0.240').length, 10);
  // the same set again: a no-op (no new burst)
  r.set([{ ip: '10.0.0.240', interfaces: ['eth0'] }]);
  assert.equal(eth0.sent.length, 10);
  // moved to eth1: a burst there, none on eth0
  r.set([{ ip: '10.0.0.240', interfaces: ['eth1'] }]);
  assert.equal(eth0.sent.length, 10);
  assert.equal(links.get('eth1')!.sent.length, 2);
  // withdrawn in the middle of the burst: nothing more
  clock.advance(clock.t + 1200);
  assert.equal(links.get('eth1')!.sent.length, 4);
  r.set([]);
  clock.advance(clock.t + 10_000);
  assert.equal(links.get('eth1')!.sent.length, 4);
  await r.close();
});

test('NDP: answers solicitations for owned IPv6 targets with a solicited NA; unsolicited NA on announce', async () => {
  const { r, links, counts } = setup(IFS);
  r.set([{ ip: 'fd00::f0', interfaces: [] }]);
  const eth0 = links.get('eth0')!;
  assert.equal(eth0.sent.length, 1, 'one unsolicited NA (eth1 has no IPv6 link-local: no NDP there)');
  const una = eth0.sent[0]!;
  assert.equal(una.subarray(0, 6).toString('hex'), '333300000001');
  assert.equal(una[14 + 40], 136);
  assert.equal(una[14 + 44], 0x20);
  eth0.sent.length = 0;
  counts.length = 0;
  // a Neighbor Solicitation laid out as Linux sends it (to the solicited-node group, source link-layer option)
  const ns = Buffer.from(
    ('3333ff0000f0' + CLIENT.replace(/:/g, '') + '86dd' + '60000000' + '0020' + '3a' + 'ff' +
      'fd000000000000000000000000000001' + 'ff0200000000000000000001ff0000f0' +
      '87000000' + '00000000' + 'fd0000000000000000000000000000f0' + '0101' + CLIENT.replace(/:/g, '')),
    'hex',
  );
  // (checksum verified against an independent implementation in frames.test.ts)
  ns.writeUInt16BE(icmpv6Checksum(ns.subarray(22, 38), ns.subarray(38, 54), ns.subarray(54)), 56);
  eth0.deliver(ns);
  assert.equal(eth0.sent.length, 1);
  const na = eth0.sent[0]!;
  assert.equal(na.subarray(0, 6).toString('hex'), CLIENT.replace(/:/g, ''));
  assert.equal(na[14 + 40], 136);
  assert.equal(na[14 + 44], 0x40, 'S=1, O=0');
  assert.deepEqual(counts, ['req fd00::f0', 'resp fd00::f0']);
  // a wrong checksum or a hop limit below 255 is ignored
  const bad = Buffer.from(ns);
  bad[57] ^= 1;
  eth0.deliver(bad);
  const hop = Buffer.from(ns);
  hop[21] = 64;
  eth0.deliver(hop);
  assert.equal(eth0.sent.length, 1);
  // an NA is never answered
  eth0.deliver(buildNeighborAdvertisement({ ethDst: MAC0, ethSrc: CLIENT, srcIp: 'fd00::1', dstIp: 'fe80::a0', target: 'fd00::f0', solicited: true, override: true, targetLLA: CLIENT }));
  assert.equal(eth0.sent.length, 1);
  await r.close();
  assert.ok(eth0.closed);
  assert.throws(() => r.set([]), /closed/);
});

test('announceFailed is logged once per new/moved IP whose interfaces are not there', async () => {
  const warns: string[] = [];
  const logger: Logger = { ...quiet, warn: (m, f) => void warns.push(`${m} ${JSON.stringify(f)}`), child: () => logger };
  const r = new CapResponder({ logger, interfaces: () => ['eth0'], interfaceInfo: () => IFS, openLink: () => ({ send: () => {}, close: () => {} }), rescanMs: 0 });
  r.set([{ ip: '10.0.0.240', interfaces: ['eth9'] }]);
  r.set([{ ip: '10.0.0.240', interfaces: ['eth9'] }]);
  assert.equal(warns.length, 1);
  assert.match(warns[0]!, /^announceFailed.*eth9/);
  r.set([{ ip: '10.0.0.240', interfaces: ['eth0'] }]);
  assert.equal(warns.length, 1);
  await r.close();
});
