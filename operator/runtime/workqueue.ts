// A work queue with client-go semantics (k8s.io/client-go/util/workqueue):
// * a key is queued at most once (`dirty`): adding a queued key again is a no-op, so bursts coalesce;
// * a key handed to a worker is `processing`; adding it again marks it dirty and it is re-queued only
//   when the worker calls `done`, so two workers never hold the same key;
// * `addAfter` for delayed adds (earliest wins), `addRateLimited` with per-key exponential backoff,
//   `forget` to reset a key's backoff;
// * `shutDown` stops accepting keys and wakes idle workers; `drained()` waits for in-flight keys.
import type { Registry } from 'prom-client';
import { realClock, type Clock, type Timer } from './clock.js';
import { runtimeMetrics, type RuntimeMetrics } from './metrics.js';

export interface RateLimiter {
  /** Delay before the key's next retry (ms); counts a failure. */
  when(key: string): number;
  forget(key: string): void;
  numRequeues(key: string): number;
}

/** Per-key exponential backoff: base * 2^failures, capped (client-go's default is 5 ms → 1000 s). */
export class ExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface WorkQueueOptions {
  /** Used as the metrics `name` label. */
  name?: string;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  registry?: Registry;
}

export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: RuntimeMetrics | undefined;
  private queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: Timer }>();
  private waiters: Array<(key: string | undefined) => void> = [];
  private drainWaiters: Array<() => void> = [];
  private stopping = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? 'queue';
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? new ExponentialRateLimiter();
    this.metrics = opts.registry ? runtimeMetrics(opts.registry) : undefined;
  }

  /** Queues `key` unless it is already queued; a key being processed is queued again after `done`. */
  add(key: string): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    this.metrics?.workqueueAdds.inc({ name: this.name });
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds `key` after `ms`; if the key is already waiting, the earlier time wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Adds `key` after its rate limiter's delay (exponential per key until `forget`). */
  addRateLimited(key: string): void {
    if (this.stopping) return;
    this.metrics?.workqueueRetries.inc({ name: this.name });
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** Waits for a key; `undefined` once the queue is shut down. The caller must call `done(key)`. */
  get(): Promise<string | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    if (this.queue.length > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile it goes back into the queue. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const started = this.startedAt.get(key);
    this.startedAt.delete(key);
    if (started !== undefined) this.metrics?.workqueueWorkDuration.observe({ name: this.name }, (this.clock.now() - started) / 1000);
    if (this.dirty.has(key) && !this.stopping) this.push(key);
    if (this.processing.size === 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  /** Stops accepting keys, drops the queued and delayed ones, and makes idle and future `get`s return undefined. */
  shutDown(): void {
    if (this.stopping) return;
    this.stopping = true;
    for (const d of this.delayed.values()) d.timer.cancel();
    this.delayed.clear();
    this.metrics?.workqueueDepth.dec({ name: this.name }, this.queue.length);
    this.queue = [];
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f(undefined);
  }

  /** Resolves when no key is being processed (use after `shutDown` to wait for workers). */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Keys waiting for a worker. */
  len(): number {
    return this.queue.length;
  }

  /** Keys waiting for a delayed add. */
  delayedLen(): number {
    return this.delayed.size;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    this.queue.push(key);
    this.metrics?.workqueueDepth.inc({ name: this.name });
    if (waiter) waiter(this.take());
  }

  private take(): string {
    const key = this.queue.shift()!;
    this.metrics?.workqueueDepth.dec({ name: this.name });
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.clock.now();
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics?.workqueueQueueDuration.observe({ name: this.name }, (now - added) / 1000);
    this.startedAt.set(key, now);
    return key;
  }
}
