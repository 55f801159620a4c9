// A strict interpreter of the Go text/template subset (plus the Sprig/Helm functions) metalfrr's Helm
// chart uses. Anything outside the subset throws, so the chart cannot silently depend on syntax or
// functions this renderer does not implement the way Helm does.
//
// Supported: text and actions with `{{-` / `-}}` trimming, comments, fields (.A.B, $x.A, (pipe).A),
// variables ($x := / $x =, $ for the root), literals (strings, raw strings, numbers, true/false/nil),
// pipelines, parenthesized pipelines, if / else if / else, with / else, range (lists and maps, with
// `$i, $v :=`) / else, define, template, include. Functions: see FUNCTIONS below.
import { parse as parseYAML, stringify } from 'yaml';

export type Value = unknown;
type Dict = Record<string, Value>;

export class TemplateError extends Error {}

// ---------------------------------------------------------------------------------------- lexing

interface TextPiece {
  kind: 'text';
  text: string;
}
interface ActionPiece {
  kind: 'action';
  src: string;
  pos: string;
}
type Piece = TextPiece | ActionPiece;

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Splits a template into text and action pieces, applying `{{-` / `-}}` whitespace trimming. */
export function splitTemplate(name: string, text: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    let chunk = open < 0 ? text.slice(i) : text.slice(i, open);
    if (trimNext) chunk = chunk.replace(/^\s+/, '');
    if (open < 0) {
      if (chunk) pieces.push({ kind: 'text', text: chunk });
      break;
    }
    const pos = `${name}:${lineOf(text, open)}`;
    let start = open + 2;
    const trimLeft = text[start] === '-' && /\s/.test(text[start + 1] ?? '');
    if (trimLeft) {
      chunk = chunk.replace(/\s+$/, '');
      start += 2;
    }
    if (chunk) pieces.push({ kind: 'text', text: chunk });
    // a comment ends at the first "*/}}" or "*/ -}}"
    if (text.slice(start).trimStart().startsWith('/*')) {
      const m = /\*\/(\s-)?\}\}/.exec(text.slice(start));
      if (!m) throw new TemplateError(`${pos}: unclosed comment`);
      trimNext = m[1] !== undefined;
      i = start + m.index + m[0].length;
      continue;
    }
    // find the closing }} outside of string literals
    let j = start;
    let quote: string | null = null;
    for (; j < text.length; j++) {
      const c = text[j]!;
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === '`') {
        quote = c;
      } else if (c === '}' && text[j + 1] === '}') {
        break;
      }
    }
    if (j >= text.length) throw new TemplateError(`${pos}: unclosed action`);
    let end = j;
    trimNext = false;
    if (text[end - 1] === '-' && /\s/.test(text[end - 2] ?? '')) {
      trimNext = true;
      end -= 2;
    }
    pieces.push({ kind: 'action', src: text.slice(start, end).trim(), pos });
    i = j + 2;
  }
  return pieces;
}

type Token =
  | { t: 'field'; v: string[] } // .A.B (empty list: the dot)
  | { t: 'var'; v: string; chain: string[] }
  | { t: 'ident'; v: string }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'punct'; v: '(' | ')' | '|' | ':=' | '=' | ',' }
  | { t: 'chain'; v: string[] }; // .A.B right after a ")"

