// The resource operations behind the HTTP layer: get, list, create, update, patch, apply, delete,
// with kube-apiserver's order of work: decode ► defaults/pruning ► mutating admission ► validation ►
// validating admission ► optimistic-concurrency commit (retried when an unconditional write races).
import { randomBytes, randomUUID } from 'node:crypto';
import { goSyntaxStringSlice } from '../../operator/util/gofmt.js';
import { deepEqual, isObject } from '../../operator/util/json.js';
import { Admission, type AdmissionAttributes, type Operation, type ServiceResolver } from './admission.js';
import { serverSideApply } from './apply.js';
import { applyBuiltinDefaults, initialStatus } from './builtins.js';
import {
  badRequest,
  conflict,
  expired,
  forbidden,
  invalid,
  notFound,
  staleObject,
  unsupportedMediaType,
  alreadyExists,
  ApiError,
  status,
} from './errors.js';
import { GarbageCollector } from './gc.js';
import { recordUpdate, type Scope } from './managed.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { crdTypes, Registry } from './registry.js';
import { Selector } from './selectors.js';
import { BuiltinShape, SchemaShape, type Shape } from './shape.js';
import { Store } from './store.js';
import { apiVersionOf, grKey, type KubeObject, type ResourceType, type WriteOptions, type WriteResult } from './types.js';
import { crdStatus, forbiddenCause, validateCRD, validateMeta, validateWebhookConfiguration, type Cause } from './validation.js';

export type Propagation = 'Foreground' | 'Background' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: Propagation;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic';

export interface CoreOptions {
  historySize?: number;
  webhookServiceResolver?: ServiceResolver;
  /** CustomResourceDefinitions served from the start */
  crds?: KubeObject[];
  /** namespaces created at start (default: default, kube-system, kube-public, kube-node-lease) */
  namespaces?: string[];
}

export interface DeleteResult {
  code: number;
  body: unknown;
  warnings: string[];
}

/** RFC 3339 with second precision, like metav1.Time. */
export const nowTime = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export const NAMESPACES = 'namespaces';
export const CRDS = grKey('apiextensions.k8s.io', 'customresourcedefinitions');
const SYSTEM_META = ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink'] as const;
const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export const grOf = (t: ResourceType): string => grKey(t.group, t.plural);

function generateSuffix(): string {
  const bytes = randomBytes(5);
  return [...bytes].map((b) => GENERATE_CHARS[b % GENERATE_CHARS.length]).join('');
}

function without<T extends Record<string, unknown>>(o: T, keys: string[]): Record<string, unknown> {
  const c: Record<string, unknown> = { ...o };
  for (const k of keys) delete c[k];
  return c;
}

/** Did a write change what the kind's generation tracks? */
function generationChanged(t: ResourceType, a: KubeObject, b: KubeObject): boolean {
  switch (t.generation) {
    case 'none':
      return false;
    case 'spec':
      return !deepEqual(a.spec, b.spec);
    case 'nonMetadata':
      return !deepEqual(without(a, ['metadata']), without(b, ['metadata']));
    case 'nonMetadataStatus':
      return !deepEqual(without(a, ['metadata', 'status']), without(b, ['metadata', 'status']));
  }
}

interface ContinueToken {
  rv: number;
  key: string;
}

export class ApiCore {
  readonly store: Store;
  readonly registry = new Registry();
  readonly admission: Admission;
  readonly gc: GarbageCollector;

