// `helm template` for metalfrr's chart without Helm: loads a chart directory (Chart.yaml, values.yaml,
// templates/, crds/, other files for .Files.Get), coalesces values like Helm and renders every
// template with the strict Go-template subset of ./template.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYAML, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../operator/api/meta.js';
import { FilesObject, STRICT, TemplateEngine, TemplateError } from './template.js';

export { TemplateEngine, TemplateError } from './template.js';

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Chart {
  dir: string;
  /** Chart.yaml as written */
  metadata: Dict;
  /** values.yaml */
  values: Dict;
  /** templates/ files, by chart-relative path (templates/x.yaml) */
  templates: Map<string, string>;
  /** every other file (for .Files.Get), by chart-relative path */
  files: Map<string, string>;
  /** crds/ files, by chart-relative path */
  crds: Map<string, string>;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

export function loadChart(dir: string): Chart {
  const chart: Chart = { dir, metadata: {}, values: {}, templates: new Map(), files: new Map(), crds: new Map() };
  for (const abs of walk(dir)) {
    const rel = relative(dir, abs).split(sep).join('/');
    const text = readFileSync(abs, 'utf8');
    if (rel === 'Chart.yaml') chart.metadata = parseYAML(text) as Dict;
    else if (rel === 'values.yaml') chart.values = (parseYAML(text) as Dict | null) ?? {};
    else if (rel.startsWith('templates/')) chart.templates.set(rel, text);
    else if (rel.startsWith('crds/')) chart.crds.set(rel, text);
    else if (rel.startsWith('charts/')) throw new TemplateError(`${rel}: subcharts are not supported by this renderer`);
    else if (rel !== '.helmignore' && rel !== 'values.schema.json') chart.files.set(rel, text);
    else if (rel === 'values.schema.json') throw new TemplateError('values.schema.json is not supported by this renderer');
  }
  if (chart.metadata.apiVersion !== 'v2') throw new TemplateError(`${dir}: Chart.yaml apiVersion must be v2`);
  return chart;
}

/** Helm's value coalescing: maps merge recursively, anything else (lists included) replaces; null deletes. */
export function coalesceValues(defaults: Dict, overrides: Dict): Dict {
  const out: Dict = structuredClone(defaults);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete out[k];
    else if (isDict(v) && isDict(out[k])) out[k] = coalesceValues(out[k] as Dict, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

export interface RenderOptions {
  releaseName: string;
  namespace: string;
  /** user values (like -f values.yaml / --set), coalesced over the chart's values.yaml */
  values?: Dict;
}

/** `.Chart`: Chart.yaml keys with their first letter capitalised, as Helm exposes them. */
function chartObject(metadata: Dict): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(metadata)) out[k.charAt(0).toUpperCase() + k.slice(1)] = v;
  return out;
}

/** Renders every template; returns the output of each non-partial template file (`_*` files are skipped). */
export function renderChart(chart: Chart, opts: RenderOptions): Map<string, string> {
  const engine = new TemplateEngine(chart.files);
  const names = [...chart.templates.keys()].sort();
  for (const name of names) engine.add(`${chart.metadata.name as string}/${name}`, chart.templates.get(name)!);
  const root: Dict & { [STRICT]?: boolean } = {
    Values: coalesceValues(chart.values, opts.values ?? {}),
    Release: { Name: opts.releaseName, Namespace: opts.namespace, Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
    Chart: chartObject(chart.metadata),
    Files: new FilesObject(chart.files),
  };
  root[STRICT] = true;
  const out = new Map<string, string>();
  for (const name of names) {
    const base = name.split('/').at(-1)!;
    if (base.startsWith('_') || !/\.(ya?ml|tpl)$/.test(base)) {
      if (!base.startsWith('_') && base !== 'NOTES.txt') throw new TemplateError(`${name}: unexpected file in templates/`);
      continue;
    }
    out.set(name, engine.execute(`${chart.metadata.name as string}/${name}`, root));
  }
  return out;
}

function parseObjects(text: string, where: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true })) {
    if (doc.errors.length > 0) throw new TemplateError(`${where}: rendered invalid YAML: ${doc.errors[0]!.message}\n${text}`);
    const v = doc.toJS() as KubeObject | null;
    if (v === null || v === undefined) continue;
    if (!isDict(v) || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') {
      throw new TemplateError(`${where}: rendered a document that is not a Kubernetes object`);
    }
    out.push(v);
  }
  return out;
}

/** The objects `helm template --include-crds` would print: crds/ first, then the templates. */
export function renderChartObjects(chart: Chart, opts: RenderOptions & { includeCRDs?: boolean }): KubeObject[] {
  const objects: KubeObject[] = [];
  if (opts.includeCRDs !== false) for (const [name, text] of chart.crds) objects.push(...parseObjects(text, name));
  for (const [name, text] of renderChart(chart, opts)) objects.push(...parseObjects(text, name));
  return objects;
}
