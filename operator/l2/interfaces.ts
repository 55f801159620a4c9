// Which interfaces the L2 responder listens on, from /sys/class/net and /proc/net/if_inet6 (both
// reflect the network namespace of the reading process). Rules as MetalLB's interface scan: skip names
// matching the exclude list, interfaces that are down, enslaved (have a master) or NOARP; ARP where
// the interface has the broadcast flag, NDP where it has an IPv6 link-local address. Judged by flags
// and names, not by driver: the lab's interfaces are veths named eth0 inside network namespaces.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipv6ToString } from './frames.js';

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_NOARP = 0x80;

/** MetalLB's default announcedInterfacesToExclude, as one expression. */
export const DEFAULT_EXCLUDE = /^(docker|cbr|dummy|virbr|lxcbr|veth|cali|tunl|flannel|kube-ipvs|cni|nodelocaldns).*|^lo$/;

export interface InterfaceInfo {
  name: string;
  index: number;
  mac: string;
  flags: number;
  /** has /sys/class/net/<name>/master (bridge or bond port) */
  enslaved: boolean;
  /** first IPv6 link-local address, when it has one */
  linkLocal?: string;
}

export interface EligibleInterface extends InterfaceInfo {
  arp: boolean;
  ndp: boolean;
}

function readTrim(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Parses /proc/net/if_inet6: interface name → first link-local (scope 0x20) address. */
export function parseIfInet6(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[0]!.length !== 32) continue;
    const scope = parseInt(f[3]!, 16);
    if (scope !== 0x20) continue;
    const name = f[5]!;
    if (!out.has(name)) out.set(name, ipv6ToString(Buffer.from(f[0]!, 'hex')));
  }
  return out;
}

/** Every interface of this network namespace. */
export function listInterfaces(sysNet = '/sys/class/net', ifInet6 = '/proc/net/if_inet6'): InterfaceInfo[] {
  let names: string[];
  try {
    names = readdirSync(sysNet);
  } catch {
    return [];
  }
  const ll = parseIfInet6(readTrim(ifInet6) ?? '');
  const out: InterfaceInfo[] = [];
  for (const name of names.sort()) {
    const dir = join(sysNet, name);
    const flags = parseInt(readTrim(join(dir, 'flags')) ?? '', 16);
    const index = Number(readTrim(join(dir, 'ifindex')));
    const mac = readTrim(join(dir, 'address'));
    if (!Number.isFinite(flags) || !mac) continue;
    const info: InterfaceInfo = { name, index, mac, flags, enslaved: existsSync(join(dir, 'master')) };
    const l = ll.get(name);
    if (l) info.linkLocal = l;
    out.push(info);
  }
  return out;
}

/** Why an interface is not used, or null when it is (pure). */
export function ineligibleReason(i: InterfaceInfo, exclude: RegExp = DEFAULT_EXCLUDE): string | null {
  if (exclude.test(i.name)) return 'excluded name';
  if (i.flags & IFF_LOOPBACK) return 'loopback';
  if (!(i.flags & IFF_UP)) return 'down';
  if (i.enslaved) return 'enslaved';
  if (i.flags & IFF_NOARP) return 'NOARP';
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(i.mac) || i.mac === '00:00:00:00:00:00') return 'no Ethernet address';
  if (!(i.flags & IFF_BROADCAST) && !i.linkLocal) return 'neither broadcast nor IPv6 link-local';
  return null;
}

/** The interfaces to listen on, with the protocols on each (pure). */
export function eligibleInterfaces(all: InterfaceInfo[], exclude: RegExp = DEFAULT_EXCLUDE): EligibleInterface[] {
  return all.filter((i) => ineligibleReason(i, exclude) === null).map((i) => ({ ...i, arp: (i.flags & IFF_BROADCAST) !== 0, ndp: i.linkLocal !== undefined }));
}

/** Names of this namespace's eligible interfaces (the responder's default discovery). */
export function discoverInterfaces(): string[] {
  return eligibleInterfaces(listInterfaces()).map((i) => i.name);
}
