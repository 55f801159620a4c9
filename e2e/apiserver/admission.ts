// Admission webhooks: finds the Validating/MutatingWebhookConfigurations matching a request and calls
// them over HTTPS with AdmissionReview admission.k8s.io/v1, trusting only their caBundle.
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { isObject } from '../../operator/util/json.js';
import { selectorMatches, type LabelSelector } from '../../operator/util/selector.js';
import { ApiError, badRequest, internalError, status, type Status } from './errors.js';
import { jsonPatch } from './patch.js';
import type { Registry } from './registry.js';
import type { Store } from './store.js';
import { grKey, type KubeObject, type ResourceType } from './types.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionAttributes {
  /** the resource at the version of the request */
  type: ResourceType;
  operation: Operation;
  subResource?: string;
  namespace?: string;
  name: string;
  /** the new object (CREATE, UPDATE), at the request version */
  object?: KubeObject;
  /** the current object (UPDATE, DELETE), at the request version */
  oldObject?: KubeObject;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions / PatchOptions */
  options: Record<string, unknown>;
  user: string;
}

/** Maps a webhook's clientConfig.service to where the test webhook server listens. */
export type ServiceResolver = (svc: { namespace: string; name: string; port: number }) => { host: string; port: number } | undefined;

interface Webhook {
  name: string;
  clientConfig?: { url?: string; service?: { namespace: string; name: string; path?: string; port?: number }; caBundle?: string };
  rules?: { apiGroups?: string[]; apiVersions?: string[]; operations?: string[]; resources?: string[]; scope?: string }[];
  failurePolicy?: 'Fail' | 'Ignore';
  matchPolicy?: 'Exact' | 'Equivalent';
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
}

interface Matched {
  webhook: Webhook;
  /** the version the webhook is called with (differs from the request's under matchPolicy Equivalent) */
  type: ResourceType;
}

const VWC = grKey('admissionregistration.k8s.io', 'validatingwebhookconfigurations');
const MWC = grKey('admissionregistration.k8s.io', 'mutatingwebhookconfigurations');

