// What kubelet, kube-proxy and the Service controller would do in a real cluster, reduced to what the
// lab needs: ClusterIPs for Services, EndpointSlices standing for the pods of each Service, and on
// every node holding an endpoint an HTTP server answering on the Service's external IP (the "pod").
// Which nodes run a Service's pods: annotation `lab.metalfrr.io/nodes: node1,node2` (default: all).
import { spawn, type ChildProcess } from 'node:child_process';
import type { KubeObject } from '../../operator/api/meta.js';
import type { KubeClient } from '../../operator/runtime/client.js';
import { applyObject } from '../../operator/runtime/apply.js';
import type { Logger } from '../../operator/util/log.js';
import type { Topology } from '../topology/index.js';

export const LAB_NODES_ANNOTATION = 'lab.metalfrr.io/nodes';

interface Service extends KubeObject {
  spec?: { type?: string; clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; ports?: { port: number; protocol?: string; name?: string; targetPort?: number | string }[]; selector?: Record<string, string> };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

const RESPONDER = `
const http = require('node:http');
const [ip, port, node] = process.argv.slice(1);
http.createServer((q, r) => r.end('hello from ' + node + ' (' + ip + ':' + port + ')\\n')).listen(Number(port), ip);
`;

export class Workloads {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly servers = new Map<string, ChildProcess>(); // node/ip/port -> process
  private readonly addresses = new Set<string>(); // node/ip
  private nextClusterIP = 9;

  constructor(
    private readonly client: KubeClient,
    private readonly topo: Topology,
    private readonly nodes: string[],
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sync(), 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const p of this.servers.values()) p.kill('SIGKILL');
    this.servers.clear();
  }

  async sync(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const services = (await this.client.list<Service>('/api/v1/services')).items.filter((s) => s.spec?.type === 'LoadBalancer');
      const wanted = new Set<string>();
      for (const svc of services) {
        const ns = svc.metadata.namespace!;
        const name = svc.metadata.name!;
        if (!svc.spec?.clusterIPs?.length) {
          const n = this.nextClusterIP++;
          const ip = `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`; // past .255 after a few hundred Services (churn test)
          const cur = await this.client.get<Service>(`/api/v1/namespaces/${ns}/services/${name}`);
          await this.client.replace(`/api/v1/namespaces/${ns}/services/${name}`, { ...cur, spec: { ...cur.spec, clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack' } });
          continue; // next round sees the ClusterIP
        }
        const onNodes = (svc.metadata.annotations?.[LAB_NODES_ANNOTATION] ?? this.nodes.join(','))
          .split(',')
          .map((n) => n.trim())
          .filter((n) => this.nodes.includes(n));
        const ports = (svc.spec.ports ?? []).map((p) => ({ name: p.name, port: typeof p.targetPort === 'number' ? p.targetPort : p.port, protocol: p.protocol ?? 'TCP' }));
        await applyObject(this.client, {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: `${name}-lab`, namespace: ns, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'metalfrr-lab' } },
          addressType: 'IPv4',
          ports,
          endpoints: onNodes.map((n, i) => ({ addresses: [`10.244.${this.nodes.indexOf(n) + 1}.${10 + i}`], nodeName: n, conditions: { ready: true, serving: true, terminating: false } })),
        } as KubeObject, 'metalfrr-lab');
        for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
          if (!ing.ip) continue;
          for (const n of onNodes) for (const p of svc.spec.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP') wanted.add(`${n}/${ing.ip}/${p.port}`);
        }
      }
      for (const key of wanted) if (!this.servers.has(key)) await this.serve(key);
      for (const [key, proc] of this.servers) {
        if (wanted.has(key)) continue;
        proc.kill('SIGKILL');
        this.servers.delete(key);
      }
    } catch (e) {
      this.log.debug('workload sync failed', { error: (e as Error).message });
    } finally {
      this.running = false;
    }
  }

  private async serve(key: string): Promise<void> {
    const [node, ip, port] = key.split('/') as [string, string, string];
    if (!this.addresses.has(`${node}/${ip}`)) {
      await this.topo.addAddress(node, `${ip}/32`, 'lo').catch(() => undefined);
      this.addresses.add(`${node}/${ip}`);
    }
    const proc = spawn('ip', ['netns', 'exec', this.topo.ns(node), process.execPath, '-e', RESPONDER, ip, port, node], { stdio: 'ignore' });
    this.servers.set(key, proc);
    this.log.info('serving', { node, ip, port });
  }
}
