// The per-node frr agent (frr-k8s's daemon): every FRRConfiguration selecting this node, plus Secrets,
// the Node's labels and FRRK8sConfiguration, become one frr.conf that is checked by FRR and applied with
// the least disruption. A config that does not convert or that FRR refuses is never applied: the last
// good one keeps running, and the error is visible in FRRNodeState, an event and
// frrk8s_k8s_client_config_stale_bool. A poller writes BGPSessionState objects and notices an FRR
// restart (running config no longer the one applied), which triggers a re-apply.
//
// All events map to one workqueue key (the node), so bursts coalesce without a fixed debounce.
import type { KubeObject, Node, Secret } from '../api/meta.js';
import type { FRRConfiguration } from '../api/frrk8s.js';
import { FRRK8S_V1BETA1, LABEL_FRRK8S_NODE, LABEL_HOSTNAME } from '../api/constants.js';
import { KINDS } from '../config/kinds.js';
import { ConversionError } from '../config/frrk8s/errors.js';
import { renderForNode } from '../frr/pipeline.js';
import type { TimerDefaults } from '../frr/render.js';
import { applyObject } from '../runtime/apply.js';
import { collectionPath, objectPath, type KubeClient } from '../runtime/client.js';
import type { Informer } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import type { Controller } from '../runtime/controller.js';
import type { Logger } from '../util/log.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  bgpSessionStateObject,
  nodeStateStatus,
  planSessionStates,
  retractPasswords,
  type FRRBFDPeer,
  type FRRSession,
  type NodeStateStatus,
} from './frr-status.js';

/** What the agent needs from FRR (operator/frr/vtysh.ts implements it against real FRR). */
export interface FRRBackend {
  /** Check the candidate with FRR and apply it; never touches FRR when the check fails. */
  apply(config: string): Promise<{ ok: boolean; output: string; checkFailed?: boolean; runningConfig?: string }>;
  runningConfig(): Promise<string>;
  sessions(): Promise<FRRSession[]>;
  bfdPeers(): Promise<FRRBFDPeer[]>;
}

export interface FRRAgentOptions {
  node: string;
  /** the daemon namespace: FRRConfigurations, Secrets and FRRK8sConfiguration are read there */
  namespace: string;
  hostname: string;
  backend: FRRBackend;
  hostHasIPv4?: boolean;
  alwaysBlock?: string[];
  /** frr-k8s log level when no FRRK8sConfiguration says otherwise */
  logLevel?: string;
  timerDefaults?: TimerDefaults;
  /** how often sessions are read back and the running config compared (ms, default 5000) */
  statusIntervalMs?: number;
  fieldManager?: string;
  /**
   * Names of the BGP/BFD metrics read from FRR: 'frrk8s' (frr-k8s's frrk8s_bgp_*, default) or 'metallb'
   * (the metallb_bgp_* / metallb_bfd_* names of upstream MetalLB's frr-metrics sidecar, for the speaker's
   * agent sidecar in frr/native mode). The agent's own frrk8s_k8s_client_* metrics keep their names.
   */
  frrMetricsPrefix?: FRRMetricsPrefix;
}

export type FRRMetricsPrefix = 'frrk8s' | 'metallb';
export const FRR_METRICS_PREFIXES: readonly FRRMetricsPrefix[] = ['frrk8s', 'metallb'];

const FRRK8S_CONFIG_NAME = 'config';

