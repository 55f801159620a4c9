// MetalLB's controller role: IP address management for LoadBalancer Services (controller/main.go,
// controller/service.go). Spec: shared/spec/metallb-core.md §3, §6.
//
// One workqueue, one worker (the allocator is shared state). Keys:
//   - `ns/name`   one Service: converge it and write status (status subresource) + pool annotation (merge patch);
//   - CONFIG_KEY  pools/communities/namespaces changed: re-parse the pools, install them, reprocess all services;
//   - ALL_KEY     reprocess every Service (after a deletion or an allocation change that may unblock others).
// Individual Service keys are ignored until the first full pass (after the first config load) has run, and full
// passes handle services with the most ingress IPs first so a restart re-registers every address before any
// new allocation (no address changes on restart).
import { Gauge, Counter, type Registry } from 'prom-client';
import type { KubeObject, Namespace } from '../api/meta.js';
import type { Community, IPAddressPool } from '../api/metallb.js';
import { ANNOTATION_IP_ALLOCATED_FROM_POOL } from '../api/constants.js';
import { KINDS } from '../config/kinds.js';
import { parseConfig } from '../config/metallb/parse.js';
import { emptyResources } from '../config/metallb/types.js';
import { Allocator } from '../ipam/allocator.js';
import { convergeService, currentIngress, serviceKey, startupOrder, type ServiceLike } from '../ipam/service.js';
import { applyObject } from '../runtime/apply.js';
import { objectPath, type KubeClient } from '../runtime/client.js';
import { generationChanged, type Controller } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import type { Logger } from '../util/log.js';

export const CONFIG_KEY = '~config';
export const ALL_KEY = '~all';

export type ServiceObject = KubeObject & ServiceLike;

export interface ServiceIPAMOptions {
  /** The MetalLB namespace (IPAddressPools, Communities). */
  namespace: string;
  /** `--lb-class`: '' = only services without spec.loadBalancerClass. */
  lbClass?: string;
}

const SERVICES = { apiVersion: 'v1', plural: 'services', kind: 'Service' };

export class ServiceIPAM {
  readonly controller: Controller;
  private alloc = new Allocator();
  /** the workqueue the state was built for: a new one (regained leadership) starts from scratch */
  private stateQueue: unknown;
  private readonly services: Informer<ServiceObject>;
  private readonly pools: Informer<IPAddressPool>;
  private readonly communities: Informer<Community>;
  private readonly namespaces: Informer<Namespace>;
  private readonly log: Logger;
  private readonly metrics: ReturnType<typeof ipamMetrics>;
  /** true once a config was loaded and the first full pass ran */
  private synced = false;
  /** last ConfigurationState condition written ('' = none yet) */
  private lastState = '';
  /** last pool status written, per pool */
  private readonly poolStatus = new Map<string, string>();

