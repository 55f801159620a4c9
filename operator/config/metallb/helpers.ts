// Small helpers shared by the parser, the mode validation and the webhook: tolerant field access on
// objects read from YAML, pool address parsing (upstream `config.ParseCIDR`) and the label-selector
// hygiene checks (rules D1-D4).
import { METALLB_V1BETA2 } from '../../api/constants.js';
import type { KubeObject } from '../../api/meta.js';
import { bitsOf, formatIP, parseCIDR, parseIP, rangeToCIDRs, type CIDR } from '../../util/ip.js';
import { selectorError, type LabelSelector, type LabelSelectorRequirement } from '../../util/selector.js';
import { asStoredVersion, ConversionError } from '../bgppeer-conversion.js';
import { goLess, goQuote, goRequirementQ, goSelectorQ, requirementKey, selectorKey } from '../../util/gofmt.js';

export const nameOf = (o: KubeObject | undefined): string => {
  const n = o?.metadata?.name;
  return typeof n === 'string' ? n : '';
};

export const namespaceOf = (o: KubeObject | undefined): string => {
  const n = o?.metadata?.namespace;
  return typeof n === 'string' ? n : '';
};

export const labelsOf = (o: KubeObject | undefined): Record<string, string> => {
  const l = o?.metadata?.labels;
  if (!l || typeof l !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) out[k] = String(v);
  return out;
};

/** The object's `spec` as a plain record (missing or malformed spec = empty). */
export function specOf(o: KubeObject | undefined): Record<string, unknown> {
  const s = (o as { spec?: unknown } | undefined)?.spec;
  return s && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>) : {};
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

export const bool = (v: unknown): boolean => v === true || v === 'true';

/** A number field; non-numbers count as 0 (Go zero value). */
export const num = (v: unknown): number => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return 0;
};

/** An optional number field: undefined/null stay undefined. */
export const optNum = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : num(v));

export const strList = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);

export function selectorList(v: unknown): LabelSelector[] {
  if (!Array.isArray(v)) return [];
  return v.map((s) => (s && typeof s === 'object' ? (s as LabelSelector) : {}));
}

/** Stable sort of objects by metadata.name (Go byte order). */
export function sortByName<T extends KubeObject>(list: readonly T[] | undefined): T[] {
  return [...(list ?? [])].sort((a, b) => goLess(nameOf(a), nameOf(b)));
}

/**
 * A BGPPeer as the v1beta2 storage version holds it: a metallb.io/v1beta1 object goes through the conversion
 * webhook's conversion (../bgppeer-conversion.ts: unset holdTime/keepaliveTime become "0s", a legacy node
 * selector without labels and expressions becomes the empty selector). Other objects are returned as is.
 *
 * One deliberate difference: a v1beta1 timer Go cannot parse fails that conversion; the parser keeps such a
 * peer (relabelled v1beta2, spec untouched) so that it reports the timer with MetalLB's own text
 * (`invalid BGPPeer timers: time: invalid duration ...`).
 */
export function peerAsV1beta2<T extends KubeObject>(o: T): T {
  try {
    return asStoredVersion(o) as T;
  } catch (e) {
    if (!(e instanceof ConversionError)) throw e;
    return { ...structuredClone(o), apiVersion: METALLB_V1BETA2 };
  }
}

// ---------------------------------------------------------------------------------------------------
// Pool addresses

export interface ParsedAddress {
  cidrs: CIDR[];
}

/**
 * Parses one `spec.addresses` entry: a CIDR (host bits masked) or a range "start-end" (ends trimmed) summarized
 * into CIDRs. Returns MetalLB's inner error text on failure. A range whose ends are of different families yields
 * no CIDR and no error, as upstream does.
 */