export class FRRAgent {
  readonly controller: Controller;
  private readonly configs: Informer<FRRConfiguration>;
  private readonly secrets: Informer<Secret>;
  private readonly nodes: Informer<Node>;
  private readonly globals: Informer<KubeObject>;
  private readonly sessionStates: Informer<KubeObject>;
  private readonly log: Logger;
  private readonly fieldManager: string;
  private readonly metrics: ReturnType<typeof agentMetrics>;
  /** what FRR runs, as we applied it */
  private applied: { desired: string; running: string } | undefined;
  private lastStatus: NodeStateStatus = {};
  private forceApply = false;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly mgr: Manager,
    private readonly client: KubeClient,
    private readonly opts: FRRAgentOptions,
  ) {
    this.log = mgr.log.child({ controller: 'frr-agent', node: opts.node });
    this.fieldManager = opts.fieldManager ?? 'frr-k8s';
    this.metrics = agentMetrics(mgr.registry, opts.backend, opts.frrMetricsPrefix ?? 'frrk8s');
    const ns = opts.namespace;
    this.configs = mgr.informer<FRRConfiguration>(KINDS.FRRConfiguration, { namespace: ns });
    this.secrets = mgr.informer<Secret>(KINDS.Secret, { namespace: ns });
    this.nodes = mgr.informer<Node>(KINDS.Node, { fieldSelector: `metadata.name=${opts.node}` });
    this.globals = mgr.informer(
      { apiVersion: FRRK8S_V1BETA1, plural: 'frrk8sconfigurations', kind: 'FRRK8sConfiguration' },
      { namespace: ns },
    );
    this.sessionStates = mgr.informer(
      { apiVersion: FRRK8S_V1BETA1, plural: 'bgpsessionstates', kind: 'BGPSessionState' },
      { namespace: ns, labelSelector: `${LABEL_FRRK8S_NODE}=${opts.node}` },
    );
    const key = () => opts.node;
    this.controller = mgr
      .controller({ name: 'frr-agent', reconcile: () => this.reconcile(), needLeaderElection: false })
      .watch(this.configs, { map: key })
      .watch(this.secrets, { map: key })
      .watch(this.nodes, { map: key, updateFilter: (a, b) => JSON.stringify(a.metadata.labels) !== JSON.stringify(b.metadata.labels) })
      .watch(this.globals, { map: (o) => (o.metadata.name === FRRK8S_CONFIG_NAME ? opts.node : undefined) });
    mgr.addReadyCheck('frr-config-applied', () => this.applied !== undefined || 'no configuration applied to FRR yet');
  }

  /** Starts the status poller (the manager starts informers and the controller). */
  startPolling(): void {
    const every = this.opts.statusIntervalMs ?? 5000;
    this.poller = setInterval(() => void this.poll(), every);
    this.poller.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
  }

  private nodeLabels(): Record<string, string> {
    const node = this.nodes.get(undefined, this.opts.node);
    return node?.metadata.labels ?? { [LABEL_HOSTNAME]: this.opts.node };
  }

  private logLevel(): string | undefined {
    const g = this.globals.get(this.opts.namespace, FRRK8S_CONFIG_NAME) as { spec?: { logLevel?: string } } | undefined;
    return g?.spec?.logLevel ?? this.opts.logLevel;
  }

  /** The desired frr.conf, or the conversion error. */
  desired(): { config: string } | { error: string } {
    try {
      const { config } = renderForNode(this.configs.list(this.opts.namespace), { name: this.opts.node, labels: this.nodeLabels() }, {
        secrets: this.secrets.list(this.opts.namespace),
        alwaysBlock: this.opts.alwaysBlock,
        hostname: this.opts.hostname,
        logLevel: this.logLevel(),
        hostHasIPv4: this.opts.hostHasIPv4,
        daemonNamespace: this.opts.namespace,
        timerDefaults: this.opts.timerDefaults,
      });
      return { config };
    } catch (e) {
      if (e instanceof ConversionError) return { error: e.message };
      throw e;
    }
  }

  async reconcile(): Promise<void> {
    this.metrics.updates.inc();
    const d = this.desired();
    if ('error' in d) {
      this.metrics.errors.inc();
      this.metrics.stale.set(1);
      this.log.warn('configuration cannot be converted; the last good one stays applied', { error: retractPasswords(d.error) });
      this.event('Warning', 'ConversionFailed', d.error);
      await this.writeNodeState({ ...this.lastStatus, lastConversionResult: `failed: ${d.error}` });
      return; // re-run on the next change of a watched object, like frr-k8s
    }
    const force = this.forceApply;
    this.forceApply = false;
    if (!force && this.applied?.desired === d.config) {
      // FRR already runs exactly this (e.g. a bad change was reverted): nothing to push
      this.metrics.stale.set(0);
      await this.writeNodeState({ runningConfig: this.applied.running, lastReloadResult: 'success', lastConversionResult: 'success' });
      return;
    }
    const started = Date.now();
    const r = await this.opts.backend.apply(d.config);
    if (!r.ok) {
      this.metrics.errors.inc();
      this.metrics.stale.set(1);
      const running = r.runningConfig ?? (await this.opts.backend.runningConfig().catch(() => this.lastStatus.runningConfig ?? ''));
      this.log.warn(r.checkFailed ? 'FRR refused the configuration; the last good one stays applied' : 'applying the configuration failed', {
        output: retractPasswords(r.output),
      });
      this.event('Warning', r.checkFailed ? 'ConfigRejected' : 'ReloadFailed', firstLines(r.output));
      await this.writeNodeState({ runningConfig: running, lastReloadResult: r.output, lastConversionResult: 'success' });
      if (r.checkFailed) return; // only a change of the input can help
      throw new Error('applying the configuration to FRR failed'); // retried with backoff
    }
    // the running config as the apply's verification read it (one read less), else read it now
    const running = r.runningConfig ?? (await this.opts.backend.runningConfig());
    this.applied = { desired: d.config, running };
    this.metrics.loaded.set(1);
    this.metrics.stale.set(0);
    this.log.info('configuration applied', { ms: Date.now() - started, forced: force });
    await this.writeNodeState({ runningConfig: running, lastReloadResult: 'success', lastConversionResult: 'success' });
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const node = this.nodes.get(undefined, this.opts.node);
    const ref = node ?? { apiVersion: 'v1', kind: 'Node', metadata: { name: this.opts.node } };
    this.mgr.events.event(ref, type, reason, retractPasswords(message));
  }

  private async writeNodeState(s: NodeStateStatus): Promise<void> {
    const status = nodeStateStatus(s);
    if (JSON.stringify(status) === JSON.stringify(this.lastStatus)) return;
    const base = { apiVersion: FRRK8S_V1BETA1, kind: 'FRRNodeState', metadata: { name: this.opts.node } };
    await applyObject(this.client, base, this.fieldManager);
    await applyObject(this.client, { ...base, status } as KubeObject, this.fieldManager, { subresource: 'status' });
    this.lastStatus = status;
  }

  /** Reads sessions back into BGPSessionState objects; re-applies when FRR no longer runs what we applied. */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      if (this.applied) {
        const running = await this.opts.backend.runningConfig().catch(() => undefined);
        if (running !== undefined && running !== this.applied.running) {
          this.log.warn('FRR runs a different configuration than the one applied (restart?); applying again');
          this.forceApply = true;
          this.controller.enqueue(this.opts.node);
        }
      }
      const sessions = await this.opts.backend.sessions().catch((e: unknown) => {
        this.log.debug('cannot read BGP sessions', { error: (e as Error).message });
        return undefined;
      });
      if (sessions) await this.syncSessionStates(sessions);
    } catch (e) {
      this.log.warn('status poll failed', { error: (e as Error).message });
    } finally {
      this.polling = false;
    }
  }

  async syncSessionStates(sessions: FRRSession[]): Promise<void> {
    const ns = this.opts.namespace;
    const plan = planSessionStates(this.opts.node, sessions, this.sessionStates.list(ns));
    const plural = 'bgpsessionstates';
    for (const c of plan.create) {
      const created = await this.client.create<KubeObject>(collectionPath(FRRK8S_V1BETA1, plural, ns), bgpSessionStateObject(this.opts.node, ns, c.labels));
      await this.client.mergePatch(objectPath(FRRK8S_V1BETA1, plural, ns, created.metadata.name!, 'status'), { status: c.status });
    }
    for (const u of plan.update) await this.client.mergePatch(objectPath(FRRK8S_V1BETA1, plural, ns, u.name, 'status'), { status: u.status });
    for (const name of plan.delete) await this.client.delete(objectPath(FRRK8S_V1BETA1, plural, ns, name)).catch(() => undefined);
  }
}

