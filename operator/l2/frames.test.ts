import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ARP_REPLY,
  ARP_REQUEST,
  buildArpReply,
  buildGratuitousArp,
  buildSolicitedNA,
  buildUnsolicitedNA,
  canonicalIP,
  icmpv6Checksum,
  ipv6MulticastMac,
  ipv6ToBuffer,
  ipv6ToString,
  parseFrame,
  solicitedNodeMulticast,
  type ArpFrame,
  type NeighborSolicitation,
} from './frames.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const CLIENT = '02:00:00:00:00:01';
const NODE = '02:00:00:00:00:02';

// An ARP request as tcpdump -xx shows it for "who-has 10.0.0.240 tell 10.0.0.1" (unpadded).
const ARP_REQ_HEX = `ffffffffffff 020000000001 0806
  0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a0000f0`;

/** Ones'-complement sum written independently of frames.ts: 32-bit accumulation over a pseudo-header buffer. */
function independentChecksumOk(frame: Buffer): boolean {
  const ip = frame.subarray(14);
  const len = ip.readUInt16BE(4);
  const pseudo = Buffer.concat([ip.subarray(8, 40), Buffer.from([0, 0, len >> 8, len & 0xff, 0, 0, 0, ip[6]!]), ip.subarray(40, 40 + len)]);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += pseudo.readUInt16BE(i);
  sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}

function withChecksum(frame: Buffer): Buffer {
  // fills the ICMPv6 checksum with the independent routine (same pseudo-header construction as above)
  const ip = frame.subarray(14);
  const len = ip.readUInt16BE(4);
  ip.writeUInt16BE(0, 42);
  const pseudo = Buffer.concat([ip.subarray(8, 40), Buffer.from([0, 0, len >> 8, len & 0xff, 0, 0, 0, ip[6]!]), ip.subarray(40, 40 + len)]);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += pseudo.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  ip.writeUInt16BE(~sum & 0xffff, 42);
  return frame;
}

test('parses an ARP request', () => {
  const p = parseFrame(hex(ARP_REQ_HEX)) as ArpFrame;
  assert.deepEqual(p, {
    kind: 'arp',
    ethDst: 'ff:ff:ff:ff:ff:ff',
    ethSrc: CLIENT,
    op: ARP_REQUEST,
    senderMac: CLIENT,
    senderIp: '10.0.0.1',
    targetMac: '00:00:00:00:00:00',
    targetIp: '10.0.0.240',
  });
  // padded to 60 bytes as on the wire: still parsed
  assert.equal((parseFrame(Buffer.concat([hex(ARP_REQ_HEX), Buffer.alloc(18)])) as ArpFrame).targetIp, '10.0.0.240');
  // truncated, wrong hardware type, IPv4 frames: not ours
  assert.equal(parseFrame(hex(ARP_REQ_HEX).subarray(0, 40)), null);
  const wrongHw = hex(ARP_REQ_HEX);
  wrongHw[15] = 6;
  assert.equal(parseFrame(wrongHw), null);
  assert.equal(parseFrame(hex('ffffffffffff 020000000001 0800 4500')), null);
});

test('ARP reply: unicast to the requester, sender = our MAC and the asked IP', () => {
  const req = parseFrame(hex(ARP_REQ_HEX)) as ArpFrame;
  const reply = buildArpReply(req, NODE);
  assert.equal(
    reply.toString('hex'),
    hex(`020000000001 020000000002 0806
      0001 0800 06 04 0002 020000000002 0a0000f0 020000000001 0a000001`).toString('hex'),
  );
  const back = parseFrame(reply) as ArpFrame;
  assert.equal(back.op, ARP_REPLY);
  assert.equal(back.senderIp, '10.0.0.240');
});

test('gratuitous ARP: request and reply forms, broadcast, sender IP = target IP', () => {
  assert.equal(
    buildGratuitousArp('10.0.0.240', NODE, ARP_REQUEST).toString('hex'),
    hex(`ffffffffffff 020000000002 0806 0001 0800 06 04 0001 020000000002 0a0000f0 ffffffffffff 0a0000f0`).toString('hex'),
  );
  assert.equal(
    buildGratuitousArp('10.0.0.240', NODE, ARP_REPLY).toString('hex'),
    hex(`ffffffffffff 020000000002 0806 0001 0800 06 04 0002 020000000002 0a0000f0 ffffffffffff 0a0000f0`).toString('hex'),
  );
});

