// CRD schema handling the way kube-apiserver does it for custom resources: prune unknown fields,
// apply defaults, validate the OpenAPI v3 schema (ajv) and the CEL rules (hand-written equivalents,
// see cel-rules.ts). Works for any apiextensions.k8s.io/v1 CRD; by default it loads crds/.
// Pure apart from reading the CRD files.
import _Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { KubeObject } from '../api/meta.js';
import { goQuote } from '../util/gofmt.js';
import { loadManifests } from '../util/manifests.js';
import { parseCIDR, parseIP } from '../util/ip.js';
import { isObject } from '../util/json.js';
import { projectPath } from '../util/paths.js';
import { celImplementation, isTransitionRule, normalizeRule } from './cel-rules.js';

// ajv is CommonJS; its class is the `default` export of module.exports.
const Ajv = _Ajv.default;
type AjvInstance = InstanceType<typeof Ajv>;

/** One x-kubernetes-validations entry. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

/** A node of a CRD's openAPIV3Schema (the subset of JSONSchemaProps Kubernetes allows). */
export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  title?: string;
  default?: unknown;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  anyOf?: JSONSchemaProps[];
  allOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

/** metav1.Status cause reasons used by field errors. */
export type FieldErrorReason =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  | 'FieldValueTypeInvalid'
  | 'InternalError';

export interface FieldError {
  /** path of the offending field, e.g. "spec.peerPort" or "spec.bgp.routers[0].neighbors[1].port" */
  field: string;
  /** "<field>: <detail>", as kube-apiserver prints it */
  message: string;
  /** the message without the field prefix (what a 422 Status puts in details.causes[].message) */
  detail: string;
  reason: FieldErrorReason;
}

export interface SchemaResult {
  /** the pruned and defaulted copy of the input */
  object: KubeObject;
  errors: FieldError[];
  /** dropped unknown fields (`unknown field "spec.foo"`) and deprecation warnings */
  warnings: string[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

/** How one version of a kind is named and scoped, as discovery shows it (also the test API server's resource model). */
export interface VersionNames {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  hasStatus: boolean;
  /** sent as a Warning header on every request to a deprecated version */
  deprecationWarning?: string;
}

/**
 * The names of one version of a CRD (`spec`: the CRD's spec, `v`: one of its spec.versions), with the API
 * server's defaults: listKind `<kind>List`, singular the lower-cased kind, and the deprecation warning
 * `<group>/<version> <kind> is deprecated` unless the version gives its own.
 */
export function crdVersionNames(spec: Record<string, any>, v: Record<string, any>): VersionNames {
  const names = spec.names ?? {};
  return {
    group: spec.group,
    version: v.name,
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
    plural: names.plural,
    singular: names.singular ?? String(names.kind).toLowerCase(),
    shortNames: names.shortNames ?? [],
    namespaced: spec.scope !== 'Cluster',
    hasStatus: isObject(v.subresources) && v.subresources.status !== undefined,
    ...(v.deprecated === true ? { deprecationWarning: v.deprecationWarning ?? `${spec.group}/${v.name} ${names.kind} is deprecated` } : {}),
  };
}

export interface KindInfo extends VersionNames {
  storage: boolean;
  served: boolean;
  deprecated: boolean;
  printerColumns: PrinterColumn[];
  /** metadata.name of the CRD, "<plural>.<group>" */
  crdName: string;
}

export interface ValidateOptions {
  /** the stored object, for updates: enables transition rules (oldSelf) */
  oldObject?: KubeObject;
}

interface VersionEntry {
  info: KindInfo;
  schema: JSONSchemaProps;
  /** compiled on first use */
  validate?: ValidateFunction;
}

/** ObjectMeta fields kept when pruning metadata of a custom resource. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

// ------------------------------------------------------------------------------------ formats

// String formats Kubernetes checks (kube-openapi's registry); others are accepted as is.
const STRING_FORMATS: Record<string, (s: string) => boolean> = {
  ipv4: (s) => s.includes('.') && !s.includes(':') && parseIP(s) !== null,
  ipv6: (s) => s.includes(':') && parseIP(s) !== null,
  cidr: (s) => parseCIDR(s) !== null,
  mac: (s) => /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(s) || /^([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)),
  'date-time': (s) =>
    /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  datetime: (s) => STRING_FORMATS['date-time']!(s),
  hostname: (s) =>
    s.length <= 255 && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i.test(s),
};

function collectFormats(s: unknown, out: Set<string>): void {
  if (Array.isArray(s)) for (const x of s) collectFormats(x, out);
  else if (isObject(s)) {
    for (const [k, v] of Object.entries(s)) {
      if (k === 'format' && typeof v === 'string') out.add(v);
      else if (k !== 'default' && k !== 'enum') collectFormats(v, out);
    }
  }
}

/** OpenAPI 3.0 boolean exclusiveMinimum/Maximum become draft-07 numbers for ajv. */
function toAjvSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toAjvSchema);
  if (!isObject(s)) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'default' || k === 'enum' || k === 'x-kubernetes-validations') out[k] = v;
    else if (k === 'properties' && isObject(v)) {
      const props: Record<string, unknown> = {};
      for (const [name, ps] of Object.entries(v)) props[name] = toAjvSchema(ps);
      out[k] = props;
    } else out[k] = toAjvSchema(v);
  }
  if (out.exclusiveMinimum === true && typeof out.minimum === 'number') {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  } else if (typeof out.exclusiveMinimum === 'boolean') delete out.exclusiveMinimum;
  if (out.exclusiveMaximum === true && typeof out.maximum === 'number') {
    out.exclusiveMaximum = out.maximum;
    delete out.maximum;
  } else if (typeof out.exclusiveMaximum === 'boolean') delete out.exclusiveMaximum;
  return out;
}