function firstLines(text: string, n = 5): string {
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, n).join('\n');
}

/** frr-k8s's controller metrics, and the BGP/BFD metrics read from FRR at scrape time. */
export function agentMetrics(registry: Registry, backend: FRRBackend, prefix: FRRMetricsPrefix = 'frrk8s') {
  const existing = registry.getSingleMetric('frrk8s_k8s_client_updates_total');
  if (existing) registry.removeSingleMetric('frrk8s_k8s_client_updates_total');
  for (const n of ['frrk8s_k8s_client_update_errors_total', 'frrk8s_k8s_client_config_loaded_bool', 'frrk8s_k8s_client_config_stale_bool'])
    if (registry.getSingleMetric(n)) registry.removeSingleMetric(n);
  const m = {
    updates: new Counter({ name: 'frrk8s_k8s_client_updates_total', help: 'Number of k8s object updates that have been processed.', registers: [registry] }),
    errors: new Counter({ name: 'frrk8s_k8s_client_update_errors_total', help: 'Number of k8s object updates that failed for some reason.', registers: [registry] }),
    loaded: new Gauge({ name: 'frrk8s_k8s_client_config_loaded_bool', help: '1 if the frr-k8s configuration was loaded at least once.', registers: [registry] }),
    stale: new Gauge({ name: 'frrk8s_k8s_client_config_stale_bool', help: '1 if running on a stale configuration, because the latest config failed to load.', registers: [registry] }),
  };
  m.loaded.set(0);
  m.stale.set(0);
  registerFRRMetrics(registry, backend, prefix);
  return m;
}

