// What the operator knows besides the MetalLB CR: its namespace, the image every operand runs, ports,
// and where an externally installed frr-k8s lives. Read from flags/env by `metalfrr operator`.
import { DEFAULT_METALLB_NAMESPACE } from '../api/constants.js';

export interface OperandPorts {
  /** controller metrics/health (upstream metricsPort 7472) */
  controller: number;
  /** speaker metrics/health, host network */
  speaker: number;
  /** the frr agent inside the speaker pod (frr and native backends), host network */
  speakerAgent: number;
  /** the frr-k8s DaemonSet's agent metrics/health (upstream FRRK8S_METRICS_PORT 7572), host network */
  frrk8s: number;
  /** webhook HTTPS port behind the Service's 443 */
  webhook: number;
}

export interface OperatorParams {
  namespace: string;
  /** the metalfrr image every operand runs (env METALFRR_IMAGE) */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** namespace of an externally installed frr-k8s (env FRRK8S_EXTERNAL_NAMESPACE); the CR's frrk8sConfig.namespace wins */
  frrk8sExternalNamespace?: string;
  ports: OperandPorts;
}

export const DEFAULT_PORTS: OperandPorts = { controller: 7472, speaker: 7472, speakerAgent: 7573, frrk8s: 7572, webhook: 9443 };
export const DEFAULT_IMAGE = 'ghcr.io/metalfrr/metalfrr:latest';

export function operatorParams(p: Partial<OperatorParams> = {}): OperatorParams {
  return {
    namespace: p.namespace ?? DEFAULT_METALLB_NAMESPACE,
    image: p.image ?? DEFAULT_IMAGE,
    imagePullPolicy: p.imagePullPolicy ?? 'IfNotPresent',
    ...(p.frrk8sExternalNamespace ? { frrk8sExternalNamespace: p.frrk8sExternalNamespace } : {}),
    ports: { ...DEFAULT_PORTS, ...(p.ports ?? {}) },
  };
}

/** The one MetalLB CR the operator reconciles in its namespace (upstream's single-instance rule). */
export const METALLB_CR_NAME = 'metallb';
export const FIELD_MANAGER = 'metalfrr-operator';
export const FINALIZER = 'operator.metalfrr.io/cleanup';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'metalfrr-operator';
/** The operator namespace an object belongs to (cluster-scoped objects cannot carry an owner reference to the CR). */
export const LABEL_OWNER_NAMESPACE = 'operator.metalfrr.io/namespace';
export const WEBHOOK_SERVICE = 'metallb-webhook-service';
export const WEBHOOK_SECRET = 'metallb-webhook-cert';
export const WEBHOOK_CERT_DIR = '/tmp/k8s-webhook-server/serving-certs';