function tokenize(src: string, pos: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const ident = /[A-Za-z0-9_]/;
  const readChain = (): string[] => {
    const chain: string[] = [];
    while (src[i] === '.' && ident.test(src[i + 1] ?? '')) {
      i++;
      let s = '';
      while (i < src.length && ident.test(src[i]!)) s += src[i++];
      chain.push(s);
    }
    return chain;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === '|' || c === ',') {
      out.push({ t: 'punct', v: c });
      i++;
      if (c === ')' && src[i] === '.') out.push({ t: 'chain', v: readChain() });
    } else if (c === ':' && src[i + 1] === '=') {
      out.push({ t: 'punct', v: ':=' });
      i += 2;
    } else if (c === '=') {
      out.push({ t: 'punct', v: '=' });
      i++;
    } else if (c === '.') {
      if (ident.test(src[i + 1] ?? '') && !/[0-9]/.test(src[i + 1]!)) out.push({ t: 'field', v: readChain() });
      else {
        out.push({ t: 'field', v: [] });
        i++;
      }
    } else if (c === '$') {
      i++;
      let s = '$';
      while (i < src.length && ident.test(src[i]!)) s += src[i++];
      out.push({ t: 'var', v: s, chain: readChain() });
    } else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError(`${pos}: unterminated string`);
      out.push({ t: 'string', v: JSON.parse(src.slice(i, j + 1)) as string });
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError(`${pos}: unterminated raw string`);
      out.push({ t: 'string', v: src.slice(i + 1, j) });
      i = j + 1;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)/.exec(src.slice(i));
      if (!m) throw new TemplateError(`${pos}: bad number in "${src}"`);
      out.push({ t: 'number', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      let s = '';
      while (i < src.length && ident.test(src[i]!)) s += src[i++];
      out.push({ t: 'ident', v: s });
    } else {
      throw new TemplateError(`${pos}: unsupported character ${JSON.stringify(c)} in "${src}"`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------- parsing

type Arg =
  | { k: 'field'; chain: string[] }
  | { k: 'var'; name: string; chain: string[] }
  | { k: 'fn'; name: string }
  | { k: 'lit'; v: Value }
  | { k: 'pipe'; pipe: Pipeline; chain: string[] };

interface Command {
  args: Arg[];
}
interface Pipeline {
  decl: string[];
  assign: boolean; // `=` instead of `:=`
  cmds: Command[];
  pos: string;
}

type Node =
  | { n: 'text'; text: string }
  | { n: 'action'; pipe: Pipeline }
  | { n: 'if' | 'with'; pipe: Pipeline; body: Node[]; else: Node[] }
  | { n: 'range'; pipe: Pipeline; body: Node[]; else: Node[] }
  | { n: 'template'; name: string; pipe: Pipeline | null; pos: string };

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

function parsePipeline(toks: Token[], pos: string): Pipeline {
  let i = 0;
  const decl: string[] = [];
  let assign = false;
  // `$x :=`, `$x =`, `$i, $v :=`
  const declEnd = toks.findIndex((t) => t.t === 'punct' && (t.v === ':=' || t.v === '='));
  if (declEnd > 0 && toks.slice(0, declEnd).every((t) => t.t === 'var' || (t.t === 'punct' && t.v === ','))) {
    for (const t of toks.slice(0, declEnd)) if (t.t === 'var') {
      if (t.chain.length > 0) throw new TemplateError(`${pos}: cannot assign to a field of ${t.v}`);
      decl.push(t.v);
    }
    assign = (toks[declEnd] as { v: string }).v === '=';
    i = declEnd + 1;
  }
  const parseCmds = (stopAtParen: boolean): Command[] => {
    const cmds: Command[] = [];
    let args: Arg[] = [];
    for (; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.t === 'punct' && t.v === '|') {
        if (args.length === 0) throw new TemplateError(`${pos}: missing command before |`);
        cmds.push({ args });
        args = [];
      } else if (t.t === 'punct' && t.v === ')') {
        if (!stopAtParen) throw new TemplateError(`${pos}: unexpected )`);
        break;
      } else if (t.t === 'punct' && t.v === '(') {
        i++;
        const inner = parseCmds(true);
        if (toks[i]?.t !== 'punct' || (toks[i] as { v: string }).v !== ')') throw new TemplateError(`${pos}: unclosed (`);
        let chain: string[] = [];
        if (toks[i + 1]?.t === 'chain') chain = (toks[++i] as { v: string[] }).v;
        args.push({ k: 'pipe', pipe: { decl: [], assign: false, cmds: inner, pos }, chain });
      } else if (t.t === 'field') args.push({ k: 'field', chain: t.v });
      else if (t.t === 'var') args.push({ k: 'var', name: t.v, chain: t.chain });
      else if (t.t === 'string' || t.t === 'number') args.push({ k: 'lit', v: t.v });
      else if (t.t === 'ident') {
        if (t.v === 'true' || t.v === 'false') args.push({ k: 'lit', v: t.v === 'true' });
        else if (t.v === 'nil') args.push({ k: 'lit', v: null });
        else if (KEYWORDS.has(t.v)) throw new TemplateError(`${pos}: unexpected keyword ${t.v}`);
        else if (!Object.hasOwn(FUNCTIONS, t.v)) throw new TemplateError(`${pos}: function "${t.v}" not implemented by this renderer`);
        else args.push({ k: 'fn', name: t.v });
      } else throw new TemplateError(`${pos}: unexpected token in pipeline`);
    }
    if (args.length === 0) throw new TemplateError(`${pos}: empty command`);
    cmds.push({ args });
    return cmds;
  };
  const cmds = parseCmds(false);
  for (const c of cmds.slice(1)) {
    if (c.args[0]!.k !== 'fn') throw new TemplateError(`${pos}: only functions can take a piped value`);
  }
  return { decl, assign, cmds, pos };
}

interface Parsed {
  nodes: Node[];
  defines: Map<string, Node[]>;
}

function parseTemplate(name: string, text: string): Parsed {
  const pieces = splitTemplate(name, text);
  const defines = new Map<string, Node[]>();
  let i = 0;
  // returns the nodes up to (not including) an `end` / `else...` action, which is left in `stop`
  const parseList = (inside: string | null): { nodes: Node[]; stop: ActionPiece | null } => {
    const nodes: Node[] = [];
    for (; i < pieces.length; ) {
      const p = pieces[i++]!;
      if (p.kind === 'text') {
        nodes.push({ n: 'text', text: p.text });
        continue;
      }
      const toks = tokenize(p.src, p.pos);
      const head = toks[0];
      const kw = head?.t === 'ident' && KEYWORDS.has(head.v) ? head.v : null;
      if (kw === 'end' || kw === 'else') {
        if (!inside) throw new TemplateError(`${p.pos}: unexpected {{${kw}}}`);
        return { nodes, stop: p };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') {
        nodes.push(parseControl(kw, toks.slice(1), p.pos));
      } else if (kw === 'define') {
        if (inside) throw new TemplateError(`${p.pos}: define inside a block`);
        const nm = toks[1];
        if (nm?.t !== 'string' || toks.length !== 2) throw new TemplateError(`${p.pos}: define needs one string name`);
        const body = parseList('define');
        if (!body.stop || tokenize(body.stop.src, body.stop.pos)[0]?.t !== 'ident' || body.stop.src !== 'end') {
          throw new TemplateError(`${p.pos}: define "${nm.v}" not closed by {{end}}`);
        }
        defines.set(nm.v, body.nodes);
      } else if (kw === 'template') {
        const nm = toks[1];
        if (nm?.t !== 'string') throw new TemplateError(`${p.pos}: template needs a string name`);
        nodes.push({ n: 'template', name: nm.v, pipe: toks.length > 2 ? parsePipeline(toks.slice(2), p.pos) : null, pos: p.pos });
      } else if (kw) {
        throw new TemplateError(`${p.pos}: {{${kw}}} is not implemented by this renderer`);
      } else {
        nodes.push({ n: 'action', pipe: parsePipeline(toks, p.pos) });
      }
    }
    if (inside) throw new TemplateError(`${name}: unexpected end of template inside ${inside}`);
    return { nodes, stop: null };
  };
  const parseControl = (kw: 'if' | 'with' | 'range', toks: Token[], pos: string): Node => {
    const pipe = parsePipeline(toks, pos);
    const body = parseList(kw);
    let elseNodes: Node[] = [];
    const stop = body.stop!;
    const stopToks = tokenize(stop.src, stop.pos);
    if (stop.src !== 'end') {
      // else, else if ..., else with ...
      const next = stopToks[1];
      if (stopToks.length === 1) {
        const rest = parseList(kw);
        if (rest.stop?.src !== 'end') throw new TemplateError(`${rest.stop?.pos ?? pos}: expected {{end}} after {{else}}`);
        elseNodes = rest.nodes;
      } else if (next?.t === 'ident' && (next.v === 'if' || next.v === 'with') && kw !== 'range') {
        elseNodes = [parseControl(next.v, stopToks.slice(2), stop.pos)];
      } else {
        throw new TemplateError(`${stop.pos}: unsupported {{${stop.src}}}`);
      }
    }
    if (kw === 'range' && pipe.decl.length > 2) throw new TemplateError(`${pos}: range declares at most two variables`);
    return { n: kw, pipe, body: body.nodes, else: elseNodes };
  };
  const { nodes } = parseList(null);
  return { nodes, defines };
}

// ---------------------------------------------------------------------------------------- values

const isDict = (v: Value): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof FilesObject);

/** Go template truth: false, 0, nil, and empty strings, lists and maps are false. */
export function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isDict(v)) return Object.keys(v).length > 0;
  return true;
}

