// Ethernet frames of the L2 responder, pure (no I/O): parsing ARP (RFC 826) and ICMPv6 Neighbor
// Solicitations (RFC 4861 §4.3), building ARP replies, gratuitous ARP (request and reply form, as
// MetalLB sends them), solicited and unsolicited Neighbor Advertisements (RFC 4861 §4.4) with the
// ICMPv6 checksum over the IPv6 pseudo-header (RFC 8200 §8.1).
import { isIPv4, isIPv6 } from 'node:net';

export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;
export const ETH_HEADER = 14;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ICMPV6 = 58;
export const ND_NS = 135;
export const ND_NA = 136;
/** NDP option types */
export const OPT_SOURCE_LLA = 1;
export const OPT_TARGET_LLA = 2;

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC = '00:00:00:00:00:00';
export const ALL_NODES = 'ff02::1';

/** The pcap filter for what the responder needs: ARP, and ICMPv6 type 135 without extension headers. */
export const CAPTURE_FILTER = 'arp or (icmp6 and ip6[40] == 135)';

// ---------------------------------------------------------------------------------------------
// addresses

export function macToBuffer(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`invalid MAC address ${JSON.stringify(mac)}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

export function macToString(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function ipv4ToBuffer(ip: string): Buffer {
  if (!isIPv4(ip)) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return Buffer.from(ip.split('.').map(Number));
}

export function ipv4ToString(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4)).join('.');
}

/** 16 bytes of an IPv6 address (any text form, with `::` and an embedded IPv4 tail). */
export function ipv6ToBuffer(ip: string): Buffer {
  if (!isIPv6(ip)) throw new Error(`invalid IPv6 address ${JSON.stringify(ip)}`);
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4ToBuffer(v4[1]!);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined ? [] : tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952 canonical text (lower case, longest zero run of ≥2 groups as `::`). */
export function ipv6ToString(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Canonical text of an IPv4 or IPv6 address (the key the responder uses). */
export function canonicalIP(ip: string): string {
  if (isIPv4(ip)) return ipv4ToString(ipv4ToBuffer(ip));
  if (isIPv6(ip)) return ipv6ToString(ipv6ToBuffer(ip));
  throw new Error(`invalid IP address ${JSON.stringify(ip)}`);
}

/** ff02::1:ffXX:XXXX of an IPv6 address (RFC 4291 §2.7.1). */
export function solicitedNodeMulticast(ip: string): string {
  const b = ipv6ToBuffer(ip);
  const m = ipv6ToBuffer('ff02::1:ff00:0');
  b.copy(m, 13, 13, 16);
  return ipv6ToString(m);
}

/** The Ethernet destination of an IPv6 multicast group: 33:33 + the last 32 bits (RFC 2464 §7). */
export function ipv6MulticastMac(ip: string): string {
  const b = ipv6ToBuffer(ip);
  return macToString(Buffer.from([0x33, 0x33, b[12]!, b[13]!, b[14]!, b[15]!]));
}

// ---------------------------------------------------------------------------------------------
// parsing

export interface ArpFrame extends ArpFields {
  kind: 'arp';
}

export interface NeighborSolicitation {
  kind: 'ns';
  ethDst: string;
  ethSrc: string;
  srcIp: string;
  dstIp: string;
  hopLimit: number;
  target: string;
  /** the source link-layer address option, when present */
  sourceLLA?: string;
  /** whether the ICMPv6 checksum was right */
  checksumOk: boolean;
}

export type ParsedFrame = ArpFrame | NeighborSolicitation;

/** An ARP (Ethernet/IPv4) frame or an ICMPv6 Neighbor Solicitation; null for anything else or malformed. */
export function parseFrame(frame: Uint8Array): ParsedFrame | null {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < ETH_HEADER) return null;
  const ethDst = macToString(b.subarray(0, 6));
  const ethSrc = macToString(b.subarray(6, 12));
  const type = b.readUInt16BE(12);
  if (type === ETH_ARP) {
    const a = b.subarray(ETH_HEADER);
    if (a.length < 28) return null;
    // htype Ethernet, ptype IPv4, hlen 6, plen 4
    if (a.readUInt16BE(0) !== 1 || a.readUInt16BE(2) !== 0x0800 || a[4] !== 6 || a[5] !== 4) return null;
    return {
      kind: 'arp',
      ethDst,
      ethSrc,
      op: a.readUInt16BE(6),
      senderMac: macToString(a.subarray(8, 14)),
      senderIp: ipv4ToString(a.subarray(14, 18)),
      targetMac: macToString(a.subarray(18, 24)),
      targetIp: ipv4ToString(a.subarray(24, 28)),
    };
  }
  if (type === ETH_IPV6) {
    const ip = b.subarray(ETH_HEADER);
    if (ip.length < 40 || ip[0]! >> 4 !== 6 || ip[6] !== ICMPV6) return null;
    const payloadLen = ip.readUInt16BE(4);
    if (ip.length < 40 + payloadLen || payloadLen < 24) return null;
    const icmp = ip.subarray(40, 40 + payloadLen);
    if (icmp[0] !== ND_NS || icmp[1] !== 0) return null;
    const src = ip.subarray(8, 24);
    const dst = ip.subarray(24, 40);
    const ns: NeighborSolicitation = {
      kind: 'ns',
      ethDst,
      ethSrc,
      srcIp: ipv6ToString(src),
      dstIp: ipv6ToString(dst),
      hopLimit: ip[7]!,
      target: ipv6ToString(icmp.subarray(8, 24)),
      checksumOk: icmpv6Checksum(src, dst, icmp) === 0,
    };
    for (let off = 24; off + 2 <= icmp.length; ) {
      const len = icmp[off + 1]! * 8;
      if (len === 0 || off + len > icmp.length) return null; // RFC 4861 §4.6: length 0 is invalid
      if (icmp[off] === OPT_SOURCE_LLA && len >= 8) ns.sourceLLA = macToString(icmp.subarray(off + 2, off + 8));
      off += len;
    }
    return ns;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// building

function ethernet(dst: string, src: string, type: number, payloadLen: number): Buffer {
  const b = Buffer.alloc(ETH_HEADER + payloadLen);
  macToBuffer(dst).copy(b, 0);
  macToBuffer(src).copy(b, 6);
  b.writeUInt16BE(type, 12);
  return b;
}

export interface ArpFields {
  ethDst: string;
  ethSrc: string;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** An Ethernet/ARP frame (42 bytes, unpadded: the kernel pads short frames on veth/NICs). */
export function buildArp(f: ArpFields): Buffer {
  const b = ethernet(f.ethDst, f.ethSrc, ETH_ARP, 28);
  const a = b.subarray(ETH_HEADER);
  a.writeUInt16BE(1, 0);
  a.writeUInt16BE(0x0800, 2);
  a[4] = 6;
  a[5] = 4;
  a.writeUInt16BE(f.op, 6);
  macToBuffer(f.senderMac).copy(a, 8);
  ipv4ToBuffer(f.senderIp).copy(a, 14);
  macToBuffer(f.targetMac).copy(a, 18);
  ipv4ToBuffer(f.targetIp).copy(a, 24);
  return b;
}

/** The reply to an ARP request for `req.targetIp`: unicast to the requester, from `mac`. */
export function buildArpReply(req: ArpFrame, mac: string): Buffer {
  return buildArp({ ethDst: req.senderMac, ethSrc: mac, op: ARP_REPLY, senderMac: mac, senderIp: req.targetIp, targetMac: req.senderMac, targetIp: req.senderIp });
}

/**
 * Gratuitous ARP for `ip` from `mac`, as MetalLB sends it: broadcast, sender IP = target IP = ip,
 * target hardware address broadcast; `op` ARP_REQUEST or ARP_REPLY (MetalLB sends both).
 */
export function buildGratuitousArp(ip: string, mac: string, op: number): Buffer {
  return buildArp({ ethDst: BROADCAST_MAC, ethSrc: mac, op, senderMac: mac, senderIp: ip, targetMac: BROADCAST_MAC, targetIp: ip });
}

/** The ICMPv6 checksum of `icmp` (checksum field included as is): 0 when a received checksum is right. */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): number {
  let sum = 0;
  const add16 = (b: Uint8Array): void => {
    for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
  };
  add16(src);
  add16(dst);
  sum += (icmp.length >>> 16) & 0xffff;
  sum += icmp.length & 0xffff;
  sum += ICMPV6;
  add16(icmp);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface NAFields {
  ethDst: string;
  ethSrc: string;
  srcIp: string;
  dstIp: string;
  target: string;
  router?: boolean;
  solicited: boolean;
  override: boolean;
  /** target link-layer address option */
  targetLLA: string;
}

/** Ethernet/IPv6/ICMPv6 Neighbor Advertisement with a target link-layer option (86 bytes), hop limit 255. */
export function buildNeighborAdvertisement(f: NAFields): Buffer {
  const icmpLen = 24 + 8;
  const b = ethernet(f.ethDst, f.ethSrc, ETH_IPV6, 40 + icmpLen);
  const ip = b.subarray(ETH_HEADER);
  ip.writeUInt32BE(0x60000000, 0); // version 6, traffic class 0, flow label 0
  ip.writeUInt16BE(icmpLen, 4);
  ip[6] = ICMPV6;
  ip[7] = 255;
  const src = ipv6ToBuffer(f.srcIp);
  const dst = ipv6ToBuffer(f.dstIp);
  src.copy(ip, 8);
  dst.copy(ip, 24);
  const icmp = ip.subarray(40);
  icmp[0] = ND_NA;
  icmp[1] = 0;
  icmp[4] = (f.router ? 0x80 : 0) | (f.solicited ? 0x40 : 0) | (f.override ? 0x20 : 0);
  ipv6ToBuffer(f.target).copy(icmp, 8);
  icmp[24] = OPT_TARGET_LLA;
  icmp[25] = 1;
  macToBuffer(f.targetLLA).copy(icmp, 26);
  icmp.writeUInt16BE(icmpv6Checksum(src, dst, icmp), 2);
  return b;
}

/**
 * The solicited NA answering `ns` (which must carry a source link-layer option): to the solicitor's
 * address and MAC, from our link-local address, S=1, O=0 (as MetalLB: a host that already has another
 * entry keeps it until that one fails), target link-layer option = `mac`.
 */
export function buildSolicitedNA(ns: NeighborSolicitation, mac: string, linkLocal: string): Buffer {
  if (!ns.sourceLLA) throw new Error('a Neighbor Solicitation without source link-layer option cannot be answered by unicast');
  return buildNeighborAdvertisement({ ethDst: ns.sourceLLA, ethSrc: mac, srcIp: linkLocal, dstIp: ns.srcIp, target: ns.target, solicited: true, override: false, targetLLA: mac });
}

/** Unsolicited NA for `ip` to all nodes (ff02::1, 33:33:00:00:00:01), O=1, S=0. */
export function buildUnsolicitedNA(ip: string, mac: string, linkLocal: string): Buffer {
  return buildNeighborAdvertisement({ ethDst: ipv6MulticastMac(ALL_NODES), ethSrc: mac, srcIp: linkLocal, dstIp: ALL_NODES, target: ip, solicited: false, override: true, targetLLA: mac });
}