  constructor(
    private readonly mgr: Manager,
    private readonly client: KubeClient,
    private readonly opts: ServiceIPAMOptions,
  ) {
    this.log = mgr.log.child({ controller: 'service-ipam' });
    this.metrics = ipamMetrics(mgr.registry);
    const ns = opts.namespace;
    this.services = mgr.informer<ServiceObject>(SERVICES);
    this.pools = mgr.informer<IPAddressPool>(KINDS.IPAddressPool, { namespace: ns });
    this.communities = mgr.informer<Community>(KINDS.Community, { namespace: ns });
    this.namespaces = mgr.informer<Namespace>(KINDS.Namespace);
    const config = () => CONFIG_KEY;
    this.controller = mgr
      .controller({ name: 'service-ipam', reconcile: (k) => this.reconcile(k) })
      .watch(this.pools, { map: config, updateFilter: generationChanged })
      .watch(this.communities, { map: config })
      .watch(this.namespaces, { map: config, updateFilter: (a, b) => JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) })
      .watch(this.services, { map: (s) => (this.handles(s) ? serviceKey(s) : undefined) });
    mgr.addReadyCheck('ipam-config-loaded', () => this.synced || 'no address pool configuration loaded yet');
  }

  /** The loadBalancerClass filter (§3.1). */
  handles(svc: ServiceLike): boolean {
    const cls = svc.spec?.loadBalancerClass ?? '';
    return cls === (this.opts.lbClass ?? '');
  }

  /** The allocator state (rebuilt from the Service statuses whenever the controller (re)starts). */
  get allocator(): Allocator {
    return this.alloc;
  }

  async reconcile(key: string): Promise<void> {
    this.metrics.updates.inc();
    if (this.controller.queue !== this.stateQueue) {
      // (re)started, e.g. leadership regained: another leader may have changed everything meanwhile
      this.stateQueue = this.controller.queue;
      this.alloc = new Allocator();
      this.synced = false;
      this.poolStatus.clear();
      this.lastState = '';
      if (key !== CONFIG_KEY) this.controller.enqueue(CONFIG_KEY);
    }
    try {
      if (key === CONFIG_KEY) await this.reloadConfig();
      else if (key === ALL_KEY) await this.processAll();
      else if (this.synced) await this.processService(key);
    } catch (e) {
      this.metrics.errors.inc();
      throw e;
    }
  }

  private async reloadConfig(): Promise<void> {
    const res = emptyResources();
    res.pools = this.pools.list(this.opts.namespace);
    res.communities = this.communities.list(this.opts.namespace);
    res.namespaces = this.namespaces.list();
    const r = parseConfig(res, { backend: 'none', namespace: this.opts.namespace });
    if (!r.config) {
      this.metrics.stale.set(1);
      this.log.error('failed to parse the configuration; keeping the last good pools', { error: r.errors[0]?.message });
      await this.writeConfigurationState(`configuration error: ${r.errors[0]?.message ?? 'unknown'}`);
      return; // re-run on the next change
    }
    const released = this.allocator.setConfig(r.config);
    if (released.length > 0) this.log.info('allocations released by the new pools', { services: released });
    this.metrics.loaded.set(1);
    this.metrics.stale.set(0);
    this.log.info('pool configuration loaded', { pools: [...r.config.pools.keys()] });
    await this.writeConfigurationState(null);
    await this.processAll();
  }

  /** Reprocesses every Service, most ingress IPs first. */
  private async processAll(): Promise<void> {
    if (!this.allocator.hasConfig()) return;
    // a deleted service's allocation is dropped before anything else is considered
    const live = new Set(this.services.list().filter((s) => this.handles(s)).map(serviceKey));
    for (const k of this.allocator.services()) if (!live.has(k)) this.allocator.unassign(k);
    let failures = 0;
    for (const svc of startupOrder(this.services.list().filter((s) => this.handles(s)))) {
      try {
        await this.converge(svc);
      } catch (e) {
        failures++;
        this.log.warn('service write failed', { service: serviceKey(svc), error: (e as Error).message });
      }
    }
    await this.writePoolStatus();
    if (failures > 0) throw new Error(`${failures} service(s) could not be updated`);
    this.synced = true;
  }

  private async processService(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const svc = this.services.get(key.slice(0, slash), key.slice(slash + 1));
    const before = this.allocator.ipsOf(key);
    const keyBefore = this.allocator.keyOf(key);
    if (!svc || !this.handles(svc)) {
      // deleted (or moved to another class): free its IPs; pending services may now fit
      if (this.allocator.unassign(key)) {
        await this.writePoolStatus();
        this.controller.enqueue(ALL_KEY);
      }
      return;
    }
    await this.converge(svc);
    const after = this.allocator.ipsOf(key);
    // an allocated service losing/changing its IPs or its sharing/backend key may unblock others (§3.3 step 5)
    if (before.length > 0 && (before.join() !== after.join() || keyBefore !== this.allocator.keyOf(key))) this.controller.enqueue(ALL_KEY);
    await this.writePoolStatus();
  }

  private async converge(svc: ServiceObject): Promise<void> {
    const r = convergeService(this.allocator, svc);
    const path = objectPath('v1', 'services', svc.metadata.namespace, svc.metadata.name!);
    const curIngress = currentIngress(svc);
    const rawIngress = svc.status?.loadBalancer?.ingress ?? [];
    const curPool = svc.metadata.annotations?.[ANNOTATION_IP_ALLOCATED_FROM_POOL] ?? null;
    const statusChanged = r.ingress.join(',') !== curIngress.join(',') || rawIngress.length !== curIngress.length;
    const annotationChanged = r.pool !== curPool;
    if ((statusChanged || annotationChanged) && r.ingress.length > 0) {
      for (const k of r.deprecatedAnnotations) this.mgr.events.event(svc, 'Warning', 'deprecatedAnnotation', `Service uses deprecated annotation ${k}`);
    }
    for (const e of r.events) this.mgr.events.event(svc, e.type, e.reason, e.message);
    if (statusChanged) {
      await this.client.mergePatch(`${path}/status`, { status: { loadBalancer: { ingress: r.ingress.length > 0 ? r.ingress.map((ip) => ({ ip })) : null } } });
    }
    if (annotationChanged) {
      await this.client.mergePatch(path, { metadata: { annotations: { [ANNOTATION_IP_ALLOCATED_FROM_POOL]: r.pool } } });
    }
  }

  /** ConfigurationState `controller` (§1.9): condition poolReconcilerValid; null error = Reconciled. */
  private async writeConfigurationState(error: string | null): Promise<void> {
    const key = error ?? 'ok';
    if (this.lastState === key) return;
    const condition = {
      type: 'poolReconcilerValid',
      status: error ? 'False' : 'True',
      reason: error ? 'ConfigurationError' : 'Reconciled',
      message: error ?? '',
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const base = {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'ConfigurationState',
      metadata: { name: 'controller', namespace: this.opts.namespace, labels: { 'metallb.io/component-type': 'controller' } },
    };
    const status = { result: error ? 'Invalid' : 'Valid', errorSummary: error ?? '', conditions: [condition] };
    try {
      await applyObject(this.client, base as KubeObject, 'metallb-controller');
      await applyObject(this.client, { ...base, status } as KubeObject, 'metallb-controller', { subresource: 'status' });
      this.lastState = key;
    } catch (e) {
      this.log.warn('cannot write ConfigurationState', { error: (e as Error).message });
    }
  }

  /** §3.10 counters: metrics for every pool, status on the IPAddressPool when it changed. */
  private async writePoolStatus(): Promise<void> {
    const counters = this.allocator.counters();
    for (const g of this.metrics.gauges) g.reset();
    const num = (b: bigint) => (b > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(b));
    for (const [pool, c] of counters) {
      const l = { pool };
      this.metrics.total.set(l, Number(c.total));
      this.metrics.v4Total.set(l, Number(c.ipv4Total));
      this.metrics.v6Total.set(l, Number(c.ipv6Total));
      this.metrics.inUse.set(l, c.inUse);
      this.metrics.v4InUse.set(l, c.ipv4InUse);
      this.metrics.v6InUse.set(l, c.ipv6InUse);
      // JSON numbers: huge pools are written as 2^53-1 (the API type is int64, MetalLB writes MaxInt64)
      const status = {
        assignedIPv4: c.ipv4InUse,
        assignedIPv6: c.ipv6InUse,
        availableIPv4: num(c.ipv4Total - BigInt(c.ipv4InUse)),
        availableIPv6: num(c.ipv6Total - BigInt(c.ipv6InUse)),
      };
      const text = JSON.stringify(status);
      const obj = this.pools.get(this.opts.namespace, pool);
      if (!obj || this.poolStatus.get(pool) === text) continue;
      if (JSON.stringify(obj.status ?? {}) === JSON.stringify(status)) {
        this.poolStatus.set(pool, text);
        continue;
      }
      try {
        await this.client.mergePatch(objectPath(KINDS.IPAddressPool.apiVersion, KINDS.IPAddressPool.plural, this.opts.namespace, pool, 'status'), { status });
        this.poolStatus.set(pool, text);
      } catch (e) {
        this.log.warn('cannot write pool status', { pool, error: (e as Error).message });
      }
    }
    for (const p of [...this.poolStatus.keys()]) if (!counters.has(p)) this.poolStatus.delete(p);
  }
}