/** Go's %v of a float64 (what Helm prints for a number from values). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TemplateError(`cannot print ${n}`);
  if (n === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) { // strconv.FormatFloat(f, 'g', -1, 64): shortest precision decides with 6
    const [m, e] = n.toExponential().split('e');
    const en = Number(e);
    return `${m}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return String(n);
}

function printValue(v: Value, pos: string): string {
  if (v === null || v === undefined) return ''; // Helm replaces "<no value>" with ""
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return formatNumber(v);
  throw new TemplateError(`${pos}: printing a ${Array.isArray(v) ? 'list' : 'map'} is not supported (use toYaml)`);
}

/** Helm's toYaml: keys sorted, no trailing newline. */
export function toYaml(v: Value): string {
  if (v === null || v === undefined) return 'null';
  return stringify(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }).replace(/\n$/, '');
}

function typeName(v: Value): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'map' : typeof v;
}

function basicEq(a: Value, b: Value, pos: string): boolean {
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta === 'list' || ta === 'map' || tb === 'list' || tb === 'map') throw new TemplateError(`${pos}: eq/ne on non-basic values`);
  if (ta !== tb && ta !== 'nil' && tb !== 'nil') throw new TemplateError(`${pos}: incompatible types for comparison (${ta}, ${tb})`);
  return a === b || (ta === 'nil' && tb === 'nil');
}

