// Small fakes for the runtime's tests (the full test API server lives in e2e/): a list/watch HTTP server
// for one or more collections with failure injection, a request recorder, an in-memory Lease store, and
// helpers to build a KubeClient and wait for conditions.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeClient } from './client.js';
import type { Lease, LeaseStore } from './leader.js';

export function clientFor(url: string, token = 'test-token'): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return new KubeClient(kc, { requestTimeoutMs: 10_000 });
}

/** Polls `cond` every 5 ms until it holds; throws after `timeoutMs` (generous by default). */
export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Obj = { metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };

interface Watcher {
  path: string;
  res: http.ServerResponse;
  silent: boolean;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/**
 * Collections of objects with a global resourceVersion and an event history, served as list and watch
 * (NDJSON). Failure knobs: `failWatches` (HTTP status for the next N watches), `goneAs` ('http' 410 or an
 * ERROR event), `silentWatches` (accept, then never write), `dropWatches()` (destroy connections),
 * `endWatches()` (end them cleanly), `compact()` (forget history → 410 for older resourceVersions).
 */
export class FakeListWatchServer {
  private server: http.Server | undefined;
  private rv = 100;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private history: Array<{ path: string; rv: number; type: string; object: Obj }> = [];
  private historyStart = 0;
  private watchers = new Set<Watcher>();
  readonly requests: RecordedRequest[] = [];
  failWatches: Array<number> = [];
  failLists: Array<number> = [];
  silentWatches = 0;
  goneAs: 'http' | 'event' = 'http';
  url = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        this.handle(req, res);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.dropWatches();
    const s = this.server;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }

  /** Watch requests seen (parsed query). */
  watchRequests(): URLSearchParams[] {
    return this.requests.filter((r) => r.url.includes('watch=true')).map((r) => new URL(r.url, 'http://x').searchParams);
  }

  listRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && !r.url.includes('watch=true'));
  }

  activeWatches(): number {
    return this.watchers.size;
  }

  currentRV(): string {
    return String(this.rv);
  }

  /** Creates or replaces an object in a collection, notifying watchers. */
  put(path: string, obj: Obj): Obj {
    const col = this.col(path);
    const existed = col.has(obj.metadata.name);
    const stored: Obj = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    col.set(obj.metadata.name, stored);
    this.record(path, existed ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  remove(path: string, name: string): void {
    const col = this.col(path);
    const o = col.get(name);
    if (!o) return;
    col.delete(name);
    this.record(path, 'DELETED', { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Sends a BOOKMARK with the current resourceVersion to the live watchers of `path`. */
  bookmark(path: string): void {
    this.broadcast(path, { type: 'BOOKMARK', object: { kind: 'Bookmark', metadata: { resourceVersion: String(this.rv) } } });
  }

  /** Forgets the event history: watches from older resourceVersions get 410. */
  compact(): void {
    this.history = [];
    this.historyStart = this.rv;
  }

  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  endWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  private col(path: string): Map<string, Obj> {
    let c = this.objects.get(path);
    if (!c) this.objects.set(path, (c = new Map()));
    return c;
  }

  private record(path: string, type: string, object: Obj): void {
    this.history.push({ path, rv: this.rv, type, object });
    this.broadcast(path, { type, object });
  }

  private broadcast(path: string, ev: unknown): void {
    for (const w of this.watchers) if (w.path === path && !w.silent) w.res.write(JSON.stringify(ev) + '\n');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'only list and watch'));
    if (url.searchParams.get('watch') === 'true') {
      const fail = this.failWatches.shift();
      if (fail) return send(fail, status(fail, 'InternalError', 'injected failure'));
      const from = Number(url.searchParams.get('resourceVersion') || '0');
      if (from && from < this.historyStart) {
        if (this.goneAs === 'http') return send(410, status(410, 'Expired', `too old resource version: ${from} (${this.historyStart})`));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.historyStart})`) }) + '\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      const silent = this.silentWatches > 0;
      if (silent) this.silentWatches--;
      const w: Watcher = { path, res, silent };
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      if (silent) return;
      if (from) {
        for (const e of this.history) if (e.path === path && e.rv > from) res.write(JSON.stringify({ type: e.type, object: e.object }) + '\n');
      } else {
        for (const o of this.col(path).values()) res.write(JSON.stringify({ type: 'ADDED', object: o }) + '\n');
      }
      return;
    }
    const fail = this.failLists.shift();
    if (fail) return send(fail, status(fail, 'InternalError', 'injected failure'));
    // list items come without apiVersion/kind, as from the real server
    const items = [...this.col(path).values()].map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    send(200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
  }
}

/** Records every request and answers with `respond` (default: 200 echoing the JSON body). */
export class RecordingServer {
  private server: http.Server | undefined;
  readonly requests: RecordedRequest[] = [];
  url = '';

  constructor(private readonly respond: (r: RecordedRequest) => { status: number; body?: unknown } = (r) => ({ status: 200, body: r.body ? JSON.parse(r.body) : {} })) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(rec);
        const out = this.respond(rec);
        res.writeHead(out.status, { 'content-type': 'application/json' }).end(out.body === undefined ? '' : JSON.stringify(out.body));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }
}

const conflict = (msg: string): KubeApiError => new KubeApiError(409, { reason: 'Conflict', message: msg, code: 409 }, msg);

/**
 * One Lease in memory with resourceVersion preconditions. `view(id)` gives a candidate its own handle whose
 * calls fail while `partition(id)` is in effect. Calls yield to the event loop so candidates interleave.
 */
export class FakeLeaseStoreBackend {
  lease: Lease | undefined;
  private rv = 1;
  private readonly cut = new Set<string>();
  writes = 0;
  /** Calls per candidate, failed ones included. */
  readonly calls = new Map<string, number>();

  partition(id: string, on = true): void {
    if (on) this.cut.add(id);
    else this.cut.delete(id);
  }

  view(id: string, namespace = 'ns', name = 'lease'): LeaseStore {
    const check = async (): Promise<void> => {
      this.calls.set(id, (this.calls.get(id) ?? 0) + 1);
      await Promise.resolve();
      if (this.cut.has(id)) throw new Error(`${id}: connection refused (partitioned)`);
    };
    const clone = <T>(x: T): T => structuredClone(x);
    return {
      namespace,
      name,
      get: async () => {
        await check();
        return this.lease ? clone(this.lease) : undefined;
      },
      create: async (l) => {
        await check();
        if (this.lease) throw conflict('already exists');
        this.writes++;
        this.lease = { ...clone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        return clone(this.lease);
      },
      update: async (l) => {
        await check();
        if (!this.lease || l.metadata.resourceVersion !== this.lease.metadata.resourceVersion) throw conflict('the object has been modified');
        this.writes++;
        this.lease = { ...clone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        return clone(this.lease);
      },
    };
  }
}
