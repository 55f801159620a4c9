// The MetalLB BGP speaker in frr-k8s mode, one per node: Services, EndpointSlices, Nodes and the MetalLB
// configuration become the FRRConfiguration `metallb-<node>` (written with server-side apply, only when it
// changes), one ServiceBGPStatus per advertised service, `nodeAssigned` events and the
// metallb_speaker_announced metric. A configuration that does not parse is not used: the last good one
// stays (metallb_k8s_client_config_stale_bool=1, ConfigurationState `speaker-<node>` Invalid).
//
// Every event maps to one workqueue key (the node), so bursts coalesce.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KubeObject, Node, OwnerReference, Secret } from '../api/meta.js';
import type { FRRConfiguration } from '../api/frrk8s.js';
import type { ServiceBGPStatus } from '../api/metallb.js';
import {
  LABEL_HOSTNAME,
  LABEL_METALLB_NODE,
  LABEL_METALLB_SERVICE_NAME,
  LABEL_METALLB_SERVICE_NAMESPACE,
  METALLB_V1BETA1,
} from '../api/constants.js';
import { KINDS } from '../config/kinds.js';
import { parseConfig, type Config } from '../config/metallb/parse.js';
import { emptyResources, type ClusterResources } from '../config/metallb/types.js';
import { applyObject } from '../runtime/apply.js';
import { collectionPath, objectPath, type KubeClient } from '../runtime/client.js';
import type { Informer } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import type { Controller } from '../runtime/controller.js';
import type { Logger } from '../util/log.js';
import { selectorMatches, type LabelSelector } from '../util/selector.js';
import { frrConfigurationName, speakerState, type ServiceBGPStatusDesired, type SpeakerState } from '../speaker/frrk8s.js';
import type { EndpointSliceObject, ServiceObject } from '../speaker/types.js';

export interface SpeakerOptions {
  node: string;
  /** the MetalLB namespace (configuration objects, Secrets, ServiceBGPStatus, ConfigurationState) */
  namespace: string;
  /** where `metallb-<node>` is written (default: the MetalLB namespace) */
  frrk8sNamespace?: string;
  lbClass?: string;
  ignoreExcludeLB?: boolean;
  secretPassthrough?: boolean;
  fieldManager?: string;
  /** owner of ServiceBGPStatus and ConfigurationState objects (upstream: the speaker pod) */
  owner?: OwnerReference;
}

const SERVICE_BGP_STATUS = { apiVersion: METALLB_V1BETA1, kind: 'ServiceBGPStatus', plural: 'servicebgpstatuses', namespaced: true } as const;
const SERVICES = { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true } as const;
const ENDPOINT_SLICES = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true } as const;

/** Does a raw BGPPeer / BGPAdvertisement select the node (empty nodeSelectors = every node)? */
function rawSelectsNode(obj: KubeObject, labels: Record<string, string>): boolean {
  const sels = (obj as { spec?: { nodeSelectors?: LabelSelector[] } }).spec?.nodeSelectors ?? [];
  return sels.length === 0 || sels.some((s) => selectorMatches(s, labels));
}

