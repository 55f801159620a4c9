// The in-process ARP/NDP responder (speaker with host network): one pcap handle per eligible
// interface while anything is announced, answering ARP requests and Neighbor Solicitations for the
// IPs this node owns, and sending gratuitous ARP / unsolicited NA after each (re)announce.
import { isIPv4 } from 'node:net';
import { createLogger, type Logger } from '../util/log.js';
import { openCapLink, type OpenLink, type RawLink } from './cap.js';
import {
  ARP_REPLY,
  ARP_REQUEST,
  BROADCAST_MAC,
  buildArpReply,
  buildGratuitousArp,
  buildSolicitedNA,
  buildUnsolicitedNA,
  canonicalIP,
  parseFrame,
  type ArpFrame,
  type NeighborSolicitation,
} from './frames.js';
import { discoverInterfaces, eligibleInterfaces, listInterfaces, type EligibleInterface, type InterfaceInfo } from './interfaces.js';
import { GratuitousSchedule, GRATUITOUS_INTERVAL_MS, GRATUITOUS_WINDOW_MS } from './schedule.js';
import type { L2Announcement, L2Counters, L2Responder } from './types.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CapResponderOptions {
  counters?: L2Counters;
  logger?: Logger;
  /** names of the interfaces to use (default: discovery, interfaces.ts) */
  interfaces?: () => string[];
  /** interface details (default: /sys/class/net of this namespace) */
  interfaceInfo?: () => InterfaceInfo[];
  /** opens a raw link (default: a pcap handle) */
  openLink?: OpenLink;
  now?: () => number;
  timers?: Timers;
  /** how often interfaces are re-scanned while something is announced (default 10 s; 0: only on set()) */
  rescanMs?: number;
  gratuitousIntervalMs?: number;
  gratuitousWindowMs?: number;
}

interface Owned {
  v4: boolean;
  /** sorted; empty = every interface */
  interfaces: string[];
}

interface OpenIf {
  info: EligibleInterface;
  filter: string;
  link: RawLink;
}

const noCounters: L2Counters = { request: () => {}, response: () => {}, gratuitous: () => {} };

function filterFor(i: EligibleInterface): string {
  if (i.arp && i.ndp) return 'arp or (icmp6 and ip6[40] == 135)';
  return i.arp ? 'arp' : 'icmp6 and ip6[40] == 135';
}

/** Normalizes a set() argument: canonical IPs, one entry per IP (interfaces united; any empty list = all). */
export function normalizeAnnouncements(anns: L2Announcement[]): Map<string, Owned> {
  const out = new Map<string, Owned>();
  for (const a of anns) {
    const ip = canonicalIP(a.ip);
    const prev = out.get(ip);
    const ifs = [...new Set(a.interfaces)].sort();
    if (!prev) out.set(ip, { v4: isIPv4(ip), interfaces: ifs });
    else if (prev.interfaces.length > 0) prev.interfaces = ifs.length === 0 ? [] : [...new Set([...prev.interfaces, ...ifs])].sort();
  }
  return out;
}

export class CapResponder implements L2Responder {
  private readonly counters: L2Counters;
  private readonly log: Logger;
  private readonly names: () => string[];
  private readonly info: () => InterfaceInfo[];
  private readonly openLink: OpenLink;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly rescanMs: number;
  private readonly schedule: GratuitousSchedule;
  private readonly owned = new Map<string, Owned>();
  private readonly links = new Map<string, OpenIf>();
  private timer: unknown = null;
  private timerAt: number | null = null;
  private rescanTimer: unknown = null;
  private closed = false;