function str(v: Value, fn: string, pos: string): string {
  if (typeof v !== 'string') throw new TemplateError(`${pos}: ${fn} expects a string, got ${typeName(v)}`);
  return v;
}

function int(v: Value, fn: string, pos: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TemplateError(`${pos}: ${fn} expects an integer, got ${typeName(v)}`);
  return v;
}

/** Sprig's empty. */
function empty(v: Value): boolean {
  return !truthy(v);
}

function toStr(v: Value, pos: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  throw new TemplateError(`${pos}: toString of a ${typeName(v)} is not supported`);
}

function sprintf(format: string, args: Value[], pos: string): string {
  let k = 0;
  return format.replace(/%([%svdq])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    if (k >= args.length) throw new TemplateError(`${pos}: printf: missing argument for %${verb}`);
    const a = args[k++];
    if (verb === 's' || verb === 'v') return toStr(a, pos);
    if (verb === 'q') return JSON.stringify(str(a, 'printf %q', pos));
    return String(int(a, 'printf %d', pos));
  }).replace(/%(?![%svdq])./g, (m) => {
    throw new TemplateError(`${pos}: printf verb ${m} not implemented`);
  });
}

/** Deep-copies plain data (lists, maps, scalars). */
function copy(v: Value): Value {
  return v === undefined ? null : structuredClone(v);
}

/** mergo.Merge without override: fills keys of dst missing from src, recursing into maps. */
function mergeInto(dst: Dict, src: Dict): Dict {
  for (const [k, v] of Object.entries(src)) {
    if (!(k in dst) || dst[k] === null || dst[k] === undefined) dst[k] = copy(v);
    else if (isDict(dst[k]) && isDict(v)) mergeInto(dst[k] as Dict, v);
  }
  return dst;
}

// ---------------------------------------------------------------------------------------- functions

