// One set of FRR daemons in a network namespace, started directly (no watchfrr, nothing under
// /etc/frr or /var/run/frr): everything lives in <dir>/{etc,run,log}, the daemons run as user frr
// with -P 0 (no TCP vty), an empty startup file and a private zserv socket, and the integrated
// config is loaded with vtysh afterwards (feasibility notes §3).
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, run, type RunResult } from '../../operator/util/exec.js';
import { isAlive, killIfOurs, waitDead, waitDeadSync } from './proc.js';
import { waitFor } from './wait.js';

export type FRRDaemon = 'zebra' | 'bgpd' | 'bfdd' | 'staticd';
export const DEFAULT_DAEMONS: readonly FRRDaemon[] = ['zebra', 'bgpd', 'bfdd'];

/** Where the FRR binaries are (Debian layout); METALFRR_FRR_SBIN / METALFRR_VTYSH override. */
export const FRR_SBIN = process.env.METALFRR_FRR_SBIN ?? '/usr/lib/frr';
export const VTYSH_BIN = process.env.METALFRR_VTYSH ?? '/usr/bin/vtysh';

export interface FRRInstanceOptions {
  /** default zebra, bgpd, bfdd (zebra is always started first) */
  daemons?: FRRDaemon[];
  /** integrated config loaded after start (`vtysh -b`); none by default */
  config?: string;
  /** how long to wait for the daemons' vty sockets (default 15 s) */
  startTimeoutMs?: number;
}

function lookupId(file: string, name: string): number {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return Number(f[2]);
  }
  throw new Error(`${name} not found in ${file}: is FRR installed?`);
}

