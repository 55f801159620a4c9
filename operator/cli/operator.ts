// `metalfrr operator`: deploys MetalLB from the `MetalLB` CR named metallb in the operator namespace.
import { DEFAULT_METALLB_NAMESPACE } from '../api/constants.js';
import { planWebhookCerts, type WebhookCertOptions } from '../certs/webhook-certs.js';
import { MetalLBOperator } from '../controllers/operator.js';
import { DEFAULT_IMAGE, WEBHOOK_SERVICE, operatorParams, type OperatorParams } from '../manifests/params.js';
import { KubeClient, loadKubeConfig } from '../runtime/client.js';
import { Manager } from '../runtime/manager.js';
import { parseDuration } from '../util/duration.js';
import { createLogger } from '../util/log.js';
import { UsageError, type CommandIO } from './io.js';

export const OPERATOR_USAGE = `usage: metalfrr operator [--namespace NS] [--image IMAGE] [--image-pull-policy IfNotPresent]
                        [--frrk8s-external-namespace NS] [--kubeconfig PATH] [--health-port 8080]
                        [--leader-elect] [--cert-validity 8760h] [--cert-renew-before 2160h]
                        [--ca-validity 87600h] [--ca-renew-before 8760h]

Reconciles the MetalLB CR named "metallb" in --namespace (env OPERATOR_NAMESPACE, default
${DEFAULT_METALLB_NAMESPACE}) into the controller Deployment, the speaker DaemonSet, the frr-k8s DaemonSet
(bgpBackend frr-k8s, the default), the webhook Deployment, Service and ValidatingWebhookConfigurations, and
their ServiceAccounts and RBAC, all running --image (env METALFRR_IMAGE). Creates and rotates the webhook
serving certificate (Secret metallb-webhook-cert) and injects its CA into the webhook configurations and
the BGPPeer conversion webhook. A MetalLB with another name is marked Degraded. The frr-k8s-external
backend uses spec.frrk8sConfig.namespace or --frrk8s-external-namespace (env FRRK8S_EXTERNAL_NAMESPACE).
Serves /healthz, /readyz and /metrics on --health-port; --leader-elect takes the Lease metalfrr-operator.`;

export interface OperatorArgs {
  params: OperatorParams;
  kubeconfig?: string;
  healthPort: number;
  leaderElect: boolean;
  certs: Omit<WebhookCertOptions, 'serviceName' | 'namespace' | 'now'>;
}

function durationMs(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const ns = parseDuration(String(v));
  if (ns === null || ns <= 0) throw new UsageError(`${flag} must be a positive duration like 8760h or 30m`);
  return ns / 1e6;
}

export function parseOperatorArgs(v: Record<string, unknown>, positionals: string[], env: NodeJS.ProcessEnv = process.env): OperatorArgs {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = Number(v['health-port'] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--health-port must be a port number');
  const policy = String(v['image-pull-policy'] ?? 'IfNotPresent');
  if (!['Always', 'IfNotPresent', 'Never'].includes(policy)) throw new UsageError('--image-pull-policy must be Always, IfNotPresent or Never');
  const ext = v['frrk8s-external-namespace'] ?? env.FRRK8S_EXTERNAL_NAMESPACE;
  const certs = {
    certValidityMs: durationMs(v['cert-validity'], '--cert-validity'),
    certRenewBeforeMs: durationMs(v['cert-renew-before'], '--cert-renew-before'),
    caValidityMs: durationMs(v['ca-validity'], '--ca-validity'),
    caRenewBeforeMs: durationMs(v['ca-renew-before'], '--ca-renew-before'),
  };
  if ((certs.certRenewBeforeMs ?? 0) >= (certs.certValidityMs ?? Infinity)) throw new UsageError('--cert-renew-before must be shorter than --cert-validity');
  if ((certs.caRenewBeforeMs ?? 0) >= (certs.caValidityMs ?? Infinity)) throw new UsageError('--ca-renew-before must be shorter than --ca-validity');
  return {
    params: operatorParams({
      namespace: String(v.namespace ?? env.OPERATOR_NAMESPACE ?? DEFAULT_METALLB_NAMESPACE),
      image: String(v.image ?? env.METALFRR_IMAGE ?? DEFAULT_IMAGE),
      imagePullPolicy: policy as OperatorParams['imagePullPolicy'],
      ...(ext ? { frrk8sExternalNamespace: String(ext) } : {}),
    }),
    kubeconfig: v.kubeconfig ? String(v.kubeconfig) : undefined,
    healthPort: port,
    leaderElect: v['leader-elect'] === true,
    certs: Object.fromEntries(Object.entries(certs).filter(([, x]) => x !== undefined)),
  };
}

export async function runOperator(a: OperatorArgs, _io: CommandIO): Promise<number> {
  const log = createLogger('operator', { base: { namespace: a.params.namespace } });
  const client = new KubeClient(loadKubeConfig(a.kubeconfig));
  const mgr = new Manager({
    client,
    name: 'metalfrr-operator',
    logger: log,
    healthPort: a.healthPort,
    healthHost: '0.0.0.0',
    ...(a.leaderElect ? { leaderElection: { namespace: a.params.namespace, name: 'metalfrr-operator' } } : {}),
  });
  new MetalLBOperator(mgr, client, {
    params: a.params,
    certPlanner: (current, now) => planWebhookCerts(current, { ...a.certs, serviceName: WEBHOOK_SERVICE, namespace: a.params.namespace, now }),
  });
  await mgr.run();
  return 0;
}