interface Ctx {
  engine: TemplateEngine;
  pos: string;
  files: Map<string, string>;
}

type Fn = (ctx: Ctx, ...args: Value[]) => Value;

const FUNCTIONS: Record<string, Fn> = {
  // Go template builtins
  not: (_c, v) => !truthy(v),
  eq: (c, a, ...bs) => {
    if (bs.length === 0) throw new TemplateError(`${c.pos}: eq needs two arguments`);
    return bs.some((b) => basicEq(a, b, c.pos));
  },
  ne: (c, a, b, ...rest) => {
    if (rest.length > 0 || b === undefined) throw new TemplateError(`${c.pos}: ne needs two arguments`);
    return !basicEq(a, b, c.pos);
  },
  len: (c, v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (isDict(v)) return Object.keys(v).length;
    throw new TemplateError(`${c.pos}: len of ${typeName(v)}`);
  },
  index: (c, v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur)) {
        const n = int(k, 'index', c.pos);
        if (n < 0 || n >= cur.length) throw new TemplateError(`${c.pos}: index ${n} out of range`);
        cur = cur[n];
      } else if (isDict(cur)) cur = Object.hasOwn(cur, str(k, 'index', c.pos)) ? cur[k as string] : null;
      else throw new TemplateError(`${c.pos}: cannot index ${typeName(cur)}`);
    }
    return cur;
  },
  printf: (c, format, ...args) => sprintf(str(format, 'printf', c.pos), args, c.pos),
  print: (c, ...args) => args.map((a) => printValue(a, c.pos)).join(''),
  // Helm
  include: (c, name, data) => c.engine.executeNamed(str(name, 'include', c.pos), data, c.pos),
  toYaml: (_c, v) => toYaml(v),
  fromYaml: (c, s) => {
    const v: Value = parseYAML(str(s, 'fromYaml', c.pos));
    if (v === null || v === undefined) return {};
    if (!isDict(v)) throw new TemplateError(`${c.pos}: fromYaml: not a map`);
    return v;
  },
  fromYamlArray: (c, s) => {
    const v: Value = parseYAML(str(s, 'fromYamlArray', c.pos));
    if (!Array.isArray(v)) throw new TemplateError(`${c.pos}: fromYamlArray: not a list`);
    return v;
  },
  fail: (c, msg) => {
    throw new TemplateError(`execution error at (${c.pos}): ${str(msg, 'fail', c.pos)}`);
  },
  required: (c, msg, v) => {
    if (v === null || v === undefined || v === '') throw new TemplateError(`execution error at (${c.pos}): ${str(msg, 'required', c.pos)}`);
    return v;
  },
  // Sprig
  default: (_c, def, v) => (empty(v) ? def : v),
  empty: (_c, v) => empty(v),
  and: () => {
    throw new TemplateError('and is evaluated lazily'); // replaced in evalCommand
  },
  or: () => {
    throw new TemplateError('or is evaluated lazily');
  },
  quote: (c, ...args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => JSON.stringify(toStr(a, c.pos)))
      .join(' '),
  squote: (c, ...args) =>
    args
      .filter((a) => a !== null && a !== undefined)
      .map((a) => `'${toStr(a, c.pos)}'`)
      .join(' '),
  indent: (c, n, s) => {
    const pad = ' '.repeat(int(n, 'indent', c.pos));
    return pad + str(s, 'indent', c.pos).replaceAll('\n', `\n${pad}`);
  },
  nindent: (c, n, s) => {
    const pad = ' '.repeat(int(n, 'nindent', c.pos));
    return `\n${pad}${str(s, 'nindent', c.pos).replaceAll('\n', `\n${pad}`)}`;
  },
  trunc: (c, n, s) => {
    const k = int(n, 'trunc', c.pos);
    const t = str(s, 'trunc', c.pos);
    if (k < 0) return t.length + k < 0 ? t : t.slice(t.length + k);
    return t.slice(0, k);
  },
  trimSuffix: (c, suffix, s) => {
    const t = str(s, 'trimSuffix', c.pos);
    const x = str(suffix, 'trimSuffix', c.pos);
    return x && t.endsWith(x) ? t.slice(0, t.length - x.length) : t;
  },
  trimPrefix: (c, prefix, s) => {
    const t = str(s, 'trimPrefix', c.pos);
    const x = str(prefix, 'trimPrefix', c.pos);
    return x && t.startsWith(x) ? t.slice(x.length) : t;
  },
  hasPrefix: (c, prefix, s) => str(s, 'hasPrefix', c.pos).startsWith(str(prefix, 'hasPrefix', c.pos)),
  hasSuffix: (c, suffix, s) => str(s, 'hasSuffix', c.pos).endsWith(str(suffix, 'hasSuffix', c.pos)),
  contains: (c, sub, s) => str(s, 'contains', c.pos).includes(str(sub, 'contains', c.pos)),
  lower: (c, s) => str(s, 'lower', c.pos).toLowerCase(),
  upper: (c, s) => str(s, 'upper', c.pos).toUpperCase(),
  trim: (c, s) => str(s, 'trim', c.pos).trim(),
  replace: (c, old, nw, s) => str(s, 'replace', c.pos).replaceAll(str(old, 'replace', c.pos), str(nw, 'replace', c.pos)),
  b64enc: (c, s) => Buffer.from(str(s, 'b64enc', c.pos), 'utf8').toString('base64'),
  toString: ((c: Ctx, v: Value) => toStr(v, c.pos)) as Fn,
  dict: (c, ...kv) => {
    if (kv.length % 2 !== 0) throw new TemplateError(`${c.pos}: dict needs key/value pairs`);
    const d: Dict = {};
    for (let i = 0; i < kv.length; i += 2) d[toStr(kv[i], c.pos)] = kv[i + 1] === undefined ? null : kv[i + 1];
    return d;
  },
  list: (_c, ...items) => items.map((v) => (v === undefined ? null : v)),
  append: (c, l, v) => {
    if (!Array.isArray(l)) throw new TemplateError(`${c.pos}: append to a ${typeName(l)}`);
    return [...l, v];
  },
  concat: (c, ...lists) =>
    lists.flatMap((l) => {
      if (l === null || l === undefined) return [];
      if (!Array.isArray(l)) throw new TemplateError(`${c.pos}: concat of a ${typeName(l)}`);
      return l;
    }),
  hasKey: (c, d, k) => {
    if (!isDict(d)) throw new TemplateError(`${c.pos}: hasKey on a ${typeName(d)}`);
    return Object.hasOwn(d, str(k, 'hasKey', c.pos));
  },
  get: (c, d, k) => {
    if (!isDict(d)) throw new TemplateError(`${c.pos}: get on a ${typeName(d)}`);
    const key = str(k, 'get', c.pos);
    return Object.hasOwn(d, key) ? d[key] : '';
  },
  set: (c, d, k, v) => {
    if (!isDict(d)) throw new TemplateError(`${c.pos}: set on a ${typeName(d)}`);
    d[str(k, 'set', c.pos)] = v === undefined ? null : v;
    return d;
  },
  merge: (c, dst, ...srcs) => {
    if (!isDict(dst)) throw new TemplateError(`${c.pos}: merge into a ${typeName(dst)}`);
    for (const s of srcs) {
      if (!isDict(s)) throw new TemplateError(`${c.pos}: merge of a ${typeName(s)}`);
      mergeInto(dst, s);
    }
    return dst;
  },
};

