// An informer: list, then watch from the list's resourceVersion, keeping a cache of the objects and
// telling handlers what changed.
// * ADDED/MODIFIED/DELETED update the cache and call onAdd/onUpdate(old, new)/onDelete; BOOKMARK only
//   advances the resourceVersion.
// * 410 Gone (HTTP status or ERROR event): relist and emit the difference against the cache, including
//   onDelete for objects that vanished while the watch was down.
// * A normal end of the stream (server timeout): watch again from the last resourceVersion at once,
//   unless the watch was "very short" (under a second, no event), which counts as an error.
// * Any other error (HTTP 5xx, refused connection, broken stream, silent stream caught by the watchdog,
//   failed list): restart after a capped, jittered exponential backoff, resuming from the last
//   resourceVersion (a relist only if there is none).
// Handlers run synchronously with the cache already updated; they should only enqueue keys. Objects in
// the cache are shared: never mutate them.
import type { KubeObject } from '../api/meta.js';
import { isObject } from '../util/json.js';
import { silentLogger, type Logger } from '../util/log.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { realClock, type Clock, type Timer } from './clock.js';
import { KubeApiError, collectionPath, type KubeClient, type KubeStatus, type Query, type WatchEvent } from './client.js';

export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** What an informer watches: a collection by apiVersion + plural (KINDS entries fit). */
export interface ResourceRef {
  apiVersion: string;
  plural: string;
  /** Set on list items, which arrive without apiVersion/kind. */
  kind?: string;
}

export interface InformerOptions {
  /** Only objects of this namespace (namespaced kinds); all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Call onUpdate(obj, obj) for every cached object this often (ms); 0/absent = never. */
  resyncMs?: number;
  /** Server-side watch timeout; default random in [300, 600) s like client-go's reflector. */
  watchTimeoutSeconds?: number;
  /** Restart a watch that has delivered nothing (not even a bookmark) for this long (ms). */
  watchdogMs?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
  /** Name used in logs (default: the collection path). */
  name?: string;
}

export type IndexFunc<T> = (obj: T) => string[];

class GoneError extends Error {}

