// `metalfrr frr-agent --node NAME`: the per-node frr-k8s daemon on the controller runtime.
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { DEFAULT_FRRK8S_NAMESPACE } from '../api/constants.js';
import { createLogger } from '../util/log.js';
import { KubeClient, loadKubeConfig } from '../runtime/client.js';
import { Manager } from '../runtime/manager.js';
import { FRRControl, type ApplyMethod } from '../frr/vtysh.js';
import { FRRAgent, FRR_METRICS_PREFIXES, type FRRMetricsPrefix } from '../controllers/frr-agent.js';
import { frrControlBackend } from '../controllers/frr-backend.js';
import { UsageError, type CommandIO } from './io.js';

export const FRR_AGENT_USAGE = `usage: metalfrr frr-agent --node NAME [--namespace frr-k8s-system] [--kubeconfig PATH]
                         [--hostname H] [--log-level info] [--always-block CIDR,...]
                         [--vty-socket DIR] [--config-dir DIR] [--apply-method diff|reload]
                         [--health-port 7572] [--status-interval-ms 5000]
                         [--route-map-delay-timer 1] [--coalesce-time 100]
                         [--frr-metrics-prefix frrk8s|metallb]

Watches the FRRConfigurations (and Secrets, FRRK8sConfiguration) of the namespace and the Node NAME;
renders the node's frr.conf, checks it with FRR and applies it with the least disruption. A config
FRR refuses is never applied. Writes FRRNodeState/NAME and one BGPSessionState per session; serves
/healthz, /readyz and /metrics (frrk8s_* metrics) on --health-port.
--route-map-delay-timer (s) and --coalesce-time (ms) are added to the applied config for fast
convergence (FRR's defaults are 5 s and 1000 ms; 0 leaves FRR's default in place).
--frr-metrics-prefix metallb names the BGP/BFD metrics read from FRR metallb_bgp_* / metallb_bfd_*
(upstream MetalLB's frr-metrics sidecar, used by the speaker pod in frr/native mode) instead of frrk8s_*.`;

export interface FRRAgentArgs {
  node: string;
  namespace: string;
  kubeconfig?: string;
  hostname: string;
  logLevel?: string;
  alwaysBlock: string[];
  vtySocket?: string;
  configDir?: string;
  applyMethod: ApplyMethod;
  healthPort: number;
  statusIntervalMs: number;
  routeMapDelayTimer: number;
  coalesceTime: number;
  frrMetricsPrefix: FRRMetricsPrefix;
}

export function parseFRRAgentArgs(v: Record<string, unknown>, positionals: string[]): FRRAgentArgs {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (!v.node) throw new UsageError('--node is required');
  const method = String(v['apply-method'] ?? 'diff');
  if (method !== 'diff' && method !== 'reload') throw new UsageError('--apply-method must be diff or reload');
  const prefix = String(v['frr-metrics-prefix'] ?? 'frrk8s') as FRRMetricsPrefix;
  if (!FRR_METRICS_PREFIXES.includes(prefix)) throw new UsageError(`--frr-metrics-prefix must be one of ${FRR_METRICS_PREFIXES.join(', ')}`);
  return {
    node: String(v.node),
    namespace: String(v.namespace ?? DEFAULT_FRRK8S_NAMESPACE),
    kubeconfig: v.kubeconfig ? String(v.kubeconfig) : undefined,
    hostname: String(v.hostname ?? osHostname()),
    logLevel: v['log-level'] ? String(v['log-level']) : undefined,
    alwaysBlock: v['always-block'] ? String(v['always-block']).split(',').map((s) => s.trim()).filter(Boolean) : [],
    vtySocket: v['vty-socket'] ? String(v['vty-socket']) : undefined,
    configDir: v['config-dir'] ? String(v['config-dir']) : undefined,
    applyMethod: method,
    healthPort: Number(v['health-port'] ?? 7572),
    statusIntervalMs: Number(v['status-interval-ms'] ?? 5000),
    routeMapDelayTimer: Number(v['route-map-delay-timer'] ?? 1),
    coalesceTime: Number(v['coalesce-time'] ?? 100),
    frrMetricsPrefix: prefix,
  };
}

/** Does this host have an IPv4 address (other than loopback)? frr-k8s derives a router id when not. */
export function hostHasIPv4(): boolean {
  return Object.values(networkInterfaces()).some((addrs) => (addrs ?? []).some((a) => a.family === 'IPv4' && !a.internal));
}

export async function runFRRAgent(a: FRRAgentArgs, _io: CommandIO): Promise<number> {
  const log = createLogger('frr-agent', { base: { node: a.node } });
  const client = new KubeClient(loadKubeConfig(a.kubeconfig));
  const mgr = new Manager({ client, name: 'frr-k8s', logger: log, healthPort: a.healthPort, healthHost: '0.0.0.0' });
  const tuning = {
    ...(a.routeMapDelayTimer > 0 ? { routeMapDelayTimer: a.routeMapDelayTimer } : {}),
    ...(a.coalesceTime > 0 ? { coalesceTime: a.coalesceTime } : {}),
  };
  const control = new FRRControl({ socketDir: a.vtySocket, configDir: a.configDir, method: a.applyMethod, tuning, reuseRunning: true, logger: log });
  const agent = new FRRAgent(mgr, client, {
    node: a.node,
    namespace: a.namespace,
    hostname: a.hostname,
    backend: frrControlBackend(control),
    hostHasIPv4: hostHasIPv4(),
    alwaysBlock: a.alwaysBlock,
    logLevel: a.logLevel,
    statusIntervalMs: a.statusIntervalMs,
    frrMetricsPrefix: a.frrMetricsPrefix,
  });
  agent.startPolling();
  await mgr.run();
  agent.stop();
  return 0;
}