// ---------------------------------------------------------------------------------------- execution

class Scope {
  private readonly vars = new Map<string, Value>();
  constructor(private readonly parent: Scope | null) {}
  declare(name: string, v: Value): void {
    this.vars.set(name, v);
  }
  assign(name: string, v: Value, pos: string): void {
    for (let s: Scope | null = this; s; s = s.parent) {
      if (s.vars.has(name)) {
        s.vars.set(name, v);
        return;
      }
    }
    throw new TemplateError(`${pos}: undefined variable ${name}`);
  }
  get(name: string, pos: string): Value {
    for (let s: Scope | null = this; s; s = s.parent) if (s.vars.has(name)) return s.vars.get(name);
    throw new TemplateError(`${pos}: undefined variable ${name}`);
  }
}

/** A set of parsed templates sharing their `define`s, as Helm parses all files of a chart together. */
export class TemplateEngine {
  private readonly templates = new Map<string, Node[]>();
  private readonly defines = new Map<string, Node[]>();
  private depth = 0;

  /** `files`: what `.Files.Get` reads (chart-relative path → content). */
  constructor(readonly files: Map<string, string> = new Map()) {}

  add(name: string, text: string): void {
    const p = parseTemplate(name, text);
    this.templates.set(name, p.nodes);
    for (const [k, v] of p.defines) this.defines.set(k, v);
  }

