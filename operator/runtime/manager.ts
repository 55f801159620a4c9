// Wires the runtime together for one process role: shared informers, controllers (optionally only while
// holding a Lease), events, the health/metrics server, and graceful shutdown on SIGTERM/SIGINT:
// stop the controllers' queues and wait (bounded) for reconciles in flight, run the shutdown hooks, release the lease, stop the
// informers, flush events, close the server.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Registry } from 'prom-client';
import type { KubeObject } from '../api/meta.js';
import { silentLogger, type Logger } from '../util/log.js';
import { realClock, type Clock } from './clock.js';
import type { KubeClient } from './client.js';
import { Controller, type ControllerOptions } from './controller.js';
import { EventRecorder } from './events.js';
import { HealthServer } from './health.js';
import { Informer, type InformerOptions, type ResourceRef } from './informer.js';
import { KubeLeaseStore, LeaderElector, type LeaseStore } from './leader.js';

export interface LeaderElectionConfig {
  namespace: string;
  /** Lease name. */
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Replaces the Lease API (tests). */
  store?: LeaseStore;
}

export interface ManagerOptions {
  client: KubeClient;
  /** Component name: logs, event source. */
  name: string;
  logger?: Logger;
  registry?: Registry;
  clock?: Clock;
  /** Serve /healthz, /readyz, /metrics on this port (0 = any free port); no server when absent. */
  healthPort?: number;
  healthHost?: string;
  leaderElection?: LeaderElectionConfig;
  /** How long shutdown waits for reconciles in flight (ms, default 30 s). */
  shutdownTimeoutMs?: number;
  /** Event source host (default: the host name). */
  host?: string;
}

export interface ManagedControllerOptions extends Omit<ControllerOptions, 'clock' | 'registry' | 'logger'> {
  /** Run only while this process holds the lease (default true when leader election is configured). */
  needLeaderElection?: boolean;
}

export class Manager {
  readonly registry: Registry;
  readonly log: Logger;
  readonly events: EventRecorder;
  readonly elector: LeaderElector | undefined;
  readonly health: HealthServer | undefined;
  private readonly clock: Clock;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Array<{ c: Controller; leader: boolean }> = [];
  private started = false;
  private stopping: Promise<void> | undefined;
  private healthPort: number | undefined;
  private leaderTransition: Promise<void> = Promise.resolve();
  private readonly shutdownHooks: Array<() => Promise<void>> = [];

  constructor(private readonly opts: ManagerOptions) {
    this.registry = opts.registry ?? new Registry();
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? realClock;
    this.events = new EventRecorder(opts.client, { component: opts.name, host: opts.host ?? hostname(), clock: this.clock, logger: this.log });
    const le = opts.leaderElection;
    if (le) {
      this.elector = new LeaderElector({
        store: le.store ?? new KubeLeaseStore(opts.client, le.namespace, le.name),
        identity: le.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        clock: this.clock,
        logger: this.log,
        registry: this.registry,
        onStartedLeading: () => this.onLeading(true),
        onStoppedLeading: () => this.onLeading(false),
      });
    }
    if (opts.healthPort !== undefined) {
      this.health = new HealthServer({ port: opts.healthPort, host: opts.healthHost, registry: this.registry, logger: this.log });
      this.health.addHealthCheck('ping', () => true);
      this.health.addReadyCheck('informers-synced', () => {
        const waiting = [...this.informers.values()].filter((i) => !i.synced).map((i) => i.name);
        return waiting.length === 0 || `not synced: ${waiting.join(', ')}`;
      });
      if (this.elector) {
        const elector = this.elector;
        const leaseMs = le?.leaseDurationMs ?? 15_000;
        // like client-go's HealthzAdaptor: a leader that has not renewed for a lease duration (+20 s) is stuck
        this.health.addHealthCheck('leader-election', () =>
          !elector.isLeader() || this.clock.now() - elector.lastRenewTime() <= leaseMs + 20_000 || 'lease not renewed for too long',
        );
      }
    }
  }

  /** The shared informer for a resource (+ namespace and selectors); created on first request. */
  informer<T extends KubeObject = KubeObject>(resource: ResourceRef, opts: Omit<InformerOptions, 'clock' | 'logger'> = {}): Informer<T> {
    const key = JSON.stringify([resource.apiVersion, resource.plural, opts.namespace, opts.labelSelector, opts.fieldSelector]);
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<KubeObject>(this.opts.client, resource, { ...opts, logger: this.log });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  controller(opts: ManagedControllerOptions): Controller {
    const c = new Controller({ ...opts, clock: this.clock, registry: this.registry, logger: this.log });
    this.controllers.push({ c, leader: opts.needLeaderElection ?? this.elector !== undefined });
    if (this.started && (!this.controllers.at(-1)!.leader || this.elector?.isLeader())) c.start();
    return c;
  }

  /** Runs during stop(), after the controllers have drained and before the informers stop (errors are logged). */
  onShutdown(hook: () => Promise<void>): void {
    this.shutdownHooks.push(hook);
  }

  addReadyCheck(name: string, check: Parameters<HealthServer['addReadyCheck']>[1]): void {
    this.health?.addReadyCheck(name, check);
  }

  /** Port of the health server once started. */
  get port(): number | undefined {
    return this.healthPort;
  }

  /** Starts the server and informers, waits for the caches, then starts controllers and leader election. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.health) this.healthPort = await this.health.start();
    for (const inf of this.informers.values()) inf.start();
    await Promise.all([...this.informers.values()].map((i) => i.hasSynced()));
    if (this.stopping) return;
    this.log.info('caches synced', { informers: this.informers.size });
    for (const { c, leader } of this.controllers) if (!leader || !this.elector) c.start();
    this.elector?.start();
  }

  private onLeading(leading: boolean): void {
    this.leaderTransition = this.leaderTransition.then(async () => {
      if (this.stopping) return;
      for (const { c, leader } of this.controllers) {
        if (!leader) continue;
        if (leading) c.start();
        else await c.stop(this.opts.shutdownTimeoutMs ?? 30_000);
      }
    });
  }

  /** Graceful shutdown; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.log.info('shutting down');
    const timeout = this.opts.shutdownTimeoutMs ?? 30_000;
    await this.leaderTransition;
    const drained = await Promise.all(this.controllers.map(({ c }) => c.stop(timeout)));
    if (drained.includes(false)) this.log.warn('some reconciles did not finish before the shutdown deadline');
    for (const hook of this.shutdownHooks) await hook().catch((e: unknown) => this.log.warn('shutdown hook failed', { error: (e as Error).message }));
    await this.elector?.stop({ release: true });
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.events.flush();
    await this.health?.stop();
    this.log.info('shutdown complete');
  }

  /**
   * start(), then run until SIGTERM/SIGINT (or `signal` aborts), then stop(). A start failure stops what
   * was started and rethrows.
   */
  async run(signal?: AbortSignal): Promise<void> {
    let onSignal: (() => void) | undefined;
    const stopRequested = new Promise<void>((resolve) => {
      onSignal = () => resolve();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      signal?.addEventListener('abort', onSignal, { once: true });
    });
    const starting = this.start();
    try {
      // a stop request while waiting for caches wins; the start then fails quietly as informers stop
      await Promise.race([starting, stopRequested]);
      await stopRequested;
    } finally {
      starting.catch(() => undefined);
      process.off('SIGTERM', onSignal!);
      process.off('SIGINT', onSignal!);
      signal?.removeEventListener('abort', onSignal!);
      await this.stop();
    }
  }
}
