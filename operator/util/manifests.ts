// Reading Kubernetes manifests: multi-document YAML (or JSON) files and directories of them.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/meta.js';

export interface LoadedObject {
  file: string;
  /** 1-based line of the document start */
  line: number;
  object: KubeObject;
}

export interface LoadError {
  file: string;
  line?: number;
  message: string;
}

export interface LoadResult {
  objects: LoadedObject[];
  errors: LoadError[];
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Lists manifest files under the given paths (directories recursively, sorted by name). */
export function manifestFiles(paths: string[], errors: LoadError[] = []): string[] {
  const out: string[] = [];
  const seen = new Set<string>(); // a file reached twice (symlinks, overlapping arguments) is read once
  const walk = (p: string, explicit: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      errors.push({ file: p, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.')) continue;
        walk(join(p, name), false);
      }
    } else if (explicit || MANIFEST_EXT.test(p)) {
      const real = realpathSync(p);
      if (seen.has(real)) return;
      seen.add(real);
      out.push(p);
    }
  };
  for (const p of paths) walk(p, true);
  return out;
}

/** Parses one YAML text into objects; `kind: List` documents are expanded into their items. */
export function parseManifests(text: string, file: string): LoadResult {
  const objects: LoadedObject[] = [];
  const errors: LoadError[] = [];
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = err.pos ? lc.linePos(err.pos[0]) : undefined;
        errors.push({ file, line: pos?.line, message: `invalid YAML: ${err.message.split('\n')[0]}` });
      }
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    const line = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : 1;
    if (value === null || value === undefined) continue; // empty document or comments only
    const push = (v: unknown, where: string): void => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        errors.push({ file, line, message: `${where}is not a Kubernetes object (expected a mapping with apiVersion and kind)` });
        return;
      }
      const o = v as Record<string, unknown>;
      if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
        errors.push({ file, line, message: `${where}object has no apiVersion or kind` });
        return;
      }
      if (o.metadata === undefined || o.metadata === null) o.metadata = {};
      if (typeof o.metadata !== 'object' || Array.isArray(o.metadata)) {
        errors.push({ file, line, message: `${where}metadata is not a mapping` });
        return;
      }
      objects.push({ file, line, object: o as KubeObject });
    };
    const o = value as Record<string, unknown>;
    if (o && typeof o === 'object' && !Array.isArray(o) && typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
      o.items.forEach((item, i) => push(item, `items[${i}]: `));
    } else {
      push(value, '');
    }
  }
  return { objects, errors };
}

/** Loads every manifest under the given files/directories. */
export function loadManifests(paths: string[]): LoadResult {
  const errors: LoadError[] = [];
  const objects: LoadedObject[] = [];
  for (const file of manifestFiles(paths, errors)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      errors.push({ file, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
      continue;
    }
    const r = parseManifests(text, file);
    objects.push(...r.objects);
    errors.push(...r.errors);
  }
  return { objects, errors };
}

/** "Kind/namespace/name" or "Kind/name" for cluster-scoped objects. */
export function objectRef(o: KubeObject): string {
  const ns = o.metadata?.namespace;
  const name = o.metadata?.name ?? o.metadata?.generateName ?? '<unnamed>';
  return ns ? `${o.kind}/${ns}/${name}` : `${o.kind}/${name}`;
}