function newAjv(): AjvInstance {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    coerceTypes: false,
    useDefaults: false,
    validateFormats: true,
    allowUnionTypes: true,
    verbose: true,
  });
  for (const kw of [
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    'x-kubernetes-validations',
    'example',
    'externalDocs',
  ]) {
    ajv.addKeyword({ keyword: kw });
  }
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    errors: true,
    validate: function intOrString(enabled: boolean, data: unknown): boolean {
      return !enabled || typeof data === 'string' || Number.isInteger(data);
    },
  });
  for (const [name, check] of Object.entries(STRING_FORMATS)) ajv.addFormat(name, { type: 'string', validate: check });
  for (const name of ['int32', 'int64', 'float', 'double']) ajv.addFormat(name, { type: 'number', validate: () => true });
  return ajv;
}

// ------------------------------------------------------------------------------------ messages

/** A value as kube-apiserver prints it after "Invalid value: ". */
function printValue(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return 'null';
  return goQuote(typeName(v));
}

/** The OpenAPI type name of a JSON value. */
function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

function typeMatches(v: unknown, type: string | undefined): boolean {
  switch (type) {
    case undefined:
      return true;
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    default:
      return true;
  }
}

function fieldError(field: string, reason: FieldErrorReason, detail: string): FieldError {
  return { field, reason, detail, message: field ? `${field}: ${detail}` : detail };
}

const join = (base: string, key: string): string => (base ? `${base}.${key}` : key);

/** kube-apiserver's one-line summary of a 422: `<Kind>.<group> "<name>" is invalid: ...`. */
export function invalidMessage(info: Pick<KindInfo, 'kind' | 'group'>, name: string, errors: FieldError[]): string {
  const head = `${info.kind}.${info.group} ${goQuote(name)} is invalid: `;
  if (errors.length === 1) return head + errors[0]!.message;
  return `${head}[${errors.map((e) => e.message).join(', ')}]`;
}

/** Turns ajv's JSON-pointer instance path into a Kubernetes field path, using the data to spot list indices. */
function fieldPath(instancePath: string, data: unknown): string {
  if (!instancePath) return '';
  let out = '';
  let cur: unknown = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out += `[${seg}]`;
      cur = cur[Number(seg)];
    } else {
      out = join(out, seg);
      cur = isObject(cur) ? cur[seg] : undefined;
    }
  }
  return out;
}

