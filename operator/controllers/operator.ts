// The operator: reconciles the MetalLB CR `metallb` of the operator namespace into the operands
// (templates/manifests/ via operator/manifests), written with server-side apply, pruned by identity
// when the backend changes, cleaned up through a finalizer for cluster-scoped objects, with the
// webhook serving certificate and caBundles managed here and status conditions written only on change.
//
// Unlike upstream, the operator watches what it deployed (label-selected informers), so drift and
// readiness changes re-drive the reconcile at once, and a failed apply is retried with backoff.
import type { KubeObject, OwnerReference } from '../api/meta.js';
import type { MetalLB } from '../api/metallb.js';
import { KubeClient, isNotFound, objectPath } from '../runtime/client.js';
import type { Informer } from '../runtime/informer.js';
import type { Manager } from '../runtime/manager.js';
import type { Controller, ReconcileResult } from '../runtime/controller.js';
import { applyObject } from '../runtime/apply.js';
import { isObject, isSubset } from '../util/json.js';
import { caBundleBase64, decodeSecretData, encodeSecretData } from '../certs/webhook-certs.js';
import type { Logger } from '../util/log.js';
import {
  FIELD_MANAGER,
  FINALIZER,
  LABEL_MANAGED_BY,
  LABEL_OWNER_NAMESPACE,
  MANAGED_BY,
  METALLB_CR_NAME,
  WEBHOOK_SECRET,
  WEBHOOK_SERVICE,
  type OperatorParams,
} from '../manifests/params.js';
import { renderOperands, identityOf } from '../manifests/render.js';
import { describeProblems, validateMetalLBSpec } from '../manifests/spec.js';
import { mergeConditions, notReady, REASON, type Outcome } from '../manifests/status.js';
import { backendOf } from '../manifests/spec.js';

/** The webhook certificate decision for one reconcile (operator/certs/webhook-certs.ts). */
export interface CertPlan {
  /** decoded Secret data to store */
  data: Record<string, string>;
  /** PEM of every CA the API server must trust */
  caBundle: string;
  changed: boolean;
  reason?: string;
  nextCheck: Date;
}
export type CertPlanner = (current: Record<string, string> | undefined, now: Date) => CertPlan;

export interface OperatorOptions {
  params: OperatorParams;
  certPlanner: CertPlanner;
  now?: () => Date;
  fieldManager?: string;
  /** CRDs whose conversion webhook points at the webhook Service (caBundle injected) */
  conversionCRDs?: string[];
}

