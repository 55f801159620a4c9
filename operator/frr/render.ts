// Renders the internal frr-k8s model (operator/config/frrk8s/model.ts) to frr.conf (frr-k8s spec §4).
// Pure: the templates under templates/frr/ are read and compiled once, in an isolated Handlebars
// environment (no HTML escaping, strict lookups, no helpers besides the built-in block helpers);
// every decision about names, numbers and order is made in ./view.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { ConversionError } from '../config/frrk8s/errors.js';
import type { FRRModelConfig } from '../config/frrk8s/model.js';
import { projectPath } from '../util/paths.js';
import {
  bfdProfileView,
  findLineBreak,
  chunkAllowedLists,
  neighborFilters,
  sharePrefixLists,
  newNumbering,
  routerView,
  vrfBindings,
  type FRRConfigView,
  type PrefixListSharing,
  type SeqNumbering,
  type TimerDefaults,
} from './view.js';

export type { PrefixListSharing, SeqNumbering, TimerDefaults } from './view.js';

/** A model that cannot be written as frr.conf. A ConversionError, so callers handle both alike. */
export class RenderError extends ConversionError {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

export interface RenderOptions {
  /** written as `hostname <H>`; the line is left out when empty */
  hostname: string;
  /**
   * frr-k8s log level (`all|debug|info|warn|error|none`, see frrLogLevel). When absent, the model's
   * `logLevel` is used if it is already an FRR level word, else `informational`.
   */
  logLevel?: string;
  /** default true; false = the host has no IPv4 address: routers without router id get fallbackRouterID(hostname) */
  hostHasIPv4?: boolean;
  /** default `upstream`; see TimerDefaults */
  timerDefaults?: TimerDefaults;
  /** default `stable`; `upstream` numbers prefix-lists and route-maps 1..n like frr-k8s (see SeqNumbering) */
  seqNumbering?: SeqNumbering;
  /** default `shared`; `per-neighbor` renders every neighbor its own copy of each list like frr-k8s (see sharePrefixLists) */
  prefixLists?: PrefixListSharing;
}

// ---------------------------------------------------------------------------------------------
// log level (spec §1.2)

export const FRR_LOG_LEVELS = ['debugging', 'informational', 'warnings', 'errors', 'emergencies'] as const;
export type FRRLogLevel = (typeof FRR_LOG_LEVELS)[number];

/** frr-k8s log level -> FRR log level word; anything unknown gives `informational` (upstream fallback). */
export function frrLogLevel(level: string): FRRLogLevel {
  switch (level) {
    case 'all':
    case 'debug':
      return 'debugging';
    case 'info':
      return 'informational';
    case 'warn':
      return 'warnings';
    case 'error':
      return 'errors';
    case 'none':
      return 'emergencies';
    default:
      return 'informational';
  }
}

function resolveLogLevel(model: FRRModelConfig, opts: RenderOptions): FRRLogLevel {
  if (opts.logLevel !== undefined) return frrLogLevel(opts.logLevel);
  if ((FRR_LOG_LEVELS as readonly string[]).includes(model.logLevel)) return model.logLevel as FRRLogLevel;
  return frrLogLevel(model.logLevel);
}

// ---------------------------------------------------------------------------------------------
// fallback router id (spec §4.6)

let crcTable: Uint32Array | undefined;

/** CRC-32, IEEE polynomial (Go's crc32.ChecksumIEEE). */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of data) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Router id for a host without IPv4: CRC-32 of the hostname, little-endian bytes as a dotted quad. */
export function fallbackRouterID(hostname: string): string {
  const v = crc32(Buffer.from(hostname, 'utf8'));
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff].join('.');
}

/**
 * The model as it is rendered: a copy with hostname and FRR log level filled in and, on a host
 * without IPv4, the fallback router id in every router that has none (upstream's ApplyConfig).
 */
export function prepareModel(model: FRRModelConfig, opts: RenderOptions): FRRModelConfig {
  const m = structuredClone(model);
  m.hostname = opts.hostname;
  m.logLevel = resolveLogLevel(model, opts);
  if (opts.hostHasIPv4 === false) {
    const id = fallbackRouterID(opts.hostname);
    for (const r of m.routers) if (r.routerID === '') r.routerID = id;
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// view

/** The template input for a prepared model (see prepareModel). */
export function buildView(m: FRRModelConfig, timerDefaults: TimerDefaults = 'upstream', seqNumbering: SeqNumbering = 'stable', prefixLists: PrefixListSharing = 'shared'): FRRConfigView {
  const num = newNumbering(seqNumbering);
  const filters = m.routers.flatMap((r) => r.neighbors.map((n) => neighborFilters(n, num)));
  if (prefixLists === 'shared') {
    chunkAllowedLists(filters, seqNumbering === 'stable');
    sharePrefixLists(filters);
  }
  return {
    logLevel: m.logLevel,
    debug: m.logLevel === 'debugging',
    hostname: m.hostname,
    neighborFilters: filters,
    vrfVNIs: vrfBindings(m.routers),
    routers: m.routers.map((r) => routerView(r, timerDefaults)),
    bfdProfiles: m.bfdProfiles.map(bfdProfileView),
  };
}

// ---------------------------------------------------------------------------------------------
// templates

const COMPILE_OPTIONS: CompileOptions = { noEscape: true, strict: true, knownHelpersOnly: true };
type CompileOptions = NonNullable<Parameters<typeof Handlebars.compile>[1]>;

let mainTemplate: Handlebars.TemplateDelegate<FRRConfigView> | undefined;

/** Reads and compiles templates/frr/*.hbs once: frr.hbs is the file, every other one a partial named after it. */
function template(): Handlebars.TemplateDelegate<FRRConfigView> {
  if (mainTemplate) return mainTemplate;
  const hb = Handlebars.create();
  const dir = projectPath('templates', 'frr');
  let main: string | undefined;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs')).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const name = basename(file, '.hbs');
    if (name === 'frr') main = text;
    else hb.registerPartial(name, hb.compile(text, COMPILE_OPTIONS));
  }
  if (main === undefined) throw new Error(`${dir}/frr.hbs is missing`);
  const compiled = hb.compile<FRRConfigView>(main, COMPILE_OPTIONS);
  mainTemplate = compiled;
  return compiled;
}

/** FRR takes a neighbor password as one word: with a blank in it, the whole file would be refused. */
function checkPasswords(view: FRRConfigView): void {
  for (const r of view.routers)
    for (const s of r.sessions)
      if (/\s/.test(s.password))
        throw new RenderError(`cannot render frr.conf: the password of neighbor ${s.peer}${r.vrf ? ` in vrf ${r.vrf}` : ''} contains whitespace, which FRR does not accept`);
}

/** Strips trailing blanks, collapses runs of empty lines, drops leading ones; ends with one newline. */
export function tidy(text: string): string {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(line);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

/**
 * frr.conf for a model (spec §4.3). The raw config (`extraConfig`) is appended verbatim at the end.
 * Throws RenderError if a value would break out of its line.
 */
export function renderFRRConfig(model: FRRModelConfig, opts: RenderOptions): string {
  const m = prepareModel(model, opts);
  const view = buildView(m, opts.timerDefaults ?? 'upstream', opts.seqNumbering ?? 'stable', opts.prefixLists ?? 'shared');
  const bad = findLineBreak(view);
  if (bad !== null) throw new RenderError(`cannot render frr.conf: the value of ${bad} contains a line break`);
  checkPasswords(view);
  let text = tidy(template()(view));
  if (m.extraConfig !== '') {
    text += '\n' + m.extraConfig;
    if (!text.endsWith('\n')) text += '\n';
  }
  return text;
}
