// A controller: informer events → keys in a WorkQueue → N workers calling reconcile(key).
// * success → forget the key's backoff; `{ requeueAfter }` → forget and add after that delay;
//   `{ requeue: true }` or a thrown error → rate-limited retry (per-key exponential backoff);
// * the queue never hands one key to two workers, and a key changed while being reconciled is
//   reconciled again afterwards;
// * start/stop can repeat (e.g. on leadership changes): each start makes a fresh queue and enqueues the
//   keys of every object in the watched informers, so nothing missed while stopped is lost.
import type { Registry } from 'prom-client';
import type { KubeObject } from '../api/meta.js';
import { silentLogger, type Logger } from '../util/log.js';
import { realClock, type Clock } from './clock.js';
import { objectKey, type Informer } from './informer.js';
import { runtimeMetrics, type RuntimeMetrics } from './metrics.js';
import { ExponentialRateLimiter, WorkQueue, type RateLimiter } from './workqueue.js';

export type ReconcileResult = { requeueAfter?: number; requeue?: boolean } | void;
export type Reconciler = (key: string) => Promise<ReconcileResult>;

export interface ControllerOptions {
  /** Controller name: metrics label, queue name, log field. */
  name: string;
  reconcile: Reconciler;
  /** Workers (default 1). */
  concurrency?: number;
  /** Makes the per-key rate limiter of each queue (default 5 ms → 1000 s exponential). */
  rateLimiter?: () => RateLimiter;
  clock?: Clock;
  registry?: Registry;
  logger?: Logger;
}

export interface WatchOptions<T> {
  /** Keys to reconcile for an object (default: the object's own ns/name key). */
  map?: (obj: T) => string | string[] | undefined;
  /** Return false to ignore an update (e.g. only react to generation changes). */
  updateFilter?: (oldObj: T, newObj: T) => boolean;
}

/** An update filter passing only spec changes (metadata.generation) — status writes do not retrigger. */
export const generationChanged = (a: KubeObject, b: KubeObject): boolean => a.metadata.generation !== b.metadata.generation;

interface Source {
  keys(): string[];
}

export class Controller {
  readonly name: string;
  private readonly reconcileFn: Reconciler;
  private readonly concurrency: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics | undefined;
  private readonly registry: Registry | undefined;
  private readonly makeLimiter: () => RateLimiter;
  private readonly sources: Source[] = [];
  private q: WorkQueue | undefined;
  private workers: Promise<void>[] = [];
  /** Reconciles running, across queue generations (a stop that timed out leaves some behind). */
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.reconcileFn = opts.reconcile;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ controller: opts.name });
    this.registry = opts.registry;
    this.metrics = opts.registry ? runtimeMetrics(opts.registry) : undefined;
    this.makeLimiter = opts.rateLimiter ?? (() => new ExponentialRateLimiter());
  }

  /** Reconciles the objects of `informer` (or the keys `map` derives from them) when they change. */
  watch<T extends KubeObject>(informer: Informer<T>, opts: WatchOptions<T> = {}): this {
    const keysOf = (o: T): string[] => {
      const k = opts.map ? opts.map(o) : objectKey(o);
      return k === undefined ? [] : Array.isArray(k) ? k : [k];
    };
    informer.addHandler({
      onAdd: (o) => keysOf(o).forEach((k) => this.enqueue(k)),
      onUpdate: (a, b) => {
        if (opts.updateFilter && !opts.updateFilter(a, b)) return;
        new Set([...keysOf(a), ...keysOf(b)]).forEach((k) => this.enqueue(k));
      },
      onDelete: (o) => keysOf(o).forEach((k) => this.enqueue(k)),
    });
    this.sources.push({ keys: () => [...new Set(informer.list().flatMap(keysOf))] });
    return this;
  }

  /** Queues a key (ignored while the controller is stopped; `start` re-enqueues from the informers). */
  enqueue(key: string): void {
    this.q?.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.q?.addAfter(key, ms);
  }

  get running(): boolean {
    return this.q !== undefined && !this.q.shuttingDown;
  }

  /** The current queue (undefined while stopped). */
  get queue(): WorkQueue | undefined {
    return this.q;
  }

  start(): void {
    if (this.running) return;
    const q = new WorkQueue({ name: this.name, clock: this.clock, rateLimiter: this.makeLimiter(), registry: this.registry });
    this.q = q;
    for (const s of this.sources) for (const k of s.keys()) q.add(k);
    this.metrics?.maxConcurrentReconciles.set({ controller: this.name }, this.concurrency);
    this.workers = Array.from({ length: this.concurrency }, () => this.worker(q));
    this.log.info('controller started', { workers: this.concurrency });
  }

  /**
   * Stops taking keys and waits up to `timeoutMs` for reconciles in flight. Returns false if some were
   * still running at the deadline (they finish in the background; their results are discarded).
   */
  async stop(timeoutMs = 30_000): Promise<boolean> {
    const q = this.q;
    if (!q || q.shuttingDown) return true;
    q.shutDown();
    let timedOut = false;
    const ac = new AbortController();
    await Promise.race([
      Promise.all(this.workers).then(() => undefined),
      this.clock.sleep(timeoutMs, ac.signal).then(() => {
        timedOut = true;
      }),
    ]);
    ac.abort();
    if (timedOut) this.log.warn('reconciles still running at shutdown deadline', { timeoutMs });
    else this.log.info('controller stopped');
    return !timedOut;
  }

  private async worker(q: WorkQueue): Promise<void> {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      await this.process(q, key);
    }
  }

  private async process(q: WorkQueue, key: string): Promise<void> {
    const labels = { controller: this.name };
    // a reconcile of this key left over from before a restart must finish first (one worker per key):
    // put the key back once it has, and let this worker go on with other keys
    const left = this.inflight.get(key);
    if (left) {
      void left.then(
        () => q.add(key),
        () => q.add(key),
      );
      q.done(key);
      return;
    }
    const start = this.clock.now();
    this.metrics?.activeWorkers.inc(labels);
    try {
      const p = this.reconcileFn(key);
      this.inflight.set(key, p);
      const r = await p.finally(() => {
        if (this.inflight.get(key) === p) this.inflight.delete(key);
      });
      if (r && r.requeueAfter !== undefined && r.requeueAfter > 0) {
        q.forget(key);
        q.addAfter(key, r.requeueAfter);
        this.metrics?.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else if (r && r.requeue) {
        q.addRateLimited(key);
        this.metrics?.reconcileTotal.inc({ ...labels, result: 'requeue' });
      } else {
        q.forget(key);
        this.metrics?.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (e) {
      q.addRateLimited(key);
      this.metrics?.reconcileTotal.inc({ ...labels, result: 'error' });
      this.metrics?.reconcileErrors.inc(labels);
      this.log.error('reconcile failed', { key, error: e instanceof Error ? e.message : String(e), retries: q.numRequeues(key) });
    } finally {
      this.metrics?.activeWorkers.dec(labels);
      this.metrics?.reconcileTime.observe(labels, (this.clock.now() - start) / 1000);
      q.done(key);
    }
  }
}
