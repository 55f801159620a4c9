// MetalLB's IP allocator (internal/allocator/allocator.go), pure: no Kubernetes access, no clock.
// Services are keyed `namespace/name`. Spec: shared/spec/metallb-core.md §3.4–3.6, §3.8, §3.10.
//
// Deliberate determinism (Appendix A 1): upstream walks non-pinned pools (and pinned pools of equal priority) in
// Go map order; here ties are broken by pool name (goLess), so the same inputs always pick the same pool.
import type { Config, Pool } from '../config/metallb/parse.js';
import { goLess, goQuote } from '../util/gofmt.js';
import { cidrContains, cidrFirst, cidrLast, formatIP, parseIP, type CIDR, type Family as IPVer, type IP } from '../util/ip.js';
import { selectorMatches } from '../util/selector.js';

export type IPFamily = 'ipv4' | 'ipv6' | 'dual';

export interface Port {
  protocol: string;
  port: number;
}
export const portString = (p: Port): string => `${p.protocol}/${p.port}`;

/** What the allocator needs to know about a service (k8salloc's Ports/SharingKey/BackendKey + labels). */
export interface ServiceInfo {
  namespace: string;
  labels: Record<string, string>;
  ports: Port[];
  sharingKey: string;
  backendKey: string;
  /** PreferDualStack with dual clusterIPs: pools offering one family are acceptable. */
  preferDualStack?: boolean;
  /** Primary family for PreferDualStack fallback (ipFamilies[0]); default ipv4. */
  primaryFamily?: 'ipv4' | 'ipv6';
}

interface Alloc {
  pool: string;
  ips: string[];
  ports: Port[];
  sharing: string;
  backend: string;
}

export interface PoolCounters {
  /** Capacity (§3.10); huge pools count as MaxInt64. */
  total: bigint;
  ipv4Total: bigint;
  ipv6Total: bigint;
  inUse: number;
  ipv4InUse: number;
  ipv6InUse: number;
  /** Services whose allocation is attributed to this pool. */
  services: number;
}

export const MAX_INT64 = (1n << 63n) - 1n;

/** The family of a list of addresses (ipfamily.ForAddresses), with upstream's error texts. */
export function familyForAddresses(ips: readonly string[]): IPFamily {
  const q = `[${ips.map(goQuote).join(' ')}]`;
  if (ips.length !== 1 && ips.length !== 2) throw new Error(`IPFamilyForAddresses: invalid ips length ${ips.length} ${q}`);
  const parsed = ips.map(parseIP);
  if (parsed.some((p) => p === null)) throw new Error(`IPFamilyForAddresses: Invalid address ${q}`);
  if (parsed.length === 1) return parsed[0]!.family === 4 ? 'ipv4' : 'ipv6';
  if (parsed[0]!.family === parsed[1]!.family) throw new Error(`IPFamilyForAddresses: same address family ${q}`);
  return 'dual';
}

/** Go's `%q` of a []net.IP / []string: `["a" "b"]`. */
export const goQuoteIPs = (ips: readonly string[]): string => `[${ips.map(goQuote).join(' ')}]`;

const famOf = (ip: string): IPVer => parseIP(ip)!.family;
const famName = (f: IPVer): 'ipv4' | 'ipv6' => (f === 4 ? 'ipv4' : 'ipv6');

/** Canonical text of an address (so "10.0.0.010"-like variants cannot alias); null when invalid. */
export function canonicalIP(s: string): string | null {
  const p = parseIP(s.trim());
  return p ? formatIP(p) : null;
}

/** IPv4 .0 and .255 confuse some firmwares (ipConfusesBuggyFirmwares). */
export function isBuggyIP(ip: IP): boolean {
  if (ip.family !== 4) return false;
  const last = ip.value & 0xffn;
  return last === 0n || last === 255n;
}

/** §3.10 capacity of one pool: [total, ipv4, ipv6], clamped to MaxInt64. */
export function poolCapacity(p: Pool): [bigint, bigint, bigint] {
  let v4 = 0n;
  let v6 = 0n;
  let huge = false;
  for (const c of p.cidrs) {
    const bits = c.family === 4 ? 32 : 128;
    const hostBits = bits - c.prefix;
    if (hostBits >= 62) {
      huge = true;
      if (c.family === 4) v4 = MAX_INT64;
      else v6 = MAX_INT64;
      continue;
    }
    let sz = 1n << BigInt(hostBits);
    if (p.avoidBuggyIPs && c.family === 4) {
      if (c.prefix <= 24) sz -= (1n << BigInt(24 - c.prefix)) * 2n;
      else {
        if (isBuggyIP({ family: 4, value: cidrFirst(c) })) sz--;
        if (isBuggyIP({ family: 4, value: cidrLast(c) })) sz--;
      }
    }
    if (c.family === 4) v4 = v4 === MAX_INT64 ? v4 : v4 + sz;
    else v6 = v6 === MAX_INT64 ? v6 : v6 + sz;
  }
  const clamp = (x: bigint) => (x > MAX_INT64 ? MAX_INT64 : x);
  if (huge) return [MAX_INT64, clamp(v4), clamp(v6)];
  return [clamp(v4 + v6), clamp(v4), clamp(v6)];
}