  constructor(opts: CoreOptions = {}) {
    this.store = new Store(opts.historySize ?? 1000);
    this.admission = new Admission(this.store, this.registry, opts.webhookServiceResolver);
    const nsType = this.type('v1', 'Namespace');
    for (const name of opts.namespaces ?? ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.systemCreate(nsType, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    const crdType = this.type('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    for (const crd of opts.crds ?? []) this.systemCreate(crdType, crd);
    this.gc = new GarbageCollector(this);
  }

  /** The served type of an apiVersion and kind; throws 404 when not served. */
  type(apiVersion: string, kind: string): ResourceType {
    const t = this.registry.findKind(apiVersion, kind);
    if (!t) throw new ApiError(status(404, 'NotFound', `the server could not find the requested resource (no ${kind} in ${apiVersion})`));
    return t;
  }

  shape(t: ResourceType): Shape {
    return t.builtin ? new BuiltinShape(t.kind) : new SchemaShape(t.kind, this.registry.schemas.schema(apiVersionOf(t), t.kind));
  }

  scope(t: ResourceType, sub: string | undefined): Scope {
    return sub === 'status' ? 'status' : t.hasStatus ? 'main' : 'all';
  }

  /** A stored object as the given version serves it. */
  present(stored: KubeObject, t: ResourceType): KubeObject {
    const o = this.registry.convert(stored, t);
    o.kind = t.kind;
    return o;
  }

  private nsKey(t: ResourceType, ns: string | undefined): string | undefined {
    return t.namespaced ? ns ?? '' : undefined;
  }

  private toStorage(t: ResourceType, obj: KubeObject): KubeObject {
    if (t.version === t.storageVersion) return obj;
    const st: ResourceType = { ...t, version: t.storageVersion };
    const out = this.registry.convert(obj, st);
    return t.builtin ? out : this.registry.schemas.validate(out).object;
  }

  // ------------------------------------------------------------------------------ reads

  get(t: ResourceType, ns: string | undefined, name: string): KubeObject {
    const stored = this.store.get(grOf(t), this.nsKey(t, ns), name);
    if (!stored) throw notFound(t, name);
    return this.present(stored, t);
  }

  list(t: ResourceType, ns: string | undefined, q: ListQuery = {}): Record<string, unknown> {
    const sel = new Selector(q.labelSelector, q.fieldSelector);
    let rv = this.store.currentRV;
    let after: string | undefined;
    if (q.continue) {
      let tok: ContinueToken;
      try {
        tok = JSON.parse(Buffer.from(q.continue, 'base64').toString('utf8')) as ContinueToken;
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      if (typeof tok.rv !== 'number' || typeof tok.key !== 'string') throw badRequest('continue key is not valid');
      if (tok.rv < this.store.oldestRV)
        throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      rv = tok.rv;
      after = tok.key;
    }
    const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    let items = this.store
      .list(grOf(t), t.namespaced && ns ? ns : undefined)
      .filter((o) => after === undefined || keyOf(o) > after)
      .map((o) => this.present(o, t))
      .filter((o) => sel.matches(o));
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (q.limit && q.limit > 0 && items.length > q.limit) {
      const rest = items.length - q.limit;
      items = items.slice(0, q.limit);
      metadata.continue = Buffer.from(JSON.stringify({ rv, key: keyOf(items[items.length - 1]!) } satisfies ContinueToken)).toString('base64');
      metadata.remainingItemCount = rest;
    }
    // items of built-in lists carry no apiVersion/kind, like kube-apiserver's
    if (t.builtin) items = items.map((o) => without(o, ['apiVersion', 'kind']) as KubeObject);
    return { apiVersion: apiVersionOf(t), kind: t.listKind, metadata, items };
  }

  // ------------------------------------------------------------------------------ create

  private checkTypeMeta(t: ResourceType, obj: KubeObject, requireTypeMeta = false): KubeObject {
    if (!isObject(obj)) throw badRequest(`the body of the request is not a ${t.kind} object`);
    if (requireTypeMeta && (!obj.apiVersion || !obj.kind)) throw badRequest(`${!obj.apiVersion ? 'apiVersion' : 'kind'} must be set in an applied configuration`);
    if (obj.kind !== undefined && obj.kind !== t.kind) throw badRequest(`${obj.kind} in version "${obj.apiVersion ?? ''}" cannot be handled as a ${t.kind}: the kind does not match the resource`);
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(t)) {
      const other = this.registry.findKind(String(obj.apiVersion), t.kind);
      if (!other || grOf(other) !== grOf(t)) throw badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
      obj = this.registry.convert(obj, t);
    }
    const out = { ...obj, apiVersion: apiVersionOf(t), kind: t.kind };
    if (!isObject(out.metadata)) out.metadata = {};
    return out;
  }

  private checkNamespace(t: ResourceType, ns: string | undefined, name: string): void {
    if (!t.namespaced) return;
    const nsObj = this.store.get(NAMESPACES, undefined, ns ?? '');
    if (!nsObj) throw notFound({ group: '', plural: 'namespaces' }, ns ?? '');
    if (nsObj.metadata.deletionTimestamp)
      throw forbidden(t, name, `unable to create new content in namespace ${ns} because it is being terminated`);
  }

  /** Everything a create does before admission; returns the object at the request version. */
  private prepareCreate(t: ResourceType, ns: string | undefined, body: KubeObject, opts: WriteOptions, warnings: string[], preparedManagedFields: boolean): KubeObject {
    const obj = structuredClone(this.checkTypeMeta(t, body));
    const m = obj.metadata as Record<string, unknown>;
    if (t.namespaced) {
      if (m.namespace && ns && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = ns ?? m.namespace;
      if (!m.namespace) throw badRequest('the namespace of the object is not set');
    } else delete m.namespace;
    if (!m.name && typeof m.generateName === 'string' && m.generateName) m.name = `${m.generateName}${generateSuffix()}`;
    for (const k of SYSTEM_META) delete m[k];
    if (!preparedManagedFields) delete m.managedFields;
    if (t.resetStatusOnCreate) {
      const st = initialStatus(t, obj);
      if (st === undefined) delete obj.status;
      else obj.status = st;
    }
    applyBuiltinDefaults(t, obj);
    const now = nowTime();
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io' && validateCRD(obj).length === 0) obj.status = crdStatus(obj, undefined, now);
    const out = this.validateObject(t, obj, undefined, opts, warnings);
    const om = out.metadata as Record<string, unknown>;
    om.uid = randomUUID();
    om.creationTimestamp = now;
    if (t.generation !== 'none') om.generation = 1;
    // systemCreate passes an empty manager: bootstrap objects have no managedFields
    if (!preparedManagedFields && opts.fieldManager !== '') {
      om.managedFields = recordUpdate({ old: undefined, next: out, manager: opts.fieldManager ?? 'unknown', shape: this.shape(t), scope: this.scope(t, undefined), apiVersion: apiVersionOf(t), now });
    }
    if (Array.isArray(om.managedFields) && om.managedFields.length === 0) delete om.managedFields;
    return out;
  }

  /** Metadata checks, CR schema (prune, default, validate) and kind checks; throws 422. */
  private validateObject(t: ResourceType, obj: KubeObject, old: KubeObject | undefined, opts: WriteOptions, warnings: string[]): KubeObject {
    const causes: Cause[] = validateMeta(t, obj);
    let out = obj;
    if (!t.builtin) {
      const r = this.registry.schemas.validate(obj, old ? { oldObject: old } : {});
      const unknown = r.warnings.filter((w) => w.startsWith('unknown field'));
      if (opts.strict && unknown.length > 0) throw badRequest(`strict decoding error: ${unknown.join(', ')}`);
      warnings.push(...r.warnings);
      out = r.object;
      causes.push(...r.errors.map((e) => ({ field: e.field, reason: e.reason, detail: e.detail })));
    } else if (t.kind === 'CustomResourceDefinition') causes.push(...validateCRD(obj));
    else if (t.group === 'admissionregistration.k8s.io') causes.push(...validateWebhookConfiguration(obj));
    if (causes.length > 0) throw invalid(t.kind, t.group, obj.metadata?.name ?? '', causes);
    return out;
  }

  private attrs(t: ResourceType, op: Operation, name: string, ns: string | undefined, opts: WriteOptions, extra: Partial<AdmissionAttributes>): AdmissionAttributes {
    const a: AdmissionAttributes = {
      type: t,
      operation: op,
      name,
      dryRun: !!opts.dryRun,
      options: { kind: op === 'CREATE' ? 'CreateOptions' : op === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}) },
      user: opts.user ?? 'admin',
      ...extra,
    };
    if (t.namespaced && ns) a.namespace = ns;
    return a;
  }

  async create(t: ResourceType, ns: string | undefined, body: KubeObject, opts: WriteOptions = {}, preparedManagedFields = false): Promise<WriteResult> {
    const gr = grOf(t);
    const usesGenerateName = !body?.metadata?.name && !!body?.metadata?.generateName;
    for (let attempt = 0; ; attempt++) {
      const warnings: string[] = [];
      let obj = this.prepareCreate(t, ns, body, opts, warnings, preparedManagedFields);
      const name = obj.metadata.name!;
      const nsKey = this.nsKey(t, obj.metadata.namespace);
      this.checkNamespace(t, obj.metadata.namespace, name);
      const exists = () => this.store.get(gr, nsKey, name) !== undefined;
      if (exists()) {
        if (usesGenerateName && attempt < 8) continue;
        throw alreadyExists(t, name);
      }
      const mutated = await this.admission.mutate(this.attrs(t, 'CREATE', name, obj.metadata.namespace, opts, { object: obj }));
      warnings.push(...mutated.warnings);
      if (mutated.object && !deepEqual(mutated.object, obj)) obj = this.validateObject(t, this.checkTypeMeta(t, mutated.object), undefined, opts, warnings);
      warnings.push(...(await this.admission.validate(this.attrs(t, 'CREATE', name, obj.metadata.namespace, opts, { object: obj }))));
      if (exists()) {
        if (usesGenerateName && attempt < 8) continue;
        throw alreadyExists(t, name);
      }
      this.checkNamespace(t, obj.metadata.namespace, name);
      if (opts.dryRun) return { object: obj, code: 201, warnings };
      const stored = this.commitPut(gr, this.toStorage(t, obj));
      return { object: this.present(stored, t), code: 201, warnings };
    }
  }

  /** Creates without admission (bootstrap and tests' direct seeding). */
  systemCreate(t: ResourceType, body: KubeObject): KubeObject {
    const obj = this.prepareCreate(t, body.metadata?.namespace, body, { fieldManager: '' }, [], false);
    this.checkNamespace(t, obj.metadata.namespace, obj.metadata.name!);
    if (this.store.get(grOf(t), this.nsKey(t, obj.metadata.namespace), obj.metadata.name!)) throw alreadyExists(t, obj.metadata.name!);
    return this.present(this.commitPut(grOf(t), this.toStorage(t, obj)), t);
  }

  // ------------------------------------------------------------------------------ update, patch, apply

  /** The update checks: immutable fields, status subresource semantics, finalizers, validation, generation, managedFields. */
  private prepareUpdate(t: ResourceType, sub: string | undefined, live: KubeObject, body: KubeObject, opts: WriteOptions, apply: boolean, warnings: string[]): KubeObject {
    let next = structuredClone(this.checkTypeMeta(t, body));
    const m = next.metadata as Record<string, unknown>;
    const lm = live.metadata as Record<string, unknown>;
    if (m.name !== undefined && m.name !== '' && m.name !== lm.name) throw badRequest(`the name of the object (${String(m.name)}) does not match the name on the URL (${String(lm.name)})`);
    if (t.namespaced && m.namespace && m.namespace !== lm.namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (m.uid && m.uid !== lm.uid) throw invalid(t.kind, t.group, String(lm.name), [{ field: 'metadata.uid', reason: 'FieldValueInvalid', detail: `Invalid value: ${JSON.stringify(m.uid)}: field is immutable` }]);
    m.name = lm.name;
    if (t.namespaced) m.namespace = lm.namespace;
    else delete m.namespace;
    for (const k of SYSTEM_META) {
      if (lm[k] === undefined) delete m[k];
      else m[k] = structuredClone(lm[k]);
    }
    if (sub === 'status') {
      const st = next.status;
      next = structuredClone(live);
      if (st === undefined) delete next.status;
      else next.status = st;
      if (!apply) next.metadata.managedFields = structuredClone(live.metadata.managedFields);
      else next.metadata.managedFields = m.managedFields as unknown[];
    } else if (t.hasStatus) {
      if (live.status === undefined) delete next.status;
      else next.status = structuredClone(live.status);
    }
    if (lm.deletionTimestamp) {
      const before = (lm.finalizers as string[] | undefined) ?? [];
      const added = ((next.metadata.finalizers as string[] | undefined) ?? []).filter((f) => !before.includes(f));
      if (added.length > 0)
        throw invalid(t.kind, t.group, String(lm.name), [
          forbiddenCause('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${goSyntaxStringSlice(added)}`),
        ]);
    }
    applyBuiltinDefaults(t, next);
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io' && sub !== 'status' && validateCRD(next).length === 0)
      next.status = crdStatus(next, live.status, nowTime());
    next = this.validateObject(t, next, live, opts, warnings);
    if (typeof lm.generation === 'number' && generationChanged(t, live, next)) next.metadata.generation = lm.generation + 1;
    if (!apply) {
      next.metadata.managedFields = recordUpdate({
        old: live,
        next,
        manager: opts.fieldManager ?? 'unknown',
        shape: this.shape(t),
        scope: this.scope(t, sub),
        apiVersion: apiVersionOf(t),
        ...(sub ? { subresource: sub } : {}),
        now: nowTime(),
      });
    }
    if (Array.isArray(next.metadata.managedFields) && next.metadata.managedFields.length === 0) delete next.metadata.managedFields;
    return next;
  }

  /**
   * The optimistic-concurrency loop of every write to an existing object. `build` computes the desired
   * object from the live one (at the request version); a resourceVersion it carries is a precondition.
   */
  private async writeExisting(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    sub: string | undefined,
    opts: WriteOptions,
    mode: 'update' | 'patch' | 'apply',
    build: (live: KubeObject) => KubeObject,
    onMissing?: () => Promise<WriteResult>,
  ): Promise<WriteResult> {
    if (sub && (sub !== 'status' || !t.hasStatus)) throw notFound(t, name);
    const gr = grOf(t);
    const nsKey = this.nsKey(t, ns);
    for (let attempt = 0; ; attempt++) {
      const stored = this.store.get(gr, nsKey, name);
      if (!stored) {
        if (onMissing) return onMissing();
        throw notFound(t, name);
      }
      const live = this.present(stored, t);
      const built = build(structuredClone(live));
      const reqRV = built?.metadata?.resourceVersion;
      if (reqRV && reqRV !== live.metadata.resourceVersion) throw staleObject(t, name);
      if (mode === 'update' && !reqRV && !t.allowUnconditionalUpdate)
        throw invalid(t.kind, t.group, name, [{ field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', detail: 'Invalid value: 0x0: must be specified for an update' }]);
      const warnings: string[] = [];
      let next = this.prepareUpdate(t, sub, live, built, opts, mode === 'apply', warnings);
      if (deepEqual(next, live)) return { object: live, code: 200, warnings };
      const a = this.attrs(t, 'UPDATE', name, ns, opts, { object: next, oldObject: live, ...(sub ? { subResource: sub } : {}) });
      const mutated = await this.admission.mutate(a);
      warnings.push(...mutated.warnings);
      if (mutated.object && !deepEqual(mutated.object, next)) next = this.prepareUpdate(t, sub, live, mutated.object, opts, mode === 'apply', warnings);
      warnings.push(...(await this.admission.validate({ ...a, object: next })));
      const current = this.store.get(gr, nsKey, name);
      if (!current || current.metadata.resourceVersion !== stored.metadata.resourceVersion) {
        if (attempt >= 16) throw conflict(t, name, 'the object changed too often while the request was admitted');
        continue; // raced with another write: redo against the new state (preconditions re-checked)
      }
      if (opts.dryRun) return { object: next, code: 200, warnings };
      const committed = this.commitUpdate(t, next);
      return { object: this.present(committed, t), code: 200, warnings };
    }
  }

  async update(t: ResourceType, ns: string | undefined, name: string, sub: string | undefined, body: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    if (!isObject(body)) throw badRequest(`the body of the request is not a ${t.kind} object`);
    return this.writeExisting(t, ns, name, sub, opts, 'update', () => structuredClone(body));
  }

  async patch(t: ResourceType, ns: string | undefined, name: string, sub: string | undefined, type: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    if (type === 'strategic' && !t.builtin)
      throw unsupportedMediaType('application/strategic-merge-patch+json (custom resources accept application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml)');
    if (type !== 'json' && !isObject(patch)) throw badRequest('the patch is not a JSON object');
    return this.writeExisting(t, ns, name, sub, opts, 'patch', (live) => {
      const out = type === 'json' ? jsonPatch(live, patch) : type === 'merge' ? mergePatch(live, patch) : strategicMergePatch(live, patch, this.shape(t));
      if (!isObject(out)) throw badRequest('the patched object is not a JSON object');
      return out as KubeObject;
    });
  }

  /** Server-side apply (creates the object when it does not exist). */
  async apply(t: ResourceType, ns: string | undefined, name: string, sub: string | undefined, config: KubeObject, opts: WriteOptions & { force?: boolean } = {}): Promise<WriteResult> {
    const manager = opts.fieldManager;
    if (!manager) throw badRequest('PATCH: fieldManager is required for apply requests');
    let cfg = this.checkTypeMeta(t, config, true);
    const cm = cfg.metadata as Record<string, unknown>;
    if (cm.name !== undefined && cm.name !== name) throw badRequest(`the name of the object (${String(cm.name)}) does not match the name on the URL (${name})`);
    if (t.namespaced && cm.namespace && ns && cm.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (cm.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
    const warnings: string[] = [];
    if (!t.builtin) {
      const p = this.registry.schemas.prune(cfg);
      const unknown = p.warnings.filter((w) => w.startsWith('unknown field'));
      if (opts.strict && unknown.length > 0) throw badRequest(`strict decoding error: ${unknown.join(', ')}`);
      warnings.push(...p.warnings);
      cfg = p.object;
    }
    const rv = cfg.metadata.resourceVersion;
    const clean = structuredClone(cfg);
    delete clean.metadata.resourceVersion;
    const common = {
      config: clean,
      manager,
      force: !!opts.force,
      shape: this.shape(t),
      scope: this.scope(t, sub),
      apiVersion: apiVersionOf(t),
      ...(sub ? { subresource: sub } : {}),
      name,
      kind: t.kind,
      group: t.group,
    };
    const withWarnings = (r: WriteResult): WriteResult => ({ ...r, warnings: [...warnings, ...r.warnings] });
    const r = await this.writeExisting(
      t,
      ns,
      name,
      sub,
      opts,
      'apply',
      (live) => {
        if (rv && rv !== live.metadata.resourceVersion) throw staleObject(t, name);
        return serverSideApply({ ...common, live, now: nowTime() });
      },
      sub
        ? undefined
        : async () => {
            if (rv) throw notFound(t, name);
            const created = serverSideApply({ ...common, live: undefined, now: nowTime() });
            created.metadata.name = name;
            return this.create(t, ns, created, opts, true);
          },
    );
    return withWarnings(r);
  }

  // ------------------------------------------------------------------------------ delete

  async delete(t: ResourceType, ns: string | undefined, name: string, d: DeleteOptions = {}, opts: WriteOptions = {}): Promise<DeleteResult> {
    const gr = grOf(t);
    const nsKey = this.nsKey(t, ns);
    for (let attempt = 0; ; attempt++) {
      const stored = this.store.get(gr, nsKey, name);
      if (!stored) throw notFound(t, name);
      const pre = d.preconditions ?? {};
      if (pre.uid && pre.uid !== stored.metadata.uid)
        throw conflict(t, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${stored.metadata.uid ?? ''}`);
      if (pre.resourceVersion && pre.resourceVersion !== stored.metadata.resourceVersion)
        throw conflict(t, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${stored.metadata.resourceVersion ?? ''}`);
      const live = this.present(stored, t);
      const a = this.attrs(t, 'DELETE', name, ns, opts, { oldObject: live });
      a.options = { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...d };
      const warnings = await this.admission.validate(a);
      const current = this.store.get(gr, nsKey, name);
      if (!current) throw notFound(t, name);
      if (current.metadata.resourceVersion !== stored.metadata.resourceVersion) {
        if (attempt >= 16) throw conflict(t, name, 'the object changed too often while the request was admitted');
        continue;
      }
      const policy: Propagation = d.propagationPolicy ?? (d.orphanDependents === true ? 'Orphan' : 'Background');
      const r = this.deleteStored(t, current, policy, !!opts.dryRun);
      const obj = this.present(r.object, t);
      if (!r.removed || t.returnDeletedObject) return { code: 200, body: obj, warnings };
      const details: Record<string, unknown> = { name, kind: t.plural, uid: obj.metadata.uid };
      if (t.group) details.group = t.group;
      return { code: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }, warnings };
    }
  }

  async deleteCollection(t: ResourceType, ns: string | undefined, q: ListQuery, d: DeleteOptions = {}, opts: WriteOptions = {}): Promise<Record<string, unknown>> {
    const list = this.list(t, ns, { ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}), ...(q.fieldSelector ? { fieldSelector: q.fieldSelector } : {}) });
    const items: unknown[] = [];
    for (const o of list.items as KubeObject[]) {
      try {
        const r = await this.delete(t, o.metadata.namespace, o.metadata.name!, d, opts);
        items.push(r.body);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return { apiVersion: apiVersionOf(t), kind: t.listKind, metadata: { resourceVersion: String(this.store.currentRV) }, items };
  }

  /**
   * The storage side of a delete: objects with finalizers (or a Foreground/Orphan policy, which add
   * theirs) get a deletionTimestamp; others are removed. Namespaces always go through Terminating.
   */
  deleteStored(t: ResourceType, stored: KubeObject, policy: Propagation, dryRun: boolean): { object: KubeObject; removed: boolean } {
    const gr = grOf(t);
    if (stored.metadata.deletionTimestamp) return { object: stored, removed: false };
    const next = structuredClone(stored);
    if (gr === NAMESPACES) {
      next.metadata.deletionTimestamp = nowTime();
      next.status = { ...(isObject(next.status) ? next.status : {}), phase: 'Terminating' };
      return { object: dryRun ? next : this.store.put(gr, next), removed: false };
    }
    const finalizers = [...(stored.metadata.finalizers ?? [])];
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (finalizers.length > 0) {
      next.metadata.finalizers = finalizers;
      next.metadata.deletionTimestamp = nowTime();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (typeof next.metadata.generation === 'number') next.metadata.generation++;
      return { object: dryRun ? next : this.store.put(gr, next), removed: false };
    }
    if (dryRun) return { object: stored, removed: true };
    return { object: this.commitRemove(gr, stored), removed: true };
  }

  // ------------------------------------------------------------------------------ commit

  private afterCommit(gr: string): void {
    if (gr === CRDS) this.registry.setCRDs(this.store.list(CRDS));
  }

  commitPut(gr: string, obj: KubeObject): KubeObject {
    const stored = this.store.put(gr, obj);
    this.afterCommit(gr);
    return stored;
  }

  /** Stores an update; an object being deleted whose last finalizer went away is removed. */
  commitUpdate(t: ResourceType, next: KubeObject): KubeObject {
    const gr = grOf(t);
    const stored = this.commitPut(gr, this.toStorage(t, next));
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0 && gr !== NAMESPACES) return this.commitRemove(gr, stored);
    return stored;
  }

  commitRemove(gr: string, stored: KubeObject): KubeObject {
    if (gr === CRDS) {
      // deleting a CRD deletes its custom resources
      const [first] = crdTypes(stored);
      if (first) {
        const crGR = grOf(first);
        for (const o of this.store.list(crGR)) this.store.remove(crGR, o.metadata.namespace, o.metadata.name!);
      }
    }
    const last = this.store.remove(gr, stored.metadata.namespace, stored.metadata.name!) ?? stored;
    this.afterCommit(gr);
    return last;
  }

  /** The served type for a stored group-resource (any version), for internal writes. */
  typeOfGR(gr: string): ResourceType | undefined {
    const vs = this.registry.versions(gr);
    return vs.find((v) => v.version === v.storageVersion) ?? vs[0];
  }

  /** An internal write (garbage collector, namespace controller): no admission, no managedFields change. */
  systemUpdate(gr: string, namespace: string | undefined, name: string, mutate: (o: KubeObject) => void): void {
    const stored = this.store.get(gr, namespace, name);
    const t = this.typeOfGR(gr);
    if (!stored || !t) return;
    const next = structuredClone(stored);
    mutate(next);
    if (deepEqual(next, stored)) return;
    const put = this.commitPut(gr, next);
    if (put.metadata.deletionTimestamp && (put.metadata.finalizers ?? []).length === 0 && gr !== NAMESPACES) this.commitRemove(gr, put);
  }
}
