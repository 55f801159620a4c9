// The MetalLB BGP speaker in frr-k8s mode, one per node: Services, EndpointSlices, Nodes and the MetalLB
// configuration become the FRRConfiguration `metallb-<node>` (written with server-side apply, only when it
// changes), one ServiceBGPStatus per advertised service, `nodeAssigned` events and the
// metallb_speaker_announced metric. A configuration that does not parse is not used: the last good one
// stays (metallb_k8s_client_config_stale_bool=1, ConfigurationState `speaker-<node>` Invalid).
//
// Every event maps to one workqueue key (the node), so bursts coalesce.
//
// L2 (MetalLB spec §4.2): the speaker holds its membership Lease `metallb-speaker-<node>`
// (speaker-membership.ts); the nodes with a live Lease are the election candidates. The winner of a service
// announces its IPs through the optional L2Responder, with a handoff through ServiceL2Status so that two
// nodes never answer for an IP at once:
//   * the winner announces only when no OTHER node with a live Lease holds a ServiceL2Status for the
//     service; it creates its ServiceL2Status before putting the IP on the wire;
//   * a node that stops announcing calls responder.set() without the IP first, then deletes its status;
//   * statuses of nodes whose Lease is dead are ignored, and deleted by the new owner.
// The reconcile is requeued when the earliest live Lease expires (expiry has no watch event).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KubeObject, Node, OwnerReference, Secret } from '../api/meta.js';
import type { FRRConfiguration } from '../api/frrk8s.js';
import type { ServiceBGPStatus, ServiceL2Status } from '../api/metallb.js';
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
import { collectionPath, isNotFound, objectPath, type KubeClient } from '../runtime/client.js';
import type { Informer } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import type { Controller } from '../runtime/controller.js';
import type { Logger } from '../util/log.js';
import { selectorMatches, type LabelSelector } from '../util/selector.js';
import { frrConfigurationName, speakerState, type ServiceBGPStatusDesired, type SpeakerState } from '../speaker/frrk8s.js';
import { l2AnnouncementsOf, l2DecisionsForNode, type L2Decision } from '../speaker/l2.js';
import type { EndpointSliceObject, ServiceObject } from '../speaker/types.js';
import type { L2Announcement, L2Counters, L2Responder } from '../l2/types.js';
import { realClock, type Clock } from '../runtime/clock.js';
import type { Lease } from '../runtime/leader.js';
import { LABEL_SPEAKER_MEMBERSHIP, LEASES, leaseLive, liveSpeakers, SpeakerMembership } from './speaker-membership.js';

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
  /** owner of ServiceBGPStatus, ServiceL2Status and ConfigurationState objects (upstream: the speaker pod) */
  owner?: OwnerReference;
  /** puts the L2 decisions on the wire (ARP/NDP); absent = decisions and ServiceL2Status only */
  l2Responder?: L2Responder;
  /** the membership Lease: renewal period (ms, default 300) and leaseDurationSeconds (default 1) */
  membership?: { renewMs?: number; leaseDurationSeconds?: number };
  clock?: Clock;
}

/** One service this node announces in L2 (for tests, the lab and diagnostics). */
export interface L2ServiceAnnouncement {
  service: string;
  ips: string[];
  /** [] = every interface */
  interfaces: string[];
}