function ajvToFieldErrors(errors: ErrorObject[], data: unknown): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    // Errors inside anyOf/oneOf branches are summarized by the anyOf/oneOf error itself.
    if (/\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath)) continue;
    const path = fieldPath(e.instancePath, data);
    const value: unknown = e.data;
    const p = e.params as Record<string, unknown>;
    const inBody = `${path || '<root>'} in body`;
    switch (e.keyword) {
      case 'required':
        out.push(fieldError(join(path, String(p.missingProperty)), 'FieldValueRequired', 'Required value'));
        break;
      case 'type':
      case 'x-kubernetes-int-or-string': {
        const want = e.keyword === 'type' ? String(p.type) : 'integer,string';
        const got = typeName(value);
        out.push(
          fieldError(path, 'FieldValueTypeInvalid', `Invalid value: ${goQuote(got)}: ${inBody} must be of type ${want}: ${goQuote(got)}`),
        );
        break;
      }
      case 'enum': {
        const allowed = (p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? goQuote(v) : String(v)));
        out.push(fieldError(path, 'FieldValueNotSupported', `Unsupported value: ${printValue(value)}: supported values: ${allowed.join(', ')}`));
        break;
      }
      case 'minimum':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} should be greater than or equal to ${p.limit}`));
        break;
      case 'maximum':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} should be less than or equal to ${p.limit}`));
        break;
      case 'exclusiveMinimum':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} should be greater than ${p.limit}`));
        break;
      case 'exclusiveMaximum':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} should be less than ${p.limit}`));
        break;
      case 'multipleOf':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} should be a multiple of ${p.multipleOf}`));
        break;
      case 'minLength':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} should be at least ${p.limit} chars long`));
        break;
      case 'maxLength':
        out.push(fieldError(path, 'FieldValueTooLong', `Too long: may not be more than ${p.limit} bytes`));
        break;
      case 'pattern':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} should match '${p.pattern}'`));
        break;
      case 'format':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} must be of type ${p.format}: ${printValue(value)}`));
        break;
      case 'minItems':
        out.push(
          fieldError(path, 'FieldValueInvalid', `Invalid value: ${Array.isArray(value) ? value.length : 0}: ${inBody} should have at least ${p.limit} items`),
        );
        break;
      case 'maxItems':
        out.push(fieldError(path, 'FieldValueTooMany', `Too many: ${Array.isArray(value) ? value.length : 0}: must have at most ${p.limit} items`));
        break;
      case 'uniqueItems': {
        const j = Number(p.j);
        const item = Array.isArray(value) ? value[j] : undefined;
        out.push(fieldError(`${path}[${j}]`, 'FieldValueDuplicate', `Duplicate value: ${printValue(item)}`));
        break;
      }
      case 'minProperties':
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${Object.keys(value as object).length}: ${inBody} should have at least ${p.limit} properties`));
        break;
      case 'maxProperties':
        out.push(fieldError(path, 'FieldValueTooMany', `Too many: ${Object.keys(value as object).length}: must have at most ${p.limit} properties`));
        break;
      default:
        out.push(fieldError(path, 'FieldValueInvalid', `Invalid value: ${printValue(value)}: ${inBody} ${e.message ?? 'is invalid'}`));
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ walkers

/** Drops fields the schema does not know, like the API server's pruning. Mutates `value`. */
function prune(value: unknown, schema: JSONSchemaProps | undefined, path: string, warnings: string[], embedded: boolean): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => prune(v, schema.items, `${path}[${i}]`, warnings, !!schema.items!['x-kubernetes-embedded-resource']));
    return;
  }
  if (!isObject(value)) return;
  const props = schema.properties;
  const addl = schema.additionalProperties;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(value)) {
    const child = join(path, key);
    if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
    if (embedded && key === 'metadata') {
      pruneMetadata(value.metadata, child, warnings);
      continue;
    }
    if (props && Object.hasOwn(props, key)) {
      const ps = props[key]!;
      prune(value[key], ps, child, warnings, !!ps['x-kubernetes-embedded-resource']);
      continue;
    }
    if (addl !== undefined && addl !== false) {
      if (typeof addl === 'object') prune(value[key], addl, child, warnings, !!addl['x-kubernetes-embedded-resource']);
      continue;
    }
    if (preserve) continue;
    delete value[key];
    warnings.push(`unknown field ${goQuote(child)}`);
  }
}

function pruneMetadata(meta: unknown, path: string, warnings: string[]): void {
  if (!isObject(meta)) return;
  for (const key of Object.keys(meta)) {
    if (OBJECT_META_FIELDS.has(key)) continue;
    delete meta[key];
    warnings.push(`unknown field ${goQuote(join(path, key))}`);
  }
}

/** Applies `default`s to absent (or null, non-nullable) fields of present objects. Mutates `value`. */
function applyDefaults(value: unknown, schema: JSONSchemaProps | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    if (schema.items) for (const v of value) applyDefaults(v, schema.items);
    return;
  }
  if (!isObject(value)) return;
  if (schema.properties) {
    for (const [key, ps] of Object.entries(schema.properties)) {
      if (value[key] === null && !ps.nullable) delete value[key];
      if (value[key] === undefined && ps.default !== undefined) value[key] = structuredClone(ps.default);
      if (value[key] !== undefined) applyDefaults(value[key], ps);
    }
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(value)) {
      if (!schema.properties || !Object.hasOwn(schema.properties, key)) applyDefaults(value[key], schema.additionalProperties);
    }
  }
}

/** Duplicate entries in x-kubernetes-list-type set/map lists. */
function checkListTypes(value: unknown, schema: JSONSchemaProps | undefined, path: string, errors: FieldError[]): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const lt = schema['x-kubernetes-list-type'];
    if (lt === 'set' || lt === 'map') {
      const keys = schema['x-kubernetes-list-map-keys'] ?? [];
      const seen = new Set<string>();
      value.forEach((item, i) => {
        let id: string;
        if (lt === 'map') {
          if (!isObject(item)) return;
          const k: Record<string, unknown> = {};
          for (const name of keys) k[name] = item[name];
          id = JSON.stringify(k);
        } else id = JSON.stringify(item);
        if (seen.has(id)) errors.push(fieldError(`${path}[${i}]`, 'FieldValueDuplicate', `Duplicate value: ${lt === 'map' ? id : printValue(item)}`));
        seen.add(id);
      });
    }
    if (schema.items) value.forEach((v, i) => checkListTypes(v, schema.items, `${path}[${i}]`, errors));
    return;
  }
  if (!isObject(value)) return;
  if (schema.properties) {
    for (const [key, ps] of Object.entries(schema.properties)) {
      if (value[key] !== undefined) checkListTypes(value[key], ps, join(path, key), errors);
    }
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(value)) {
      if (!schema.properties || !Object.hasOwn(schema.properties, key)) checkListTypes(value[key], schema.additionalProperties, join(path, key), errors);
    }
  }
}

const ABSENT = Symbol('absent');
type Old = unknown | typeof ABSENT;

/** Finds the old list item correlated with a new one (only for list-type map and set, like Kubernetes). */
function correlatedItem(schema: JSONSchemaProps, oldList: Old, item: unknown): Old {
  if (!Array.isArray(oldList)) return ABSENT;
  const lt = schema['x-kubernetes-list-type'];
  if (lt === 'map' && isObject(item)) {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const found = oldList.find((o) => isObject(o) && keys.every((k) => o[k] === item[k]));
    return found === undefined ? ABSENT : found;
  }
  if (lt === 'set') {
    const found = oldList.find((o) => JSON.stringify(o) === JSON.stringify(item));
    return found === undefined ? ABSENT : found;
  }
  return ABSENT;
}

/** Evaluates the x-kubernetes-validations rules of every present node. */
function checkRules(value: unknown, old: Old, schema: JSONSchemaProps | undefined, path: string, errors: FieldError[]): void {
  if (!schema || value === undefined) return;
  if (!typeMatches(value, schema.type)) return; // already a schema error
  for (const r of schema['x-kubernetes-validations'] ?? []) {
    const at = r.fieldPath ? path + (r.fieldPath.startsWith('.') || r.fieldPath.startsWith('[') ? r.fieldPath : `.${r.fieldPath}`) : path;
    const impl = celImplementation(r.rule);
    if (!impl) {
      errors.push(fieldError(at, 'InternalError', `Internal error: CEL rule is not supported by metalfrr: ${normalizeRule(r.rule)}`));
      continue;
    }
    const transition = isTransitionRule(r.rule);
    if (transition && old === ABSENT && !r.optionalOldSelf) continue;
    const ok = impl(value, old === ABSENT ? undefined : old);
    if (!ok) {
      const message = r.message ?? `failed rule: ${normalizeRule(r.rule)}`;
      errors.push(fieldError(at, 'FieldValueInvalid', `Invalid value: ${goQuote(typeName(value))}: ${message}`));
    }
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => checkRules(v, correlatedItem(schema, old, v), schema.items, `${path}[${i}]`, errors));
    return;
  }
  if (!isObject(value)) return;
  const oldObj = isObject(old) ? old : undefined;
  const oldOf = (key: string): Old => (oldObj && oldObj[key] !== undefined ? oldObj[key] : ABSENT);
  if (schema.properties) {
    for (const [key, ps] of Object.entries(schema.properties)) {
      if (value[key] !== undefined) checkRules(value[key], oldOf(key), ps, join(path, key), errors);
    }
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(value)) {
      if (!schema.properties || !Object.hasOwn(schema.properties, key)) {
        checkRules(value[key], oldOf(key), schema.additionalProperties, join(path, key), errors);
      }
    }
  }
}

/** Every x-kubernetes-validations rule under a schema, with the schema path where it sits. */
export function schemaRules(schema: JSONSchemaProps, path = ''): { path: string; rule: ValidationRule }[] {
  const out: { path: string; rule: ValidationRule }[] = [];
  const walk = (s: JSONSchemaProps | undefined, p: string): void => {
    if (!s) return;
    for (const rule of s['x-kubernetes-validations'] ?? []) out.push({ path: p, rule });
    if (s.properties) for (const [k, v] of Object.entries(s.properties)) walk(v, join(p, k));
    if (s.items) walk(s.items, `${p}[*]`);
    if (isObject(s.additionalProperties)) walk(s.additionalProperties as JSONSchemaProps, `${p}[*]`);
    for (const sub of [...(s.anyOf ?? []), ...(s.allOf ?? []), ...(s.oneOf ?? [])]) walk(sub, p);
  };
  walk(schema, path);
  return out;
}

// ------------------------------------------------------------------------------------ CRDSchemas

const key3 = (group: string, version: string, name: string): string => `${group}/${version}/${name}`;

function splitAPIVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export class CRDSchemas {
  private readonly byKind = new Map<string, VersionEntry>();
  private readonly byPlural = new Map<string, VersionEntry>();
  private readonly entries: VersionEntry[] = [];
  private readonly crdList: KubeObject[];
  private readonly ajv: AjvInstance;

  private constructor(crds: KubeObject[]) {
    this.crdList = crds.map((c) => structuredClone(c));
    const formats = new Set<string>();
    collectFormats(crds, formats);
    this.ajv = newAjv();
    for (const f of formats) {
      if (!Object.hasOwn(STRING_FORMATS, f) && !['int32', 'int64', 'float', 'double'].includes(f)) this.ajv.addFormat(f, true);
    }
    for (const crd of this.crdList) {
      if (crd.kind !== 'CustomResourceDefinition') continue;
      const spec = crd.spec as Record<string, any>;
      const names = spec.names ?? {};
      for (const v of (spec.versions ?? []) as Record<string, any>[]) {
        const schema = (v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as JSONSchemaProps;
        const info: KindInfo = {
          ...crdVersionNames(spec, v),
          storage: v.storage === true,
          served: v.served === true,
          deprecated: v.deprecated === true,
          printerColumns: v.additionalPrinterColumns ?? [],
          crdName: crd.metadata.name ?? `${names.plural}.${spec.group}`,
        };
        const entry: VersionEntry = { info, schema };
        this.entries.push(entry);
        this.byKind.set(key3(info.group, info.version, info.kind), entry);
        this.byPlural.set(key3(info.group, info.version, info.plural), entry);
      }
    }
  }

  private compiled(e: VersionEntry): ValidateFunction {
    if (!e.validate) {
      try {
        e.validate = this.ajv.compile(toAjvSchema(e.schema) as object);
      } catch (err) {
        throw new Error(`CRD ${e.info.crdName} version ${e.info.version}: schema does not compile: ${(err as Error).message}`);
      }
    }
    return e.validate;
  }

  /** Compiles every version's schema now (they are otherwise compiled on first use); throws on a bad schema. */
  compileAll(): void {
    for (const e of this.entries) this.compiled(e);
  }

  /** Loads every CRD found in the YAML files of a directory (default: the project's crds/). */
  static fromDirectory(dir: string = projectPath('crds')): CRDSchemas {
    const { objects, errors } = loadManifests([dir]);
    if (errors.length > 0) throw new Error(`cannot load CRDs: ${errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
    return new CRDSchemas(objects.map((o) => o.object).filter((o) => o.kind === 'CustomResourceDefinition'));
  }

  static fromCRDs(crds: KubeObject[]): CRDSchemas {
    return new CRDSchemas(crds.filter((o) => o.kind === 'CustomResourceDefinition'));
  }

  /** The CRD objects (copies). */
  crds(): KubeObject[] {
    return this.crdList.map((c) => structuredClone(c));
  }

  /** One entry per (kind, version). */
  kinds(): KindInfo[] {
    return this.entries.map((e) => structuredClone(e.info));
  }

  private entry(apiVersion: unknown, kind: unknown): VersionEntry | undefined {
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
    const { group, version } = splitAPIVersion(apiVersion);
    return this.byKind.get(key3(group, version, kind));
  }

  lookup(apiVersion: string, kind: string): KindInfo | undefined {
    const e = this.entry(apiVersion, kind);
    return e ? structuredClone(e.info) : undefined;
  }

  lookupPlural(group: string, version: string, plural: string): KindInfo | undefined {
    const e = this.byPlural.get(key3(group, version, plural));
    return e ? structuredClone(e.info) : undefined;
  }

  /** The openAPIV3Schema of one version (not a copy: do not mutate). */
  schema(apiVersion: string, kind: string): JSONSchemaProps | undefined {
    return this.entry(apiVersion, kind)?.schema;
  }

  /**
   * Prunes unknown fields (with a warning each), applies defaults, then checks the schema and the
   * CEL rules (transition rules only when opts.oldObject is given). The input is not modified.
   */
  validate(obj: KubeObject, opts: ValidateOptions = {}): SchemaResult {
    const object = structuredClone(obj);
    const warnings: string[] = [];
    const entry = this.entry(obj?.apiVersion, obj?.kind);
    if (!entry) {
      return {
        object,
        warnings,
        errors: [fieldError('kind', 'FieldValueNotSupported', `Unsupported value: ${printValue(obj?.kind)}: no CustomResourceDefinition serves ${obj?.apiVersion}, Kind=${obj?.kind}`)],
      };
    }
    if (entry.info.deprecationWarning) warnings.push(entry.info.deprecationWarning);
    prune(object, entry.schema, '', warnings, true);
    applyDefaults(object, entry.schema);
    const errors: FieldError[] = [];
    const validate = this.compiled(entry);
    if (!validate(object)) errors.push(...ajvToFieldErrors(validate.errors ?? [], object));
    checkListTypes(object, entry.schema, '', errors);
    let old: Old = ABSENT;
    if (opts.oldObject) {
      // Compare against the old object as stored: pruned and defaulted the same way.
      const o = structuredClone(opts.oldObject);
      prune(o, entry.schema, '', [], true);
      applyDefaults(o, entry.schema);
      old = o;
    }
    checkRules(object, old, entry.schema, '', errors);
    const seen = new Set<string>();
    return {
      object,
      warnings,
      errors: errors.filter((e) => (seen.has(e.message) ? false : (seen.add(e.message), true))),
    };
  }

  /** Only the pruning step of validate(): drops unknown fields (a warning each); no defaults, no checks. The input is not modified. */
  prune(obj: KubeObject): { object: KubeObject; warnings: string[] } {
    const object = structuredClone(obj);
    const warnings: string[] = [];
    const entry = this.entry(obj?.apiVersion, obj?.kind);
    if (entry) prune(object, entry.schema, '', warnings, true);
    return { object, warnings };
  }

  /** Rules of every CRD version whose CEL text has no TypeScript equivalent (should be empty). */
  unsupportedRules(): { crd: string; version: string; path: string; rule: string }[] {
    const out: { crd: string; version: string; path: string; rule: string }[] = [];
    for (const e of this.entries) {
      for (const { path, rule } of schemaRules(e.schema)) {
        if (!celImplementation(rule.rule)) out.push({ crd: e.info.crdName, version: e.info.version, path, rule: rule.rule });
      }
    }
    return out;
  }
}