/** Positive priorities ascending, 0 last; ties by name (upstream: unspecified). */
function byPriority(a: Pool, b: Pool): number {
  const pa = a.serviceAllocation?.priority ?? 0;
  const pb = b.serviceAllocation?.priority ?? 0;
  if (pa !== pb) {
    if (pa === 0) return 1;
    if (pb === 0) return -1;
    return pa - pb;
  }
  return goLess(a.name, b.name);
}

export class Allocator {
  private config: Config | null = null;
  private readonly allocated = new Map<string, Alloc>();
  /** ip -> sharing/backend key of the last service assigned to it */
  private readonly keyForIP = new Map<string, { sharing: string; backend: string }>();
  /** ip -> "TCP/80" -> service */
  private readonly portsInUse = new Map<string, Map<string, string>>();
  /** ip -> services using it */
  private readonly servicesOnIP = new Map<string, Set<string>>();

  /** Pools currently configured (empty before the first config). */
  get pools(): Map<string, Pool> {
    return this.config?.pools ?? new Map();
  }

  hasConfig(): boolean {
    return this.config !== null;
  }

  /**
   * Installs a new pool set (§3.8): allocations whose IPs are in no pool are released, allocations whose IPs
   * moved to another pool are re-attributed. Returns the keys of the released services.
   */
  setConfig(config: Config): string[] {
    const released: string[] = [];
    this.config = config;
    for (const [svc, a] of [...this.allocated]) {
      const pool = this.poolFor(a.ips);
      if (!pool) {
        this.unassign(svc);
        released.push(svc);
      } else a.pool = pool.name;
    }
    return released;
  }

  /** Pool attributed to a service's allocation ('' when none). */
  poolOf(svc: string): string {
    return this.allocated.get(svc)?.pool ?? '';
  }

  /** Sharing and backend key of a service's allocation ('' when none). */
  keyOf(svc: string): string {
    const a = this.allocated.get(svc);
    return a ? JSON.stringify([a.sharing, a.backend]) : '';
  }

  ipsOf(svc: string): string[] {
    return [...(this.allocated.get(svc)?.ips ?? [])];
  }

  /** Keys of all services holding an allocation, sorted. */
  services(): string[] {
    return [...this.allocated.keys()].sort(goLess);
  }

  /** Frees a service's IPs; false when it had none. */
  unassign(svc: string): boolean {
    const a = this.allocated.get(svc);
    if (!a) return false;
    this.allocated.delete(svc);
    for (const ip of a.ips) {
      const users = this.servicesOnIP.get(ip);
      users?.delete(svc);
      if (!users || users.size === 0) {
        this.servicesOnIP.delete(ip);
        this.keyForIP.delete(ip);
      }
      const ports = this.portsInUse.get(ip);
      if (ports) {
        for (const [p, s] of [...ports]) if (s === svc) ports.delete(p);
        if (ports.size === 0) this.portsInUse.delete(ip);
      }
    }
    return true;
  }

  /** The pool containing all of `ips` (buggy IPs excluded from avoidBuggyIPs pools), by name order. */
  private poolFor(ips: readonly string[]): Pool | null {
    const parsed = ips.map(parseIP);
    if (parsed.length === 0 || parsed.some((p) => p === null)) return null;
    const names = [...this.pools.keys()].sort(goLess);
    for (const n of names) {
      const p = this.pools.get(n)!;
      const ok = parsed.every((ip) => {
        if (p.avoidBuggyIPs && isBuggyIP(ip!)) return false;
        return p.cidrs.some((c) => cidrContains(c, ip!));
      });
      if (ok) return p;
    }
    return null;
  }

  /** isPoolCompatibleWithService */
  compatible(p: Pool, svc: ServiceInfo): boolean {
    const sa = p.serviceAllocation;
    if (!sa) return true;
    if (sa.namespaces.length > 0 && !sa.namespaces.includes(svc.namespace)) return false;
    if (sa.serviceSelectors.length > 0) return sa.serviceSelectors.some((s) => selectorMatches(s, svc.labels));
    return true;
  }