export function objectKey(obj: { metadata?: { name?: string; namespace?: string } }): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name ?? ''}` : (m.name ?? '');
}

/** Splits a `namespace/name` (or `name`) key. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly path: string;
  readonly name: string;
  private readonly cache = new Map<string, T>();
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private rv = '';
  private isSynced = false;
  private syncWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private resyncTimer: Timer | undefined;
  private stopped = false;
  /** Counters for tests and debugging. */
  readonly stats = { lists: 0, watches: 0, errors: 0, relistsOnGone: 0 };

  constructor(
    private readonly client: KubeClient,
    private readonly resource: ResourceRef,
    private readonly opts: InformerOptions = {},
  ) {
    this.path = collectionPath(resource.apiVersion, resource.plural, opts.namespace);
    this.name = opts.name ?? this.path;
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ informer: this.name });
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff({ initialMs: 800, maxMs: 30_000, jitter: 1, random: this.random, ...opts.backoff });
  }

  /** Registers handlers; objects already cached are replayed as onAdd. Returns an unregister function. */
  addHandler(h: EventHandler<T>): () => void {
    this.handlers.add(h);
    if (h.onAdd) for (const o of this.cache.values()) this.call(() => h.onAdd!(o));
    return () => this.handlers.delete(h);
  }

  /** Adds an index computed by `fn` (values an object is filed under); existing objects are indexed at once. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    this.indexers.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.indices.set(name, idx);
    for (const [k, o] of this.cache) for (const v of fn(o)) this.indexAdd(idx, v, k);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  keys(): string[] {
    return [...this.cache.keys()];
  }

  byIndex(name: string, value: string): T[] {
    const idx = this.indices.get(name);
    if (!idx) throw new Error(`informer ${this.name}: no index ${name}`);
    return [...(idx.get(value) ?? [])].map((k) => this.cache.get(k)!).filter(Boolean);
  }

  /** The resourceVersion the next watch starts from ('' before the first list or after a 410). */
  get resourceVersion(): string {
    return this.rv;
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** Resolves once the first list has been applied; rejects if the informer stops before that. */
  hasSynced(): Promise<void> {
    if (this.isSynced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`informer ${this.name} stopped before sync`));
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
    if (this.opts.resyncMs && this.opts.resyncMs > 0) this.scheduleResync(this.opts.resyncMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resyncTimer?.cancel();
    this.abort?.abort(new Error('informer stopped'));
    await this.loop;
    this.loop = undefined;
    const w = this.syncWaiters;
    this.syncWaiters = [];
    for (const x of w) x.reject(new Error(`informer ${this.name} stopped before sync`));
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        if (!this.rv) await this.relist(signal);
        await this.watchOnce(signal);
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof GoneError || (e instanceof KubeApiError && e.code === 410)) {
          this.stats.relistsOnGone++;
          this.log.info('resourceVersion expired, relisting', { resourceVersion: this.rv });
          this.rv = '';
          continue;
        }
        this.stats.errors++;
        const delay = this.backoff.next();
        this.log.warn('list/watch failed, retrying', { error: e instanceof Error ? e.message : String(e), retryInMs: delay, resourceVersion: this.rv });
        await this.clock.sleep(delay, signal);
      }
    }
  }

  private query(): Query {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  private async relist(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const list = await this.client.list<T>(this.path, this.query(), { signal });
    if (signal.aborted) return;
    const fresh = new Map<string, T>();
    for (const raw of list.items) {
      const o = this.stamp(raw);
      fresh.set(objectKey(o), o);
    }
    const old = new Map(this.cache);
    for (const [k, o] of fresh) {
      const prev = old.get(k);
      this.store(k, o);
      if (!prev) this.emit('add', o);
      else if (prev.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit('update', o, prev);
    }
    for (const [k, o] of old) {
      if (fresh.has(k)) continue;
      this.remove(k);
      this.emit('delete', o);
    }
    this.rv = list.metadata?.resourceVersion ?? '';
    if (!this.rv) this.log.warn('list without resourceVersion; watching from now');
    this.markSynced();
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    this.stats.watches++;
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + this.random()));
    const watchdogMs = this.opts.watchdogMs ?? (timeoutSeconds + 30) * 1000;
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let dog: Timer | undefined;
    const pet = (): void => {
      dog?.cancel();
      dog = this.clock.setTimeout(() => ac.abort(new Error(`watch silent for ${watchdogMs}ms`)), watchdogMs);
    };
    const started = this.clock.now();
    let events = 0;
    let failure: Error | undefined;
    pet();
    try {
      await this.client.watch<T | KubeStatus>(
        this.path,
        { ...this.query(), resourceVersion: this.rv || undefined, allowWatchBookmarks: 'true', timeoutSeconds },
        (ev) => {
          if (failure) return;
          if (events++ === 0) this.backoff.reset();
          pet();
          try {
            this.handleEvent(ev);
          } catch (e) {
            failure = e as Error;
            ac.abort(failure);
          }
        },
        ac.signal,
      );
    } catch (e) {
      throw failure ?? e;
    } finally {
      dog?.cancel();
      signal.removeEventListener('abort', onAbort);
    }
    if (failure) throw failure;
    if (events === 0 && this.clock.now() - started < 1000) throw new Error('very short watch: closed at once with no event');
  }

  private handleEvent(ev: WatchEvent<T | KubeStatus>): void {
    if (ev.type === 'ERROR') {
      const st = (isObject(ev.object) ? ev.object : {}) as KubeStatus;
      if (st.code === 410 || st.reason === 'Expired' || st.reason === 'Gone') throw new GoneError(st.message ?? 'resourceVersion expired');
      throw new KubeApiError(st.code ?? 500, st, `watch ${this.path}: ERROR event: ${st.message ?? JSON.stringify(st)}`);
    }
    const raw: unknown = ev.object;
    if (!isObject(raw) || !isObject(raw.metadata)) throw new Error(`watch ${this.path}: ${ev.type} event without an object`);
    const obj = raw as T;
    const rv = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return;
    }
    const o = this.stamp(obj);
    const k = objectKey(o);
    const prev = this.cache.get(k);
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.store(k, o);
        if (!prev) this.emit('add', o);
        else if (prev.metadata.resourceVersion !== rv) this.emit('update', o, prev);
        break;
      case 'DELETED':
        if (prev) this.remove(k);
        this.emit('delete', o);
        break;
      default:
        this.log.warn('unknown watch event type', { type: (ev as { type: string }).type });
    }
    if (rv) this.rv = rv;
  }

  private stamp(o: T): T {
    if (this.resource.kind && (!o.kind || !o.apiVersion)) return { ...o, apiVersion: o.apiVersion || this.resource.apiVersion, kind: o.kind || this.resource.kind };
    return o;
  }

  private store(k: string, o: T): void {
    const prev = this.cache.get(k);
    if (prev) this.unindex(k, prev);
    this.cache.set(k, o);
    for (const [name, fn] of this.indexers) for (const v of fn(o)) this.indexAdd(this.indices.get(name)!, v, k);
  }

  private remove(k: string): void {
    const prev = this.cache.get(k);
    if (prev) this.unindex(k, prev);
    this.cache.delete(k);
  }

  private indexAdd(idx: Map<string, Set<string>>, v: string, k: string): void {
    let s = idx.get(v);
    if (!s) idx.set(v, (s = new Set()));
    s.add(k);
  }

  private unindex(k: string, o: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name)!;
      for (const v of fn(o)) {
        const s = idx.get(v);
        s?.delete(k);
        if (s?.size === 0) idx.delete(v);
      }
    }
  }

  private emit(type: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of [...this.handlers]) {
      if (type === 'add' && h.onAdd) this.call(() => h.onAdd!(obj));
      else if (type === 'update' && h.onUpdate) this.call(() => h.onUpdate!(old!, obj));
      else if (type === 'delete' && h.onDelete) this.call(() => h.onDelete!(obj));
    }
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log.error('event handler failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  private markSynced(): void {
    if (this.isSynced) return;
    this.isSynced = true;
    const w = this.syncWaiters;
    this.syncWaiters = [];
    for (const x of w) x.resolve();
  }

  private scheduleResync(ms: number): void {
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      for (const o of [...this.cache.values()]) for (const h of [...this.handlers]) if (h.onUpdate) this.call(() => h.onUpdate!(o, o));
      this.scheduleResync(ms);
    }, ms);
  }
}
