// Validation of what has no CRD schema: object metadata (names, labels, owner references), and the
// parts of built-in kinds the server relies on (CustomResourceDefinitions, webhook configurations).
import { CRDSchemas } from '../../operator/config/schema.js';
import { isObject } from '../../operator/util/json.js';
import { labelValueErrors, qualifiedNameErrors } from '../../operator/util/selector.js';
import type { KubeObject, NameRule, ResourceType } from './types.js';

export interface Cause {
  field: string;
  reason: string;
  detail: string;
}

const q = JSON.stringify;
const invalidValue = (field: string, value: unknown, why: string): Cause => ({
  field,
  reason: 'FieldValueInvalid',
  detail: `Invalid value: ${typeof value === 'string' ? q(value) : String(value)}: ${why}`,
});
export const required = (field: string, why?: string): Cause => ({ field, reason: 'FieldValueRequired', detail: why ? `Required value: ${why}` : 'Required value' });
export const forbiddenCause = (field: string, why: string): Cause => ({ field, reason: 'FieldValueForbidden', detail: `Forbidden: ${why}` });

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** apimachinery's messages for an invalid name under a rule; empty when valid. */
export function nameErrors(name: string, rule: NameRule): string[] {
  switch (rule) {
    case 'subdomain': {
      const out: string[] = [];
      if (name.length > 253) out.push('must be no more than 253 characters');
      if (!SUBDOMAIN.test(name))
        out.push(
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        );
      return out;
    }
    case 'label': {
      const out: string[] = [];
      if (name.length > 63) out.push('must be no more than 63 characters');
      if (!LABEL.test(name))
        out.push(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        );
      return out;
    }
    case 'dns1035': {
      const out: string[] = [];
      if (name.length > 63) out.push('must be no more than 63 characters');
      if (!DNS1035.test(name))
        out.push(
          "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        );
      return out;
    }
    case 'path':
      if (name === '.' || name === '..') return [`may not be '${name}'`];
      if (name.includes('/')) return ["may not contain '/'"];
      if (name.includes('%')) return ["may not contain '%'"];
      return [];
  }
}

/** ObjectMeta checks every kind gets. */
export function validateMeta(t: ResourceType, obj: KubeObject): Cause[] {
  const out: Cause[] = [];
  const m = obj.metadata;
  if (!m.name) out.push(required('metadata.name', 'name or generateName is required'));
  else {
    const errs = nameErrors(m.name, t.nameRule);
    if (errs.length > 0) out.push(invalidValue('metadata.name', m.name, errs.join(', ')));
  }
  if (m.labels !== undefined) {
    if (!isObject(m.labels)) out.push(invalidValue('metadata.labels', 'object', 'must be a map of strings'));
    else
      for (const [k, v] of Object.entries(m.labels)) {
        const ke = qualifiedNameErrors(k);
        if (ke.length > 0) out.push(invalidValue('metadata.labels', k, ke.join(', ')));
        if (typeof v !== 'string') out.push(invalidValue(`metadata.labels`, String(v), 'label values must be strings'));
        else {
          const ve = labelValueErrors(v);
          if (ve.length > 0) out.push(invalidValue('metadata.labels', v, ve.join(', ')));
        }
      }
  }
  if (m.annotations !== undefined) {
    if (!isObject(m.annotations)) out.push(invalidValue('metadata.annotations', 'object', 'must be a map of strings'));
    else
      for (const [k, v] of Object.entries(m.annotations)) {
        const ke = qualifiedNameErrors(k.toLowerCase());
        if (ke.length > 0) out.push(invalidValue('metadata.annotations', k, ke.join(', ')));
        if (typeof v !== 'string') out.push(invalidValue(`metadata.annotations`, String(v), 'annotation values must be strings'));
      }
  }
  if (m.finalizers !== undefined) {
    if (!Array.isArray(m.finalizers)) out.push(invalidValue('metadata.finalizers', 'object', 'must be a list of strings'));
    else
      m.finalizers.forEach((f, i) => {
        const fe = typeof f === 'string' ? qualifiedNameErrors(f) : ['must be a string'];
        if (fe.length > 0) out.push(invalidValue(`metadata.finalizers[${i}]`, String(f), fe.join(', ')));
      });
  }
  if (m.ownerReferences !== undefined) {
    if (!Array.isArray(m.ownerReferences)) out.push(invalidValue('metadata.ownerReferences', 'object', 'must be a list'));
    else {
      let controllers = 0;
      m.ownerReferences.forEach((r, i) => {
        const f = `metadata.ownerReferences[${i}]`;
        if (!isObject(r)) return void out.push(invalidValue(f, 'object', 'must be an object'));
        for (const k of ['apiVersion', 'kind', 'name', 'uid'] as const) if (!r[k]) out.push(required(`${f}.${k}`, `${k} must not be empty`));
        if (r.controller === true) controllers++;
      });
      if (controllers > 1) out.push(invalidValue('metadata.ownerReferences', controllers, 'Only one reference can have Controller set to true'));
    }
  }
  return out;
}

/** Checks of CustomResourceDefinition objects (enough to serve them safely). */
export function validateCRD(crd: KubeObject): Cause[] {
  const out: Cause[] = [];
  const spec = isObject(crd.spec) ? (crd.spec as Record<string, any>) : undefined;
  if (!spec) return [required('spec')];
  const names = isObject(spec.names) ? spec.names : {};
  if (!spec.group) out.push(required('spec.group'));
  if (!names.plural) out.push(required('spec.names.plural'));
  if (!names.kind) out.push(required('spec.names.kind'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    out.push({ field: 'spec.scope', reason: 'FieldValueNotSupported', detail: `Unsupported value: ${q(spec.scope ?? '')}: supported values: "Cluster", "Namespaced"` });
  if (spec.group && names.plural && crd.metadata.name !== `${names.plural}.${spec.group}`)
    out.push(invalidValue('metadata.name', crd.metadata.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  const versions = Array.isArray(spec.versions) ? (spec.versions as Record<string, unknown>[]) : [];
  if (versions.length === 0) out.push(required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v.storage === true).length !== 1)
    out.push(invalidValue('spec.versions', versions.filter((v) => v.storage === true).length, 'must have exactly one version marked as storage version'));
  if (out.length === 0) {
    try {
      CRDSchemas.fromCRDs([crd]).compileAll();
    } catch (e) {
      out.push(invalidValue('spec.versions', 'schema', (e as Error).message));
    }
  }
  return out;
}

/** The status the apiextensions controllers would give a served CRD. */
export function crdStatus(crd: KubeObject, previous: unknown, now: string): Record<string, unknown> {
  const spec = crd.spec as Record<string, any>;
  const storage = (spec.versions as Record<string, unknown>[]).find((v) => v.storage === true)?.name as string;
  const prev = isObject(previous) ? previous : {};
  const stored = Array.isArray(prev.storedVersions) ? (prev.storedVersions as string[]) : [];
  const cond = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  const conditions = Array.isArray(prev.conditions) && prev.conditions.length > 0
    ? prev.conditions
    : [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'), cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')];
  return { conditions, acceptedNames: structuredClone(spec.names), storedVersions: stored.includes(storage) ? stored : [...stored, storage] };
}

/** Minimal checks of webhook configurations (the admission code depends on them). */
export function validateWebhookConfiguration(obj: KubeObject): Cause[] {
  const out: Cause[] = [];
  const hooks = obj.webhooks;
  if (hooks === undefined) return out;
  if (!Array.isArray(hooks)) return [invalidValue('webhooks', 'object', 'must be a list')];
  const seen = new Set<string>();
  hooks.forEach((w, i) => {
    const f = `webhooks[${i}]`;
    if (!isObject(w)) return void out.push(invalidValue(f, 'object', 'must be an object'));
    if (!w.name) out.push(required(`${f}.name`));
    else if (seen.has(String(w.name))) out.push({ field: `${f}.name`, reason: 'FieldValueDuplicate', detail: `Duplicate value: ${q(w.name)}` });
    seen.add(String(w.name));
    const cc = isObject(w.clientConfig) ? w.clientConfig : {};
    if (!!cc.url === !!cc.service) out.push(required(`${f}.clientConfig`, 'exactly one of url or service is required'));
    if (cc.caBundle !== undefined && (typeof cc.caBundle !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(cc.caBundle)))
      out.push(invalidValue(`${f}.clientConfig.caBundle`, '<bytes>', 'must be base64'));
    if (!Array.isArray(w.admissionReviewVersions) || !w.admissionReviewVersions.includes('v1'))
      out.push(required(`${f}.admissionReviewVersions`, 'must include at least one of v1'));
    if (!['None', 'NoneOnDryRun'].includes(String(w.sideEffects)))
      out.push({ field: `${f}.sideEffects`, reason: 'FieldValueNotSupported', detail: `Unsupported value: ${q(w.sideEffects ?? '')}: supported values: "None", "NoneOnDryRun"` });
  });
  return out;
}
