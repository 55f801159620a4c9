// A throw-away network for tests and the lab, built from network namespaces only (the root namespace
// is never touched): one namespace holds bridge br0, every host namespace has `lo` up and an `eth0`
// veth into that bridge, all on one /24; extra point-to-point links get their own /24.
//
//   <prefix>br:      br0 ── p-router ── p-node1 ── p-node2 ...
//   <prefix>router:  eth0 10.X.0.1/24   [eth1 10.X.1.1/24 ── client eth0 10.X.1.2/24]
//   <prefix>node1:   eth0 10.X.0.11/24
//   <prefix>node2:   eth0 10.X.0.12/24
//
// Every name carries a per-instance prefix `mf<4 hex>-`; the run's directory <tmp>/metalfrr-topo/mf<hex>/
// records the owning process (owner.json) so that sweepStale() can remove leftovers of crashed runs
// and nothing else. destroy() kills what this instance started (by PID), deletes its namespaces and
// its directory; it is idempotent and also runs on process exit and on signals.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, runSync, type RunOptions, type RunResult } from '../../operator/util/exec.js';
import { registerForExit, unregisterForExit } from './cleanup.js';
import { FRRInstance, type FRRInstanceOptions } from './frr.js';
import { isAlive, killIfOurs, ownerAlive, selfOwner, waitDeadSync, type OwnerRecord } from './proc.js';

/** Our prefix format: `mf` + 4 hex digits + `-`. */
export const PREFIX_PATTERN = /^mf[0-9a-f]{4}-/;
const HOST_NAME = /^[a-z][a-z0-9]{0,11}$/;

/** Parent of every run's directory. */
export function defaultBaseDir(): string {
  return join(tmpdir(), 'metalfrr-topo');
}

export interface TopologyOptions {
  /** hosts on the shared /24, in order (default router, node1, node2); `router` gets .1, the others .11, .12, ... */
  hosts?: string[];
  /** add host `client` behind `router` on its own /24: router forwards, client routes via router, LAN hosts route the client /24 via router */
  client?: boolean;
  /** parent of the run directory (default <tmp>/metalfrr-topo) */
  baseDir?: string;
  /** fixed prefix (must match PREFIX_PATTERN); default: random, unused */
  prefix?: string;
}

export interface Host {
  name: string;
  ns: string;
  /** address on the shared /24 (eth0), absent for hosts off the bridge */
  ip?: string;
  /** interfaces created for it */
  devs: string[];
}

export interface Link {
  a: string;
  b: string;
  aDev: string;
  bDev: string;
  aIP: string;
  bIP: string;
  /** e.g. 10.X.1.0/24 */
  subnet: string;
}

interface OwnerFile extends OwnerRecord {
  prefix: string;
  created: string;
  namespaces: string[];
}

const ip = (...args: string[]): string[] => ['ip', ...args];

export class Topology {
  /** e.g. `mf1a2b-` */
  readonly prefix: string;
  /** the run directory */
  readonly dir: string;
  /** second octet X of every address (10.X.k.h) */
  readonly octet: number;
  readonly bridgeNs: string;
  private readonly hostMap = new Map<string, Host>();
  private readonly frrMap = new Map<string, FRRInstance>();
  private readonly createdNs: string[] = [];
  private nextLan = 11;
  private nextLink = 1;
  private destroyed = false;
  private readonly disposer = { destroySync: (): void => this.destroySync() };

  private constructor(prefix: string, dir: string) {
    this.prefix = prefix;
    this.dir = dir;
    const hex = parseInt(prefix.slice(2, 6), 16);
    this.octet = 100 + (hex % 150);
    this.bridgeNs = `${prefix}br`;
  }

