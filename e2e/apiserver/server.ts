// TestApiServer: an in-memory Kubernetes API server for tests, on node:http (plain HTTP, JSON).
//
//   const api = new TestApiServer({ crds: projectPath('crds') });
//   const { url } = await api.start();            // port 0: any free port on 127.0.0.1
//   const kc = api.kubeConfig();                    // http + skipTLSVerify, context namespace "default"
//   ... use @kubernetes/client-node against kc ...
//   api.faults.dropWatches(); api.faults.expireHistory(); api.faults.failNext(3, 500);
//   await api.stop();
//
// API (see README.md for what is implemented and the deviations from kube-apiserver):
//   new TestApiServer(opts?: TestApiServerOptions)
//   start(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }>
//   stop(): Promise<void>                            (the data stays: start() again simulates a restart)
//   url: string                                      (after start)
//   kubeConfig(namespace = 'default'): KubeConfig
//   kubeconfigYAML(namespace = 'default'): string
//   writeKubeconfig(path: string, namespace = 'default'): void
//   faults: Faults  { dropWatches(mode?: 'abrupt' | 'graceful'): number; expireHistory(): void;
//                     failNext(n: number, code = 500, match?: (r: { method; path }) => boolean): void;
//                     expiredWatchResponse: 'event' | 'status'; clear(): void }
//   webhookServiceResolver: ServiceResolver | undefined    (settable at any time)
//   requests: RequestRecord[]                        (method, path, code of recent requests)
//   resourceVersion(): string                        (the current global resourceVersion)
//   get(apiVersion, kind, name, namespace?): KubeObject | undefined
//   list(apiVersion, kind, namespace?): KubeObject[]
//   seed(obj): KubeObject                            (create without admission; for fixtures)
//   create(obj, opts?): Promise<KubeObject>          (the full create path, admission included)
//   update(obj, opts?): Promise<KubeObject>          (PUT semantics)
//   delete(apiVersion, kind, name, namespace?, opts?): Promise<void>
//   gcIdle(): Promise<void>                          (resolves once garbage collection has settled)
//   core: ApiCore                                    (the operations behind the HTTP layer)
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { loadManifests } from '../../operator/util/manifests.js';
import type { ServiceResolver } from './admission.js';
import { ApiCore, grOf, type DeleteOptions } from './core.js';
import { ApiError } from './errors.js';
import { Faults, HttpFrontend, type RequestRecord } from './http.js';
import type { KubeObject, WriteOptions } from './types.js';
import { WatchHub } from './watch.js';

export type { ServiceResolver } from './admission.js';
export type { RequestRecord } from './http.js';
export { Faults } from './http.js';
export { ApiCore } from './core.js';
export type { KubeObject } from './types.js';

export interface TestApiServerOptions {
  /** CRDs to serve from the start: objects, or a file/directory of YAML manifests (non-CRD documents are ignored) */
  crds?: KubeObject[] | string;
  /** how many change events are kept for watch resumption (default 1000) */
  historySize?: number;
  /** where a webhook's clientConfig.service is served (test webhook servers listen on 127.0.0.1) */
  webhookServiceResolver?: ServiceResolver;
  /** interval of BOOKMARK events on watches with allowWatchBookmarks=true (default 1000 ms) */
  bookmarkIntervalMs?: number;
  /** namespaces created at start (default: default, kube-system, kube-public, kube-node-lease) */
  namespaces?: string[];
}

function loadCRDs(src: KubeObject[] | string | undefined): KubeObject[] {
  if (src === undefined) return [];
  if (Array.isArray(src)) return src.filter((o) => o.kind === 'CustomResourceDefinition');
  const { objects, errors } = loadManifests([src]);
  if (errors.length > 0) throw new Error(`cannot load CRDs from ${src}: ${errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
  return objects.map((o) => o.object).filter((o) => o.kind === 'CustomResourceDefinition');
}

export class TestApiServer {
  readonly core: ApiCore;
  readonly faults: Faults;
  private readonly hub: WatchHub;
  private readonly http: HttpFrontend;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private address = '';

  constructor(opts: TestApiServerOptions = {}) {
    this.core = new ApiCore({
      crds: loadCRDs(opts.crds),
      ...(opts.historySize !== undefined ? { historySize: opts.historySize } : {}),
      ...(opts.webhookServiceResolver ? { webhookServiceResolver: opts.webhookServiceResolver } : {}),
      ...(opts.namespaces ? { namespaces: opts.namespaces } : {}),
    });
    this.hub = new WatchHub(this.core, opts.bookmarkIntervalMs ?? 1000);
    this.faults = new Faults(this.hub, this.core);
    this.http = new HttpFrontend(this.core, this.hub, this.faults);
  }

  get url(): string {
    if (!this.address) throw new Error('TestApiServer is not started');
    return this.address;
  }

  get requests(): RequestRecord[] {
    return this.http.requests;
  }

  get webhookServiceResolver(): ServiceResolver | undefined {
    return this.core.admission.resolver;
  }
  set webhookServiceResolver(r: ServiceResolver | undefined) {
    this.core.admission.resolver = r;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    if (this.server) throw new Error('TestApiServer is already started');
    const server = createServer((req, res) => this.http.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.address = `http://${h}:${a.port}`;
    return { url: this.address, port: a.port };
  }

  /** Closes the listener, every connection and every watch; the stored objects stay (start() again to restart). */
  async stop(): Promise<void> {
    this.hub.drop('abrupt');
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  kubeConfig(namespace = 'default'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'metalfrr-test', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'metalfrr-test', token: 'metalfrr-test' }],
      contexts: [{ name: 'metalfrr-test', cluster: 'metalfrr-test', user: 'metalfrr-test', namespace }],
      currentContext: 'metalfrr-test',
    });
    return kc;
  }

  kubeconfigYAML(namespace = 'default'): string {
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'metalfrr-test', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'metalfrr-test', user: { token: 'metalfrr-test' } }],
      contexts: [{ name: 'metalfrr-test', context: { cluster: 'metalfrr-test', user: 'metalfrr-test', namespace } }],
      'current-context': 'metalfrr-test',
    });
  }

  writeKubeconfig(path: string, namespace = 'default'): void {
    writeFileSync(path, this.kubeconfigYAML(namespace), { mode: 0o600 });
  }

  resourceVersion(): string {
    return String(this.core.store.currentRV);
  }

  gcIdle(): Promise<void> {
    return this.core.gc.whenIdle();
  }

  // ------------------------------------------------------------------------------ direct access

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const t = this.core.type(apiVersion, kind);
    try {
      return this.core.get(t, namespace, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    const t = this.core.type(apiVersion, kind);
    return this.core.store.list(grOf(t), t.namespaced ? namespace : undefined).map((o) => this.core.present(o, t));
  }

  seed(obj: KubeObject): KubeObject {
    return this.core.systemCreate(this.core.type(obj.apiVersion, obj.kind), obj);
  }

  async create(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const t = this.core.type(obj.apiVersion, obj.kind);
    return (await this.core.create(t, obj.metadata?.namespace, obj, { fieldManager: 'test', ...opts })).object;
  }

  async update(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const t = this.core.type(obj.apiVersion, obj.kind);
    return (await this.core.update(t, obj.metadata?.namespace, obj.metadata.name!, undefined, obj, { fieldManager: 'test', ...opts })).object;
  }

  async delete(apiVersion: string, kind: string, name: string, namespace?: string, opts: DeleteOptions = {}): Promise<void> {
    await this.core.delete(this.core.type(apiVersion, kind), namespace, name, opts);
  }
}