/** names: [frr-k8s name, upstream MetalLB frr-metrics name (none: not exported under that prefix)] */
type SessionMetric = { names: [string, string?]; help: string; type: 'gauge' | 'counter'; value: (s: FRRSession) => number | undefined };
type BFDMetric = { names: [string, string?]; help: string; type: 'gauge' | 'counter'; value: (p: FRRBFDPeer) => number | undefined };

const SESSION_METRICS: SessionMetric[] = [
  { names: ['frrk8s_bgp_session_up', 'metallb_bgp_session_up'], help: 'BGP session state (1 is up, 0 is down)', type: 'gauge', value: (s) => (s.bgpState === 'Established' ? 1 : 0) },
  { names: ['frrk8s_bgp_announced_prefixes_total', 'metallb_bgp_announced_prefixes_total'], help: 'Number of prefixes currently being advertised on the BGP session', type: 'gauge', value: (s) => s.sentPrefixes },
  { names: ['frrk8s_bgp_received_prefixes_total'], help: 'Number of prefixes currently being received on the BGP session', type: 'gauge', value: (s) => s.acceptedPrefixes },
  { names: ['frrk8s_bgp_opens_sent', 'metallb_bgp_opens_sent'], help: 'Number of BGP open messages sent', type: 'counter', value: (s) => s.messageStats?.opensSent },
  { names: ['frrk8s_bgp_opens_received', 'metallb_bgp_opens_received'], help: 'Number of BGP open messages received', type: 'counter', value: (s) => s.messageStats?.opensRecv },
  { names: ['frrk8s_bgp_notifications_sent', 'metallb_bgp_notifications_sent'], help: 'Number of BGP notification messages sent', type: 'counter', value: (s) => s.messageStats?.notificationsSent },
  { names: ['frrk8s_bgp_updates_total', 'metallb_bgp_updates_total'], help: 'Number of BGP UPDATE messages sent', type: 'counter', value: (s) => s.messageStats?.updatesSent },
  { names: ['frrk8s_bgp_updates_total_received', 'metallb_bgp_updates_total_received'], help: 'Number of BGP UPDATE messages received', type: 'counter', value: (s) => s.messageStats?.updatesRecv },
  { names: ['frrk8s_bgp_keepalives_sent', 'metallb_bgp_keepalives_sent'], help: 'Number of BGP keepalive messages sent', type: 'counter', value: (s) => s.messageStats?.keepalivesSent },
  { names: ['frrk8s_bgp_keepalives_received', 'metallb_bgp_keepalives_received'], help: 'Number of BGP keepalive messages received', type: 'counter', value: (s) => s.messageStats?.keepalivesRecv },
  { names: ['frrk8s_bgp_route_refresh_sent', 'metallb_bgp_route_refresh_sent'], help: 'Number of BGP route refresh messages sent', type: 'counter', value: (s) => s.messageStats?.routeRefreshSent },
  { names: ['frrk8s_bgp_total_sent', 'metallb_bgp_total_sent'], help: 'Number of total BGP messages sent', type: 'counter', value: (s) => s.messageStats?.totalSent },
  { names: ['frrk8s_bgp_total_received', 'metallb_bgp_total_received'], help: 'Number of total BGP messages received', type: 'counter', value: (s) => s.messageStats?.totalRecv },
];