export function parsePoolAddress(entry: string): ParsedAddress | { error: string } {
  if (!entry.includes('-')) {
    const c = parseCIDR(entry);
    if (!c) return { error: `invalid CIDR ${goQuote(entry)}` };
    return { cidrs: [{ ...c, ip: c.network }] };
  }
  const dash = entry.indexOf('-');
  const f0 = entry.slice(0, dash);
  const f1 = entry.slice(dash + 1);
  const start = parseIP(f0.trim());
  if (!start) return { error: `invalid IP range ${goQuote(entry)}: invalid start IP ${goQuote(f0)}` };
  const end = parseIP(f1.trim());
  if (!end) return { error: `invalid IP range ${goQuote(entry)}: invalid end IP ${goQuote(f1)}` };
  // Go compares the 16-byte forms: IPv4 lives at ::ffff:a.b.c.d
  const as16 = (ip: { family: 4 | 6; value: bigint }): bigint => (ip.family === 4 ? 0xffff00000000n | ip.value : ip.value);
  if (as16(start) > as16(end)) {
    return {
      error: `invalid IP range ${goQuote(entry)}: start IP ${goQuote(formatIP(start))} is after the end IP ${goQuote(formatIP(end))}`,
    };
  }
  if (start.family !== end.family) return { cidrs: [] };
  return { cidrs: rangeToCIDRs(start.family, start.value, end.value) };
}

/** Upstream cidrsOverlap: equal prefixes, or the shorter one containing the other's network address. */
export function poolCIDRsOverlap(a: CIDR, b: CIDR): boolean {
  if (a.family !== b.family) return false;
  const contains = (outer: CIDR, inner: CIDR): boolean => {
    if (outer.prefix === inner.prefix) return outer.network === inner.network;
    if (outer.prefix < inner.prefix) {
      const shift = BigInt(bitsOf(outer.family) - outer.prefix);
      return inner.network >> shift === outer.network >> shift;
    }
    return false;
  };
  return contains(a, b) || contains(b, a);
}

// ---------------------------------------------------------------------------------------------------
// Duplicate checks (rules D1-D3, E1, F1)

/** `duplicate definition of <type> "<value>"` for the first repeated string, or null. */
export function duplicateStringError(list: readonly string[], type: string): string | null {
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      if (list[i] === list[j]) return `duplicate definition of ${type} ${goQuote(list[i]!)}`;
    }
  }
  return null;
}

function sortedValues(sel: LabelSelector): LabelSelector {
  const out: LabelSelector = {};
  if (sel.matchLabels !== undefined) out.matchLabels = sel.matchLabels;
  if (sel.matchExpressions !== undefined) {
    out.matchExpressions = (Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []).map(
      (e): LabelSelectorRequirement => ({
        ...e,
        ...(e?.values !== undefined ? { values: strList(e.values).sort(goLess) } : {}),
      }),
    );
  }
  return out;
}

/**
 * Upstream validateLabelSelectorDuplicate: values of every expression are sorted first; then for each selector
 * in order its expressions are checked (duplicate value, duplicate expression) before comparing it with the
 * later selectors.
 */
export function selectorDuplicateError(list: readonly LabelSelector[], field: string): string | null {
  const sorted = list.map(sortedValues);
  for (let i = 0; i < sorted.length; i++) {
    const exprs = sorted[i]!.matchExpressions ?? [];
    for (let a = 0; a < exprs.length; a++) {
      const dv = duplicateStringError(exprs[a]!.values ?? [], 'match expression value in label selector');
      if (dv) return dv;
      for (let b = a + 1; b < exprs.length; b++) {
        if (requirementKey(exprs[a]!) === requirementKey(exprs[b]!)) {
          return `duplicate definition of match expressions ${goRequirementQ(exprs[a]!)}`;
        }
      }
    }
    for (let j = i + 1; j < sorted.length; j++) {
      if (selectorKey(sorted[i]) === selectorKey(sorted[j])) return `duplicate definition of ${field} ${goSelectorQ(sorted[i])}`;
    }
  }
  return null;
}

/** metav1.LabelSelectorAsSelector error text for the first invalid selector of a list, with its index. */
export function firstSelectorError(list: readonly LabelSelector[]): { index: number; error: string } | null {
  for (let i = 0; i < list.length; i++) {
    const e = selectorError(list[i]);
    if (e) return { index: i, error: e };
  }
  return null;
}

export { selectorError };