function nodeSignature(n: Node): string {
  const unavailable = (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True');
  return JSON.stringify([n.metadata.labels ?? {}, unavailable]);
}

export class Speaker {
  readonly controller: Controller;
  private readonly inf: {
    services: Informer<ServiceObject>;
    slices: Informer<EndpointSliceObject>;
    nodes: Informer<Node>;
    peers: Informer<KubeObject>;
    ads: Informer<KubeObject>;
    pools: Informer<KubeObject>;
    communities: Informer<KubeObject>;
    bfd: Informer<KubeObject>;
    secrets: Informer<Secret>;
    frr: Informer<FRRConfiguration>;
    statuses: Informer<ServiceBGPStatus>;
  };
  private readonly log: Logger;
  private readonly fieldManager: string;
  private readonly frrNamespace: string;
  private readonly metrics: ReturnType<typeof speakerMetrics>;
  private config: Config | undefined;
  private lastError: string | undefined | null = null;
  private applied: { spec: string; resourceVersion: string | undefined } | undefined;
  /** service key -> announced IPs (for nodeAssigned events) */
  private announced = new Map<string, string>();
  /** the latest state (for tests and diagnostics) */
  state: SpeakerState | undefined;
  /** reconciles finished without error (for tests) */
  completed = 0;

  constructor(
    private readonly mgr: Manager,
    private readonly client: KubeClient,
    private readonly opts: SpeakerOptions,
  ) {
    this.log = mgr.log.child({ controller: 'speaker', node: opts.node });
    this.fieldManager = opts.fieldManager ?? 'metallb-speaker';
    this.frrNamespace = opts.frrk8sNamespace || opts.namespace;
    this.metrics = speakerMetrics(mgr.registry);
    const ns = opts.namespace;
    this.inf = {
      services: mgr.informer<ServiceObject>(SERVICES),
      slices: mgr.informer<EndpointSliceObject>(ENDPOINT_SLICES),
      nodes: mgr.informer<Node>(KINDS.Node),
      peers: mgr.informer(KINDS.BGPPeer, { namespace: ns }),
      ads: mgr.informer(KINDS.BGPAdvertisement, { namespace: ns }),
      pools: mgr.informer(KINDS.IPAddressPool, { namespace: ns }),
      communities: mgr.informer(KINDS.Community, { namespace: ns }),
      bfd: mgr.informer(KINDS.BFDProfile, { namespace: ns }),
      secrets: mgr.informer<Secret>(KINDS.Secret, { namespace: ns }),
      frr: mgr.informer<FRRConfiguration>(KINDS.FRRConfiguration, {
        namespace: this.frrNamespace,
        fieldSelector: `metadata.name=${frrConfigurationName(opts.node)}`,
      }),
      statuses: mgr.informer<ServiceBGPStatus>(SERVICE_BGP_STATUS, { namespace: ns, labelSelector: `${LABEL_METALLB_NODE}=${opts.node}` }),
    };
    const key = () => opts.node;
    const c = mgr.controller({ name: 'speaker', reconcile: () => this.reconcile(), needLeaderElection: false });
    for (const i of [this.inf.services, this.inf.slices, this.inf.peers, this.inf.ads, this.inf.pools, this.inf.communities, this.inf.bfd, this.inf.secrets, this.inf.frr, this.inf.statuses])
      c.watch(i as Informer<KubeObject>, { map: key });
    c.watch(this.inf.nodes, { map: key, updateFilter: (a, b) => nodeSignature(a) !== nodeSignature(b) });
    this.controller = c;
    mgr.addReadyCheck('speaker-config-loaded', () => this.config !== undefined || 'no valid configuration loaded yet');
  }

  private passthrough(): boolean {
    return (this.opts.secretPassthrough ?? false) || this.frrNamespace === this.opts.namespace;
  }

  private nodeLabels(): Record<string, string> {
    return this.inf.nodes.get(undefined, this.opts.node)?.metadata.labels ?? { [LABEL_HOSTNAME]: this.opts.node };
  }

  /** The cluster resources the parser sees: peers and BGP ads pre-filtered to those selecting this node. */
  resources(): ClusterResources {
    const ns = this.opts.namespace;
    const labels = this.nodeLabels();
    const r = emptyResources();
    r.pools = this.inf.pools.list(ns) as ClusterResources['pools'];
    r.peers = this.inf.peers.list(ns).filter((p) => rawSelectsNode(p, labels)) as ClusterResources['peers'];
    r.bgpAdvertisements = this.inf.ads.list(ns).filter((a) => rawSelectsNode(a, labels)) as ClusterResources['bgpAdvertisements'];
    r.communities = this.inf.communities.list(ns) as ClusterResources['communities'];
    r.bfdProfiles = this.inf.bfd.list(ns) as ClusterResources['bfdProfiles'];
    r.secrets = this.inf.secrets.list(ns);
    r.nodes = this.inf.nodes.list();
    return r;
  }

  async reconcile(): Promise<void> {
    this.metrics.updates.inc();
    try {
      await this.reconcileInner();
      this.completed++;
    } catch (e) {
      this.metrics.errors.inc();
      throw e;
    }
  }

  private async reconcileInner(): Promise<void> {
    const parsed = parseConfig(this.resources(), {
      backend: 'frr-k8s',
      namespace: this.opts.namespace,
      // frr-k8s in the MetalLB namespace reads the Secret itself: passthrough, nothing to resolve here
      frrk8sSecretPassthrough: this.passthrough(),
    });
    if (parsed.config) {
      this.config = parsed.config;
      this.metrics.loaded.set(1);
      this.metrics.stale.set(0);
      await this.writeConfigurationState(undefined);
    } else {
      const msg = parsed.errors[0]?.message ?? 'invalid configuration';
      this.metrics.errors.inc();
      this.metrics.stale.set(1);
      this.log.warn('configuration rejected; the last good one stays in use', { error: msg });
      await this.writeConfigurationState(msg);
      if (!this.config) {
        // like upstream: no desired configuration yet, so an existing metallb-<node> (from a previous run) goes
        await this.deleteFRRConfiguration();
        return;
      }
    }
    const st = speakerState(this.opts.node, this.config, this.inf.services.list(), this.inf.slices.list(), this.inf.nodes.list(), {
      namespace: this.frrNamespace,
      secretPassthrough: this.passthrough(),
      lbClass: this.opts.lbClass,
      ignoreExcludeLB: this.opts.ignoreExcludeLB,
    });
    this.state = st;
    await this.writeFRRConfiguration(st.frrConfiguration);
    await this.syncStatuses(st.statuses);
    this.updateAnnounced(st);
  }

  private async writeFRRConfiguration(desired: FRRConfiguration): Promise<void> {
    const spec = JSON.stringify(desired.spec);
    const existing = this.inf.frr.get(this.frrNamespace, desired.metadata.name!);
    if (existing && this.applied?.spec === spec && existing.metadata.resourceVersion === this.applied.resourceVersion) return;
    if (existing && !this.applied && JSON.stringify(existing.spec) === spec) {
      this.applied = { spec, resourceVersion: existing.metadata.resourceVersion };
      return;
    }
    const out = await applyObject(this.client, desired, this.fieldManager);
    this.applied = { spec, resourceVersion: out.metadata.resourceVersion };
    this.log.info('FRRConfiguration applied', { name: desired.metadata.name, routers: desired.spec?.bgp?.routers?.length ?? 0 });
  }

  private async deleteFRRConfiguration(): Promise<void> {
    const name = frrConfigurationName(this.opts.node);
    if (!this.inf.frr.get(this.frrNamespace, name)) return;
    await this.client.delete(objectPath(KINDS.FRRConfiguration.apiVersion, KINDS.FRRConfiguration.plural, this.frrNamespace, name)).catch(() => undefined);
    this.applied = undefined;
    this.log.info('no valid configuration yet: FRRConfiguration deleted', { name });
  }

  private async syncStatuses(desired: ServiceBGPStatusDesired[]): Promise<void> {
    const ns = this.opts.namespace;
    const plural = SERVICE_BGP_STATUS.plural;
    const existing = this.inf.statuses.list(ns);
    const keyOf = (o: { serviceNamespace?: string; serviceName?: string }) => `${o.serviceNamespace}/${o.serviceName}`;
    const want = new Map(desired.map((d) => [keyOf(d), d]));
    const seen = new Set<string>();
    for (const o of existing) {
      const l = o.metadata.labels ?? {};
      const k = keyOf({ serviceNamespace: l[LABEL_METALLB_SERVICE_NAMESPACE], serviceName: l[LABEL_METALLB_SERVICE_NAME] });
      const d = want.get(k);
      if (!d || seen.has(k)) {
        await this.client.delete(objectPath(METALLB_V1BETA1, plural, ns, o.metadata.name!)).catch(() => undefined);
        continue;
      }
      seen.add(k);
      if (JSON.stringify(o.status?.peers ?? []) !== JSON.stringify(d.peers) || o.status?.node !== d.node)
        await this.client.mergePatch(objectPath(METALLB_V1BETA1, plural, ns, o.metadata.name!, 'status'), { status: statusOf(d) });
    }
    for (const [k, d] of want) {
      if (seen.has(k)) continue;
      const created = await this.client.create<KubeObject>(collectionPath(METALLB_V1BETA1, plural, ns), {
        apiVersion: METALLB_V1BETA1,
        kind: 'ServiceBGPStatus',
        metadata: {
          generateName: 'bgp-',
          namespace: ns,
          ...(this.opts.owner ? { ownerReferences: [this.opts.owner] } : {}),
          labels: { [LABEL_METALLB_NODE]: d.node, [LABEL_METALLB_SERVICE_NAME]: d.serviceName, [LABEL_METALLB_SERVICE_NAMESPACE]: d.serviceNamespace },
        },
      });
      await this.client.mergePatch(objectPath(METALLB_V1BETA1, plural, ns, created.metadata.name!, 'status'), { status: statusOf(d) });
    }
  }

  private updateAnnounced(st: SpeakerState): void {
    const g = this.metrics.announced;
    g.reset();
    const now = new Map<string, string>();
    for (const d of st.announcement.decisions) {
      if (d.reason !== '') continue;
      for (const ip of d.ips) g.set({ service: d.service, protocol: 'bgp', node: this.opts.node, ip }, 1);
      now.set(d.service, d.ips.join(','));
      if (this.announced.get(d.service) !== now.get(d.service)) {
        const slash = d.service.indexOf('/');
        const svc = this.inf.services.get(d.service.slice(0, slash), d.service.slice(slash + 1));
        if (svc) this.mgr.events.event(svc, 'Normal', 'nodeAssigned', `announcing from node "${this.opts.node}" with protocol "bgp"`);
      }
    }
    for (const [k] of this.announced) if (!now.has(k)) this.log.info('service withdrawn', { service: k, reason: st.announcement.decisions.find((d) => d.service === k)?.reason ?? 'serviceDeleted' });
    this.announced = now;
  }

  private async writeConfigurationState(error: string | undefined): Promise<void> {
    if (this.lastError === error) return;
    const name = `speaker-${this.opts.node}`;
    const ns = this.opts.namespace;
    const base: KubeObject = {
      apiVersion: METALLB_V1BETA1,
      kind: 'ConfigurationState',
      metadata: {
        name,
        namespace: ns,
        labels: { 'metallb.io/component-type': 'speaker', 'metallb.io/node-name': this.opts.node },
        ...(this.opts.owner ? { ownerReferences: [this.opts.owner] } : {}),
      },
    };
    const condition = {
      type: 'configReconcilerValid',
      status: error === undefined ? 'True' : 'False',
      reason: error === undefined ? 'Reconciled' : 'ConfigurationError',
      message: error === undefined ? '' : `configuration error: ${error}`,
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const status = {
      result: error === undefined ? 'Valid' : 'Invalid',
      errorSummary: condition.message,
      conditions: [condition],
    };
    try {
      await applyObject(this.client, base, this.fieldManager);
      await applyObject(this.client, { ...base, status } as KubeObject, this.fieldManager, { subresource: 'status' });
      this.lastError = error;
    } catch (e) {
      this.log.warn('cannot write ConfigurationState', { error: (e as Error).message });
    }
  }
}

function statusOf(d: ServiceBGPStatusDesired) {
  return { node: d.node, serviceName: d.serviceName, serviceNamespace: d.serviceNamespace, peers: d.peers };
}

/** MetalLB's k8s client metrics and metallb_speaker_announced. */
export function speakerMetrics(registry: Registry) {
  const names = [
    'metallb_k8s_client_updates_total',
    'metallb_k8s_client_update_errors_total',
    'metallb_k8s_client_config_loaded_bool',
    'metallb_k8s_client_config_stale_bool',
    'metallb_speaker_announced',
  ];
  for (const n of names) if (registry.getSingleMetric(n)) registry.removeSingleMetric(n);
  const m = {
    updates: new Counter({ name: 'metallb_k8s_client_updates_total', help: 'Number of k8s object updates that have been processed.', registers: [registry] }),
    errors: new Counter({ name: 'metallb_k8s_client_update_errors_total', help: 'Number of k8s object updates that failed for some reason.', registers: [registry] }),
    loaded: new Gauge({ name: 'metallb_k8s_client_config_loaded_bool', help: '1 if the MetalLB configuration was successfully loaded at least once.', registers: [registry] }),
    stale: new Gauge({ name: 'metallb_k8s_client_config_stale_bool', help: '1 if running on a stale configuration, because the latest config failed to load.', registers: [registry] }),
    announced: new Gauge({
      name: 'metallb_speaker_announced',
      help: 'Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.',
      labelNames: ['service', 'protocol', 'node', 'ip'] as const,
      registers: [registry],
    }),
  };
  m.loaded.set(0);
  m.stale.set(0);
  return m;
}
