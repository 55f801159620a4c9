// `metalfrr controller`: MetalLB's controller role (IP address management for LoadBalancer Services).
import { DEFAULT_METALLB_NAMESPACE } from '../api/constants.js';
import { createLogger } from '../util/log.js';
import { KubeClient, loadKubeConfig } from '../runtime/client.js';
import { Manager } from '../runtime/manager.js';
import { ServiceIPAM } from '../controllers/service-ipam.js';
import { UsageError, type CommandIO } from './io.js';

export const CONTROLLER_USAGE = `usage: metalfrr controller [--namespace metallb-system] [--kubeconfig PATH] [--lb-class CLASS]
                          [--health-port 7472] [--leader-elect]

Assigns IPs from the IPAddressPools of the namespace to LoadBalancer Services (annotations
metallb.io/loadBalancerIPs, address-pool, allow-shared-ip), writes status.loadBalancer.ingress and the
metallb.io/ip-allocated-from-pool annotation, events on the Service and the pool status counters; serves
/healthz, /readyz and /metrics (metallb_allocator_*, metallb_k8s_client_*) on --health-port.
With --lb-class only Services of that loadBalancerClass are handled (default: Services without a class).`;

export interface ControllerArgs {
  namespace: string;
  kubeconfig?: string;
  lbClass: string;
  healthPort: number;
  leaderElect: boolean;
}

export function parseControllerArgs(v: Record<string, unknown>, positionals: string[]): ControllerArgs {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = Number(v['health-port'] ?? 7472);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--health-port must be a port number');
  return {
    namespace: String(v.namespace ?? DEFAULT_METALLB_NAMESPACE),
    kubeconfig: v.kubeconfig ? String(v.kubeconfig) : undefined,
    lbClass: String(v['lb-class'] ?? ''),
    healthPort: port,
    leaderElect: v['leader-elect'] === true,
  };
}

export async function runController(a: ControllerArgs, _io: CommandIO): Promise<number> {
  const log = createLogger('controller');
  const client = new KubeClient(loadKubeConfig(a.kubeconfig));
  const mgr = new Manager({
    client,
    name: 'metallb-controller',
    logger: log,
    healthPort: a.healthPort,
    healthHost: '0.0.0.0',
    ...(a.leaderElect ? { leaderElection: { namespace: a.namespace, name: 'metallb-controller' } } : {}),
  });
  new ServiceIPAM(mgr, client, { namespace: a.namespace, lbClass: a.lbClass });
  await mgr.run();
  return 0;
}
