// Reading the Prometheus text exposition format (what every role serves at /metrics): the samples with
// their labels, for `metalfrr lab status`. Pure; comments (# HELP, # TYPE) are skipped.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** Parses the label set starting after `{`; returns the labels and the index after `}`. */
function parseLabels(line: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = at;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
    if (!m) throw new Error(`bad label name at ${i}: ${line}`);
    i += m[0].length;
    if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`bad label at ${i}: ${line}`);
    i += 2;
    let v = '';
    for (; i < line.length && line[i] !== '"'; i++) {
      if (line[i] === '\\') {
        const c = line[++i];
        v += c === 'n' ? '\n' : c;
      } else v += line[i];
    }
    if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
    labels[m[0]] = v;
    i++;
  }
}

/** Every sample of a /metrics text; throws on a line that is not a sample, a comment or blank. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = NAME.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    let i = m[0].length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i + 1));
    const [value] = line.slice(i).trim().split(/\s+/);
    const n = value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value);
    if (value === undefined || (Number.isNaN(n) && value !== 'NaN')) throw new Error(`bad sample value: ${line}`);
    out.push({ name: m[0], labels, value: n });
  }
  return out;
}

/** The samples named `name` whose labels include `match`. */
export function samples(all: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return all.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