const SERVICE_BGP_STATUS = { apiVersion: METALLB_V1BETA1, kind: 'ServiceBGPStatus', plural: 'servicebgpstatuses', namespaced: true } as const;
const SERVICES = { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true } as const;
const ENDPOINT_SLICES = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true } as const;
export const SERVICE_L2_STATUS = { apiVersion: METALLB_V1BETA1, kind: 'ServiceL2Status', plural: 'servicel2statuses', namespaced: true } as const;
/** how long after the earliest live Lease expires the election is re-run */
const EXPIRY_SLACK_MS = 10;
/** how long a created ServiceL2Status is trusted to exist before the informer cache shows it */
const PENDING_STATUS_MS = 5_000;

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
    l2ads: Informer<KubeObject>;
    l2statuses: Informer<ServiceL2Status>;
    leases: Informer<Lease & KubeObject>;
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
  /** the latest L2 decisions (every layer2 service, this node's view) */
  l2Decisions: L2Decision[] = [];
  /** the nodes with a live speaker Lease at the latest reconcile */
  liveNodes: string[] = [];
  readonly membership: SpeakerMembership;
  private readonly clock: Clock;
  /** what the responder was last given */
  private l2Wire: L2Announcement[] = [];
  private l2Services: L2ServiceAnnouncement[] = [];
  /** service key -> announced IPs in L2 (for nodeAssigned events) */
  private l2EventSent = new Map<string, string>();
  /** ServiceL2Status objects created but maybe not in the cache yet: service key -> name */
  private l2Created = new Map<string, { name: string; at: number }>();
  private crashed = false;
  private stopped = false;

  constructor(
    private readonly mgr: Manager,
    private readonly client: KubeClient,
    private readonly opts: SpeakerOptions,
  ) {
    this.log = mgr.log.child({ controller: 'speaker', node: opts.node });
    this.fieldManager = opts.fieldManager ?? 'metallb-speaker';
    this.frrNamespace = opts.frrk8sNamespace || opts.namespace;
    this.metrics = speakerMetrics(mgr.registry);
    this.clock = opts.clock ?? realClock;
    this.membership = new SpeakerMembership(client, {
      node: opts.node,
      namespace: opts.namespace,
      renewMs: opts.membership?.renewMs,
      leaseDurationSeconds: opts.membership?.leaseDurationSeconds,
      clock: this.clock,
      log: this.log,
    });
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
      l2ads: mgr.informer(KINDS.L2Advertisement, { namespace: ns }),
      l2statuses: mgr.informer<ServiceL2Status>(SERVICE_L2_STATUS, { namespace: ns }),
      leases: mgr.informer<Lease & KubeObject>(LEASES, { namespace: ns, labelSelector: `${LABEL_SPEAKER_MEMBERSHIP}=true` }),
    };
    const key = () => opts.node;
    const c = mgr.controller({ name: 'speaker', reconcile: () => this.reconcile(), needLeaderElection: false });
    for (const i of [this.inf.services, this.inf.slices, this.inf.peers, this.inf.ads, this.inf.pools, this.inf.communities, this.inf.bfd, this.inf.secrets, this.inf.frr, this.inf.statuses, this.inf.l2ads, this.inf.l2statuses])
      c.watch(i as Informer<KubeObject>, { map: key });
    c.watch(this.inf.nodes, { map: key, updateFilter: (a, b) => nodeSignature(a) !== nodeSignature(b) });
    // a renewal of a live Lease changes nothing; creation, deletion and a dead Lease coming back do
    c.watch(this.inf.leases, {
      map: key,
      updateFilter: (a, b) => {
        const now = this.clock.now();
        return leaseLive(a, now) !== leaseLive(b, now) || a.spec?.leaseDurationSeconds !== b.spec?.leaseDurationSeconds;
      },
    });
    this.controller = c;
    mgr.addReadyCheck('speaker-config-loaded', () => this.config !== undefined || 'no valid configuration loaded yet');
    mgr.onShutdown(() => this.shutdown());
  }

  /** The L2 counters the responder feeds (metallb_layer2_* in this speaker's registry). */
  get l2Counters(): L2Counters {
    return l2CountersFor(this.mgr.registry);
  }

  /** What this node currently puts on the wire in L2 (the responder's last set). */
  l2Announced(): L2Announcement[] {
    return this.l2Wire.map((a) => ({ ip: a.ip, interfaces: [...a.interfaces] }));
  }

  /** The services this node currently announces in L2. */
  l2AnnouncedServices(): L2ServiceAnnouncement[] {
    return this.l2Services.map((a) => ({ ...a, ips: [...a.ips], interfaces: [...a.interfaces] }));
  }

  /**
   * Graceful stop (run by Manager.stop after the reconciles drained): stop answering, delete this node's
   * ServiceL2Status objects, then release the membership Lease so the others re-elect at once.
   */
  private async shutdown(): Promise<void> {
    if (this.crashed || this.stopped) return;
    this.stopped = true;
    this.setWire([]);
    this.l2Services = [];
    for (const o of this.ownL2Statuses()) await this.deleteL2Status(o.metadata.name!);
    await this.membership.stop(true);
  }

  /**
   * Simulates the speaker being killed (tests, the lab): stops renewing the Lease and every controller
   * without any cleanup; the responder goes down with the process (close(), nothing withdrawn first). The
   * Lease and the ServiceL2Status objects stay behind; the other speakers take over when the Lease expires.
   */
  async crash(): Promise<void> {
    this.crashed = true;
    this.membership.crash();
    const closing = this.opts.l2Responder?.close();
    await this.mgr.stop();
    await closing;
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
    // every L2Advertisement: each speaker must compute the same candidate set (§4.2)
    r.l2Advertisements = this.inf.l2ads.list(ns) as ClusterResources['l2Advertisements'];
    r.communities = this.inf.communities.list(ns) as ClusterResources['communities'];
    r.bfdProfiles = this.inf.bfd.list(ns) as ClusterResources['bfdProfiles'];
    r.secrets = this.inf.secrets.list(ns);
    r.nodes = this.inf.nodes.list();
    return r;
  }

  async reconcile(): Promise<{ requeueAfter?: number } | void> {
    if (this.crashed || this.stopped) return;
    this.metrics.updates.inc();
    try {
      const r = await this.reconcileInner();
      this.completed++;
      return r;
    } catch (e) {
      this.metrics.errors.inc();
      throw e;
    }
  }

  private async reconcileInner(): Promise<{ requeueAfter?: number } | void> {
    const parsed = parseConfig(this.resources(), {
      backend: 'frr-k8s',
      namespace: this.opts.namespace,
      // frr-k8s in the MetalLB namespace reads the Secret itself: passthrough, nothing to resolve here
      frrk8sSecretPassthrough: this.passthrough(),
    });
    if (parsed.config) {
      this.config = parsed.config;
      // an L2 candidate only once it can take decisions (a speaker that never loaded a configuration is not)
      this.membership.start();
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
    const requeueAfter = await this.reconcileL2(this.config);
    this.updateAnnounced(st);
    return requeueAfter === undefined ? undefined : { requeueAfter };
  }

  private ownL2Statuses(): ServiceL2Status[] {
    return this.inf.l2statuses.list(this.opts.namespace).filter((o) => o.metadata.labels?.[LABEL_METALLB_NODE] === this.opts.node);
  }

  private setWire(wire: L2Announcement[]): void {
    if (JSON.stringify(wire) === JSON.stringify(this.l2Wire)) return;
    this.opts.l2Responder?.set(wire.map((a) => ({ ip: a.ip, interfaces: [...a.interfaces] })));
    this.l2Wire = wire;
    this.log.info('layer2 announcements', { ips: wire.map((a) => a.ip) });
  }

  private async deleteL2Status(name: string): Promise<void> {
    await this.client.delete(objectPath(METALLB_V1BETA1, SERVICE_L2_STATUS.plural, this.opts.namespace, name)).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
    for (const [k, c] of this.l2Created) if (c.name === name) this.l2Created.delete(k);
  }

  /** The L2 election and handoff; returns when to run again (the earliest live Lease expiry), if needed. */
  private async reconcileL2(config: Config): Promise<number | undefined> {
    const ns = this.opts.namespace;
    const me = this.opts.node;
    const now = this.clock.now();
    const { nodes: live, nextExpiry } = liveSpeakers(this.inf.leases.list(ns), now);
    this.liveNodes = live;
    const liveSet = new Set(live);
    const decisions = l2DecisionsForNode(me, config, this.inf.services.list(), this.inf.slices.list(), this.inf.nodes.list(), live, {
      lbClass: this.opts.lbClass,
      ignoreExcludeLB: this.opts.ignoreExcludeLB,
    });
    this.l2Decisions = decisions;
    const all = this.inf.l2statuses.list(ns);
    const svcOf = (o: ServiceL2Status) => `${o.metadata.labels?.[LABEL_METALLB_SERVICE_NAMESPACE] ?? ''}/${o.metadata.labels?.[LABEL_METALLB_SERVICE_NAME] ?? ''}`;
    const nodeOf = (o: ServiceL2Status) => o.metadata.labels?.[LABEL_METALLB_NODE] ?? o.status?.node ?? '';
    // forget created objects once the cache has them
    // (or after a while: an object deleted before the cache saw it must be created again)
    for (const [k, c] of this.l2Created) if (all.some((o) => o.metadata.name === c.name) || now - c.at > PENDING_STATUS_MS) this.l2Created.delete(k);

    const desired: L2Decision[] = [];
    for (const d of decisions) {
      if (d.reason !== '') continue;
      const holder = all.find((o) => svcOf(o) === d.service && nodeOf(o) !== me && liveSet.has(nodeOf(o)));
      if (holder) {
        this.log.debug('layer2 winner waiting for the previous owner to let go', { service: d.service, holder: nodeOf(holder) });
        continue;
      }
      desired.push(d);
    }

    // 1. a ServiceL2Status for every service about to be announced, before it goes on the wire
    const own = this.ownL2Statuses();
    const kept = new Set<string>();
    for (const d of desired) {
      if (this.crashed) return undefined;
      const slash = d.service.indexOf('/');
      const status = {
        node: me,
        serviceName: d.service.slice(slash + 1),
        serviceNamespace: d.service.slice(0, slash),
        ...(d.interfaces.length > 0 ? { interfaces: d.interfaces.map((name) => ({ name })) } : {}),
      };
      const existing = own.find((o) => svcOf(o) === d.service);
      if (existing) {
        kept.add(existing.metadata.name!);
        const cur = existing.status ?? {};
        if (cur.node !== status.node || cur.serviceName !== status.serviceName || cur.serviceNamespace !== status.serviceNamespace || JSON.stringify(cur.interfaces ?? []) !== JSON.stringify(status.interfaces ?? []))
          await this.client.mergePatch(objectPath(METALLB_V1BETA1, SERVICE_L2_STATUS.plural, ns, existing.metadata.name!, 'status'), {
            status: { ...status, interfaces: status.interfaces ?? null },
          });
        continue;
      }
      const pending = this.l2Created.get(d.service);
      if (pending) {
        kept.add(pending.name);
        continue;
      }
      const created = await this.client.create<KubeObject>(collectionPath(METALLB_V1BETA1, SERVICE_L2_STATUS.plural, ns), {
        apiVersion: METALLB_V1BETA1,
        kind: 'ServiceL2Status',
        metadata: {
          generateName: 'l2-',
          namespace: ns,
          ...(this.opts.owner ? { ownerReferences: [this.opts.owner] } : {}),
          labels: { [LABEL_METALLB_NODE]: me, [LABEL_METALLB_SERVICE_NAME]: status.serviceName, [LABEL_METALLB_SERVICE_NAMESPACE]: status.serviceNamespace },
        },
      });
      this.l2Created.set(d.service, { name: created.metadata.name!, at: now });
      kept.add(created.metadata.name!);
      await this.client.mergePatch(objectPath(METALLB_V1BETA1, SERVICE_L2_STATUS.plural, ns, created.metadata.name!, 'status'), { status });
    }
    if (this.crashed || this.stopped) return undefined;

    // 2. the responder: new IPs start, withdrawn ones stop (before their statuses go)
    this.setWire(l2AnnouncementsOf(desired));
    this.l2Services = desired.map((d) => ({ service: d.service, ips: [...d.ips], interfaces: [...d.interfaces] }));

    // 3. this node's statuses of services it no longer announces (and duplicates)
    for (const o of own) if (!kept.has(o.metadata.name!)) await this.deleteL2Status(o.metadata.name!);
    for (const [k, c] of [...this.l2Created]) if (!kept.has(c.name)) {
      await this.deleteL2Status(c.name);
      this.l2Created.delete(k);
    }
    // 4. the new owner removes statuses of dead speakers for the services it now announces; statuses of dead
    //    speakers for services that no longer exist are removed by any speaker
    const mine = new Set(desired.map((d) => d.service));
    const exists = (k: string) => this.inf.services.get(k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)) !== undefined;
    for (const o of all) {
      const n = nodeOf(o);
      if (n !== me && !liveSet.has(n) && (mine.has(svcOf(o)) || !exists(svcOf(o)))) await this.deleteL2Status(o.metadata.name!);
    }

    // nodeAssigned events
    const now2 = new Map<string, string>();
    for (const d of desired) {
      now2.set(d.service, d.ips.join(','));
      if (this.l2EventSent.get(d.service) !== now2.get(d.service)) {
        const slash = d.service.indexOf('/');
        const svc = this.inf.services.get(d.service.slice(0, slash), d.service.slice(slash + 1));
        if (svc) this.mgr.events.event(svc, 'Normal', 'nodeAssigned', `announcing from node "${me}" with protocol "layer2"`);
      }
    }
    for (const [k] of this.l2EventSent)
      if (!now2.has(k)) this.log.info('layer2 service withdrawn', { service: k, reason: decisions.find((d) => d.service === k)?.reason || 'serviceDeleted' });
    this.l2EventSent = now2;

    const usesL2 = [...config.pools.values()].some((p) => p.l2Advertisements.length > 0);
    if (!usesL2 || nextExpiry === undefined) return undefined;
    return Math.max(1, nextExpiry - now + EXPIRY_SLACK_MS);
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
    for (const a of this.l2Services) for (const ip of a.ips) g.set({ service: a.service, protocol: 'layer2', node: this.opts.node, ip }, 1);
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

const L2_COUNTERS = [
  ['metallb_layer2_requests_received', 'Number of layer2 requests received for owned IPs'],
  ['metallb_layer2_responses_sent', 'Number of layer2 responses sent for owned IPs'],
  ['metallb_layer2_gratuitous_sent', 'Number of gratuitous layer2 packets sent for owned IPs'],
] as const;

/**
 * The L2Counters a responder feeds: metallb_layer2_requests_received / responses_sent / gratuitous_sent
 * (label ip) in `registry`. Registers them once; later calls return counters bound to the same metrics.
 */
export function l2CountersFor(registry: Registry): L2Counters {
  const [req, resp, grat] = L2_COUNTERS.map(([name, help]) => {
    const existing = registry.getSingleMetric(name);
    return (existing as Counter<'ip'> | undefined) ?? new Counter({ name, help, labelNames: ['ip'] as const, registers: [registry] });
  }) as [Counter<'ip'>, Counter<'ip'>, Counter<'ip'>];
  return {
    request: (ip) => req.inc({ ip }),
    response: (ip) => resp.inc({ ip }),
    gratuitous: (ip) => grat.inc({ ip }),
  };
}
