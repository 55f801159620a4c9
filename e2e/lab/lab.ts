// The lab: a small cluster on one machine. The test API server (with metalfrr's CRDs and webhooks
// registered), network namespaces with a real FRR "router" (AS 64501, 10.0.0.1) and FRR "nodes"
// (AS 64500, 10.0.0.11, .12, ...) on one bridge, a "client" behind the router, and one frr agent per
// node, a speaker per node and the IPAM controller, all driven from this process; e2e/lab/workloads.ts
// stands in for kubelet: ClusterIPs, EndpointSlices and an HTTP server per Service IP on nodes with endpoints.
// L2 mode: each node's speaker drives an ARP/NDP responder running inside the node's namespace (one child
// process per node, operator/l2/child.ts), and "lanclient" (10.0.0.100) sits on the nodes' bridge.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Server } from 'node:https';
import type { KubeObject } from '../../operator/api/meta.js';
import { DEFAULT_FRRK8S_NAMESPACE, DEFAULT_METALLB_NAMESPACE } from '../../operator/api/constants.js';
import { FRRControl } from '../../operator/frr/vtysh.js';
import { FRRAgent } from '../../operator/controllers/frr-agent.js';
import { frrControlBackend } from '../../operator/controllers/frr-backend.js';
import { ServiceIPAM } from '../../operator/controllers/service-ipam.js';
import { Speaker } from '../../operator/controllers/speaker.js';
import { ChildResponder, RESPONDER_MAIN } from '../../operator/l2/child.js';
import { capMissing } from '../../operator/l2/cap.js';
import { Workloads } from './workloads.js';
import { KubeApiError, KubeClient, Manager, applyObject } from '../../operator/runtime/index.js';
import { createServingCertificates } from '../../operator/util/certs.js';
import type { Logger } from '../../operator/util/log.js';
import { objectRef } from '../../operator/util/manifests.js';
import { projectPath } from '../../operator/util/paths.js';
import { createWebhookServer } from '../../webhooks/server.js';
import { FRRK8S_WEBHOOK_PATH, METALLB_WEBHOOK_PATHS, webhookRoutes } from '../../webhooks/routes.js';
import { KubeObjectSource } from '../../webhooks/sources.js';
import { TestApiServer } from '../apiserver/index.js';
import { Topology, type FRRInstance } from '../topology/index.js';
import { freePort, PrometheusServer, type MetricsTarget } from './prometheus.js';

export const LAB_ROUTER_ASN = 64501;
export const LAB_NODE_ASN = 64500;
export const LAB_SUBNET = '10.0.0';
/** the host on the nodes' LAN that reaches L2 Service IPs directly */
export const LAB_LAN_CLIENT = 'lanclient';
export const LAB_LAN_CLIENT_IP = `${LAB_SUBNET}.100`;
/** the router's side of the TCP MD5 password of examples/bgp (Secret bgp-peer-password) */
export const LAB_PASSWORD = 'change-me-bgp-secret';

export interface LabOptions {
  stateDir: string;
  logger: Logger;
  /** API server port (default 0 = any) */
  apiPort?: number;
  nodes?: string[];
  /** also start a Prometheus scraping every role, with the alert rules loaded (port 0 or absent: any free one) */
  prometheus?: { port?: number };
}

export interface LabState {
  pid: number;
  apiUrl: string;
  kubeconfig: string;
  prefix: string;
  namespaces: Record<string, string>;
  /** vty socket directory of every FRR instance, by host */
  vtySockets: Record<string, string>;
  nodes: string[];
  /** the /metrics endpoint of every role the lab runs (`lab status` reads pools and sessions from them) */
  metrics: MetricsTarget[];
  /** the lab's Prometheus, when started with it */
  prometheus?: { url: string; pid: number };
  ready: boolean;
}

/** Fixed metrics ports of the lab's roles: a restarted role serves on the same one, so scrapes keep working. */
interface LabPorts {
  controller: number;
  agent: Record<string, number>;
  speaker: Record<string, number>;
}

