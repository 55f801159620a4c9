// Go fmt verbs that upstream error texts depend on: %q of a string (strconv.Quote), %s and %q of a
// []string, and strconv.ParseUint with its error texts.

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

/** fmt's %s (or %v) of a []string: `[a b c]`. */
export function goStringSlice(v: readonly string[] | undefined | null): string {
  return `[${(v ?? []).join(' ')}]`;
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
