// The render vectors of the shared folder (vectors/frrk8s/render: YAML -> conversion -> frr.conf;
// vectors/frrk8s/render-model: model.json -> frr.conf), rendered with a chosen numbering. Used by
// vectors.test.ts and seq.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadVectorInput } from '../config/frrk8s/testing.js';
import { modelFromJSON } from '../config/frrk8s/model.js';
import { sharedDir } from '../util/paths.js';
import { renderForNode } from './pipeline.js';
import { renderFRRConfig, type PrefixListSharing, type SeqNumbering } from './render.js';

export const VECTORS = join(sharedDir(), 'vectors', 'frrk8s');
export const RENDER_KINDS = ['render', 'render-model'] as const;
export type RenderKind = (typeof RENDER_KINDS)[number];

export interface VectorMeta {
  hostname: string;
  hostHasIPv4?: boolean;
  logLevel?: string;
  alwaysBlock?: string[];
  fallbackRouterID?: string;
}

export function caseDirs(kind: RenderKind): string[] {
  const root = join(VECTORS, kind);
  assert.ok(existsSync(root), `vectors folder ${root} is missing (set METALFRR_SHARED to the shared folder)`);
  const dirs = readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .sort();
  assert.ok(dirs.length > 0, `no cases in ${root}`);
  return dirs.map((d) => join(root, d));
}

/** Every render and render-model vector: its kind, folder and a unique name (`<kind>-<case>`). */
export function renderVectorCases(): { kind: RenderKind; dir: string; name: string }[] {
  return RENDER_KINDS.flatMap((kind) => caseDirs(kind).map((dir) => ({ kind, dir, name: `${kind}-${dir.split('/').pop()!}` })));
}

export const readMeta = (dir: string): VectorMeta => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as VectorMeta;

export function renderCase(dir: string, seqNumbering: SeqNumbering, prefixLists: PrefixListSharing = 'per-neighbor'): string {
  const meta = readMeta(dir);
  const { configs, secrets } = loadVectorInput(dir);
  const r = renderForNode(configs, { name: 'node', labels: { 'kubernetes.io/hostname': 'node' } }, {
    secrets,
    alwaysBlock: meta.alwaysBlock ?? [],
    hostname: meta.hostname,
    ...(meta.logLevel !== undefined ? { logLevel: meta.logLevel } : {}),
    hostHasIPv4: meta.hostHasIPv4 ?? true,
    seqNumbering,
    prefixLists,
  });
  return r.config;
}

export function renderModelCase(dir: string, seqNumbering: SeqNumbering, prefixLists: PrefixListSharing = 'per-neighbor'): string {
  const meta = readMeta(dir);
  const model = modelFromJSON(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
  return renderFRRConfig(model, { hostname: meta.hostname, hostHasIPv4: meta.hostHasIPv4 ?? true, seqNumbering, prefixLists });
}

/** A vector rendered as upstream lays it out (`per-neighbor` lists) unless `prefixLists` says otherwise. */
export function renderVector(kind: RenderKind, dir: string, seqNumbering: SeqNumbering, prefixLists: PrefixListSharing = 'per-neighbor'): string {
  return kind === 'render' ? renderCase(dir, seqNumbering, prefixLists) : renderModelCase(dir, seqNumbering, prefixLists);
}
