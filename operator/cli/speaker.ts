// `metalfrr speaker --node NAME`: the MetalLB BGP speaker (frr-k8s mode) on the controller runtime.
import { DEFAULT_METALLB_NAMESPACE } from '../api/constants.js';
import { createLogger } from '../util/log.js';
import { KubeClient, loadKubeConfig, objectPath } from '../runtime/client.js';
import type { KubeObject, OwnerReference } from '../api/meta.js';
import { Manager } from '../runtime/manager.js';
import { Speaker, l2CountersFor } from '../controllers/speaker.js';
import { capMissing } from '../l2/cap.js';
import { CapResponder } from '../l2/responder.js';
import { UsageError, type CommandIO } from './io.js';

export const SPEAKER_USAGE = `usage: metalfrr speaker --node NAME [--namespace metallb-system] [--frrk8s-namespace NS]
                       [--kubeconfig PATH] [--lb-class CLASS] [--ignore-exclude-lb]
                       [--frrk8s-secret-passthrough] [--health-port 17472] [--l2-responder auto|off]
                       [--lease-duration 1] [--lease-renew-ms 300]

The MetalLB BGP speaker of node NAME in frr-k8s mode: watches Services, EndpointSlices, Nodes and the
MetalLB configuration (BGPPeers, BGPAdvertisements, IPAddressPools, Communities, BFDProfiles, Secrets of
--namespace) and writes the FRRConfiguration metallb-NAME in --frrk8s-namespace (env FRRK8S_NAMESPACE,
default: --namespace), one ServiceBGPStatus per advertised service and ConfigurationState speaker-NAME.
Serves /healthz, /readyz and /metrics (metallb_* metrics) on --health-port. With env POD_NAME (the
speaker pod in --namespace), ServiceBGPStatus and ConfigurationState objects are owned by that pod.
L2 mode: the speaker holds the Lease metallb-speaker-NAME (renewed every --lease-renew-ms, valid
--lease-duration seconds; the nodes with a live Lease are the election candidates), writes ServiceL2Status
for the Services it owns and answers ARP/NDP for their IPs on the host's interfaces through libpcap
(--l2-responder auto; off: decide and report, put nothing on the wire). Needs host network and NET_RAW.`;

export interface SpeakerArgs {
  node: string;
  namespace: string;
  frrk8sNamespace: string;
  kubeconfig?: string;
  lbClass: string;
  ignoreExcludeLB: boolean;
  secretPassthrough: boolean;
  healthPort: number;
  podName?: string;
  l2Responder: 'auto' | 'off';
  leaseDurationSeconds: number;
  leaseRenewMs: number;
}

export function parseSpeakerArgs(v: Record<string, unknown>, positionals: string[], env: NodeJS.ProcessEnv = process.env): SpeakerArgs {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const node = v.node ? String(v.node) : env.METALLB_NODE_NAME;
  if (!node) throw new UsageError('--node is required');
  const namespace = String(v.namespace ?? env.METALLB_NAMESPACE ?? DEFAULT_METALLB_NAMESPACE);
  const frrk8sNamespace = String(v['frrk8s-namespace'] ?? env.FRRK8S_NAMESPACE ?? '') || namespace;
  const healthPort = Number(v['health-port'] ?? 17472);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw new UsageError('--health-port must be a port number');
  const l2 = String(v['l2-responder'] ?? 'auto');
  if (l2 !== 'auto' && l2 !== 'off') throw new UsageError('--l2-responder must be auto or off');
  const lease = Number(v['lease-duration'] ?? 1);
  if (!Number.isInteger(lease) || lease < 1) throw new UsageError('--lease-duration must be a whole number of seconds, at least 1');
  const renew = Number(v['lease-renew-ms'] ?? 300);
  if (!Number.isInteger(renew) || renew < 50 || renew >= lease * 1000) throw new UsageError('--lease-renew-ms must be at least 50 and shorter than --lease-duration');
  return {
    node,
    namespace,
    frrk8sNamespace,
    kubeconfig: v.kubeconfig ? String(v.kubeconfig) : undefined,
    lbClass: String(v['lb-class'] ?? ''),
    ignoreExcludeLB: v['ignore-exclude-lb'] === true,
    secretPassthrough: v['frrk8s-secret-passthrough'] === true,
    healthPort,
    ...(env.POD_NAME ? { podName: env.POD_NAME } : {}),
    l2Responder: l2,
    leaseDurationSeconds: lease,
    leaseRenewMs: renew,
  };
}

export async function runSpeaker(a: SpeakerArgs, _io: CommandIO): Promise<number> {
  const log = createLogger('speaker', { base: { node: a.node } });
  const client = new KubeClient(loadKubeConfig(a.kubeconfig));
  const mgr = new Manager({ client, name: 'metallb-speaker', logger: log, healthPort: a.healthPort, healthHost: '0.0.0.0' });
  let owner: OwnerReference | undefined;
  if (a.podName) {
    try {
      const pod = await client.get<KubeObject>(objectPath('v1', 'pods', a.namespace, a.podName));
      owner = { apiVersion: 'v1', kind: 'Pod', name: a.podName, uid: pod.metadata.uid! };
    } catch (e) {
      log.warn('cannot read the speaker pod; status objects will have no owner', { pod: a.podName, error: (e as Error).message });
    }
  }
  let l2Responder: CapResponder | undefined;
  if (a.l2Responder === 'auto') {
    const missing = capMissing();
    if (missing) log.error('L2 responder unavailable: L2 announcements will be decided but not answered', { reason: missing });
    else l2Responder = new CapResponder({ counters: l2CountersFor(mgr.registry), logger: log.child({ l2: 'responder' }) });
  }
  new Speaker(mgr, client, {
    l2Responder,
    membership: { leaseDurationSeconds: a.leaseDurationSeconds, renewMs: a.leaseRenewMs },
    owner,
    node: a.node,
    namespace: a.namespace,
    frrk8sNamespace: a.frrk8sNamespace,
    lbClass: a.lbClass,
    ignoreExcludeLB: a.ignoreExcludeLB,
    secretPassthrough: a.secretPassthrough,
  });
  try {
    await mgr.run();
  } finally {
    await l2Responder?.close();
  }
  return 0;
}