interface LabNode {
  name: string;
  frr: FRRInstance;
  /** the node's frr agent */
  mgr: Manager;
  agent: FRRAgent;
  /** the node's speaker (its own Manager, like its own pod) and its L2 responder in the node's namespace */
  speakerMgr: Manager;
  speaker: Speaker;
  /** absent when libpcap / the cap module is missing (L2 decided, nothing answered) */
  responder?: ChildResponder;
  /** set by killSpeaker until startSpeaker: the speaker object is dead (its responder process is gone) */
  speakerKilled?: boolean;
}

const TUNING = { routeMapDelayTimer: 1, coalesceTime: 100 };

export class Lab {
  readonly api: TestApiServer;
  readonly client: KubeClient;
  readonly topo: Topology;
  readonly router: FRRInstance;
  nodes: LabNode[];
  private readonly webhook: Server;
  private controller: Manager;
  private readonly workloads: Workloads;
  private readonly ports: LabPorts;
  readonly prometheus: PrometheusServer | undefined;
  readonly state: LabState;

  private constructor(parts: { api: TestApiServer; client: KubeClient; topo: Topology; router: FRRInstance; nodes: LabNode[]; webhook: Server; controller: Manager; workloads: Workloads; ports: LabPorts; prometheus?: PrometheusServer; state: LabState }) {
    this.ports = parts.ports;
    this.prometheus = parts.prometheus;
    this.controller = parts.controller;
    this.workloads = parts.workloads;
    this.api = parts.api;
    this.client = parts.client;
    this.topo = parts.topo;
    this.router = parts.router;
    this.nodes = parts.nodes;
    this.webhook = parts.webhook;
    this.state = parts.state;
  }

  static routerConfig(nodeIPs: string[]): string {
    return [
      'bgp route-map delay-timer 1',
      `router bgp ${LAB_ROUTER_ASN}`,
      ' coalesce-time 100',
      ` bgp router-id ${LAB_SUBNET}.1`,
      ' no bgp ebgp-requires-policy',
      ...nodeIPs.flatMap((ip) => [` neighbor ${ip} remote-as ${LAB_NODE_ASN}`, ` neighbor ${ip} password ${LAB_PASSWORD}`, ` neighbor ${ip} bfd`]),
      ' address-family ipv4 unicast',
      '  maximum-paths 8',
      ' exit-address-family',
      '',
    ].join('\n');
  }