const listHas = (list: string[] | undefined, v: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(v);

function resourceMatches(resources: string[] | undefined, resource: string, sub: string): boolean {
  for (const r of resources ?? []) {
    if (r === '*/*') return true;
    const [res, s = ''] = r.split('/');
    if ((res === '*' || res === resource) && (s === sub || (s === '*' && sub !== ''))) return true;
  }
  return false;
}

function rulesMatch(w: Webhook, t: ResourceType, op: Operation, sub: string): boolean {
  return (w.rules ?? []).some((r) => {
    if (!listHas(r.operations, op) || !listHas(r.apiGroups, t.group) || !listHas(r.apiVersions, t.version)) return false;
    if (!resourceMatches(r.resources, t.plural, sub)) return false;
    const scope = r.scope ?? '*';
    return scope === '*' || (scope === 'Namespaced') === t.namespaced;
  });
}

export interface WebhookDecision {
  warnings: string[];
  /** mutating webhooks: the patched object */
  object?: KubeObject;
}

export class Admission {
  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    public resolver: ServiceResolver | undefined,
  ) {}

  private matching(gr: string, a: AdmissionAttributes): { config: string; webhooks: Matched[] }[] {
    if (a.type.group === 'admissionregistration.k8s.io') return []; // never for webhook configurations
    const sub = a.subResource ?? '';
    const out: { config: string; webhooks: Matched[] }[] = [];
    for (const cfg of this.store.list(gr)) {
      const matched: Matched[] = [];
      for (const w of (Array.isArray(cfg.webhooks) ? cfg.webhooks : []) as Webhook[]) {
        let type: ResourceType | undefined;
        if (rulesMatch(w, a.type, a.operation, sub)) type = a.type;
        else if ((w.matchPolicy ?? 'Equivalent') === 'Equivalent') {
          type = this.registry.versions(grKey(a.type.group, a.type.plural)).find((v) => v.version !== a.type.version && rulesMatch(w, v, a.operation, sub));
        }
        if (!type || !this.selectorsMatch(w, a)) continue;
        matched.push({ webhook: w, type });
      }
      if (matched.length > 0) out.push({ config: cfg.metadata.name!, webhooks: matched });
    }
    return out;
  }

  private selectorsMatch(w: Webhook, a: AdmissionAttributes): boolean {
    const labelsOf = (o?: KubeObject): Record<string, string> => o?.metadata?.labels ?? {};
    if (!isEmptySelector(w.objectSelector)) {
      const objs = [a.object, a.oldObject].filter((o): o is KubeObject => !!o);
      if (!objs.some((o) => selectorMatches(w.objectSelector, labelsOf(o)))) return false;
    }
    if (!isEmptySelector(w.namespaceSelector)) {
      let labels: Record<string, string> | undefined;
      if (a.type.group === '' && a.type.plural === 'namespaces') labels = labelsOf(a.object ?? a.oldObject);
      else if (a.type.namespaced && a.namespace) labels = labelsOf(this.store.get('namespaces', undefined, a.namespace));
      if (labels !== undefined && !selectorMatches(w.namespaceSelector, labels)) return false;
    }
    return true;
  }

  /** Runs the mutating webhooks in order; returns the (possibly patched) object. */
  async mutate(a: AdmissionAttributes): Promise<WebhookDecision> {
    const warnings: string[] = [];
    let object = a.object;
    for (const { webhooks } of this.matching(MWC, a)) {
      for (const m of webhooks) {
        const r = await this.callOne(m, { ...a, ...(object ? { object } : {}) });
        warnings.push(...r.warnings);
        if (r.object) object = r.object;
      }
    }
    return object ? { warnings, object } : { warnings };
  }

  /** Runs the validating webhooks (in parallel); throws the first denial or failure. */
  async validate(a: AdmissionAttributes): Promise<string[]> {
    const calls = this.matching(VWC, a).flatMap(({ webhooks }) => webhooks.map((m) => this.callOne(m, a).then((r) => ({ r }), (e: unknown) => ({ e }))));
    const results = await Promise.all(calls);
    const warnings: string[] = [];
    for (const x of results) if ('r' in x) warnings.push(...x.r.warnings);
    for (const x of results) if ('e' in x) throw x.e;
    return warnings;
  }

  /** Calls one webhook; failures under failurePolicy Ignore count as "allowed". */
  private async callOne(m: Matched, a: AdmissionAttributes): Promise<WebhookDecision> {
    const w = m.webhook;
    if (a.dryRun && w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') throw badRequest(`admission webhook ${JSON.stringify(w.name)} does not support dry run`);
    const convert = (o: KubeObject | undefined): KubeObject | null => (o ? (m.type === a.type ? o : this.registry.convert(o, m.type)) : null);
    const uid = randomUUID();
    const request: Record<string, unknown> = {
      uid,
      kind: { group: m.type.group, version: m.type.version, kind: m.type.kind },
      resource: { group: m.type.group, version: m.type.version, resource: m.type.plural },
      requestKind: { group: a.type.group, version: a.type.version, kind: a.type.kind },
      requestResource: { group: a.type.group, version: a.type.version, resource: a.type.plural },
      name: a.name,
      operation: a.operation,
      userInfo: { username: a.user, groups: ['system:masters', 'system:authenticated'] },
      object: convert(a.object),
      oldObject: convert(a.oldObject),
      dryRun: a.dryRun,
      options: a.options,
    };
    if (a.subResource) {
      request.subResource = a.subResource;
      request.requestSubResource = a.subResource;
    }
    if (a.type.namespaced && a.namespace) request.namespace = a.namespace;
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request };
    let response: Record<string, unknown>;
    try {
      response = await this.post(w, review, uid);
    } catch (e) {
      if (w.failurePolicy === 'Ignore') return { warnings: [] };
      throw internalError(`failed calling webhook ${JSON.stringify(w.name)}: ${(e as Error).message}`);
    }
    const warnings = Array.isArray(response.warnings) ? response.warnings.map(String) : [];
    if (response.allowed !== true) throw denial(w.name, isObject(response.status) ? response.status : {});
    let object: KubeObject | undefined;
    if (typeof response.patch === 'string' && a.object) {
      if (response.patchType !== 'JSONPatch') throw internalError(`webhook ${JSON.stringify(w.name)} returned an unsupported patchType ${JSON.stringify(response.patchType)}`);
      const ops = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as unknown;
      const patched = jsonPatch(convert(a.object), ops) as KubeObject;
      object = m.type === a.type ? patched : this.registry.convert(patched, a.type);
    }
    return object ? { warnings, object } : { warnings };
  }

  private post(w: Webhook, review: unknown, uid: string): Promise<Record<string, unknown>> {
    const cc = w.clientConfig ?? {};
    const timeoutSeconds = Math.min(Math.max(w.timeoutSeconds ?? 10, 1), 30);
    let host: string;
    let port: number;
    let path: string;
    let servername: string | undefined;
    let shown: string;
    if (cc.url) {
      const u = new URL(cc.url);
      if (u.protocol !== 'https:') return Promise.reject(new Error(`webhook URL ${cc.url} is not https`));
      host = u.hostname.replace(/^\[|\]$/g, '');
      port = Number(u.port || 443);
      path = u.pathname + u.search;
      servername = isIP(host) ? undefined : host;
      shown = cc.url;
    } else if (cc.service) {
      const s = cc.service;
      const svcPort = s.port ?? 443;
      const target = this.resolver?.({ namespace: s.namespace, name: s.name, port: svcPort });
      shown = `https://${s.name}.${s.namespace}.svc:${svcPort}${s.path ?? '/'}`;
      if (!target) return Promise.reject(new Error(`failed to call webhook: Post "${shown}?timeout=${timeoutSeconds}s": service ${s.namespace}/${s.name} has no endpoints (no webhookServiceResolver mapping)`));
      host = target.host;
      port = target.port;
      path = s.path ?? '/';
      servername = `${s.name}.${s.namespace}.svc`;
    } else return Promise.reject(new Error('webhook has neither clientConfig.url nor clientConfig.service'));
    const sep = path.includes('?') ? '&' : '?';
    const body = JSON.stringify(review);
    const what = `failed to call webhook: Post "${shown}${sep}timeout=${timeoutSeconds}s"`;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host,
          port,
          path: `${path}${sep}timeout=${timeoutSeconds}s`,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body) },
          ...(cc.caBundle ? { ca: Buffer.from(cc.caBundle, 'base64').toString('utf8') } : {}),
          ...(servername ? { servername } : {}),
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new Error(`${what}: the server responded with status ${res.statusCode}: ${text.trim()}`));
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              return reject(new Error(`${what}: the response is not JSON`));
            }
            const resp = isObject(parsed) && isObject(parsed.response) ? parsed.response : undefined;
            if (!isObject(parsed) || parsed.kind !== 'AdmissionReview' || !resp) return reject(new Error(`${what}: the response is not an AdmissionReview`));
            if (resp.uid !== uid) return reject(new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(resp.uid)}`));
            resolve(resp);
          });
          res.on('error', (e) => reject(new Error(`${what}: ${e.message}`)));
        },
      );
      const timer = setTimeout(() => req.destroy(new Error('context deadline exceeded')), timeoutSeconds * 1000);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`${what}: ${e.message}`));
      });
      req.end(body);
    });
  }
}

function isEmptySelector(s: LabelSelector | undefined): boolean {
  return !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);
}

/** The error a denial becomes: the webhook's code when it is an error code (else 400) and kube-apiserver's message. */
export function denial(name: string, st: Record<string, unknown>): ApiError {
  const deniedBy = `admission webhook ${JSON.stringify(name)} denied the request`;
  const msg = typeof st.message === 'string' && st.message ? `${deniedBy}: ${st.message}` : typeof st.reason === 'string' && st.reason ? `${deniedBy}: ${st.reason}` : `${deniedBy} without explanation`;
  const code = typeof st.code === 'number' && st.code >= 400 ? st.code : 400;
  const out: Status = status(code, typeof st.reason === 'string' ? st.reason : '', msg);
  if (isObject(st.details)) out.details = st.details;
  return new ApiError(out);
}

