// `metalfrr speaker --node NAME`: the MetalLB BGP speaker (frr-k8s mode) on the controller runtime.
import { DEFAULT_METALLB_NAMESPACE } from '../api/constants.js';
import { createLogger } from '../util/log.js';
import { KubeClient, loadKubeConfig, objectPath } from '../runtime/client.js';
import type { KubeObject, OwnerReference } from '../api/meta.js';
import { Manager } from '../runtime/manager.js';
import { Speaker } from '../controllers/speaker.js';
import { UsageError, type CommandIO } from './io.js';

export const SPEAKER_USAGE = `usage: metalfrr speaker --node NAME [--namespace metallb-system] [--frrk8s-namespace NS]
                       [--kubeconfig PATH] [--lb-class CLASS] [--ignore-exclude-lb]
                       [--frrk8s-secret-passthrough] [--health-port 17472]

The MetalLB BGP speaker of node NAME in frr-k8s mode: watches Services, EndpointSlices, Nodes and the
MetalLB configuration (BGPPeers, BGPAdvertisements, IPAddressPools, Communities, BFDProfiles, Secrets of
--namespace) and writes the FRRConfiguration metallb-NAME in --frrk8s-namespace (env FRRK8S_NAMESPACE,
default: --namespace), one ServiceBGPStatus per advertised service and ConfigurationState speaker-NAME.
Serves /healthz, /readyz and /metrics (metallb_* metrics) on --health-port. With env POD_NAME (the
speaker pod in --namespace), ServiceBGPStatus and ConfigurationState objects are owned by that pod.`;

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
}

export function parseSpeakerArgs(v: Record<string, unknown>, positionals: string[], env: NodeJS.ProcessEnv = process.env): SpeakerArgs {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const node = v.node ? String(v.node) : env.METALLB_NODE_NAME;
  if (!node) throw new UsageError('--node is required');
  const namespace = String(v.namespace ?? env.METALLB_NAMESPACE ?? DEFAULT_METALLB_NAMESPACE);
  const frrk8sNamespace = String(v['frrk8s-namespace'] ?? env.FRRK8S_NAMESPACE ?? '') || namespace;
  const healthPort = Number(v['health-port'] ?? 17472);
  if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535) throw new UsageError('--health-port must be a port number');
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
  new Speaker(mgr, client, {
    owner,
    node: a.node,
    namespace: a.namespace,
    frrk8sNamespace: a.frrk8sNamespace,
    lbClass: a.lbClass,
    ignoreExcludeLB: a.ignoreExcludeLB,
    secretPassthrough: a.secretPassthrough,
  });
  await mgr.run();
  return 0;
}
