// Schema validation of manifests as an API server would do it, for install bundles and rendered
// operands: custom resources of metalfrr's CRDs through operator/config/schema.ts, built-in kinds
// through `kubernetes-models` (Kubernetes' OpenAPI schemas), Prometheus Operator kinds through
// `@kubernetes-models/prometheus-operator`. An unknown apiVersion/kind is a problem, never a pass.
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Endpoints } from 'kubernetes-models/v1/Endpoints';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { KubeObject } from '../../operator/api/meta.js';
import { CRDSchemas } from '../../operator/config/schema.js';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: any) => Validatable;

/** apiVersion/kind → model class of the built-in and Prometheus Operator kinds known here. */
export const MODELS: ReadonlyMap<string, ModelClass> = new Map<string, ModelClass>([
  ['v1/ConfigMap', ConfigMap],
  ['v1/Endpoints', Endpoints],
  ['v1/Namespace', Namespace],
  ['v1/Pod', Pod],
  ['v1/Secret', Secret],
  ['v1/Service', Service],
  ['v1/ServiceAccount', ServiceAccount],
  ['apps/v1/DaemonSet', DaemonSet],
  ['apps/v1/Deployment', Deployment],
  ['apps/v1/StatefulSet', StatefulSet],
  ['rbac.authorization.k8s.io/v1/ClusterRole', ClusterRole],
  ['rbac.authorization.k8s.io/v1/ClusterRoleBinding', ClusterRoleBinding],
  ['rbac.authorization.k8s.io/v1/Role', Role],
  ['rbac.authorization.k8s.io/v1/RoleBinding', RoleBinding],
  ['admissionregistration.k8s.io/v1/MutatingWebhookConfiguration', MutatingWebhookConfiguration],
  ['admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration', ValidatingWebhookConfiguration],
  ['apiextensions.k8s.io/v1/CustomResourceDefinition', CustomResourceDefinition],
  ['coordination.k8s.io/v1/Lease', Lease],
  ['discovery.k8s.io/v1/EndpointSlice', EndpointSlice],
  ['networking.k8s.io/v1/NetworkPolicy', NetworkPolicy],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['scheduling.k8s.io/v1/PriorityClass', PriorityClass],
  ['monitoring.coreos.com/v1/PodMonitor', PodMonitor],
  ['monitoring.coreos.com/v1/PrometheusRule', PrometheusRule],
  ['monitoring.coreos.com/v1/ServiceMonitor', ServiceMonitor],
]);

let defaultSchemas: CRDSchemas | undefined;

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

export interface ValidateManifestOptions {
  /** schemas of the custom resources (default: the project's crds/) */
  schemas?: CRDSchemas;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Problems of one object ("Kind/name: message"); an empty list means valid. */
export function validateManifest(obj: KubeObject, opts: ValidateManifestOptions = {}): string[] {
  const o = obj as unknown as Record<string, any>;
  const ref = `${String(o?.kind)}/${String(o?.metadata?.namespace ? `${o.metadata.namespace}/` : '')}${String(o?.metadata?.name)}`;
  if (typeof o !== 'object' || o === null || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    return [`${ref}: not a Kubernetes object (apiVersion and kind are required)`];
  }
  const problems: string[] = [];
  const name = o.metadata?.name;
  if (typeof name !== 'string' || name.length === 0) problems.push(`${ref}: metadata.name is required`);
  else if (RBAC_KINDS.has(o.kind)) {
    // RBAC names are path segments (like system:controller:...), not DNS subdomains
    if (name === '.' || name === '..' || /[/%]/.test(name)) problems.push(`${ref}: metadata.name "${name}" is not a valid path segment name`);
  } else if (name.length > 253 || !NAME.test(name)) problems.push(`${ref}: metadata.name "${name}" is not a valid DNS subdomain name`);

  const schemas = opts.schemas ?? (defaultSchemas ??= CRDSchemas.fromDirectory());
  if (schemas.lookup(o.apiVersion, o.kind)) {
    const r = schemas.validate(obj);
    for (const e of r.errors) problems.push(`${ref}: ${e.message}`);
    // the API server would silently drop unknown fields: for manifests we ship, that is a bug
    for (const w of r.warnings) if (w.startsWith('unknown field')) problems.push(`${ref}: ${w}`);
    return problems;
  }
  const Model = MODELS.get(`${o.apiVersion}/${o.kind}`);
  if (!Model) return [...problems, `${ref}: unknown apiVersion/kind ${o.apiVersion} ${o.kind}: no schema to validate it against`];
  try {
    new Model(structuredClone(obj)).validate();
  } catch (e) {
    const errs = (e as { errors?: { instancePath?: string; message?: string }[] }).errors;
    if (Array.isArray(errs) && errs.length > 0) {
      for (const x of errs) problems.push(`${ref}: ${x.instancePath || '/'} ${x.message ?? 'is invalid'}`);
    } else {
      problems.push(`${ref}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/** validateManifest over a list; problems of all objects. */
export function validateManifests(objects: KubeObject[], opts: ValidateManifestOptions = {}): string[] {
  return objects.flatMap((o) => validateManifest(o, opts));
}