  constructor(opts: CapResponderOptions = {}) {
    this.counters = opts.counters ?? noCounters;
    this.log = opts.logger ?? createLogger('l2-responder');
    this.names = opts.interfaces ?? discoverInterfaces;
    this.info = opts.interfaceInfo ?? (() => listInterfaces());
    this.openLink = opts.openLink ?? openCapLink;
    this.now = opts.now ?? (() => performance.now());
    this.timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    this.rescanMs = opts.rescanMs ?? 10_000;
    this.schedule = new GratuitousSchedule(opts.gratuitousIntervalMs ?? GRATUITOUS_INTERVAL_MS, opts.gratuitousWindowMs ?? GRATUITOUS_WINDOW_MS);
  }

  set(announcements: L2Announcement[]): void {
    if (this.closed) throw new Error('L2 responder is closed');
    const next = normalizeAnnouncements(announcements);
    const now = this.now();
    for (const ip of [...this.owned.keys()]) {
      if (next.has(ip)) continue;
      this.owned.delete(ip);
      this.schedule.withdraw(ip);
      this.log.info('withdrawn', { ip });
    }
    const changed: string[] = [];
    for (const [ip, o] of next) {
      const prev = this.owned.get(ip);
      if (prev && prev.interfaces.join(',') === o.interfaces.join(',')) continue;
      changed.push(ip);
      this.owned.set(ip, o);
      this.schedule.announce(ip, now);
      this.log.info(prev ? 'moved' : 'announced', { ip, interfaces: o.interfaces });
    }
    this.syncLinks();
    for (const ip of changed) if (this.linksFor(ip, next.get(ip)!).length === 0) this.log.warn('announceFailed: none of the interfaces exists or is eligible', { ip, interfaces: next.get(ip)!.interfaces });
    this.tick();
  }

  /** IPs answered now (canonical text). */
  announced(): string[] {
    return [...this.owned.keys()];
  }

  /** Interfaces with an open link. */
  listening(): string[] {
    return [...this.links.keys()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.owned.clear();
    this.schedule.clear();
    this.clearTimer();
    if (this.rescanTimer !== null) this.timers.clearTimeout(this.rescanTimer);
    this.rescanTimer = null;
    for (const name of [...this.links.keys()]) this.closeLink(name);
  }

  // -------------------------------------------------------------------------------------------

  private linksFor(ip: string, o: Owned): OpenIf[] {
    const out: OpenIf[] = [];
    for (const l of this.links.values()) {
      if (o.interfaces.length > 0 && !o.interfaces.includes(l.info.name)) continue;
      if (o.v4 ? l.info.arp : l.info.ndp) out.push(l);
    }
    void ip;
    return out;
  }

  /** Opens links for eligible interfaces while something is announced, closes the others. */
  private syncLinks(): void {
    if (this.closed) return;
    let wanted: EligibleInterface[] = [];
    if (this.owned.size > 0) {
      try {
        const allowed = new Set(this.names());
        wanted = eligibleInterfaces(this.info()).filter((i) => allowed.has(i.name));
      } catch (e) {
        this.log.error('interface scan failed', { error: e });
        return;
      }
    }
    const byName = new Map(wanted.map((i) => [i.name, i]));
    for (const [name, l] of [...this.links]) {
      const w = byName.get(name);
      if (!w || filterFor(w) !== l.filter || w.index !== l.info.index) this.closeLink(name);
      else l.info = w; // MAC or link-local may have changed
    }
    for (const i of wanted) {
      if (this.links.has(i.name)) continue;
      const filter = filterFor(i);
      try {
        const link = this.openLink(i.name, filter, (frame) => this.onFrame(i.name, frame));
        this.links.set(i.name, { info: i, filter, link });
        this.log.info('listening', { interface: i.name, mac: i.mac, arp: i.arp, ndp: i.ndp });
      } catch (e) {
        this.log.error('cannot open interface', { interface: i.name, error: e });
      }
    }
    if (this.rescanTimer === null && this.owned.size > 0 && this.rescanMs > 0) {
      this.rescanTimer = this.timers.setTimeout(() => {
        this.rescanTimer = null;
        this.syncLinks();
      }, this.rescanMs);
      (this.rescanTimer as { unref?: () => void }).unref?.();
    }
  }

  private closeLink(name: string): void {
    const l = this.links.get(name);
    if (!l) return;
    this.links.delete(name);
    try {
      l.link.close();
    } catch (e) {
      this.log.warn('closing interface failed', { interface: name, error: e });
    }
    this.log.info('stopped listening', { interface: name });
  }

  private send(l: OpenIf, frame: Buffer, what: string, ip: string): boolean {
    try {
      l.link.send(frame);
      return true;
    } catch (e) {
      this.log.warn(`sending ${what} failed`, { interface: l.info.name, ip, error: e });
      return false;
    }
  }

  // gratuitous --------------------------------------------------------------------------------

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = null;
  }