test('IPv6 address helpers', () => {
  assert.equal(ipv6ToString(ipv6ToBuffer('fd00:0:0:0:0:0:0:f0')), 'fd00::f0');
  assert.equal(ipv6ToString(ipv6ToBuffer('2001:db8:0:1:0:0:0:1')), '2001:db8:0:1::1');
  assert.equal(ipv6ToString(ipv6ToBuffer('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1'); // one zero group stays
  assert.equal(ipv6ToString(ipv6ToBuffer('::')), '::');
  assert.equal(ipv6ToString(ipv6ToBuffer('::ffff:10.0.0.1')), '::ffff:a00:1');
  assert.equal(canonicalIP('FD00::00F0'), 'fd00::f0');
  assert.equal(canonicalIP('10.0.0.240'), '10.0.0.240');
  assert.throws(() => canonicalIP('10.0.0.256'));
  assert.equal(solicitedNodeMulticast('fd00::12:34f0'), 'ff02::1:ff12:34f0');
  assert.equal(ipv6MulticastMac('ff02::1'), '33:33:00:00:00:01');
  assert.equal(ipv6MulticastMac('ff02::1:ff12:34f0'), '33:33:ff:12:34:f0');
});

// A Neighbor Solicitation as Linux sends it for fd00::f0 from fd00::1 (multicast to the solicited-node group).
function nsFrame(): Buffer {
  return withChecksum(
    hex(`3333ff0000f0 020000000001 86dd
      6000 0000 0020 3a ff
      fd000000000000000000000000000001
      ff0200000000000000000001ff0000f0
      87 00 0000 00000000
      fd0000000000000000000000000000f0
      01 01 020000000001`),
  );
}

test('parses a Neighbor Solicitation with its source link-layer option and checks its checksum', () => {
  const f = nsFrame();
  assert.ok(independentChecksumOk(f));
  const p = parseFrame(f) as NeighborSolicitation;
  assert.deepEqual(p, {
    kind: 'ns',
    ethDst: '33:33:ff:00:00:f0',
    ethSrc: CLIENT,
    srcIp: 'fd00::1',
    dstIp: 'ff02::1:ff00:f0',
    hopLimit: 255,
    target: 'fd00::f0',
    sourceLLA: CLIENT,
    checksumOk: true,
  });
  const bad = nsFrame();
  bad[14 + 40 + 10] ^= 1; // one bit of the target
  assert.equal((parseFrame(bad) as NeighborSolicitation).checksumOk, false);
  const zeroLenOpt = nsFrame();
  zeroLenOpt[14 + 40 + 25] = 0;
  assert.equal(parseFrame(zeroLenOpt), null);
  // an NA (type 136) is not parsed as a solicitation
  const na = nsFrame();
  na[14 + 40] = 136;
  assert.equal(parseFrame(na), null);
});

test('solicited NA: to the solicitor, S=1 O=0, target link-layer option, valid checksum', () => {
  const ns = parseFrame(nsFrame()) as NeighborSolicitation;
  const na = buildSolicitedNA(ns, NODE, 'fe80::2');
  assert.equal(na.length, 86);
  const expectNoSum = hex(`020000000001 020000000002 86dd
      6000 0000 0020 3a ff
      fe800000000000000000000000000002
      fd000000000000000000000000000001
      88 00 0000 40000000
      fd0000000000000000000000000000f0
      02 01 020000000002`).toString('hex');
  const got = Buffer.from(na);
  const sum = got.readUInt16BE(14 + 42);
  got.writeUInt16BE(0, 14 + 42);
  assert.equal(got.toString('hex'), expectNoSum);
  assert.notEqual(sum, 0);
  assert.ok(independentChecksumOk(na), 'checksum verifies with an independent ones-complement sum');
  assert.equal(icmpv6Checksum(na.subarray(22, 38), na.subarray(38, 54), na.subarray(54)), 0);
  // and equals what the independent routine computes
  assert.equal(withChecksum(Buffer.from(na)).toString('hex'), na.toString('hex'));
  assert.throws(() => buildSolicitedNA({ ...ns, sourceLLA: undefined } as NeighborSolicitation, NODE, 'fe80::2'));
});

test('unsolicited NA: to ff02::1 / 33:33:00:00:00:01, S=0 O=1, valid checksum', () => {
  const na = buildUnsolicitedNA('fd00::f0', NODE, 'fe80::2');
  const got = Buffer.from(na);
  got.writeUInt16BE(0, 14 + 42);
  assert.equal(
    got.toString('hex'),
    hex(`333300000001 020000000002 86dd
      6000 0000 0020 3a ff
      fe800000000000000000000000000002
      ff020000000000000000000000000001
      88 00 0000 20000000
      fd0000000000000000000000000000f0
      02 01 020000000002`).toString('hex'),
  );
  assert.ok(independentChecksumOk(na));
  assert.equal(withChecksum(Buffer.from(na)).toString('hex'), na.toString('hex'));
});
