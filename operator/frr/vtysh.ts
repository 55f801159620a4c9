// The agent's I/O edge to FRR: syntax check, apply, running config and state read back as JSON, all
// through vtysh (and frr-reload.py for one apply method). Every text that leaves this module has its
// passwords retracted (`password <retracted>`, as frr-k8s does for FRRNodeState).
//
// apply(): read the running config, prepare the desired text (./desired.ts: hostname and forwarding
// lines carried over, optional timer tuning, canonical forms), refuse it without touching FRR unless
// `vtysh -C` accepts it (the diff method checks the script it sends unless ./trusted.ts proves its
// syntax, frr-reload the whole file), then
//   - 'diff' (default): compute the minimal vtysh script (./diff.ts) and run it as one `vtysh -f`;
//     configurations outside the diff's grammar (VRFs, EVPN, unknown raw config) go to frr-reload;
//   - 'reload': `frr-reload.py --reload --overwrite` (upstream's reloader without its `--test` step,
//     which our check replaces),
// and finally read the running config again to say whether it matches (converged) and what is left.
// docs/frr-apply.md has the measurements behind the default.
import { chmodSync, chownSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { run, type RunResult } from '../util/exec.js';
import { maskPasswords, silentLogger, type Logger } from '../util/log.js';
import { parseFRRConfig, UnsupportedConfigError } from './configtree.js';
import { prepareDesired, type FRRTuning } from './desired.js';
import { diffTrees } from './diff.js';
import { trustedScript } from './trusted.js';
import { parseBFDPeers, parseBGPNeighbors, parseBGPVRFs, parseDaemons, parseJSON, type BFDPeer, type BGPSession } from './state.js';

export type { FRRTuning } from './desired.js';
export type { BGPSession, BFDPeer, BFDCounters, BGPMessageStats } from './state.js';

export type ApplyMethod = 'diff' | 'reload';

export interface FRRControlOptions {
  /** default /usr/bin/vtysh */
  vtyshPath?: string;
  /** directory of the daemons' vty sockets (`--vty_socket`); default: vtysh's own (/var/run/frr) */
  socketDir?: string;
  /** FRR config directory (`--config_dir`, frr-reload `--confdir`); default: vtysh's own (/etc/frr) */
  configDir?: string;
  /** default /usr/lib/frr/frr-reload.py */
  reloadScript?: string;
  /** directory holding vtysh, for frr-reload `--bindir`; default the directory of vtyshPath */
  bindir?: string;
  /** frr-reload `--rundir` (its temp files); default socketDir */
  rundir?: string;
  /** where check files and diff scripts are written; default the OS temp dir */
  tmpDir?: string;
  /** default 'diff' */
  method?: ApplyMethod;
  /** optional timer lines added to every applied config (see FRRTuning) */
  tuning?: FRRTuning;
  /** read the running config after apply and compare (default true) */
  verify?: boolean;
  /**
   * diff method: start from the running config this instance read last (by the previous apply's
   * verification, runningConfig() or a status read) instead of reading it again (default false). A
   * stale base (FRR restarted since) shows up as a failed or non-converged apply, whose verification
   * read refreshes the base for the retry. For a single owner of FRR (the frr agent).
   */
  reuseRunning?: boolean;
  /** diff method: write the applied text to <configDir>/frr.conf (default true when configDir is set), like frr-reload's `write` */
  persist?: boolean;
  /** per command, default 120 s */
  timeoutMs?: number;
  logger?: Logger;
}

export interface CheckResult {
  ok: boolean;
  /** vtysh's complaints (passwords retracted) */
  output: string;
}

export interface ApplyResult {
  ok: boolean;
  /** what vtysh / frr-reload printed, or the check's complaints (passwords retracted) */
  output: string;
  /** the method that ran ('diff' may fall back to 'reload', see fallbackReason) */
  method: ApplyMethod;
  /** wall time of the whole apply, check and verification included */
  ms: number;
  /** from the start until FRR had taken the change (check and send, before the verification read); absent when nothing was sent */
  appliedMs?: number;
  /** the check refused the configuration: FRR was not touched */
  rejected: boolean;
  /** false when the running config already matched (diff method: empty script, nothing sent) */
  changed: boolean;
  /** the running config matches the desired one afterwards; null when not verified or not comparable */
  converged: boolean | null;
  /** what still differs, as a vtysh script (passwords retracted) */
  residual?: string;
  /** why the diff method handed over to frr-reload */
  fallbackReason?: string;
  /** the script sent with the diff method (passwords retracted) */
  script?: string;
  /** running config after apply (passwords retracted), when verified */
  runningConfig?: string;
}

export interface DaemonsStatus {
  alive: boolean;
  daemons: string[];
  missing: string[];
}

/** Masks passwords like frr-k8s: `password <retracted>`. */
export const retract = maskPasswords;

let fileCounter = 0;

export class FRRControl {
  private readonly o: Required<Pick<FRRControlOptions, 'vtyshPath' | 'reloadScript' | 'method' | 'verify' | 'timeoutMs'>> & FRRControlOptions;
  private readonly log: Logger;
  private queue: Promise<unknown> = Promise.resolve();
  /** the raw running config as last read (see reuseRunning) */
  private lastRunning: string | undefined;

  constructor(opts: FRRControlOptions = {}) {
    this.o = {
      ...opts,
      vtyshPath: opts.vtyshPath ?? '/usr/bin/vtysh',
      reloadScript: opts.reloadScript ?? '/usr/lib/frr/frr-reload.py',
      method: opts.method ?? 'diff',
      verify: opts.verify ?? true,
      timeoutMs: opts.timeoutMs ?? 120_000,
    };
    this.log = opts.logger ?? silentLogger;
  }

  get method(): ApplyMethod {
    return this.o.method;
  }

  // -------------------------------------------------------------------------------------------
  // plumbing

  private vtyshArgs(): string[] {
    const a = [this.o.vtyshPath];
    if (this.o.socketDir) a.push('--vty_socket', this.o.socketDir);
    if (this.o.configDir) a.push('--config_dir', this.o.configDir);
    return a;
  }

  private vtyshRun(args: string[]): Promise<RunResult> {
    return run([...this.vtyshArgs(), ...args], { timeoutMs: this.o.timeoutMs });
  }

  /** One `show` command; throws with the (retracted) output when vtysh fails. */
  private async show(cmd: string): Promise<string> {
    const r = await this.vtyshRun(['-c', cmd]);
    if (r.code !== 0) throw new Error(retract(`vtysh -c "${cmd}" failed (${r.spawnError ?? r.code ?? r.signal}): ${r.stdout}${r.stderr}`.trim()));
    return r.stdout;
  }

  private async showJSON(cmd: string): Promise<unknown> {
    const out = await this.show(cmd);
    try {
      return parseJSON(out);
    } catch {
      throw new Error(`vtysh -c "${cmd}" did not print JSON: ${retract(out.slice(0, 200))}`);
    }
  }

  /** Writes text to a fresh temp file, runs fn with its path, removes it. */
  private async withFile<T>(prefix: string, text: string, fn: (path: string) => Promise<T>, dir?: string): Promise<T> {
    const d = dir ?? this.o.tmpDir ?? tmpdir();
    const path = join(d, `metalfrr-${prefix}-${process.pid}-${++fileCounter}.conf`);
    writeFileSync(path, text, { mode: 0o600 });
    try {
      return await fn(path);
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Serialises applies (one vtysh configuration session at a time). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  // -------------------------------------------------------------------------------------------
  // reading

  /** `show running-config` with the passwords in it (internal only). */
  private async rawRunningConfig(): Promise<string> {
    this.lastRunning = undefined;
    const text = await this.show('show running-config');
    this.lastRunning = text;
    return text;
  }

  /** `show running-config`, passwords retracted. */
  async runningConfig(): Promise<string> {
    return retract(await this.rawRunningConfig());
  }

  /** BGP VRF names (`show bgp vrfs json`), default first. */
  async vrfs(): Promise<string[]> {
    return parseBGPVRFs(await this.showJSON('show bgp vrfs json'));
  }

  /** All BGP sessions: `show bgp vrf <vrf> neighbors json` for every BGP VRF. */
  async neighbors(): Promise<BGPSession[]> {
    const out: BGPSession[] = [];
    for (const vrf of await this.vrfs()) out.push(...parseBGPNeighbors(vrf, await this.showJSON(`show bgp vrf ${vrf} neighbors json`)));
    return out;
  }

  /**
   * BFD sessions with counters. FRR 8.4's `show bfd vrf all ...` prints nothing, so the default VRF
   * and every BGP VRF are asked one by one.
   */
  async bfdPeers(): Promise<BFDPeer[]> {
    const vrfs = new Set(['default', ...(await this.vrfs())]);
    const out: BFDPeer[] = [];
    for (const vrf of vrfs) {
      const sel = vrf === 'default' ? '' : ` vrf ${vrf}`;
      const peers = await this.showJSON(`show bfd${sel} peers json`);
      const counters = await this.showJSON(`show bfd${sel} peers counters json`);
      out.push(...parseBFDPeers(peers, counters));
    }
    return out;
  }

  /** Daemons answering vtysh (`show daemons`) against the required set (default zebra, bgpd, bfdd). */
  async daemonsAlive(required: string[] = ['zebra', 'bgpd', 'bfdd']): Promise<DaemonsStatus> {
    let daemons: string[] = [];
    try {
      daemons = parseDaemons(await this.show('show daemons'));
    } catch (e) {
      this.log.debug('show daemons failed', { error: (e as Error).message });
    }
    const missing = required.filter((d) => !daemons.includes(d));
    return { alive: missing.length === 0, daemons, missing };
  }

  // -------------------------------------------------------------------------------------------
  // writing

  /** Dry-run syntax check of a whole config (`vtysh -C -f`); FRR is not touched. */
  async check(configText: string): Promise<CheckResult> {
    const r = await this.withFile('check', configText, (f) => run([this.o.vtyshPath, ...(this.o.configDir ? ['--config_dir', this.o.configDir] : []), '-C', '-f', f], { timeoutMs: this.o.timeoutMs }));
    const output = retract(`${r.stdout}${r.stderr}`.trim());
    if (r.code !== 0) return { ok: false, output: output || `vtysh -C exited with ${r.spawnError ?? r.code ?? r.signal}` };
    return { ok: true, output };
  }

  /**
   * Makes FRR run `configText` (see the file comment). Returns ok:false without touching FRR when the
   * check fails (rejected), and ok:false when vtysh / frr-reload report an error while applying (FRR
   * may then hold part of the change; the next apply starts from whatever runs).
   */
  apply(configText: string, opts: { method?: ApplyMethod } = {}): Promise<ApplyResult> {
    const method = opts.method ?? this.o.method;
    return this.serial(async () => {
      const start = performance.now();
      try {
        return await this.applyNow(configText, method);
      } catch (e) {
        this.lastRunning = undefined;
        // FRR unreachable (vtysh cannot connect, daemons down) or a tool missing: report, do not throw
        const output = retract((e as Error).message);
        this.log.warn('frr apply failed', { method, error: output });
        return { ok: false, output, method, ms: Math.round(performance.now() - start), rejected: false, changed: false, converged: null };
      }
    });
  }

  private async applyNow(configText: string, wanted: ApplyMethod): Promise<ApplyResult> {
    const start = performance.now();
    const running = wanted === 'diff' && this.o.reuseRunning && this.lastRunning !== undefined ? this.lastRunning : await this.rawRunningConfig();
    const desired = prepareDesired(configText, running, this.o.tuning ? { tuning: this.o.tuning } : {});
    const base = { method: wanted, rejected: false, changed: false, converged: null } as const;
    const done = (r: Omit<ApplyResult, 'ms'>): ApplyResult => {
      const res = { ...r, ms: Math.round(performance.now() - start) };
      this.log[res.ok ? 'info' : 'warn']('frr apply', { ok: res.ok, method: res.method, ms: res.ms, changed: res.changed, converged: res.converged, ...(res.fallbackReason ? { fallback: res.fallbackReason } : {}) });
      return res;
    };

    let method = wanted;
    let fallbackReason: string | undefined;
    let script: string | undefined;
    let desiredTree: ReturnType<typeof parseFRRConfig> | undefined;
    if (method === 'diff') {
      try {
        desiredTree = parseFRRConfig(desired);
        const lines = diffTrees(parseFRRConfig(running), desiredTree);
        script = lines.length === 0 ? '' : lines.join('\n') + '\n';
      } catch (e) {
        if (!(e instanceof UnsupportedConfigError)) throw e;
        method = 'reload';
        fallbackReason = retract(e.message);
      }
    }

    // nothing to send: FRR already runs exactly these lines (so they are valid), no check needed
    if (method === 'diff' && script === '') return done({ ...base, ok: true, output: '', changed: false, converged: true, script: '', runningConfig: retract(running) });

    // the diff method checks exactly what it sends (the lines already running were accepted before),
    // and nothing when every line of the script is of a form whose syntax trustedScript proves (the
    // common Service add/remove); frr-reload gets the whole file, so the whole file is checked
    if (method !== 'diff' || !trustedScript(script!)) {
      const check = await this.check(method === 'diff' ? script! : desired);
      if (!check.ok) return done({ ...base, method, ok: false, rejected: true, output: check.output, ...(fallbackReason ? { fallbackReason } : {}) });
    }

    let ok: boolean;
    let output: string;
    let reloadFailed = false;
    if (method === 'diff') {
      const r = await this.withFile('diff', script!, (f) => this.vtyshRun(['-f', f]));
      ok = r.code === 0;
      output = retract(`${r.stdout}${r.stderr}`.trim());
      if (!ok && output === '') output = `vtysh -f exited with ${r.spawnError ?? r.code ?? r.signal}`;
      if (ok) this.persist(desired);
      this.lastRunning = undefined; // FRR changed: the next base is the verification's read, or a new one
    } else {
      this.lastRunning = undefined;
      const r = await this.reload(desired);
      ok = r.code === 0;
      output = retract(`${r.stdout}${r.stderr}`.trim());
      reloadFailed = !ok;
    }

    const appliedMs = Math.round(performance.now() - start);
    const res: Omit<ApplyResult, 'ms'> = {
      ...base,
      ok,
      output,
      method,
      appliedMs,
      changed: true,
      ...(fallbackReason ? { fallbackReason } : {}),
      ...(script !== undefined ? { script: retract(script) } : {}),
    };
    if (this.o.verify) {
      const after = await this.rawRunningConfig();
      res.runningConfig = retract(after);
      try {
        const residual = diffTrees(parseFRRConfig(after), desiredTree ?? parseFRRConfig(desired));
        res.converged = residual.length === 0;
        if (residual.length > 0) {
          res.residual = retract(residual.join('\n') + '\n');
          this.log.warn('frr apply: running config differs from the desired one', { residual: res.residual });
        }
      } catch (e) {
        if (!(e instanceof UnsupportedConfigError)) throw e;
        res.converged = null; // outside the diff's grammar: frr-reload is the judge
      }
    }
    // frr-reload exits 1 when one command of its second pass fails although the first pass already
    // applied everything (FRR 8.4: a repeated `neighbor P graceful-restart` is refused while the first
    // is pending). What runs is what counts: converged means applied.
    if (reloadFailed && res.converged === true) {
      res.ok = true;
      this.log.warn('frr-reload reported an error but the running config matches the desired one', { output: output.slice(0, 2000) });
    }
    return done(res);
  }

  /** The frr-reload.py command line for `modeArgs` (without the config file): the script, its mode, `--stdout` and where FRR lives. */
  private reloadCommand(...modeArgs: string[]): string[] {
    const args = [this.o.reloadScript, ...modeArgs, '--stdout', '--bindir', this.o.bindir ?? dirname(this.o.vtyshPath)];
    if (this.o.configDir) args.push('--confdir', this.o.configDir);
    const rundir = this.o.rundir ?? this.o.socketDir;
    if (rundir) args.push('--rundir', rundir);
    if (this.o.socketDir) args.push('--vty_socket', this.o.socketDir);
    return args;
  }

  /** `frr-reload.py --reload --overwrite` of a prepared config. */
  private reload(desired: string): Promise<RunResult> {
    const args = this.reloadCommand('--reload', '--overwrite');
    return this.withFile('reload', desired, (f) => run([...args, f], { timeoutMs: this.o.timeoutMs * 10 }));
  }

  /**
   * `frr-reload.py --test`: the lines it would delete and add to reach `configText` (prepared like
   * apply does); an empty `diff` means FRR already runs it. Passwords retracted.
   */
  async reloadTest(configText: string): Promise<{ ok: boolean; diff: string; output: string }> {
    const running = await this.rawRunningConfig();
    const desired = prepareDesired(configText, running, this.o.tuning ? { tuning: this.o.tuning } : {});
    const args = this.reloadCommand('--test');
    const r = await this.withFile('test', desired, (f) => run([...args, f], { timeoutMs: this.o.timeoutMs * 10 }));
    return { ok: r.code === 0, diff: retract(r.stdout.trim()), output: retract(r.stderr.trim()) };
  }

  /** Diff method: keep <configDir>/frr.conf equal to what runs, as frr-reload's `write` does. */
  private persist(desired: string): void {
    if (!this.o.configDir || this.o.persist === false) return;
    const target = join(this.o.configDir, 'frr.conf');
    try {
      mkdirSync(this.o.configDir, { recursive: true });
      const tmp = `${target}.metalfrr-${process.pid}`;
      writeFileSync(tmp, desired, { mode: 0o600 });
      // keep the owner and mode of the file FRR had (vtysh writes it as frr:frr)
      const old = statSync(target, { throwIfNoEntry: false });
      if (old) {
        chmodSync(tmp, old.mode & 0o777);
        if (typeof process.getuid === 'function' && process.getuid() === 0) chownSync(tmp, old.uid, old.gid);
      }
      renameSync(tmp, target);
    } catch (e) {
      this.log.warn('could not write frr.conf', { path: target, error: (e as Error).message });
    }
  }
}
