// Lease-based leader election with client-go's semantics (k8s.io/client-go/tools/leaderelection):
// * a coordination.k8s.io/v1 Lease holds holderIdentity, leaseDurationSeconds, acquireTime/renewTime
//   (MicroTime) and leaseTransitions;
// * a candidate takes the lease when it is free (no holder) or when the record it observed has not
//   changed for leaseDuration of its own clock (no trust in other machines' clocks);
// * every write is a PUT carrying the resourceVersion just read, so a 409 means another candidate won;
// * the leader renews every retryPeriod and steps down as soon as renewDeadline has passed since its
//   last successful renewal (renewDeadline < leaseDuration, so it stops before anyone may take over);
// * `stop()` releases a held lease (holder emptied, leaseDurationSeconds 1), like ReleaseOnCancel.
// A candidate that sees another holder retries at min(retryPeriod, time until that lease expires), so a
// dead leader is replaced within leaseDuration + retryPeriod of its last renewal.
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../util/log.js';
import { microTime, realClock, type Clock, type Timer } from './clock.js';
import { collectionPath, isConflict, isNotFound, objectPath, type KubeClient } from './client.js';
import { runtimeMetrics } from './metrics.js';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec: LeaseSpec;
}

/** Where the Lease lives. `create`/`update` throw an error for which `isConflict` holds when they lose a race. */
export interface LeaseStore {
  readonly namespace: string;
  readonly name: string;
  /** undefined when the Lease does not exist. */
  get(signal?: AbortSignal): Promise<Lease | undefined>;
  create(lease: Lease, signal?: AbortSignal): Promise<Lease>;
  /** Conditional on lease.metadata.resourceVersion. */
  update(lease: Lease, signal?: AbortSignal): Promise<Lease>;
}

export class KubeLeaseStore implements LeaseStore {
  constructor(
    private readonly client: KubeClient,
    readonly namespace: string,
    readonly name: string,
  ) {}

  private path(): string {
    return objectPath('coordination.k8s.io/v1', 'leases', this.namespace, this.name);
  }

