// Rendering of values the way Go prints them, which the upstream error texts (MetalLB and frr-k8s) depend
// on: %q of a string (strconv.Quote) and of an integer (strconv.QuoteRune), %s/%v and %q of a []string and
// of metav1 label selectors, strconv.ParseUint with its error texts, and sort.Strings' order.
import type { LabelSelector, LabelSelectorRequirement } from './selector.js';

const SIMPLE_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '"': '\\"',
  '\\': '\\\\',
};

/** Is the code point printable in Go's sense (unicode.IsPrint, approximated with Unicode categories)? */
function isPrint(cp: number): boolean {
  if (cp === 0x20) return true;
  const ch = String.fromCodePoint(cp);
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch);
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of String(s)) {
    const esc = SIMPLE_ESCAPES[ch];
    if (esc) {
      out += esc;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    if (isPrint(cp)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
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

/** Go's byte-wise string ordering (sort.Strings), as a comparator. */
export function goLess(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** fmt's %s (or %v) of a []string: `[a b c]`. */
export function goStringSlice(v: readonly string[] | undefined | null): string {
  return `[${(v ?? []).join(' ')}]`;
}

/** fmt's %#v of a []string: `[]string{"a", "b"}`. */
export function goSyntaxStringSlice(v: readonly string[]): string {
  return `[]string{${v.map(goQuote).join(', ')}}`;
}

/** fmt's %q of a []string: `["a" "b"]`. */
export function goQuotedSlice(v: readonly string[] | undefined | null): string {
  return `[${(v ?? []).map(goQuote).join(' ')}]`;
}

export class GoParseError extends Error {}

/**
 * strconv.ParseUint(s, 10, bitSize) for bitSize <= 32; throws GoParseError with Go's text
 * (`strconv.ParseUint: parsing "x": invalid syntax` / `value out of range`).
 */
export function goParseUint(s: string, bitSize: 8 | 16 | 32): number {
  const max = 2 ** bitSize - 1;
  const syntax = (): never => {
    throw new GoParseError(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
  };
  const range = (): never => {
    throw new GoParseError(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`);
  };
  if (s.length === 0) syntax();
  let n = 0;
  for (const ch of s) {
    if (ch < '0' || ch > '9') syntax();
    n = n * 10 + (ch.charCodeAt(0) - 48);
    if (n > max) range();
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------
// metav1.LabelSelector values as fmt prints them (MetalLB builds messages with them)

function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {})
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort((a, b) => goLess(a[0], b[0]));
}

/** `%v` of a metav1.LabelSelectorRequirement value: `{key In [a b]}`. */
export function goRequirementV(r: LabelSelectorRequirement): string {
  return `{${r.key ?? ''} ${r.operator ?? ''} ${goStringSlice(r.values)}}`;
}

/** `%q` of a metav1.LabelSelectorRequirement value: `{"key" "In" ["a" "b"]}`. */
export function goRequirementQ(r: LabelSelectorRequirement): string {
  return `{${goQuote(r.key ?? '')} ${goQuote(r.operator ?? '')} ${goQuotedSlice(r.values)}}`;
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
    .map((r) => `LabelSelectorRequirement{Key:${r.key ?? ''},Operator:${r.operator ?? ''},Values:${goStringSlice(r.values)},},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/**
 * A canonical key for structural equality of two selectors (MetalLB compares the generated String() of
 * each selector, which sorts label keys but keeps expression order).
 */
export function selectorKey(sel: LabelSelector | undefined): string {
  return JSON.stringify([sortedEntries(sel?.matchLabels), (sel?.matchExpressions ?? []).map(requirementParts)]);
}

/** Key of one match expression (generated String() equality). */
export function requirementKey(r: LabelSelectorRequirement): string {
  return JSON.stringify(requirementParts(r));
}

function requirementParts(r: LabelSelectorRequirement): [string, string, string[]] {
  return [r.key ?? '', r.operator ?? '', r.values ?? []];
}