interface ManagedKind {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}
const K = (apiVersion: string, kind: string, plural: string, namespaced: boolean): ManagedKind => ({ apiVersion, kind, plural, namespaced });
/** Every kind templates/manifests/ may render; what is deployed of these and not rendered any more is deleted. */
export const MANAGED_KINDS: readonly ManagedKind[] = [
  K('v1', 'ServiceAccount', 'serviceaccounts', true),
  K('v1', 'ConfigMap', 'configmaps', true),
  K('v1', 'Service', 'services', true),
  K('apps/v1', 'Deployment', 'deployments', true),
  K('apps/v1', 'DaemonSet', 'daemonsets', true),
  K('rbac.authorization.k8s.io/v1', 'Role', 'roles', true),
  K('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings', true),
  K('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles', false),
  K('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  K('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
];

const METALLBS = { apiVersion: 'metallb.io/v1beta1', plural: 'metallbs', kind: 'MetalLB' };
const CRDS = { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition' };
const SECRETS = { apiVersion: 'v1', plural: 'secrets', kind: 'Secret' };

const MAX_CERT_CHECK_MS = 12 * 3600_000;

export class MetalLBOperator {
  private readonly log: Logger;
  private readonly ns: string;
  private readonly fm: string;
  private readonly now: () => Date;
  readonly metallbs: Informer<MetalLB>;
  private readonly managed = new Map<string, Informer<KubeObject>>();
  private readonly secrets: Informer<KubeObject>;
  private readonly crds: Informer<KubeObject>;
  private readonly controller: Controller;
  /** reconciles finished (tests) */
  completed = 0;
  lastOutcome: Outcome | undefined;

  constructor(
    private readonly mgr: Manager,
    private readonly client: KubeClient,
    private readonly opts: OperatorOptions,
  ) {
    this.ns = opts.params.namespace;
    this.fm = opts.fieldManager ?? FIELD_MANAGER;
    this.now = opts.now ?? (() => new Date());
    this.log = mgr.log.child({ controller: 'metallb-operator' });
    this.metallbs = mgr.informer<MetalLB>(METALLBS, { namespace: this.ns });
    const selector = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_OWNER_NAMESPACE}=${this.ns}`;
    for (const k of MANAGED_KINDS) this.managed.set(k.kind, mgr.informer(k, { ...(k.namespaced ? { namespace: this.ns } : {}), labelSelector: selector }));
    this.secrets = mgr.informer(SECRETS, { namespace: this.ns, fieldSelector: `metadata.name=${WEBHOOK_SECRET}` });
    this.crds = mgr.informer(CRDS, {});
    const c = mgr.controller({ name: 'metallb-operator', reconcile: (key) => this.reconcile(key) });
    this.controller = c;
    // spec, metadata (deletion, finalizers) changes; our own status writes do not re-drive
    c.watch(this.metallbs, {
      updateFilter: (a, b) =>
        a.metadata.generation !== b.metadata.generation ||
        a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp ||
        JSON.stringify(a.metadata.finalizers ?? []) !== JSON.stringify(b.metadata.finalizers ?? []),
    });
    const toCR = () => `${this.ns}/${METALLB_CR_NAME}`;
    for (const inf of this.managed.values()) c.watch(inf, { map: toCR });
    c.watch(this.secrets, { map: toCR });
    c.watch(this.crds, { map: (o) => ((this.opts.conversionCRDs ?? ['bgppeers.metallb.io']).includes(o.metadata.name ?? '') ? toCR() : undefined) });
  }

  /** Queues a reconcile of the MetalLB CR now (e.g. after the clock jumped in tests). */
  resync(): void {
    this.controller.enqueue(`${this.ns}/${METALLB_CR_NAME}`);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [ns, name] = key.split('/') as [string, string];
    const cr = this.metallbs.get(ns, name);
    if (!cr) return;
    if (name !== METALLB_CR_NAME) {
      await this.writeStatus(cr, { kind: 'Degraded', reason: REASON.IncorrectName, message: `Incorrect MetalLB resource name: ${name}` });
      return;
    }
    if (cr.metadata.deletionTimestamp) return this.cleanup(cr);
    if (!(cr.metadata.finalizers ?? []).includes(FINALIZER)) {
      // the watch event of this write re-drives the reconcile
      await this.client.mergePatch(objectPath(METALLBS.apiVersion, METALLBS.plural, ns, name), {
        metadata: { finalizers: [...(cr.metadata.finalizers ?? []), FINALIZER], resourceVersion: cr.metadata.resourceVersion },
      });
      return;
    }
    const problems = validateMetalLBSpec(cr, this.opts.params);
    if (problems.length > 0) {
      // what is deployed stays as it is (the last good spec keeps running)
      await this.writeStatus(cr, { kind: 'Degraded', reason: REASON.InvalidSpec, message: describeProblems(problems) });
      this.completed++;
      return;
    }
    let requeueAfter: number | undefined;
    try {
      requeueAfter = await this.sync(cr);
    } catch (e) {
      const message = (e as Error).message;
      this.log.error('cannot deploy the operands', { error: message });
      await this.writeStatus(cr, { kind: 'Degraded', reason: REASON.SyncFailed, message });
      throw e; // rate-limited retry
    }
    const waiting = this.readiness(cr);
    await this.writeStatus(cr, waiting ? { kind: 'Progressing', reason: REASON.NotReady, message: waiting } : { kind: 'Available' });
    this.completed++;
    return requeueAfter !== undefined ? { requeueAfter } : undefined;
  }

  /** Applies the operands, injects the CA, rotates the certificate, prunes; returns when to look at the certificate again (ms). */
  private async sync(cr: MetalLB): Promise<number> {
    const now = this.now();
    // read, not cached: a cache that has not seen our last write would make the planner rotate again
    // and drop the CA the pods may still be serving from the bundle
    const secret = await this.client.get<KubeObject & { data?: unknown }>(objectPath('v1', 'secrets', this.ns, WEBHOOK_SECRET)).catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    const current = secret?.data && isObject(secret.data) ? decodeSecretData(secret.data as Record<string, string>) : undefined;
    const plan = this.opts.certPlanner(current, now);
    const caBundle = caBundleBase64(plan.caBundle);
    const owner: OwnerReference = { apiVersion: METALLBS.apiVersion, kind: 'MetalLB', name: cr.metadata.name!, uid: cr.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const desired = renderOperands(cr, this.opts.params, caBundle).map((o) => (this.isNamespaced(o) ? { ...o, metadata: { ...o.metadata, ownerReferences: [owner] } } : o));
    // 1. everything, including the webhook configurations with the (possibly grown) caBundle ...
    for (const o of desired) await this.applyIfChanged(o);
    for (const crd of this.opts.conversionCRDs ?? ['bgppeers.metallb.io']) await this.injectConversionCA(crd, caBundle);
    // 2. ... and only then the certificate the webhook pods will serve: the API server already trusts its CA
    if (plan.changed || !secret) {
      this.log.info('writing the webhook serving certificate', { secret: WEBHOOK_SECRET, reason: plan.reason ?? 'created' });
      await applyObject(this.client, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: WEBHOOK_SECRET, namespace: this.ns, labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_OWNER_NAMESPACE]: this.ns }, ownerReferences: [owner] },
        type: 'kubernetes.io/tls',
        data: encodeSecretData(plan.data),
      } as KubeObject, this.fm);
    }
    await this.prune(new Set(desired.map(identityOf)), backendOf(cr.spec));
    // look again when the certificate needs it, at least twice a day (timers cannot wait for months)
    return Math.min(MAX_CERT_CHECK_MS, Math.max(1000, plan.nextCheck.getTime() - now.getTime()));
  }

  private isNamespaced(o: KubeObject): boolean {
    return MANAGED_KINDS.find((k) => k.kind === o.kind)?.namespaced ?? o.metadata.namespace !== undefined;
  }

  private async applyIfChanged(o: KubeObject): Promise<void> {
    const live = this.managed.get(o.kind!)?.get(o.metadata.namespace, o.metadata.name!);
    if (live && isSubset(o, live)) return;
    this.log.debug('applying', { object: identityOf(o) });
    await applyObject(this.client, o, this.fm);
  }

  private async injectConversionCA(name: string, caBundle: string): Promise<void> {
    const crd = this.crds.get(undefined, name) as (KubeObject & { spec?: { conversion?: { strategy?: string; webhook?: { clientConfig?: Record<string, unknown> } } } }) | undefined;
    if (!crd || crd.spec?.conversion?.strategy !== 'Webhook') return;
    const want = { caBundle, service: { name: WEBHOOK_SERVICE, namespace: this.ns, path: '/convert', port: 443 } };
    if (isSubset(want, crd.spec.conversion.webhook?.clientConfig)) return;
    await this.client.mergePatch(objectPath(CRDS.apiVersion, CRDS.plural, undefined, name), { spec: { conversion: { webhook: { clientConfig: want } } } });
  }

  /** Deletes what this operator deployed earlier and no longer renders (e.g. frr-k8s after a backend change). */
  private async prune(keep: Set<string>, backend: string): Promise<void> {
    for (const k of MANAGED_KINDS) {
      for (const o of this.managed.get(k.kind)!.list()) {
        const withKind = { ...o, apiVersion: k.apiVersion, kind: k.kind };
        if (keep.has(identityOf(withKind))) continue;
        this.log.info('deleting an object the current spec does not need', { object: identityOf(withKind), backend });
        await this.deleteObject(k, o);
      }
    }
  }

  private async deleteObject(k: ManagedKind, o: KubeObject): Promise<void> {
    try {
      await this.client.delete(objectPath(k.apiVersion, k.plural, k.namespaced ? o.metadata.namespace : undefined, o.metadata.name!), { propagationPolicy: 'Background' });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** CR deleted: cluster-scoped objects cannot be garbage collected through the namespaced owner, so delete them here. */
  private async cleanup(cr: MetalLB): Promise<void> {
    for (const k of MANAGED_KINDS.filter((m) => !m.namespaced)) for (const o of this.managed.get(k.kind)!.list()) await this.deleteObject(k, o);
    const left = (cr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    if (left.length !== (cr.metadata.finalizers ?? []).length) {
      try {
        await this.client.mergePatch(objectPath(METALLBS.apiVersion, METALLBS.plural, cr.metadata.namespace, cr.metadata.name!), {
          metadata: { finalizers: left, resourceVersion: cr.metadata.resourceVersion },
        });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    this.log.info('MetalLB deleted: cluster-scoped operand objects removed', { name: cr.metadata.name });
  }

  /** Why the deployment is not ready yet, or undefined when every workload is. */
  private readiness(cr: MetalLB): string | undefined {
    const get = (kind: string, name: string) => this.managed.get(kind)!.get(this.ns, name) as Parameters<typeof notReady>[0];
    const checks = [
      notReady(get('Deployment', 'controller'), 'Deployment', 'controller'),
      notReady(get('DaemonSet', 'speaker'), 'DaemonSet', 'speaker'),
      notReady(get('Deployment', 'metallb-webhook-server'), 'Deployment', 'metallb-webhook-server'),
      backendOf(cr.spec) === 'frr-k8s' ? notReady(get('DaemonSet', 'frr-k8s'), 'DaemonSet', 'frr-k8s') : undefined,
    ].filter((x): x is string => x !== undefined);
    return checks.length > 0 ? checks.join('; ') : undefined;
  }

  private async writeStatus(cr: MetalLB, o: Outcome): Promise<void> {
    this.lastOutcome = o;
    const { conditions, changed } = mergeConditions(cr.status?.conditions, o, cr.metadata.generation, this.now());
    if (!changed) return;
    try {
      await this.client.mergePatch(objectPath(METALLBS.apiVersion, METALLBS.plural, cr.metadata.namespace, cr.metadata.name!, 'status'), { status: { conditions } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