  static async start(opts: LabOptions): Promise<Lab> {
    const log = opts.logger;
    const nodeNames = opts.nodes ?? ['node1', 'node2'];
    mkdirSync(opts.stateDir, { recursive: true });
    const api = new TestApiServer({ crds: projectPath('crds') });
    await api.start(opts.apiPort ?? 0);
    const kubeconfig = join(opts.stateDir, 'kubeconfig');
    api.writeKubeconfig(kubeconfig);
    const client = new KubeClient(api.kubeConfig());
    let topo: Topology | undefined;
    let webhook: Server | undefined;
    let controller: Manager | undefined;
    let workloads: Workloads | undefined;
    let prometheus: PrometheusServer | undefined;
    const nodes: LabNode[] = [];
    const ports: LabPorts = { controller: await freePort(), agent: {}, speaker: {} };
    for (const n of nodeNames) {
      ports.agent[n] = await freePort();
      ports.speaker[n] = await freePort();
    }
    try {
      for (const ns of [DEFAULT_METALLB_NAMESPACE, DEFAULT_FRRK8S_NAMESPACE]) await applyObject(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, 'metalfrr-lab');

      // admission webhooks over HTTPS, registered like the install bundle does
      const certs = createServingCertificates({ dnsNames: ['localhost', 'metallb-webhook-service.metallb-system.svc'], ipAddresses: ['127.0.0.1'] });
      webhook = createWebhookServer({ cert: certs.cert, key: certs.key, logger: log.child({ role: 'webhook' }), registry: new Registry(), routes: webhookRoutes(new KubeObjectSource(client), { namespace: DEFAULT_METALLB_NAMESPACE, backend: 'frr-k8s' }) });
      await new Promise<void>((r) => webhook!.listen(0, '127.0.0.1', r));
      const port = (webhook.address() as AddressInfo).port;
      const caBundle = Buffer.from(certs.caCert).toString('base64');
      const hook = (name: string, path: string, group: string, version: string, resource: string, ops = ['CREATE', 'UPDATE']) => ({
        name,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle },
        rules: [{ apiGroups: [group], apiVersions: [version], operations: ops, resources: [resource] }],
      });
      await applyObject(client, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'metallb-webhook-configuration' },
        webhooks: [
          hook('ipaddresspoolvalidationwebhook.metallb.io', METALLB_WEBHOOK_PATHS.IPAddressPool, 'metallb.io', 'v1beta1', 'ipaddresspools'),
          hook('l2advertisementvalidationwebhook.metallb.io', METALLB_WEBHOOK_PATHS.L2Advertisement, 'metallb.io', 'v1beta1', 'l2advertisements'),
          hook('bgpadvertisementvalidationwebhook.metallb.io', METALLB_WEBHOOK_PATHS.BGPAdvertisement, 'metallb.io', 'v1beta1', 'bgpadvertisements'),
          hook('communityvalidationwebhook.metallb.io', METALLB_WEBHOOK_PATHS.Community, 'metallb.io', 'v1beta1', 'communities'),
          hook('bfdprofilevalidationwebhook.metallb.io', METALLB_WEBHOOK_PATHS.BFDProfile, 'metallb.io', 'v1beta1', 'bfdprofiles', ['CREATE', 'DELETE']),
          hook('bgppeervalidationwebhook.metallb.io', METALLB_WEBHOOK_PATHS.BGPPeer, 'metallb.io', 'v1beta2', 'bgppeers'),
        ],
      } as KubeObject, 'metalfrr-lab');
      await applyObject(client, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'frr-k8s-validating-webhook-configuration' },
        webhooks: [hook('frrconfigurationsvalidationwebhook.metallb.io', FRRK8S_WEBHOOK_PATH, 'frrk8s.metallb.io', 'v1beta1', 'frrconfigurations')],
      } as KubeObject, 'metalfrr-lab');

      // the network: router 10.0.0.1, nodes 10.0.0.11.., client behind the router
      topo = await Topology.create({ hosts: [] });
      await topo.addHost('router', { address: `${LAB_SUBNET}.1` });
      const nodeIPs = nodeNames.map((_, i) => `${LAB_SUBNET}.${11 + i}`);
      for (const [i, n] of nodeNames.entries()) await topo.addHost(n, { address: nodeIPs[i] });
      await topo.addHost('client', { lan: false });
      await topo.addHost(LAB_LAN_CLIENT, { address: LAB_LAN_CLIENT_IP });
      const link = await topo.addLink('router', 'client');
      await topo.setForwarding('router', true);
      await topo.addRoute('client', 'default', link.aIP);
      for (const n of nodeNames) await topo.addRoute(n, link.subnet, `${LAB_SUBNET}.1`);
      const router = await topo.startFRR('router', { config: Lab.routerConfig(nodeIPs) });

      for (const [i, name] of nodeNames.entries()) {
        await applyObject(client, {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
        }, 'metalfrr-lab');
        await client.mergePatch(`/api/v1/nodes/${name}/status`, { status: { addresses: [{ type: 'InternalIP', address: nodeIPs[i] }, { type: 'Hostname', address: name }] } }).catch(() => undefined);
        // like kube-proxy's strictARP: the kernel answers ARP only for addresses of the asking interface,
        // so Service IPs on lo are announced by the elected node's responder alone
        await topo.exec(name, ['sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2'], { check: true });
        const frr = await topo.startFRR(name);
        nodes.push({ name, frr, ...(await startNodeRoles(api, name, frr, log, ports.agent[name]!)), ...(await startSpeaker(api, topo, name, log, ports.speaker[name]!)) });
      }
      controller = await startController(api, log, ports.controller);
      workloads = new Workloads(new KubeClient(api.kubeConfig()), topo, nodeNames, log.child({ role: 'workloads' }));
      workloads.start();
      const metrics: MetricsTarget[] = [
        { job: 'controller', url: `http://127.0.0.1:${ports.controller}/metrics` },
        ...nodeNames.map((n) => ({ job: 'speaker', url: `http://127.0.0.1:${ports.speaker[n]}/metrics`, node: n })),
        ...nodeNames.map((n) => ({ job: 'frr-k8s', url: `http://127.0.0.1:${ports.agent[n]}/metrics`, node: n })),
        { job: 'webhook', url: `https://127.0.0.1:${port}/metrics` },
      ];
      const caFile = join(opts.stateDir, 'webhook-ca.pem');
      writeFileSync(caFile, certs.caCert);
      if (opts.prometheus) prometheus = await PrometheusServer.start({ dir: join(opts.stateDir, 'prometheus'), targets: metrics, caFile, ...(opts.prometheus.port ? { port: opts.prometheus.port } : {}) });
      const state: LabState = {
        pid: process.pid,
        apiUrl: api.url,
        kubeconfig,
        prefix: topo.prefix,
        namespaces: Object.fromEntries(['router', 'client', LAB_LAN_CLIENT, ...nodeNames].map((h) => [h, topo!.ns(h)])),
        vtySockets: Object.fromEntries([['router', router.runDir], ...nodes.map((n) => [n.name, n.frr.runDir])]),
        nodes: nodeNames,
        metrics,
        ...(prometheus ? { prometheus: { url: prometheus.url, pid: prometheus.pid } } : {}),
        ready: true,
      };
      writeFileSync(join(opts.stateDir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
      return new Lab({ api, client, topo, router, nodes, webhook, controller, workloads, ports, ...(prometheus ? { prometheus } : {}), state });
    } catch (e) {
      await prometheus?.stop();
      workloads?.stop();
      await controller?.stop();
      for (const n of nodes) {
        n.agent.stop();
        await n.mgr.stop();
        await n.speakerMgr.stop();
        await n.responder?.close();
      }
      webhook?.close();
      await topo?.destroy();
      await api.stop();
      throw e;
    }
  }

  /** Creates or updates each object through the API server (webhooks included); one result line each. */
  async apply(objects: KubeObject[]): Promise<string[]> {
    return applyAll(this.client, objects);
  }

  /** Restarts the IPAM controller and every node's speaker and frr agent (new processes' worth of state). */
  async restartRoles(log: Logger): Promise<void> {
    await this.controller.stop();
    this.controller = await startController(this.api, log, this.ports.controller);
    const restarted: LabNode[] = [];
    for (const n of this.nodes) {
      n.agent.stop();
      await n.mgr.stop();
      await n.speakerMgr.stop();
      await n.responder?.close();
      restarted.push({ name: n.name, frr: n.frr, ...(await startNodeRoles(this.api, n.name, n.frr, log, this.ports.agent[n.name]!)), ...(await startSpeaker(this.api, this.topo, n.name, log, this.ports.speaker[n.name]!)) });
    }
    this.nodes = restarted;
  }

  private node(name: string): LabNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  }

  /**
   * Kills a node's speaker as SIGKILL would: no cleanup, its membership Lease and ServiceL2Status stay
   * behind, its responder process is killed (it stops answering at once).
   */
  async killSpeaker(name: string): Promise<void> {
    const n = this.node(name);
    n.responder?.kill('SIGKILL');
    n.speakerKilled = true;
    await n.speaker.crash();
  }

  /** Stops a node's speaker gracefully, as SIGTERM does: it stops answering, deletes its statuses, releases its Lease. */
  async stopSpeaker(name: string): Promise<void> {
    const n = this.node(name);
    n.speakerKilled = true;
    await n.speakerMgr.stop();
    await n.responder?.close();
  }

  /** Starts a node's speaker again (after killSpeaker or stopSpeaker), with a new responder process. */
  async startSpeaker(name: string, log: Logger): Promise<void> {
    const n = this.node(name);
    Object.assign(n, await startSpeaker(this.api, this.topo, name, log, this.ports.speaker[name]!), { speakerKilled: false });
  }

  async stop(): Promise<void> {
    await this.prometheus?.stop();
    this.workloads.stop();
    await this.controller.stop();
    for (const n of this.nodes) {
      n.agent.stop();
      await n.mgr.stop();
      await n.speakerMgr.stop();
      await n.responder?.close();
    }
    this.webhook.close();
    await this.topo.destroy();
    await this.api.stop();
  }
}