  /** Renders a template file with `data` as the dot (and $). */
  execute(name: string, data: Value): string {
    const nodes = this.templates.get(name);
    if (!nodes) throw new TemplateError(`no template ${name}`);
    const scope = new Scope(null);
    scope.declare('$', data);
    return this.run(nodes, data, scope);
  }

  /** Renders a defined template (include / template). */
  executeNamed(name: string, data: Value, pos: string): string {
    const nodes = this.defines.get(name);
    if (!nodes) throw new TemplateError(`${pos}: no template "${name}" defined`);
    if (++this.depth > 100) throw new TemplateError(`${pos}: template recursion too deep`);
    try {
      const scope = new Scope(null);
      scope.declare('$', data);
      return this.run(nodes, data, scope);
    } finally {
      this.depth--;
    }
  }

  private run(nodes: Node[], dot: Value, scope: Scope): string {
    let out = '';
    for (const node of nodes) {
      switch (node.n) {
        case 'text':
          out += node.text;
          break;
        case 'action': {
          const v = this.evalPipeline(node.pipe, dot, scope);
          if (node.pipe.decl.length === 0) out += printValue(v, node.pipe.pos);
          break;
        }
        case 'if':
        case 'with': {
          const inner = new Scope(scope);
          const v = this.evalPipeline(node.pipe, dot, inner);
          if (truthy(v)) out += this.run(node.body, node.n === 'with' ? v : dot, inner);
          else out += this.run(node.else, dot, new Scope(scope));
          break;
        }
        case 'range': {
          const inner = new Scope(scope);
          const pipe = { ...node.pipe, decl: [] };
          const v = this.evalPipeline(pipe, dot, inner);
          let entries: [Value, Value][];
          if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
          else if (isDict(v)) entries = Object.keys(v).sort().map((k) => [k, v[k]]);
          else if (v === null || v === undefined) entries = [];
          else throw new TemplateError(`${node.pipe.pos}: range over a ${typeName(v)} is not supported`);
          if (entries.length === 0) {
            out += this.run(node.else, dot, new Scope(scope));
            break;
          }
          for (const [k, x] of entries) {
            const it = new Scope(scope);
            if (node.pipe.decl.length === 1) it.declare(node.pipe.decl[0]!, x);
            if (node.pipe.decl.length === 2) {
              it.declare(node.pipe.decl[0]!, k);
              it.declare(node.pipe.decl[1]!, x);
            }
            out += this.run(node.body, x, it);
          }
          break;
        }
        case 'template': {
          const data = node.pipe ? this.evalPipeline(node.pipe, dot, scope) : null;
          out += this.executeNamed(node.name, data, node.pos);
          break;
        }
      }
    }
    return out;
  }

  private evalPipeline(pipe: Pipeline, dot: Value, scope: Scope): Value {
    let v: Value = undefined;
    let first = true;
    for (const cmd of pipe.cmds) {
      v = this.evalCommand(cmd, dot, scope, pipe.pos, first ? undefined : { v });
      first = false;
    }
    if (pipe.decl.length > 1) throw new TemplateError(`${pipe.pos}: two variables only in range`);
    if (pipe.decl.length === 1) {
      if (pipe.assign) scope.assign(pipe.decl[0]!, v, pipe.pos);
      else scope.declare(pipe.decl[0]!, v);
    }
    return v;
  }

