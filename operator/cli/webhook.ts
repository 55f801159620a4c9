// `metalfrr webhook`: the validating admission webhooks and the BGPPeer conversion webhook over HTTPS.
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { BGP_BACKENDS, DEFAULT_BGP_BACKEND, DEFAULT_METALLB_NAMESPACE, type BGPBackend } from '../api/constants.js';
import { createLogger } from '../util/log.js';
import { KubeClient, loadKubeConfig } from '../runtime/client.js';
import { createWebhookServer } from '../../webhooks/server.js';
import { conversionRoutes, webhookRoutes } from '../../webhooks/routes.js';
import { watchCertificates } from '../../webhooks/cert-reloader.js';
import { FileObjectSource, KubeObjectSource, type ObjectSource } from '../../webhooks/sources.js';
import { UsageError, type CommandIO } from './io.js';

export const WEBHOOK_USAGE = `usage: metalfrr webhook --port P --tls-cert-file F --tls-private-key-file K
                       [--kubeconfig PATH | --objects DIR] [--namespace metallb-system]
                       [--backend frr-k8s|frr|native] [--host 0.0.0.0]

Serves AdmissionReview admission.k8s.io/v1 over HTTPS (TLS 1.2+) at upstream's paths:
  /validate-metallb-io-v1beta1-{ipaddresspool,l2advertisement,bgpadvertisement,community,bfdprofile}
  /validate-metallb-io-v1beta2-bgppeer
  /validate-frrk8s-metallb-io-v1beta1-frrconfiguration
the BGPPeer conversion webhook (ConversionReview apiextensions.k8s.io/v1) at /convert, /healthz, and
/metrics (controller_runtime_webhook_*).
Existing objects are read from the API server (--kubeconfig, else in-cluster) or, with
--objects DIR, from manifest files re-read on every request. The certificate files are checked
every second and reloaded when they change (kubelet Secret volume updates included).`;

export interface WebhookArgs {
  port: number;
  host: string;
  certFile: string;
  keyFile: string;
  kubeconfig?: string;
  objects?: string;
  namespace: string;
  backend: BGPBackend;
}

export function parseWebhookArgs(v: Record<string, unknown>, positionals: string[]): WebhookArgs {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = Number(v.port);
  if (v.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number');
  if (!v['tls-cert-file'] || !v['tls-private-key-file']) throw new UsageError('--tls-cert-file and --tls-private-key-file are required');
  if (v.kubeconfig && v.objects) throw new UsageError('use either --kubeconfig or --objects, not both');
  const backend = String(v.backend ?? process.env.METALLB_BGP_TYPE ?? DEFAULT_BGP_BACKEND) as BGPBackend;
  if (!BGP_BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${BGP_BACKENDS.join(', ')}`);
  return {
    port,
    host: String(v.host ?? '0.0.0.0'),
    certFile: String(v['tls-cert-file']),
    keyFile: String(v['tls-private-key-file']),
    kubeconfig: v.kubeconfig ? String(v.kubeconfig) : undefined,
    objects: v.objects ? String(v.objects) : undefined,
    namespace: String(v.namespace ?? DEFAULT_METALLB_NAMESPACE),
    backend,
  };
}

/** The webhook process's registry; the server adds its request metrics. */
export function webhookRegistry(): Registry {
  return new Registry();
}

export async function runWebhook(args: WebhookArgs, _io: CommandIO): Promise<number> {
  const log = createLogger('webhook');
  const source: ObjectSource = args.objects
    ? new FileObjectSource(args.objects, args.namespace)
    : new KubeObjectSource(new KubeClient(loadKubeConfig(args.kubeconfig)));
  const backend = args.backend === 'frr-k8s-external' ? 'frr-k8s' : args.backend;
  const initial = { cert: readFileSync(args.certFile), key: readFileSync(args.keyFile) };
  const server = createWebhookServer({
    ...initial,
    routes: webhookRoutes(source, { namespace: args.namespace, backend }),
    conversions: conversionRoutes(),
    logger: log,
    registry: webhookRegistry(),
  });
  const reloader = watchCertificates(server, { certFile: args.certFile, keyFile: args.keyFile, logger: log }, initial);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(args.port, args.host, () => resolve());
  });
  const addr = server.address();
  log.info('serving admission webhooks', {
    address: typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : String(addr),
    namespace: args.namespace,
    backend,
    objects: args.objects ?? (args.kubeconfig ? `kubeconfig ${args.kubeconfig}` : 'in-cluster'),
  });
  const stop = (): void => {
    log.info('shutting down');
    reloader.stop();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return -1;
}
