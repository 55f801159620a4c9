// Running external programs (vtysh, frr-reload.py, ip): argv only (no shell), output collected in
// full (running configs reach megabytes), an optional stdin text and a timeout.
import { spawn, spawnSync } from 'node:child_process';

export interface RunOptions {
  /** written to stdin, which is then closed */
  input?: string;
  /** SIGKILL after this many ms (default 120 s); the result then has `timedOut: true` */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** throw a CommandError unless the exit code is 0 (default false) */
  check?: boolean;
}

export interface RunResult {
  argv: string[];
  /** exit code; null when killed by a signal or when the program could not be started */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** set when the program could not be started (ENOENT, EACCES) */
  spawnError?: string;
  timedOut?: boolean;
  ms: number;
}

export class CommandError extends Error {
  constructor(readonly result: RunResult) {
    super(describeFailure(result));
    this.name = 'CommandError';
  }
}

function describeFailure(r: RunResult): string {
  const what = r.spawnError ? `cannot run: ${r.spawnError}` : r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  const out = `${r.stdout}${r.stderr}`.trim();
  return `${r.argv.join(' ')}: ${what}${out ? `\n${out.length > 4000 ? out.slice(0, 4000) + '…' : out}` : ''}`;
}

/** Runs argv[0] with the other elements as arguments. Never rejects unless `check` is set. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const finish = (r: Omit<RunResult, 'argv' | 'ms'>): void => {
      const result: RunResult = { argv, ...r, ms: performance.now() - start };
      if (opts.check && result.code !== 0) reject(new CommandError(result));
      else resolve(result);
    };
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let spawnError: string | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = `${argv[0]}: ${e.code ?? e.message}`;
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined); // EPIPE when the program does not read its input
      child.stdin!.end(opts.input);
    }
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      finish({
        code: spawnError ? null : code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(spawnError ? { spawnError } : {}),
        ...(timedOut ? { timedOut } : {}),
      });
    });
  });
}

/** The synchronous form, for exit handlers and cleanup (no event loop available there). */
export function runSync(argv: string[], opts: RunOptions = {}): RunResult {
  const start = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    killSignal: 'SIGKILL',
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    maxBuffer: 256 * 1024 * 1024,
  });
  const err = r.error as NodeJS.ErrnoException | undefined;
  const result: RunResult = {
    argv,
    code: err && err.code !== 'ETIMEDOUT' ? null : r.status,
    signal: r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    ms: performance.now() - start,
    ...(err && err.code !== 'ETIMEDOUT' ? { spawnError: `${argv[0]}: ${err.code ?? err.message}` } : {}),
    ...(err?.code === 'ETIMEDOUT' ? { timedOut: true } : {}),
  };
  if (opts.check && result.code !== 0) throw new CommandError(result);
  return result;
}
