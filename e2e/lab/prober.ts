// A client that keeps asking: one long-lived Node process inside a lab namespace sends an HTTP GET to
// ip:port every `intervalMs` (each with a short timeout) and prints one JSON line per answer or failure,
// so a test can tell when the service stopped and started answering, and who answered.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Probe {
  /** wall-clock ms when the request was sent */
  t: number;
  ok: boolean;
  /** the body ("hello from node2 (...)") or the error */
  text: string;
}

const SCRIPT = `
const http = require('node:http');
const [ip, port, every, timeout] = process.argv.slice(1).map((x, i) => (i === 0 ? x : Number(x)));
const agent = new http.Agent({ keepAlive: false });
function once() {
  const t = Date.now();
  let done = false;
  const finish = (ok, text) => { if (done) return; done = true; process.stdout.write(JSON.stringify({ t, ok, text }) + '\\n'); };
  const req = http.get({ host: ip, port, agent, timeout }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => finish(true, b.trim())); });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => finish(false, e.message));
}
setInterval(once, every);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export class Prober {
  readonly probes: Probe[] = [];
  private readonly child: ChildProcess;

  constructor(netns: string, ip: string, port: number, opts: { intervalMs?: number; timeoutMs?: number } = {}) {
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', SCRIPT, ip, String(port), String(opts.intervalMs ?? 50), String(opts.timeoutMs ?? 250)], { stdio: ['pipe', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.probes.push(JSON.parse(l) as Probe);
      } catch {
        /* ignore partial lines */
      }
    });
  }

  /** The first successful answer sent at or after `since` whose body matches. */
  firstAnswer(since: number, body: RegExp): Probe | undefined {
    return this.probes.find((p) => p.t >= since && p.ok && body.test(p.text));
  }

  stop(): void {
    this.child.stdin?.end();
    this.child.kill('SIGKILL');
  }
}