  private checkSharing(svc: string, ip: string, ports: readonly Port[], sharing: string, backend: string): string | null {
    const existing = this.keyForIP.get(ip);
    if (!existing) return null;
    const ok = existing.sharing !== '' && sharing !== '' && existing.sharing === sharing && existing.backend === backend;
    if (!ok) {
      const others = [...(this.servicesOnIP.get(ip) ?? [])].filter((s) => s !== svc).sort(goLess);
      if (others.length > 0) return `can't change sharing key for ${goQuote(svc)}, address also in use by ${others.join(',')}`;
    }
    const used = this.portsInUse.get(ip);
    for (const p of ports) {
      const cur = used?.get(portString(p));
      if (cur !== undefined && cur !== svc) return `port ${portString(p)} is already in use on ${goQuote(ip)}`;
    }
    return null;
  }

  /** Assigns explicit IPs (requested or current) to a service; throws with upstream's texts. */
  assign(svcKey: string, svc: ServiceInfo, ipsIn: readonly string[]): void {
    const ips = ipsIn.map((s) => canonicalIP(s) ?? s);
    const pool = this.poolFor(ips);
    if (!pool) throw new Error(`${goQuoteIPs(ips)} is not allowed in config`);
    if (!this.compatible(pool, svc)) throw new Error(`pool ${pool.name} not compatible for ip assignment`);
    if (ips.length > 2) throw new Error(`more than two addresses ${goQuoteIPs(ips)}`);
    if (ips.length === 2 && famOf(ips[0]!) === famOf(ips[1]!)) {
      throw new Error(`${goQuote(ips[0]!)} ${goQuote(ips[1]!)} has the same family`);
    }
    for (const ip of ips) {
      const err = this.checkSharing(svcKey, ip, svc.ports, svc.sharingKey, svc.backendKey);
      if (err) throw new Error(err);
    }
    this.unassign(svcKey);
    const a: Alloc = { pool: pool.name, ips, ports: [...svc.ports], sharing: svc.sharingKey, backend: svc.backendKey };
    this.allocated.set(svcKey, a);
    for (const ip of ips) {
      this.keyForIP.set(ip, { sharing: a.sharing, backend: a.backend });
      let ports = this.portsInUse.get(ip);
      if (!ports) this.portsInUse.set(ip, (ports = new Map()));
      for (const p of a.ports) ports.set(portString(p), svcKey);
      let users = this.servicesOnIP.get(ip);
      if (!users) this.servicesOnIP.set(ip, (users = new Set()));
      users.add(svcKey);
    }
  }

  /** First address of a CIDR passing the buggy-IP and sharing checks (§3.5). */
  private ipFromCIDR(c: CIDR, avoidBuggy: boolean, svcKey: string, svc: ServiceInfo): string | null {
    const last = cidrLast(c);
    for (let v = cidrFirst(c); v <= last; v++) {
      const ip = { family: c.family, value: v };
      if (avoidBuggy && isBuggyIP(ip)) continue;
      const s = formatIP(ip);
      if (this.checkSharing(svcKey, s, svc.ports, svc.sharingKey, svc.backendKey) !== null) continue;
      return s;
    }
    return null;
  }

  /** First usable IP per wanted family in a pool, without assigning. */
  private freeIPs(pool: Pool, families: ReadonlySet<IPVer>, svcKey: string, svc: ServiceInfo): Map<IPVer, string> {
    const out = new Map<IPVer, string>();
    for (const c of pool.cidrs) {
      if (!families.has(c.family) || out.has(c.family)) continue;
      const ip = this.ipFromCIDR(c, pool.avoidBuggyIPs, svcKey, svc);
      if (ip) out.set(c.family, ip);
    }
    return out;
  }

  private static familySet(f: IPFamily): Set<IPVer> {
    return new Set<IPVer>(f === 'dual' ? [4, 6] : f === 'ipv4' ? [4] : [6]);
  }

  private existing(svcKey: string, svc: ServiceInfo, family: IPFamily): string[] | null {
    const cur = this.allocated.get(svcKey);
    if (!cur) return null;
    const f = familyForAddresses(cur.ips);
    if (f !== family) throw new Error(`IP for wrong family assigned ${goQuoteIPs(cur.ips)}`);
    this.assign(svcKey, svc, cur.ips);
    return [...cur.ips];
  }

  /** AllocateFromPool: IPs of `family` from the named pool (autoAssign ignored). */
  allocateFromPool(svcKey: string, svc: ServiceInfo, family: IPFamily, poolName: string): string[] {
    const have = this.existing(svcKey, svc, family);
    if (have) return have;
    const pool = this.pools.get(poolName);
    if (!pool) throw new Error(`unknown pool ${goQuote(poolName)}`);
    const want = Allocator.familySet(family);
    const found = this.freeIPs(pool, want, svcKey, svc);
    const missing = [...want].filter((f) => !found.has(f));
    if (missing.length > 0) {
      if (pool.cidrs.length === 0) throw new Error(`no available IPs in pool ${goQuote(pool.name)}`);
      throw new Error(`no available IPs in pool ${goQuote(pool.name)} for ${missing.map(famName).join(',')} IPFamily`);
    }
    const ips = [...want].sort().map((f) => found.get(f)!);
    this.assign(svcKey, svc, ips);
    return ips;
  }