  private evalCommand(cmd: Command, dot: Value, scope: Scope, pos: string, piped?: { v: Value }): Value {
    const [head, ...rest] = cmd.args;
    const files = this.filesGet(head!, dot, scope, pos);
    if (files) {
      const args = rest.map((a) => this.evalArg(a, dot, scope, pos));
      if (piped) args.push(piped.v);
      if (args.length !== 1) throw new TemplateError(`${pos}: .Files.Get takes one path`);
      const path = str(args[0], '.Files.Get', pos);
      const text = files.files.get(path);
      if (text === undefined) throw new TemplateError(`${pos}: .Files.Get: no file ${path} in the chart`);
      return text;
    }
    if (head!.k !== 'fn') {
      if (rest.length > 0 || piped) throw new TemplateError(`${pos}: can't give arguments to a non-function`);
      return this.evalArg(head!, dot, scope, pos);
    }
    const name = head!.name;
    const ctx: Ctx = { engine: this, pos, files: this.files };
    const thunks = rest.map((a) => () => this.evalArg(a, dot, scope, pos));
    if (piped) thunks.push(() => piped.v);
    if (name === 'and' || name === 'or') {
      if (thunks.length < 2) throw new TemplateError(`${pos}: ${name} needs two arguments`);
      let v: Value = undefined;
      for (const t of thunks) {
        v = t();
        if (name === 'and' ? !truthy(v) : truthy(v)) return v;
      }
      return v;
    }
    return FUNCTIONS[name]!(ctx, ...thunks.map((t) => t()));
  }

  private evalArg(arg: Arg, dot: Value, scope: Scope, pos: string): Value {
    switch (arg.k) {
      case 'lit':
        return arg.v;
      case 'field':
        return this.walk(dot, arg.chain, pos, '.');
      case 'var':
        return this.walk(scope.get(arg.name, pos), arg.chain, pos, arg.name);
      case 'pipe':
        return this.walk(this.evalPipeline(arg.pipe, dot, new Scope(scope)), arg.chain, pos, '(...)');
      case 'fn':
        throw new TemplateError(`${pos}: function ${arg.name} used as a value (wrap the call in parentheses)`);
    }
  }

  private walk(v: Value, chain: string[], pos: string, from: string): Value {
    let cur = v;
    let path = from === '.' ? '' : from;
    for (const key of chain) {
      path += `.${key}`;
      if (cur instanceof FilesObject) throw new TemplateError(`${pos}: ${path}: only .Files.Get "path" is implemented by this renderer`);
      if (!isDict(cur)) throw new TemplateError(`${pos}: nil pointer evaluating ${path} (on a ${typeName(cur)})`);
      if (!Object.hasOwn(cur, key) && (cur as Record<symbol, unknown>)[STRICT]) {
        throw new TemplateError(`${pos}: ${path} is not provided by this renderer`);
      }
      cur = Object.hasOwn(cur, key) ? cur[key] : null;
    }
    return cur === undefined ? null : cur;
  }

  /** `.Files.Get "path"` / `$.Files.Get "path"`: a method call, the only one supported. */
  private filesGet(head: Arg, dot: Value, scope: Scope, pos: string): FilesObject | null {
    if ((head.k !== 'field' && head.k !== 'var') || head.chain.length === 0) return null;
    const base = head.k === 'field' ? this.walk(dot, head.chain.slice(0, -1), pos, '.') : this.walk(scope.get(head.name, pos), head.chain.slice(0, -1), pos, head.name);
    if (!(base instanceof FilesObject)) return null;
    if (head.chain.at(-1) !== 'Get') throw new TemplateError(`${pos}: .Files.${head.chain.at(-1)}: only .Files.Get "path" is implemented by this renderer`);
    return base;
  }
}

/** Marks the root object: unknown top-level fields (.Capabilities, .Template...) throw. */
export const STRICT = Symbol('strict');

/** `.Files`: only `.Files.Get "path"` is supported (a method call, see evalCommand). */
export class FilesObject {
  constructor(readonly files: Map<string, string>) {}
}