/** uid and gid of the `frr` user the daemons drop to. */
export function frrUser(): { uid: number; gid: number } {
  return { uid: lookupId('/etc/passwd', 'frr'), gid: lookupId('/etc/group', 'frr') };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

export class FRRInstance {
  readonly etcDir: string;
  readonly runDir: string;
  readonly logDir: string;
  readonly daemons: FRRDaemon[];
  private stopped = false;

  private constructor(
    /** short host name in the topology */
    readonly host: string,
    /** network namespace the daemons run in */
    readonly ns: string,
    /** the instance's own directory */
    readonly dir: string,
    daemons: FRRDaemon[],
  ) {
    this.etcDir = join(dir, 'etc');
    this.runDir = join(dir, 'run');
    this.logDir = join(dir, 'log');
    this.daemons = daemons;
  }

  /**
   * Creates `dir`/{etc,run,log} (vtysh.conf with `service integrated-vtysh-config`, owned by frr),
   * starts the daemons in `ns`, waits for their vty sockets and loads `opts.config` if given.
   * On failure the daemons already started are killed before the error is thrown.
   */
  static async start(host: string, ns: string, dir: string, opts: FRRInstanceOptions = {}): Promise<FRRInstance> {
    const wanted = opts.daemons ?? [...DEFAULT_DAEMONS];
    const daemons: FRRDaemon[] = ['zebra', ...wanted.filter((d) => d !== 'zebra')];
    const inst = new FRRInstance(host, ns, dir, daemons);
    for (const d of [inst.etcDir, inst.runDir, inst.logDir]) mkdirSync(d, { recursive: true });
    writeFileSync(join(inst.etcDir, 'vtysh.conf'), 'service integrated-vtysh-config\n');
    writeFileSync(join(inst.etcDir, 'frr.conf'), opts.config ?? '');
    const { uid, gid } = frrUser();
    chownTree(dir, uid, gid);
    try {
      await inst.startDaemon('zebra', opts.startTimeoutMs);
      await Promise.all(daemons.filter((d) => d !== 'zebra').map((d) => inst.startDaemon(d, opts.startTimeoutMs)));
      if (opts.config !== undefined) await inst.boot();
    } catch (e) {
      inst.stop();
      throw e;
    }
    return inst;
  }

  pidFile(d: FRRDaemon): string {
    return join(this.runDir, `${d}.pid`);
  }

  vtySocket(d: FRRDaemon): string {
    return join(this.runDir, `${d}.vty`);
  }

  /** The PID recorded by the daemon, if the file exists. */
  pid(d: FRRDaemon): number | undefined {
    try {
      const n = Number(readFileSync(this.pidFile(d), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  }

  /** Whether the daemon's recorded PID is alive. */
  alive(d: FRRDaemon): boolean {
    const p = this.pid(d);
    return p !== undefined && isAlive(p);
  }

  private daemonArgv(d: FRRDaemon): string[] {
    const argv = [
      'ip', 'netns', 'exec', this.ns, join(FRR_SBIN, d),
      '-d', '-P', '0', '-f', '/dev/null',
      '-z', join(this.runDir, 'zserv.api'),
      '--vty_socket', this.runDir,
      '-i', this.pidFile(d),
      '--log', `file:${join(this.logDir, `${d}.log`)}`,
    ];
    if (d === 'bfdd') argv.push('--bfdctl', join(this.runDir, 'bfdd.sock'));
    return argv;
  }

  /** Starts one daemon (it daemonizes itself) and waits for its vty socket. */
  async startDaemon(d: FRRDaemon, timeoutMs = 15_000): Promise<void> {
    // a stale socket or pid file would make the readiness check pass too early
    rmSync(this.vtySocket(d), { force: true });
    rmSync(this.pidFile(d), { force: true });
    const r = await run(this.daemonArgv(d), { timeoutMs });
    if (r.code !== 0) throw new Error(`${this.host}: starting ${d} failed\n${new CommandError(r).message}\n${this.logTail(d)}`);
    await waitFor(() => existsSync(this.vtySocket(d)) && this.pid(d) !== undefined, {
      timeoutMs,
      intervalMs: 5,
      what: `${this.host}: ${d} vty socket`,
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.logTail(d)}`);
    });
  }

  /** The last lines of a daemon's log file (for error messages). */
  logTail(d: FRRDaemon, lines = 20): string {
    try {
      return readFileSync(join(this.logDir, `${d}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return `(no ${d} log)`;
    }
  }

  private vtyshBase(): string[] {
    return [VTYSH_BIN, '--vty_socket', this.runDir, '--config_dir', this.etcDir];
  }

  /** Runs vtysh with one `-c` per command; throws on a non-zero exit. Returns stdout. */
  async vtysh(cmds: string[]): Promise<string> {
    const r = await run([...this.vtyshBase(), ...cmds.flatMap((c) => ['-c', c])], { check: true, timeoutMs: 60_000 });
    return r.stdout;
  }

  /** Like vtysh() but returns the whole result (exit code, stderr) without throwing. */
  vtyshRaw(args: string[]): Promise<RunResult> {
    return run([...this.vtyshBase(), ...args], { timeoutMs: 120_000 });
  }

  /** A `show ... json` command, parsed. */
  async json<T = unknown>(cmd: string): Promise<T> {
    const out = await this.vtysh([cmd]);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`${this.host}: "${cmd}" did not return JSON: ${out.slice(0, 300)}`);
    }
  }

  runningConfig(): Promise<string> {
    return this.vtysh(['show running-config']);
  }

  /** Writes `text` as etc/frr.conf and loads it with `vtysh -b`. Throws when vtysh reports an error. */
  async load(text: string): Promise<void> {
    writeFileSync(join(this.etcDir, 'frr.conf'), text);
    await this.boot();
  }

  /** Applies etc/frr.conf (`vtysh -b`). */
  async boot(): Promise<void> {
    const r = await this.vtyshRaw(['-b']);
    if (r.code !== 0) throw new Error(`${this.host}: vtysh -b failed\n${new CommandError(r).message}`);
  }

  /** Feeds a config snippet to `vtysh -f` (adds to the running config). Throws on error. */
  async configure(text: string): Promise<void> {
    const file = join(this.runDir, `snippet-${process.pid}-${Date.now()}.conf`);
    writeFileSync(file, text);
    try {
      const r = await this.vtyshRaw(['-f', file]);
      if (r.code !== 0) throw new Error(`${this.host}: vtysh -f failed\n${new CommandError(r).message}`);
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Sends a signal to one daemon (by its PID file, only if the PID still runs our binary). */
  kill(d: FRRDaemon, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    const p = this.pid(d);
    return p !== undefined && killIfOurs(p, this.runDir, signal);
  }

  /** SIGKILL one daemon, start it again and replay etc/frr.conf (`vtysh -b`, idempotent for the others). */
  async restart(d: FRRDaemon): Promise<void> {
    const p = this.pid(d);
    if (p !== undefined && this.kill(d, 'SIGKILL')) await waitDead([p]);
    await this.startDaemon(d);
    await this.boot();
  }

  /** SIGKILL every daemon (graceful stop takes 1-2 s per daemon) and wait until they are gone. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    const pids: number[] = [];
    for (const d of this.daemons) {
      const p = this.pid(d);
      if (p !== undefined && killIfOurs(p, this.runDir)) pids.push(p);
    }
    waitDeadSync(pids);
    this.stopped = true;
  }

  /** PIDs of daemons that are still alive (teardown checks). */
  livePids(): number[] {
    return this.daemons.map((d) => this.pid(d)).filter((p): p is number => p !== undefined && isAlive(p));
  }
}