  /** Pinned pools (§3.4 step 1), sorted by priority then name. */
  pinnedPools(svc: ServiceInfo): Pool[] {
    const cfg = this.config;
    if (!cfg) return [];
    const names = new Set<string>([...(cfg.poolsByNamespace.get(svc.namespace) ?? []), ...cfg.poolsByServiceSelector]);
    const out: Pool[] = [];
    for (const n of names) {
      const p = cfg.pools.get(n);
      if (p && p.autoAssign && this.compatible(p, svc)) out.push(p);
    }
    return out.sort(byPriority);
  }

  /** General pools (§3.4 step 2): autoAssign, no serviceAllocation, by name. */
  generalPools(): Pool[] {
    return [...this.pools.values()].filter((p) => p.autoAssign && !p.serviceAllocation).sort((a, b) => goLess(a.name, b.name));
  }

  /** Automatic allocation (§3.4). */
  allocate(svcKey: string, svc: ServiceInfo, family: IPFamily): string[] {
    const have = this.existing(svcKey, svc, family);
    if (have) return have;
    for (const list of [this.pinnedPools(svc), this.generalPools()]) {
      const ips = this.allocateFromList(svcKey, svc, family, list);
      if (ips) return ips;
    }
    throw new Error('no available IPs');
  }

  private allocateFromList(svcKey: string, svc: ServiceInfo, family: IPFamily, pools: Pool[]): string[] | null {
    const want = Allocator.familySet(family);
    const preferDual = family === 'dual' && svc.preferDualStack === true;
    const primary: IPVer = svc.primaryFamily === 'ipv6' ? 6 : 4;
    const secondary: IPVer = primary === 4 ? 6 : 4;
    let primaryPool: Pool | null = null;
    let secondaryPool: Pool | null = null;
    for (const p of pools) {
      const found = this.freeIPs(p, want, svcKey, svc);
      if ([...want].every((f) => found.has(f))) return this.allocateFromPool(svcKey, svc, family, p.name);
      if (preferDual) {
        if (!primaryPool && found.has(primary)) primaryPool = p;
        if (!secondaryPool && found.has(secondary)) secondaryPool = p;
      }
    }
    if (primaryPool) return this.allocateFromPool(svcKey, svc, famName(primary), primaryPool.name);
    if (secondaryPool) return this.allocateFromPool(svcKey, svc, famName(secondary), secondaryPool.name);
    return null;
  }

  /**
   * PreferDualStack: adds an IP of the missing family from the pool already holding the service's single IP.
   * Returns the added IP, null when the pool has no CIDR of that family; throws when it has one but no free IP.
   */
  addMissingFamily(svcKey: string, svc: ServiceInfo): string | null {
    const cur = this.allocated.get(svcKey);
    if (!cur || cur.ips.length !== 1) return null;
    const pool = this.pools.get(cur.pool);
    if (!pool) return null;
    const missing: IPVer = famOf(cur.ips[0]!) === 4 ? 6 : 4;
    if (!pool.cidrs.some((c) => c.family === missing)) return null;
    const found = this.freeIPs(pool, new Set([missing]), svcKey, svc).get(missing);
    if (!found) throw new Error(`no available IPs in pool ${goQuote(pool.name)} for ${famName(missing)} IPFamily`);
    const ips = [cur.ips[0]!, found].sort((a, b) => famOf(a) - famOf(b));
    this.assign(svcKey, svc, ips);
    return found;
  }

  /** §3.10 counters for every configured pool. */
  counters(): Map<string, PoolCounters> {
    const out = new Map<string, PoolCounters>();
    for (const p of this.pools.values()) {
      const [total, ipv4Total, ipv6Total] = poolCapacity(p);
      out.set(p.name, { total, ipv4Total, ipv6Total, inUse: 0, ipv4InUse: 0, ipv6InUse: 0, services: 0 });
    }
    const seen = new Map<string, Set<string>>();
    for (const a of this.allocated.values()) {
      const c = out.get(a.pool);
      if (!c) continue;
      c.services++;
      let s = seen.get(a.pool);
      if (!s) seen.set(a.pool, (s = new Set()));
      for (const ip of a.ips) {
        if (s.has(ip)) continue;
        s.add(ip);
        c.inUse++;
        if (famOf(ip) === 4) c.ipv4InUse++;
        else c.ipv6InUse++;
      }
    }
    return out;
  }
}