const BFD_METRICS: BFDMetric[] = [
  { names: ['frrk8s_bfd_session_up', 'metallb_bfd_session_up'], help: 'BFD session state (1 is up, 0 is down)', type: 'gauge', value: (p) => (p.status.toLowerCase() === 'up' ? 1 : 0) },
  { names: ['frrk8s_bfd_control_packet_input', 'metallb_bfd_control_packet_input'], help: 'Number of received BFD control packets', type: 'counter', value: (p) => p.controlPacketInput },
  { names: ['frrk8s_bfd_control_packet_output', 'metallb_bfd_control_packet_output'], help: 'Number of sent BFD control packets', type: 'counter', value: (p) => p.controlPacketOutput },
  { names: ['frrk8s_bfd_echo_packet_input', 'metallb_bfd_echo_packet_input'], help: 'Number of received BFD echo packets', type: 'counter', value: (p) => p.echoPacketInput },
  { names: ['frrk8s_bfd_echo_packet_output', 'metallb_bfd_echo_packet_output'], help: 'Number of sent BFD echo packets', type: 'counter', value: (p) => p.echoPacketOutput },
  { names: ['frrk8s_bfd_session_up_events', 'metallb_bfd_session_up_events'], help: 'Number of BFD session up events', type: 'counter', value: (p) => p.sessionUpEvents },
  { names: ['frrk8s_bfd_session_down_events', 'metallb_bfd_session_down_events'], help: 'Number of BFD session down events', type: 'counter', value: (p) => p.sessionDownEvents },
  { names: ['frrk8s_bfd_zebra_notifications', 'metallb_bfd_zebra_notifications'], help: 'Number of BFD zebra notifications', type: 'counter', value: (p) => p.zebraNotifications },
];

/** Metrics collected from FRR at scrape time (labels peer and vrf, like frr-k8s's frr-metrics). */
function registerFRRMetrics(registry: Registry, backend: FRRBackend, prefix: FRRMetricsPrefix): void {
  // one vtysh round trip per scrape for all session metrics (and one for BFD)
  let sessions: Promise<FRRSession[]> | undefined;
  let bfd: Promise<FRRBFDPeer[]> | undefined;
  const readSessions = (): Promise<FRRSession[]> => (sessions ??= backend.sessions().catch(() => []).finally(() => setTimeout(() => (sessions = undefined), 0)));
  const readBFD = (): Promise<FRRBFDPeer[]> => (bfd ??= backend.bfdPeers().catch(() => []).finally(() => setTimeout(() => (bfd = undefined), 0)));
  const define = <X extends { peer: string; vrf: string }>(def: { names: [string, string?]; help: string; type: 'gauge' | 'counter'; value: (x: X) => number | undefined }, read: () => Promise<X[]>) => {
    const name = prefix === 'frrk8s' ? def.names[0] : def.names[1];
    if (name === undefined) return;
    if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
    const opts = {
      name,
      help: def.help,
      labelNames: ['peer', 'vrf'] as const,
      registers: [registry],
      async collect(this: Gauge<'peer' | 'vrf'> | Counter<'peer' | 'vrf'>) {
        this.reset();
        for (const x of await read()) {
          const v = def.value(x);
          if (v === undefined) continue;
          if (this instanceof Gauge) this.set({ peer: x.peer, vrf: x.vrf }, v);
          else this.inc({ peer: x.peer, vrf: x.vrf }, v);
        }
      },
    };
    if (def.type === 'gauge') new Gauge(opts);
    else new Counter(opts);
  };
  for (const d of SESSION_METRICS) define(d, readSessions);
  for (const d of BFD_METRICS) define(d, readBFD);
}

export function frrAgentNodeStateRef(node: string): KubeObject {
  return { apiVersion: FRRK8S_V1BETA1, kind: 'FRRNodeState', metadata: { name: node } };
}