async function startController(api: TestApiServer, log: Logger, metricsPort: number): Promise<Manager> {
  const controller = new Manager({ client: new KubeClient(api.kubeConfig()), name: 'controller', logger: log.child({ role: 'controller' }), healthPort: metricsPort, healthHost: '127.0.0.1' });
  new ServiceIPAM(controller, new KubeClient(api.kubeConfig()), { namespace: DEFAULT_METALLB_NAMESPACE });
  await controller.start();
  return controller;
}

/** A node's frr agent (one Manager, like the node's frr-k8s pod). */
async function startNodeRoles(api: TestApiServer, name: string, frr: FRRInstance, log: Logger, metricsPort: number): Promise<{ mgr: Manager; agent: FRRAgent }> {
  const nodeLog = log.child({ node: name });
  const mgr = new Manager({ client: new KubeClient(api.kubeConfig()), name: 'frr-k8s', logger: nodeLog, healthPort: metricsPort, healthHost: '127.0.0.1' });
  const agent = new FRRAgent(mgr, new KubeClient(api.kubeConfig()), {
    node: name,
    namespace: DEFAULT_FRRK8S_NAMESPACE,
    hostname: name,
    statusIntervalMs: 1000,
    backend: frrControlBackend(new FRRControl({ socketDir: frr.runDir, configDir: frr.etcDir, tuning: TUNING, reuseRunning: true, logger: nodeLog })),
  });
  await mgr.start();
  agent.startPolling();
  return { mgr, agent };
}

