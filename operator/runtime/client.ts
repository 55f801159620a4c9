// A small raw-JSON Kubernetes REST client on top of @kubernetes/client-node's KubeConfig (auth, TLS).
// Raw JSON everywhere: typed client-node models turn timestamps into Dates and drop unknown fields.
// Watches are streamed here too (newline-delimited JSON), so callers control resourceVersion, bookmarks,
// timeouts and aborts.
import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export interface KubeStatus {
  kind?: string;
  status?: string;
  reason?: string;
  message?: string;
  code?: number;
  details?: unknown;
}

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: KubeStatus | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.code === 409 && e.status?.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof KubeApiError && e.code === 410;

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
  headers: http.IncomingHttpHeaders;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  object: T;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  signal?: AbortSignal;
  /** Socket idle timeout (ms); 0 = none. Defaults to the client's `requestTimeoutMs`. */
  timeoutMs?: number;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface KubeClientOptions {
  /** Idle timeout of ordinary (non-watch) requests, ms (default 60 s). */
  requestTimeoutMs?: number;
  userAgent?: string;
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
  const s = qs.toString();
  if (!s) return path;
  return path + (path.includes('?') ? '&' : '?') + s;
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r;
  const e = new Error(typeof r === 'string' ? r : 'aborted');
  e.name = 'AbortError';
  return e;
}

function apiError(method: string, path: string, status: number, text: string): KubeApiError {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  const st = parsed && typeof parsed === 'object' ? (parsed as KubeStatus) : undefined;
  return new KubeApiError(status, st, `${method} ${path}: ${status} ${st?.message ?? text}`);
}

export class KubeClient {
  private readonly server: URL;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;

  constructor(
    readonly kc: KubeConfig,
    opts: KubeClientOptions = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.userAgent = opts.userAgent ?? 'metalfrr';
  }

