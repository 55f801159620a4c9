// Rendering of values the way Go's fmt package prints them in MetalLB's error messages.
// MetalLB builds its messages with `%q`, `%v` and `%s` over strings, label selectors and
// Kubernetes structs; to reproduce the exact texts we need the same renderings.
import type { LabelSelector, LabelSelectorRequirement } from '../../util/selector.js';

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's strconv.Quote (what `%q` prints for a string). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') {
      out += `\\${ch}`;
    } else if (ch === ' ' || (cp > 0x7e ? PRINTABLE.test(ch) : cp >= 0x21 && cp <= 0x7e)) {
      out += ch;
    } else {
      switch (ch) {
        case '\x07':
          out += '\\a';
          break;
        case '\b':
          out += '\\b';
          break;
        case '\f':
          out += '\\f';
          break;
        case '\n':
          out += '\\n';
          break;
        case '\r':
          out += '\\r';
          break;
        case '\t':
          out += '\\t';
          break;
        case '\v':
          out += '\\v';
          break;
        default:
          if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
          else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
          else out += `\\U${cp.toString(16).padStart(8, '0')}`;
      }
    }
  }
  return `${out}"`;
}

/** `%v` of a []string: `[a b]`. */
export function goStringsV(v: readonly string[] | undefined): string {
  return `[${(v ?? []).join(' ')}]`;
}

/** `%q` of a []string: `["a" "b"]`. */
export function goStringsQ(v: readonly string[] | undefined): string {
  return `[${(v ?? []).map(goQuote).join(' ')}]`;
}

function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {})
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** `%v` of a metav1.LabelSelectorRequirement value: `{key In [a b]}`. */
export function goRequirementV(r: LabelSelectorRequirement): string {
  return `{${r.key ?? ''} ${r.operator ?? ''} ${goStringsV(r.values)}}`;
}

/** `%q` of a metav1.LabelSelectorRequirement value: `{"key" "In" ["a" "b"]}`. */
export function goRequirementQ(r: LabelSelectorRequirement): string {
  return `{${goQuote(r.key ?? '')} ${goQuote(r.operator ?? '')} ${goStringsQ(r.values)}}`;
}

/** `%v` of a metav1.LabelSelector value (not a pointer, so no Stringer): `{map[a:b] [{k In [x]}]}`. */
export function goSelectorV(sel: LabelSelector | undefined): string {
  const labels = sortedEntries(sel?.matchLabels).map(([k, v]) => `${k}:${v}`);
  const exprs = (sel?.matchExpressions ?? []).map(goRequirementV);
  return `{map[${labels.join(' ')}] [${exprs.join(' ')}]}`;
}

/** `%q` of a metav1.LabelSelector value: `{map["a":"b"] [{"k" "In" ["x"]}]}`. */
export function goSelectorQ(sel: LabelSelector | undefined): string {
  const labels = sortedEntries(sel?.matchLabels).map(([k, v]) => `${goQuote(k)}:${goQuote(v)}`);
  const exprs = (sel?.matchExpressions ?? []).map(goRequirementQ);
  return `{map[${labels.join(' ')}] [${exprs.join(' ')}]}`;
}

/** The generated String() of *metav1.LabelSelector (what `%v` prints for a pointer). */
export function goSelectorProto(sel: LabelSelector | undefined): string {
  const labels = sortedEntries(sel?.matchLabels)
    .map(([k, v]) => `${k}: ${v},`)
    .join('');
  const exprs = (sel?.matchExpressions ?? [])
    .map((r) => `LabelSelectorRequirement{Key:${r.key ?? ''},Operator:${r.operator ?? ''},Values:${goStringsV(r.values)},},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/**
 * A canonical key for structural equality of two selectors (MetalLB compares the generated String() of
 * each selector, which sorts label keys but keeps expression order).
 */
export function selectorKey(sel: LabelSelector | undefined): string {
  return JSON.stringify([
    sortedEntries(sel?.matchLabels),
    (sel?.matchExpressions ?? []).map((r) => [r.key ?? '', r.operator ?? '', r.values ?? []]),
  ]);
}

/** Key of one match expression (generated String() equality). */
export function requirementKey(r: LabelSelectorRequirement): string {
  return JSON.stringify([r.key ?? '', r.operator ?? '', r.values ?? []]);
}

/** Go's byte-wise string ordering (sort.Strings). */
export function goLess(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's strconv.QuoteRune (what `%q` prints for an integer): 33 -> `'!'`. */
export function goQuoteRune(n: number): string {
  let cp = Math.trunc(n);
  if (!(cp >= 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
  const ch = String.fromCodePoint(cp);
  if (ch === "'") return "'\\''";
  if (ch === '"') return `'"'`;
  const q = goQuote(ch); // same escapes as strings, minus the double-quote handling above
  return `'${q.slice(1, -1)}'`;
}