/** The controller's metrics (§6). */
export function ipamMetrics(registry: Registry) {
  const names = [
    'metallb_allocator_addresses_total',
    'metallb_allocator_ipv4_addresses_total',
    'metallb_allocator_ipv6_addresses_total',
    'metallb_allocator_addresses_in_use_total',
    'metallb_allocator_ipv4_addresses_in_use_total',
    'metallb_allocator_ipv6_addresses_in_use_total',
    'metallb_k8s_client_updates_total',
    'metallb_k8s_client_update_errors_total',
    'metallb_k8s_client_config_loaded_bool',
    'metallb_k8s_client_config_stale_bool',
  ];
  for (const n of names) if (registry.getSingleMetric(n)) registry.removeSingleMetric(n);
  const g = (name: string, help: string) => new Gauge({ name, help, labelNames: ['pool'] as const, registers: [registry] });
  const m = {
    total: g('metallb_allocator_addresses_total', 'Number of usable IP addresses, per pool'),
    v4Total: g('metallb_allocator_ipv4_addresses_total', 'Number of usable IPv4 addresses, per pool'),
    v6Total: g('metallb_allocator_ipv6_addresses_total', 'Number of usable IPv6 addresses, per pool'),
    inUse: g('metallb_allocator_addresses_in_use_total', 'Number of IP addresses in use, per pool'),
    v4InUse: g('metallb_allocator_ipv4_addresses_in_use_total', 'Number of IPv4 addresses in use, per pool'),
    v6InUse: g('metallb_allocator_ipv6_addresses_in_use_total', 'Number of IPv6 addresses in use, per pool'),
    updates: new Counter({ name: 'metallb_k8s_client_updates_total', help: 'Number of k8s object updates that have been processed.', registers: [registry] }),
    errors: new Counter({ name: 'metallb_k8s_client_update_errors_total', help: 'Number of k8s object updates that failed for some reason.', registers: [registry] }),
    loaded: new Gauge({ name: 'metallb_k8s_client_config_loaded_bool', help: '1 if the MetalLB configuration was successfully loaded at least once.', registers: [registry] }),
    stale: new Gauge({ name: 'metallb_k8s_client_config_stale_bool', help: '1 if running on a stale configuration, because the latest config failed to load.', registers: [registry] }),
  };
  m.loaded.set(0);
  m.stale.set(0);
  return { ...m, gauges: [m.total, m.v4Total, m.v6Total, m.inUse, m.v4InUse, m.v6InUse] };
}
