// The responder in another network namespace (the lab: every node is a netns, the speakers are one
// Node process): ONE long-lived child per node, `<command...> node dist/operator/l2/responder-main.js`
// (command e.g. ['ip', 'netns', 'exec', ns]), driven by JSON lines on its stdin; counter events and
// log lines come back on its stdout. Killing the child stops every answer at once (its pcap handles
// die with it); close() asks it to end and kills it after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../util/log.js';
import type { L2Announcement, L2Counters, L2Responder } from './types.js';

export const RESPONDER_MAIN = fileURLToPath(new URL('./responder-main.js', import.meta.url));

export interface ChildResponderOptions {
  /** prefix of the command line, e.g. ['ip', 'netns', 'exec', 'mf12ab-node1'] (default: none) */
  command?: string[];
  counters?: L2Counters;
  logger?: Logger;
  /** restrict to these interfaces (default: the child's discovery) */
  interfaces?: string[];
  /** the program run after the prefix (default: [this node binary, responder-main.js]) */
  program?: string[];
  /** ms close() waits before SIGKILL (default 2000) */
  closeGraceMs?: number;
}

export interface ChildEvent {
  ev: string;
  [k: string]: unknown;
}

/**
 * Events: 'ready' (child up), 'applied' ({ips, interfaces} after each set), 'exit' (code, signal),
 * 'event' (every line as parsed).
 */
export class ChildResponder extends EventEmitter implements L2Responder {
  readonly child: ChildProcess;
  /** resolves when the child reported ready, rejects when it exits first */
  readonly ready: Promise<void>;
  /** resolves when the child is gone */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly log: Logger;
  private readonly counters: L2Counters | undefined;
  private readonly graceMs: number;
  private alive = true;
  private closing = false;
  private lastSet: string | null = null;

  constructor(opts: ChildResponderOptions = {}) {
    super();
    this.log = opts.logger ?? createLogger('l2-responder');
    this.counters = opts.counters;
    this.graceMs = opts.closeGraceMs ?? 2000;
    const program = opts.program ?? [process.execPath, RESPONDER_MAIN];
    const argv = [...(opts.command ?? []), ...program, ...(opts.interfaces ? ['--interfaces', opts.interfaces.join(',')] : [])];
    this.child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => {}); // EPIPE after the child died: reported through 'exit'
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.alive = false;
        if (!this.closing) this.log.error('L2 responder process ended', { pid: this.child.pid, code, signal });
        this.emit('exit', code, signal);
        resolve({ code, signal });
      });
      this.child.once('error', (e) => {
        this.alive = false;
        this.log.error('cannot start the L2 responder process', { argv, error: e });
        resolve({ code: null, signal: null });
      });
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.once('ready', () => resolve());
      void this.exited.then(({ code, signal }) => reject(new Error(`L2 responder process ended before it was ready (code ${code}, signal ${signal}): ${argv.join(' ')}`)));
    });
    this.ready.catch(() => {}); // observed through the logger when nobody awaits it
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      if (line.trim() !== '') this.log.debug('responder stderr', { line });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.alive;
  }

  set(announcements: L2Announcement[]): void {
    const line = JSON.stringify({ op: 'set', announcements: announcements.map((a) => ({ ip: a.ip, interfaces: [...a.interfaces] })) });
    if (line === this.lastSet) return;
    if (!this.alive || this.closing) {
      this.log.warn('L2 responder process is not running; announcements not applied', { ips: announcements.map((a) => a.ip) });
      return;
    }
    this.lastSet = line;
    this.child.stdin!.write(line + '\n');
  }

  async close(): Promise<void> {
    if (this.closing) {
      await this.exited;
      return;
    }
    this.closing = true;
    if (this.alive) {
      this.child.stdin!.end(JSON.stringify({ op: 'close' }) + '\n');
      const t = setTimeout(() => this.kill('SIGKILL'), this.graceMs);
      await this.exited;
      clearTimeout(t);
    }
  }

  /** Sends a signal to the child (tests: SIGKILL must stop every answer at once). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }

  private onLine(line: string): void {
    let e: ChildEvent;
    try {
      e = JSON.parse(line) as ChildEvent;
    } catch {
      this.log.debug('responder output', { line });
      return;
    }
    this.emit('event', e);
    const ip = typeof e.ip === 'string' ? e.ip : '';
    switch (e.ev) {
      case 'ready':
        this.emit('ready');
        break;
      case 'request':
        this.counters?.request(ip);
        break;
      case 'response':
        this.counters?.response(ip);
        break;
      case 'gratuitous':
        this.counters?.gratuitous(ip);
        break;
      case 'applied':
        this.emit('applied', e);
        break;
      case 'log': {
        const level = e.level === 'error' || e.level === 'warn' || e.level === 'debug' ? e.level : 'info';
        this.log[level](String(e.msg), (e.fields as Record<string, unknown>) ?? {});
        break;
      }
      case 'error':
        this.log.error('L2 responder process', { error: e.msg });
        break;
      default:
        this.log.debug('responder output', { line });
    }
  }
}