  /** Sends what is due and arms the timer for the next due time. */
  private tick(): void {
    if (this.closed) return;
    const now = this.now();
    for (const ip of this.schedule.take(now)) {
      const o = this.owned.get(ip);
      if (!o) continue; // only while owned (withdraw already removed it; belt and braces)
      for (const l of this.linksFor(ip, o)) {
        if (o.v4) {
          for (const op of [ARP_REQUEST, ARP_REPLY]) if (this.send(l, buildGratuitousArp(ip, l.info.mac, op), 'gratuitous ARP', ip)) this.counters.gratuitous(ip);
        } else if (l.info.linkLocal) {
          if (this.send(l, buildUnsolicitedNA(ip, l.info.mac, l.info.linkLocal), 'unsolicited NA', ip)) this.counters.gratuitous(ip);
        }
      }
    }
    const next = this.schedule.nextWakeup();
    if (next === null) {
      this.clearTimer();
      return;
    }
    if (this.timerAt === next && this.timer !== null) return;
    this.clearTimer();
    this.timerAt = next;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.timerAt = null;
      this.tick();
    }, Math.max(0, Math.ceil(next - now)));
  }

  // answering ---------------------------------------------------------------------------------

  private onFrame(ifname: string, frame: Buffer): void {
    const l = this.links.get(ifname);
    if (!l || this.closed) return;
    let p;
    try {
      p = parseFrame(frame);
    } catch {
      return;
    }
    if (!p || p.ethSrc === l.info.mac) return; // not ours to answer, or our own frame going out
    if (p.kind === 'arp') this.onArp(l, p);
    else this.onNS(l, p);
  }

  private matches(l: OpenIf, ip: string): Owned | null {
    const o = this.owned.get(ip);
    if (!o) return null;
    if (o.interfaces.length > 0 && !o.interfaces.includes(l.info.name)) {
      this.log.debug('notMatchInterface', { ip, interface: l.info.name });
      return null;
    }
    return o;
  }

  private onArp(l: OpenIf, p: ArpFrame): void {
    if (p.op !== ARP_REQUEST || !l.info.arp) return;
    if (p.ethDst !== BROADCAST_MAC && p.ethDst !== l.info.mac) return;
    if (p.senderIp === p.targetIp) return; // someone's gratuitous ARP: an announcement, not a question
    const o = this.matches(l, p.targetIp);
    if (!o || !o.v4) return;
    this.counters.request(p.targetIp);
    if (this.send(l, buildArpReply(p, l.info.mac), 'ARP reply', p.targetIp)) this.counters.response(p.targetIp);
  }

  private onNS(l: OpenIf, p: NeighborSolicitation): void {
    if (!l.info.ndp || !l.info.linkLocal) return;
    if (!p.checksumOk || p.hopLimit !== 255) return; // RFC 4861 §7.1.1
    const o = this.matches(l, p.target);
    if (!o || o.v4) return;
    // DAD probes (source ::) carry no source link-layer option and are not answered (as MetalLB)
    if (!p.sourceLLA) return;
    this.counters.request(p.target);
    if (this.send(l, buildSolicitedNA(p, l.info.mac, l.info.linkLocal), 'Neighbor Advertisement', p.target)) this.counters.response(p.target);
  }
}
