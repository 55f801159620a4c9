// A small raw-JSON Kubernetes REST client on top of @kubernetes/client-node's KubeConfig (auth, TLS).
// Raw JSON everywhere: typed client-node models turn timestamps into Dates and drop unknown fields.
import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: { reason?: string; message?: string; details?: unknown } | undefined,
    message: string,
  ) {
    super(message);
  }
}

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

export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export class KubeClient {
  private readonly server: URL;

  constructor(readonly kc: KubeConfig) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<KubeResponse<T>> {
    const url = new URL(path, this.server);
    const opts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: { accept: 'application/json' },
    };
    await this.kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    if (payload !== undefined) (opts.headers as Record<string, string>)['content-type'] = contentType;
    const mod = url.protocol === 'http:' ? http : https;
    if (url.protocol === 'http:') delete opts.agent; // an https agent cannot carry plain HTTP
    return new Promise((resolve, reject) => {
      const req = mod.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            const st = parsed && typeof parsed === 'object' ? (parsed as KubeApiError['status']) : undefined;
            reject(new KubeApiError(status, st, `${method} ${path}: ${status} ${st?.message ?? text}`));
            return;
          }
          resolve({ status, body: parsed as T, headers: res.headers });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  async list<T>(path: string, query: Record<string, string> = {}): Promise<KubeList<T>> {
    const qs = new URLSearchParams(query).toString();
    const r = await this.request<KubeList<T>>('GET', qs ? `${path}?${qs}` : path);
    return { ...r.body, items: r.body?.items ?? [] };
  }
}

/** REST path of a collection: /api/v1/[namespaces/NS/]plural or /apis/G/V/[namespaces/NS/]plural. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${base}/${plural}`;
}
