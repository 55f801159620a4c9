// Label and field selectors in their query-string form (?labelSelector=a=b,c in (d,e)&fieldSelector=metadata.name=x).
import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';
import { isObject } from '../../operator/util/json.js';

export type LabelOp = 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'Gt' | 'Lt';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

const KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`;
const EXISTS_RE = new RegExp(`^(${KEY})$`);
const NOT_EXISTS_RE = new RegExp(`^!\\s*(${KEY})$`);
const SET_RE = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const EQ_RE = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const CMP_RE = new RegExp(`^(${KEY})\\s*(>|<)\\s*(-?\\d+)$`);
const VALUE_RE = new RegExp(`^${VALUE}$`);

/** Splits on commas outside parentheses. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parses a label selector string; throws a 400 ApiError when it is malformed. */
export function parseLabelSelector(text: string | undefined | null): LabelRequirement[] {
  if (!text || !text.trim()) return [];
  const reqs: LabelRequirement[] = [];
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = part.match(NOT_EXISTS_RE))) reqs.push({ key: m[1]!, op: 'DoesNotExist', values: [] });
    else if ((m = part.match(SET_RE))) {
      const values = m[4]!.split(',').map((v) => v.trim());
      if (values.some((v) => !VALUE_RE.test(v))) throw badRequest(`unable to parse requirement: invalid label value in ${JSON.stringify(part)}`);
      if (values.length === 1 && values[0] === '') throw badRequest(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`);
      reqs.push({ key: m[1]!, op: m[3] === 'in' ? 'In' : 'NotIn', values });
    } else if ((m = part.match(EQ_RE))) reqs.push({ key: m[1]!, op: m[3] === '!=' ? 'NotEquals' : 'Equals', values: [m[4] ?? ''] });
    else if ((m = part.match(CMP_RE))) reqs.push({ key: m[1]!, op: m[3] === '>' ? 'Gt' : 'Lt', values: [m[4]!] });
    else if ((m = part.match(EXISTS_RE))) reqs.push({ key: m[1]!, op: 'Exists', values: [] });
    else throw badRequest(`unable to parse requirement: ${JSON.stringify(part)} is not a valid label selector requirement`);
  }
  return reqs;
}

export function labelsMatch(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      case 'Equals':
        return has && v === r.values[0];
      case 'NotEquals':
        return !has || v !== r.values[0];
      case 'In':
        return has && r.values.includes(v!);
      case 'NotIn':
        return !has || !r.values.includes(v!);
      case 'Gt':
        return has && /^-?\d+$/.test(v!) && Number(v) > Number(r.values[0]);
      case 'Lt':
        return has && /^-?\d+$/.test(v!) && Number(v) < Number(r.values[0]);
    }
  });
}

export interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

/** Splits on a separator that is not escaped with a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Parses a field selector (`a=b,c!=d`, `==` accepted); throws a 400 ApiError when malformed. */
export function parseFieldSelector(text: string | undefined | null): FieldRequirement[] {
  if (!text || !text.trim()) return [];
  return splitUnescaped(text, ',').map((raw) => {
    const part = raw.trim();
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    return { field: m[1]!.trim(), negate: m[2] === '!=', value: unescape(m[3]!) };
  });
}

/** The value of a dotted field path as a field selector sees it ("" when absent). */
export function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) cur = isObject(cur) ? cur[seg] : undefined;
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export function fieldsMatch(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.negate);
}

/** A compiled pair of selectors; `matches` answers for one object. */
export class Selector {
  readonly labels: LabelRequirement[];
  readonly fields: FieldRequirement[];
  constructor(labelSelector?: string | null, fieldSelector?: string | null) {
    this.labels = parseLabelSelector(labelSelector);
    this.fields = parseFieldSelector(fieldSelector);
  }
  get empty(): boolean {
    return this.labels.length === 0 && this.fields.length === 0;
  }
  matches(obj: KubeObject): boolean {
    return labelsMatch(this.labels, obj.metadata?.labels) && fieldsMatch(this.fields, obj);
  }
}