  /** Builds the network; on failure everything made so far is removed before the error is thrown. */
  static async create(opts: TopologyOptions = {}): Promise<Topology> {
    const base = opts.baseDir ?? defaultBaseDir();
    const topo = Topology.claim(base, opts.prefix);
    try {
      await topo.addNamespace(topo.bridgeNs);
      await topo.ipCmd(topo.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge');
      await topo.ipCmd(topo.bridgeNs, 'link', 'set', 'br0', 'up');
      for (const h of opts.hosts ?? ['router', 'node1', 'node2']) await topo.addHost(h);
      if (opts.client) await topo.addClient();
    } catch (e) {
      topo.destroySync();
      throw e;
    }
    return topo;
  }

  /** Picks an unused prefix, creates the run directory with owner.json and registers the exit hook. */
  private static claim(base: string, fixed?: string): Topology {
    for (let attempt = 0; attempt < 50; attempt++) {
      const prefix = fixed ?? `mf${randomBytes(2).toString('hex')}-`;
      if (!PREFIX_PATTERN.test(prefix) || prefix.length !== 7) throw new Error(`topology prefix ${prefix} does not match ${PREFIX_PATTERN}`);
      const dir = join(base, prefix.slice(0, -1));
      const taken = existsSync(dir) || listNamespaces().some((n) => n.startsWith(prefix));
      if (taken) {
        if (fixed) throw new Error(`topology prefix ${prefix} is in use`);
        continue;
      }
      try {
        // (again on every attempt: another run may just have removed the empty base directory)
        mkdirSync(base, { recursive: true });
        chmodSync(base, 0o755); // the daemons (user frr) must traverse it whatever the umask
        mkdirSync(dir);
        chmodSync(dir, 0o755);
      } catch {
        continue; // lost a race with another process
      }
      const topo = new Topology(prefix, dir);
      topo.writeOwner();
      registerForExit(topo.disposer);
      return topo;
    }
    throw new Error('no free topology prefix');
  }

  private writeOwner(): void {
    const rec: OwnerFile = { ...selfOwner(), prefix: this.prefix, created: new Date().toISOString(), namespaces: [...this.createdNs] };
    writeFileSync(join(this.dir, 'owner.json'), JSON.stringify(rec, null, 2) + '\n');
  }

  // -------------------------------------------------------------------------------------------
  // naming and addressing

  /** The namespace of a host (a full namespace name is returned unchanged). */
  ns(host: string): string {
    if (host.startsWith(this.prefix)) return host;
    const h = this.hostMap.get(host);
    if (!h) throw new Error(`unknown host ${host}`);
    return h.ns;
  }

  host(name: string): Host {
    const h = this.hostMap.get(name);
    if (!h) throw new Error(`unknown host ${name}`);
    return h;
  }

  hosts(): string[] {
    return [...this.hostMap.keys()];
  }

  /** The host's address on the shared /24. */
  ip(host: string): string {
    const a = this.host(host).ip;
    if (!a) throw new Error(`${host} is not on the shared network`);
    return a;
  }

  /** The shared /24, e.g. 10.123.0.0/24. */
  get lan(): string {
    return `10.${this.octet}.0.0/24`;
  }

  /** Namespaces created so far (bridge first). */
  namespaces(): string[] {
    return [...this.createdNs];
  }

  // -------------------------------------------------------------------------------------------
  // commands

  /** Runs argv inside the host's namespace (`ip netns exec`). */
  exec(host: string, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(ip('netns', 'exec', this.ns(host), ...argv), opts);
  }

  private ipCmd(ns: string, ...args: string[]): Promise<RunResult> {
    return run(ip('-n', ns, ...args), { check: true, timeoutMs: 30_000 });
  }

  private async addNamespace(ns: string): Promise<void> {
    await run(ip('netns', 'add', ns), { check: true });
    this.createdNs.push(ns);
    this.writeOwner();
    await this.ipCmd(ns, 'link', 'set', 'lo', 'up');
  }

  /** Adds an address (`10.0.0.5/32`, `2001:db8::5/128`) to a device (default lo). */
  async addAddress(host: string, cidr: string, dev = 'lo'): Promise<void> {
    await this.ipCmd(this.ns(host), ...(cidr.includes(':') ? ['-6'] : []), 'addr', 'add', cidr, 'dev', dev);
  }

  /** Adds a route (`default` or a prefix) via a gateway, optionally through a device. */
  async addRoute(host: string, dst: string, via: string, dev?: string): Promise<void> {
    await this.ipCmd(this.ns(host), ...(via.includes(':') ? ['-6'] : []), 'route', 'add', dst, 'via', via, ...(dev ? ['dev', dev] : []));
  }

  /** Turns IPv4 (and optionally IPv6) forwarding on or off in the host's namespace. */
  async setForwarding(host: string, on: boolean, v6 = false): Promise<void> {
    const v = on ? '1' : '0';
    await this.exec(host, ['sysctl', '-qw', `net.ipv4.ip_forward=${v}`], { check: true });
    if (v6) await this.exec(host, ['sysctl', '-qw', `net.ipv6.conf.all.forwarding=${v}`], { check: true });
  }

  // -------------------------------------------------------------------------------------------
  // building

  /** Adds a host namespace; with `lan` (default) it gets eth0 on the bridge and the next /24 address. */
  async addHost(name: string, opts: { lan?: boolean; address?: string } = {}): Promise<Host> {
    if (!HOST_NAME.test(name)) throw new Error(`host name ${name} must match ${HOST_NAME}`);
    if (this.hostMap.has(name)) throw new Error(`host ${name} exists`);
    const host: Host = { name, ns: `${this.prefix}${name}`, devs: [] };
    await this.addNamespace(host.ns);
    this.hostMap.set(name, host);
    if (opts.lan === false) return host;
    const addr = opts.address ?? `10.${this.octet}.0.${name === 'router' ? 1 : this.nextLan++}`;
    await run(ip('link', 'add', 'eth0', 'netns', host.ns, 'type', 'veth', 'peer', 'name', `p-${name}`, 'netns', this.bridgeNs), { check: true });
    host.devs.push('eth0');
    await this.ipCmd(this.bridgeNs, 'link', 'set', `p-${name}`, 'master', 'br0', 'up');
    await this.ipCmd(host.ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    await this.ipCmd(host.ns, 'link', 'set', 'eth0', 'up');
    host.ip = addr;
    return host;
  }

  /** A point-to-point veth between two hosts on the next 10.X.k.0/24 (a = .1, b = .2). */
  async addLink(a: string, b: string): Promise<Link> {
    const ha = this.host(a);
    const hb = this.host(b);
    const k = this.nextLink++;
    if (k > 255) throw new Error('too many links');
    const aDev = `eth${ha.devs.length}`;
    const bDev = `eth${hb.devs.length}`;
    await run(ip('link', 'add', aDev, 'netns', ha.ns, 'type', 'veth', 'peer', 'name', bDev, 'netns', hb.ns), { check: true });
    ha.devs.push(aDev);
    hb.devs.push(bDev);
    const link: Link = { a, b, aDev, bDev, aIP: `10.${this.octet}.${k}.1`, bIP: `10.${this.octet}.${k}.2`, subnet: `10.${this.octet}.${k}.0/24` };
    await this.ipCmd(ha.ns, 'addr', 'add', `${link.aIP}/24`, 'dev', aDev);
    await this.ipCmd(hb.ns, 'addr', 'add', `${link.bIP}/24`, 'dev', bDev);
    await this.ipCmd(ha.ns, 'link', 'set', aDev, 'up');
    await this.ipCmd(hb.ns, 'link', 'set', bDev, 'up');
    return link;
  }

  /** `client` behind `router` (see TopologyOptions.client). */
  private async addClient(): Promise<void> {
    if (!this.hostMap.get('router')?.ip) throw new Error('option client needs a host named router on the shared network');
    await this.addHost('client', { lan: false });
    const link = await this.addLink('router', 'client');
    await this.setForwarding('router', true);
    await this.addRoute('client', 'default', link.aIP);
    for (const h of this.hostMap.values()) if (h.ip && h.name !== 'router') await this.addRoute(h.name, link.subnet, this.ip('router'));
  }

  // -------------------------------------------------------------------------------------------
  // FRR

  /** Starts FRR daemons in a host's namespace (directory <run dir>/<host>/). */
  async startFRR(host: string, opts: FRRInstanceOptions = {}): Promise<FRRInstance> {
    if (this.frrMap.has(host)) throw new Error(`FRR already runs on ${host}`);
    const inst = await FRRInstance.start(host, this.ns(host), join(this.dir, host), opts);
    this.frrMap.set(host, inst);
    return inst;
  }

  frr(host: string): FRRInstance {
    const f = this.frrMap.get(host);
    if (!f) throw new Error(`no FRR on ${host}`);
    return f;
  }

  // -------------------------------------------------------------------------------------------
  // teardown

  async destroy(): Promise<void> {
    this.destroySync();
  }

  /** Kills our daemons and any process left in our namespaces, deletes the namespaces and the directory. Idempotent. */
  destroySync(): void {
    if (this.destroyed) return;
    for (const f of this.frrMap.values()) f.stop();
    // anything else started inside our namespaces (servers of a test) is ours as well
    const pids: number[] = [];
    for (const ns of this.createdNs) for (const p of namespacePids(ns)) if (isAlive(p)) {
      try {
        process.kill(p, 'SIGKILL');
        pids.push(p);
      } catch {
        /* gone */
      }
    }
    waitDeadSync(pids);
    const failed: string[] = [];
    for (const ns of [...this.createdNs].reverse()) {
      const r = runSync(ip('netns', 'del', ns), { timeoutMs: 30_000 });
      if (r.code !== 0 && listNamespaces().includes(ns)) failed.push(`${ns}: ${r.stderr.trim()}`);
    }
    if (failed.length === 0) {
      rmSync(this.dir, { recursive: true, force: true });
      try {
        rmdirSync(dirname(this.dir)); // the shared base directory, when this was its last run
      } catch {
        /* not empty, or gone */
      }
    }
    this.destroyed = true;
    unregisterForExit(this.disposer);
    if (failed.length > 0) throw new Error(`could not delete namespaces (directory ${this.dir} kept for sweepStale):\n${failed.join('\n')}`);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }
}

/** Names of all network namespaces (`ip netns list`). */
export function listNamespaces(): string[] {
  const r = runSync(ip('netns', 'list'), { timeoutMs: 30_000 });
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/** PIDs of the processes in a namespace (`ip netns pids`). */
export function namespacePids(ns: string): number[] {
  const r = runSync(ip('netns', 'pids', ns), { timeoutMs: 30_000 });
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

export interface SweepResult {
  /** namespaces deleted */
  namespaces: string[];
  /** run directories removed */
  dirs: string[];
  /** processes killed */
  killed: number[];
  /** prefixes left alone, with the reason */
  skipped: { prefix: string; reason: string }[];
}

/**
 * Removes leftovers of crashed runs: namespaces and run directories whose prefix matches
 * `prefixPattern` (default PREFIX_PATTERN) and whose owner process (owner.json in the run directory)
 * is dead. A prefix without a readable owner record, or whose owner still runs, is left alone. Daemons
 * are killed by their PID files only while their command line still names the run directory.
 */
export function sweepStale(prefixPattern: RegExp = PREFIX_PATTERN, opts: { baseDir?: string } = {}): SweepResult {
  const base = opts.baseDir ?? defaultBaseDir();
  const res: SweepResult = { namespaces: [], dirs: [], killed: [], skipped: [] };
  const allNs = listNamespaces();
  const prefixes = new Set<string>();
  for (const n of allNs) {
    const m = /^[^-]+-/.exec(n);
    if (m && prefixPattern.test(m[0])) prefixes.add(m[0]);
  }
  if (existsSync(base)) for (const d of readdirSync(base)) if (prefixPattern.test(`${d}-`)) prefixes.add(`${d}-`);
  for (const prefix of [...prefixes].sort()) {
    const dir = join(base, prefix.slice(0, -1));
    let owner: OwnerFile;
    try {
      owner = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as OwnerFile;
    } catch {
      res.skipped.push({ prefix, reason: `no owner record in ${dir}` });
      continue;
    }
    if (ownerAlive(owner)) {
      res.skipped.push({ prefix, reason: `owner ${owner.pid} still runs` });
      continue;
    }
    // daemons by PID file (only while their command line names our directory)
    const pids: number[] = [];
    if (existsSync(dir)) {
      for (const host of readdirSync(dir, { withFileTypes: true })) {
        if (!host.isDirectory()) continue;
        const runDir = join(dir, host.name, 'run');
        if (!existsSync(runDir)) continue;
        for (const f of readdirSync(runDir).filter((x) => x.endsWith('.pid'))) {
          const p = Number(readFileSync(join(runDir, f), 'utf8').trim());
          if (Number.isInteger(p) && p > 0 && killIfOurs(p, runDir)) pids.push(p);
        }
      }
    }
    const nss = allNs.filter((n) => n.startsWith(prefix));
    for (const ns of nss) for (const p of namespacePids(ns)) if (isAlive(p)) {
      try {
        process.kill(p, 'SIGKILL');
        pids.push(p);
      } catch {
        /* gone */
      }
    }
    waitDeadSync(pids);
    res.killed.push(...pids);
    let ok = true;
    for (const ns of nss) {
      const r = runSync(ip('netns', 'del', ns), { timeoutMs: 30_000 });
      if (r.code === 0) res.namespaces.push(ns);
      else ok = false;
    }
    if (ok && existsSync(dir)) {
      rmSync(dir, { recursive: true, force: true });
      res.dirs.push(dir);
    }
  }
  return res;
}