  async get(signal?: AbortSignal): Promise<Lease | undefined> {
    try {
      return await this.client.get<Lease>(this.path(), { signal });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  create(lease: Lease, signal?: AbortSignal): Promise<Lease> {
    return this.client.create<Lease>(collectionPath('coordination.k8s.io/v1', 'leases', this.namespace), lease, { signal });
  }

  update(lease: Lease, signal?: AbortSignal): Promise<Lease> {
    return this.client.replace<Lease>(this.path(), lease, { signal });
  }
}

export interface LeaderElectorOptions {
  store: LeaseStore;
  /** This candidate's identity (unique: e.g. pod name + random suffix). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to this candidate). */
  onNewLeader?: (identity: string) => void;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  registry?: Registry;
}

export class LeaderElector {
  readonly identity: string;
  private readonly store: LeaseStore;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly opts: LeaderElectorOptions;
  private observed: Lease | undefined;
  private observedKey = '';
  private observedAt = 0;
  private leading = false;
  private lastRenew = 0;
  private deadlineTimer: Timer | undefined;
  private stopped = true;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private lastLeader = '';

  constructor(opts: LeaderElectorOptions) {
    this.opts = opts;
    this.identity = opts.identity;
    this.store = opts.store;
    this.leaseMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.leaseMs > this.renewDeadlineMs)) throw new Error('leaseDuration must be greater than renewDeadline');
    if (!(this.renewDeadlineMs > this.retryMs)) throw new Error('renewDeadline must be greater than retryPeriod');
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ lease: `${this.store.namespace}/${this.store.name}`, identity: this.identity });
    this.setGauge();
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder in the last Lease record seen ('' if none). */
  leader(): string {
    return this.observed?.spec.holderIdentity ?? '';
  }

  /** Time of the last successful acquire/renew (ms, clock time; 0 if never). */
  lastRenewTime(): number {
    return this.lastRenew;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Stops campaigning; steps down and, when `release` (default), gives the lease up for others at once. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort?.abort(new Error('leader election stopped'));
    await this.loop;
    const held = this.leading || this.observed?.spec.holderIdentity === this.identity;
    this.stepDown('stopped');
    if ((opts.release ?? true) && held) await this.release();
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // The lease counts from before the request: the server wrote it no earlier than this.
      const started = this.clock.now();
      const ok = await this.attempt(signal);
      if (signal.aborted) break;
      if (ok) {
        this.lastRenew = started;
        if (!this.leading) {
          this.leading = true;
          this.setGauge();
          this.log.info('became leader');
          this.safe(() => this.opts.onStartedLeading?.());
        }
        this.armDeadline();
      } else if (this.leading && this.holderIsOther()) {
        this.stepDown(`lease taken by ${this.leader()}`);
      }
      await this.clock.sleep(this.nextDelay(), signal);
    }
  }

  private nextDelay(): number {
    if (this.leading) return this.retryMs;
    const jittered = this.retryMs * (0.75 + 0.25 * this.random());
    if (this.holderIsOther()) {
      // wake up right when the observed lease expires if that comes before the next retry
      const expiresIn = this.observedAt + this.observedDuration() - this.clock.now();
      if (expiresIn >= 0) return Math.min(jittered, expiresIn + 1);
    }
    return jittered;
  }

  private observedDuration(): number {
    return (this.observed?.spec.leaseDurationSeconds ?? 0) * 1000;
  }

  private holderIsOther(): boolean {
    const h = this.observed?.spec.holderIdentity;
    return !!h && h !== this.identity;
  }

  private armDeadline(): void {
    this.deadlineTimer?.cancel();
    const at = this.lastRenew + this.renewDeadlineMs;
    this.deadlineTimer = this.clock.setTimeout(() => {
      if (this.leading && this.clock.now() >= this.lastRenew + this.renewDeadlineMs) this.stepDown('failed to renew lease within the renew deadline');
    }, at - this.clock.now());
  }

  private stepDown(why: string): void {
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
    if (!this.leading) return;
    this.leading = false;
    this.setGauge();
    this.log.warn('stopped leading', { reason: why });
    this.safe(() => this.opts.onStoppedLeading?.());
  }

  private setGauge(): void {
    if (this.opts.registry) runtimeMetrics(this.opts.registry).leaderStatus.set({ name: this.store.name }, this.leading ? 1 : 0);
  }

  private safe(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log.error('leader election callback failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  private observe(lease: Lease): void {
    const s = lease.spec ?? {};
    const key = JSON.stringify([s.holderIdentity ?? '', s.leaseDurationSeconds, s.acquireTime, s.renewTime, s.leaseTransitions, lease.metadata.resourceVersion]);
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = this.clock.now();
    }
    this.observed = lease;
    const holder = s.holderIdentity ?? '';
    if (holder && holder !== this.lastLeader) {
      this.lastLeader = holder;
      this.log.info('new leader observed', { leader: holder });
      this.safe(() => this.opts.onNewLeader?.(holder));
    }
  }

  /** One tryAcquireOrRenew; bounded by the renew deadline; false on any failure. */
  private async attempt(outer: AbortSignal): Promise<boolean> {
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(outer.reason);
    outer.addEventListener('abort', onAbort, { once: true });
    const timer = this.clock.setTimeout(() => ac.abort(new Error('lease request timed out')), this.renewDeadlineMs);
    try {
      return await this.tryAcquireOrRenew(ac.signal);
    } catch (e) {
      if (!outer.aborted) this.log.warn('lease acquire/renew failed', { error: e instanceof Error ? e.message : String(e) });
      return false;
    } finally {
      timer.cancel();
      outer.removeEventListener('abort', onAbort);
    }
  }

  private record(prev: LeaseSpec | undefined): LeaseSpec {
    const now = microTime(this.clock.now());
    const mine = prev?.holderIdentity === this.identity;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseMs / 1000),
      acquireTime: mine && prev?.acquireTime ? prev.acquireTime : now,
      renewTime: now,
      leaseTransitions: (prev?.leaseTransitions ?? 0) + (mine || !prev ? 0 : 1),
    };
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const current = await this.store.get(signal);
    if (signal.aborted) return false;
    if (!current) {
      try {
        const created = await this.store.create(
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.store.name, namespace: this.store.namespace }, spec: this.record(undefined) },
          signal,
        );
        this.observe(created); // the truth even if we gave up waiting: release() needs its resourceVersion
        return !signal.aborted;
      } catch (e) {
        if (isConflict(e)) return false;
        throw e;
      }
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expired = this.clock.now() >= this.observedAt + (spec.leaseDurationSeconds ?? 0) * 1000;
    if (holder && holder !== this.identity && !expired) return false;
    const next: Lease = {
      ...current, // carries metadata.resourceVersion: the PUT fails with 409 if anyone wrote since
      spec: { ...spec, ...this.record(spec) },
    };
    try {
      const updated = await this.store.update(next, signal);
      this.observe(updated);
      return !signal.aborted;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  /** Gives the lease up if this candidate holds it in the last observed record. */
  private async release(): Promise<void> {
    const lease = this.observed;
    if (!lease || lease.spec.holderIdentity !== this.identity) return;
    const now = microTime(this.clock.now());
    try {
      const updated = await this.store.update({
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
      });
      this.observe(updated);
      this.log.info('released lease');
    } catch (e) {
      this.log.warn('failed to release lease', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