/** A node's speaker (own Manager, like the speaker pod) with its L2 responder inside the node's namespace. */
async function startSpeaker(api: TestApiServer, topo: Topology, name: string, log: Logger, metricsPort: number): Promise<{ speakerMgr: Manager; speaker: Speaker; responder?: ChildResponder }> {
  const nodeLog = log.child({ node: name, role: 'speaker' });
  const speakerMgr = new Manager({ client: new KubeClient(api.kubeConfig()), name: 'speaker', logger: nodeLog, healthPort: metricsPort, healthHost: '127.0.0.1' });
  let speaker: Speaker | undefined;
  const missing = capMissing();
  if (missing) nodeLog.error('no L2 responder: L2 addresses will not be answered', { reason: missing });
  const responder = missing ? undefined : new ChildResponder({
    command: ['ip', 'netns', 'exec', topo.ns(name), process.execPath, RESPONDER_MAIN],
    counters: {
      request: (ip) => speaker?.l2Counters.request(ip),
      response: (ip) => speaker?.l2Counters.response(ip),
      gratuitous: (ip) => speaker?.l2Counters.gratuitous(ip),
    },
    logger: nodeLog.child({ l2: 'responder' }),
  });
  await responder?.ready;
  speaker = new Speaker(speakerMgr, new KubeClient(api.kubeConfig()), {
    node: name,
    namespace: DEFAULT_METALLB_NAMESPACE,
    frrk8sNamespace: DEFAULT_FRRK8S_NAMESPACE,
    l2Responder: responder,
  });
  await speakerMgr.start();
  return { speakerMgr, speaker, responder };
}

/** Applies objects in a sensible order (namespaces, secrets, CRs, then workloads); reports per object. */
export async function applyAll(client: KubeClient, objects: KubeObject[]): Promise<string[]> {
  const rank = (o: KubeObject): number =>
    o.kind === 'Namespace' ? 0 : o.kind === 'Secret' || o.kind === 'ConfigMap' ? 1 : o.apiVersion.startsWith('metallb.io') || o.apiVersion.startsWith('frrk8s') ? 2 : 3;
  const out: string[] = [];
  for (const o of [...objects].sort((a, b) => rank(a) - rank(b))) {
    try {
      await applyObject(client, o, 'metalfrr-lab');
      out.push(`${objectRef(o)} applied`);
    } catch (e) {
      const msg = e instanceof KubeApiError ? (e.status?.message ?? e.message) : (e as Error).message;
      out.push(`${objectRef(o)} refused: ${msg}`);
    }
  }
  return out;
}