  private async start(method: string, path: string, contentType: string | undefined, accept: string): Promise<{ mod: typeof http | typeof https; opts: https.RequestOptions }> {
    const url = new URL(path, this.server);
    const headers: Record<string, string> = { accept, 'user-agent': this.userAgent };
    if (contentType) headers['content-type'] = contentType;
    const opts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      path: url.pathname + url.search,
      headers,
    };
    await this.kc.applyToHTTPSOptions(opts);
    if (url.protocol === 'http:') delete opts.agent; // an https agent cannot carry plain HTTP
    return { mod: url.protocol === 'http:' ? http : https, opts };
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json', ropts: RequestOptions = {}): Promise<KubeResponse<T>> {
    const fullPath = withQuery(path, ropts.query);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const { mod, opts } = await this.start(method, fullPath, payload === undefined ? undefined : contentType, 'application/json');
    // explicit length: Node sends DELETE bodies unframed otherwise (no chunked encoding by default)
    if (payload !== undefined) (opts.headers as Record<string, string>)['content-length'] = String(Buffer.byteLength(payload));
    const signal = ropts.signal;
    if (signal?.aborted) throw abortError(signal);
    const timeoutMs = ropts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      const req = mod.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          cleanup();
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            reject(apiError(method, fullPath, status, text));
            return;
          }
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          resolve({ status, body: parsed as T, headers: res.headers });
        });
        res.on('error', fail);
        res.on('aborted', () => fail(new Error(`${method} ${fullPath}: response aborted`)));
      });
      const onAbort = (): void => {
        req.destroy(abortError(signal!));
      };
      function cleanup(): void {
        signal?.removeEventListener('abort', onAbort);
      }
      function fail(e: Error): void {
        cleanup();
        reject(e);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${fullPath}: no response within ${timeoutMs}ms`)));
      req.on('error', fail);
      req.end(payload);
    });
  }

  async get<T>(path: string, opts?: RequestOptions): Promise<T> {
    return (await this.request<T>('GET', path, undefined, undefined, opts)).body;
  }

  async list<T>(path: string, query: Query = {}, opts: RequestOptions = {}): Promise<KubeList<T>> {
    const r = await this.request<KubeList<T>>('GET', path, undefined, undefined, { ...opts, query: { ...opts.query, ...query } });
    return { ...r.body, items: r.body?.items ?? [] };
  }

  /** POST to a collection. */
  async create<T>(collection: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return (await this.request<T>('POST', collection, body, 'application/json', opts)).body;
  }

  /** PUT (replace); a metadata.resourceVersion in the body makes it conditional (409 when stale). */
  async replace<T>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return (await this.request<T>('PUT', path, body, 'application/json', opts)).body;
  }

  async patch<T>(path: string, body: unknown, type: PatchType, opts?: RequestOptions): Promise<T> {
    return (await this.request<T>('PATCH', path, body, PATCH_CONTENT_TYPES[type], opts)).body;
  }

  /** RFC 7396 merge patch. */
  async mergePatch<T>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return this.patch<T>(path, body, 'merge', opts);
  }

  /**
   * Server-side apply: PATCH with application/apply-patch+yaml and a raw JSON body (JSON is YAML), so no
   * field is lost to a typed model.
   */
  async applyPatch<T>(path: string, body: unknown, fieldManager: string, opts: RequestOptions & { force?: boolean; dryRun?: boolean } = {}): Promise<T> {
    const query: Query = { ...opts.query, fieldManager, force: (opts.force ?? true) ? 'true' : undefined, dryRun: opts.dryRun ? 'All' : undefined };
    return this.patch<T>(path, body, 'apply', { ...opts, query });
  }

  async delete<T = unknown>(path: string, opts: RequestOptions & { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; preconditions?: { uid?: string; resourceVersion?: string } } = {}): Promise<T> {
    const body =
      opts.propagationPolicy || opts.preconditions
        ? { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: opts.propagationPolicy, preconditions: opts.preconditions }
        : undefined;
    return (await this.request<T>('DELETE', path, body, 'application/json', opts)).body;
  }

  /**
   * Streams a watch on a collection path. `onEvent` runs synchronously for each event in order. Resolves
   * when the server ends the stream; rejects with KubeApiError on an HTTP error status (e.g. 410), with the
   * abort reason when `signal` aborts, or on network and decoding errors.
   */
  async watch<T = unknown>(path: string, query: Query, onEvent: (ev: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void> {
    const fullPath = withQuery(path, { ...query, watch: 'true' });
    const { mod, opts } = await this.start('GET', fullPath, undefined, 'application/json');
    if (signal?.aborted) throw abortError(signal);
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (e?: Error): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (e) {
          req.destroy();
          reject(e);
        } else resolve();
      };
      const onAbort = (): void => finish(abortError(signal!));
      const req = mod.request(opts, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(apiError('GET', fullPath, status, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (e) => finish(e));
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        const line = (text: string): boolean => {
          if (!text.trim()) return true;
          let ev: WatchEvent<T>;
          try {
            ev = JSON.parse(text) as WatchEvent<T>;
          } catch {
            finish(new Error(`watch ${path}: undecodable event: ${text.slice(0, 200)}`));
            return false;
          }
          onEvent(ev);
          return !settled;
        };
        res.on('data', (chunk: string) => {
          if (settled) return;
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const text = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (!line(text)) return;
          }
        });
        res.on('end', () => {
          if (settled) return;
          if (line(buf)) finish();
        });
        res.on('aborted', () => finish(new Error(`watch ${path}: stream aborted`)));
        res.on('error', (e) => finish(e));
        res.on('close', () => finish(new Error(`watch ${path}: connection closed`)));
      });
      req.on('error', (e) => finish(e));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }
}

/** REST path of a collection: /api/v1/[namespaces/NS/]plural or /apis/G/V/[namespaces/NS/]plural. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${base}/${plural}`;
}

/** REST path of one object, optionally of a subresource (`status`). */
export function objectPath(apiVersion: string, plural: string, namespace: string | undefined, name: string, subresource?: string): string {
  const p = `${collectionPath(apiVersion, plural, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${p}/${subresource}` : p;
}
