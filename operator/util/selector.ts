// Kubernetes label selectors (metav1.LabelSelector): validation with apimachinery's messages, and matching.
import { goLess, goQuote, goSyntaxStringSlice } from './gofmt.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type Labels = Record<string, string>;

const NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Errors of apimachinery's IsQualifiedName, empty when valid. */
export function qualifiedNameErrors(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
    else if (!DNS1123_SUBDOMAIN_RE.test(prefix))
      errs.push(
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      );
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  else if (!NAME_RE.test(name))
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  return errs;
}

/** Errors of apimachinery's IsValidLabelValue, empty when valid. */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 characters');
  if (value.length > 0 && !NAME_RE.test(value))
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    );
  return errs;
}

function requirementError(key: string, op: string, values: string[]): string | null {
  const keyErrs = qualifiedNameErrors(key);
  if (keyErrs.length > 0) return `key: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`;
  if (op === 'In' || op === 'NotIn') {
    if (values.length === 0)
      return `values: Invalid value: ${goSyntaxStringSlice(values)}: for 'in', 'notin' operators, values set can't be empty`;
  } else if (op === 'Exists' || op === 'DoesNotExist') {
    if (values.length !== 0)
      return `values: Invalid value: ${goSyntaxStringSlice(values)}: values set must be empty for exists and does not exist`;
  }
  for (let i = 0; i < values.length; i++) {
    const errs = labelValueErrors(values[i]!);
    if (errs.length > 0) return `values[${i}][${key}]: Invalid value: ${goQuote(values[i]!)}: ${errs.join('; ')}`;
  }
  return null;
}

/**
 * Validates a selector the way metav1.LabelSelectorAsSelector does; returns the first error text, or null.
 * A null/undefined selector is valid (it selects nothing in apimachinery, but callers treat it as "all").
 */
export function selectorError(sel: LabelSelector | null | undefined): string | null {
  if (!sel) return null;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const e = requirementError(k, 'In', [String(v)]);
    if (e) return e;
  }
  for (const expr of sel.matchExpressions ?? []) {
    const op = expr.operator;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(op))
      return `${goQuote(String(op ?? ''))} is not a valid label selector operator`;
    const e = requirementError(expr.key ?? '', op, expr.values ?? []);
    if (e) return e;
  }
  return null;
}

/** Does the (valid) selector match the labels? An empty selector matches everything. */
export function selectorMatches(sel: LabelSelector | null | undefined, labels: Labels | undefined): boolean {
  if (!sel) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (l[k] !== String(v)) return false;
  }
  for (const expr of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, expr.key);
    const vals = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        if (!has || !vals.includes(l[expr.key]!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(l[expr.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True when the selector has neither labels nor expressions (matches everything). */
export function selectorIsEmpty(sel: LabelSelector | null | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}

/** The canonical string form of a selector ("a=b,c in (d,e)"), as labels.Selector.String() prints it. */
export function selectorString(sel: LabelSelector | null | undefined): string {
  if (!sel) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort();
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, text: `${e.key} in (${vals.join(',')})` });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, text: `${e.key} notin (${vals.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
    }
  }
  reqs.sort((a, b) => goLess(a.key, b.key));
  return reqs.map((r) => r.text).join(',');
}
