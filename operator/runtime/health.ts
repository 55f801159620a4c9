// /healthz, /readyz and /metrics on node:http. A check returns true/undefined (ok), false or a string
// (failed, with the reason), or throws. Responses follow the API server's style: "ok", or one
// "[+]name ok" / "[-]name failed: reason" line per check with ?verbose or on failure.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../util/log.js';

export type Check = () => boolean | string | void | Promise<boolean | string | void>;

export interface HealthServerOptions {
  /** 0 = any free port. */
  port: number;
  host?: string;
  registry?: Registry;
  logger?: Logger;
}

export class HealthServer {
  private readonly ready = new Map<string, Check>();
  private readonly healthy = new Map<string, Check>();
  private server: http.Server | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: HealthServerOptions) {
    this.log = opts.logger ?? silentLogger;
  }

  addReadyCheck(name: string, check: Check): void {
    this.ready.set(name, check);
  }

  addHealthCheck(name: string, check: Check): void {
    this.healthy.set(name, check);
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        this.log.error('health server request failed', { error: e instanceof Error ? e.message : String(e) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/metrics') {
      if (!this.opts.registry) {
        res.writeHead(404).end();
        return;
      }
      const body = await this.opts.registry.metrics();
      res.writeHead(200, { 'content-type': this.opts.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const checks = url.pathname === '/healthz' || url.pathname === '/livez' ? this.healthy : url.pathname === '/readyz' ? this.ready : undefined;
    if (!checks) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const lines: string[] = [];
    let ok = true;
    for (const [name, check] of checks) {
      let r: boolean | string | void;
      try {
        r = await check();
      } catch (e) {
        r = e instanceof Error ? e.message : String(e);
      }
      if (r === undefined || r === true) lines.push(`[+]${name} ok`);
      else {
        ok = false;
        lines.push(`[-]${name} failed: ${r === false ? 'reason withheld' : r}`);
      }
    }
    const kind = url.pathname.slice(1);
    const verbose = url.searchParams.has('verbose') || !ok;
    const body = verbose ? `${lines.join('\n')}${lines.length ? '\n' : ''}${kind} check ${ok ? 'passed' : 'failed'}\n` : 'ok';
    res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(req.method === 'HEAD' ? undefined : body);
  }
}
