// Server-side apply: merge an applied configuration into the live object, with field ownership.
//
// - The manager's new field set is the set of fields its configuration sets.
// - A field another manager owns, whose live value differs from the applied one, is a conflict
//   (409 with one cause per field) unless force=true, which moves the ownership.
// - Fields the manager applied last time and no longer applies are removed from the object, unless
//   another manager owns them (or something under them).
import { deepEqual, isObject } from '../../operator/util/json.js';
import { ApiError, status } from './errors.js';
import {
  ABSENT,
  decPath,
  decodeManagedFields,
  encodeManagedFields,
  encPath,
  fieldSet,
  formatPath,
  getAt,
  inScope,
  ownsWithin,
  removeAt,
  sameAt,
  sameManager,
  type Entry,
  type Path,
  type Scope,
} from './managed.js';
import type { Shape } from './shape.js';
import type { KubeObject } from './types.js';

export interface ApplyArgs {
  /** the live object (undefined: apply creates it) */
  live: KubeObject | undefined;
  /** the applied configuration */
  config: KubeObject;
  manager: string;
  force: boolean;
  shape: Shape;
  scope: Scope;
  apiVersion: string;
  subresource?: string;
  now: string;
  /** for the conflict Status details */
  name: string;
  kind: string;
  group: string;
}

const keyOf = (item: unknown, keys: string[]): string | undefined =>
  isObject(item) ? JSON.stringify([...keys].sort().map((k) => item[k] ?? null)) : undefined;

/** Merges an applied value into a live one (maps recursively, associative lists by key, sets by value). */
export function mergeApplied(live: unknown, cfg: unknown, shape: Shape): unknown {
  if (isObject(cfg) && isObject(live) && !shape.atomicObject()) {
    const out: Record<string, unknown> = structuredClone(live);
    for (const [k, v] of Object.entries(cfg)) if (v !== undefined) out[k] = mergeApplied(live[k], v, shape.field(k));
    return out;
  }
  if (Array.isArray(cfg) && Array.isArray(live)) {
    const lt = shape.listType();
    if (lt.type === 'map') {
      const out = structuredClone(live);
      for (const item of cfg) {
        const key = keyOf(item, lt.keys);
        const i = key === undefined ? -1 : out.findIndex((x) => keyOf(x, lt.keys) === key);
        if (i >= 0) out[i] = mergeApplied(out[i], item, shape.items());
        else out.push(structuredClone(item));
      }
      return out;
    }
    if (lt.type === 'set') {
      const out = structuredClone(live);
      for (const item of cfg) if (!out.some((x) => deepEqual(x, item))) out.push(structuredClone(item));
      return out;
    }
  }
  return structuredClone(cfg);
}

/** How a manager is named in conflict messages. */
function describe(e: Entry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

function conflictError(a: ApplyArgs, conflicts: { entry: Entry; path: Path }[]): ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describe(c.entry)}`, field: formatPath(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describe(conflicts[0]!.entry)}: ${formatPath(conflicts[0]!.path)}`;
  } else {
    const by = new Map<string, string[]>();
    for (const c of conflicts) {
      const d = describe(c.entry);
      by.set(d, [...(by.get(d) ?? []), formatPath(c.path)]);
    }
    const lines: string[] = [];
    for (const d of [...by.keys()].sort()) {
      lines.push(`conflicts with ${d}:`);
      for (const p of by.get(d)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  const details: Record<string, unknown> = { name: a.name, kind: a.kind, causes };
  if (a.group) details.group = a.group;
  return new ApiError(status(409, 'Conflict', message, details));
}

/** Is the path a key field of an associative-list item (`...k:{"name":"a"}, f:name`)? */
function isKeyField(path: Path): boolean {
  const item = path[path.length - 2];
  const last = path[path.length - 1];
  if (!item?.startsWith('k:') || !last?.startsWith('f:')) return false;
  return Object.hasOwn(JSON.parse(item.slice(2)) as object, last.slice(2));
}

/** Removes a path and then every container above it that became empty and that nobody owns. */
function removeWithEmptyParents(obj: KubeObject, path: Path, owned: Entry[]): void {
  removeAt(obj, path);
  for (let n = path.length - 1; n >= 1; n--) {
    const parent = path.slice(0, n);
    const v = getAt(obj, parent);
    const empty = (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
    if (!empty || owned.some((e) => ownsWithin(e.set, parent))) return;
    if (parent.length === 2 && parent[0] === 'f:metadata') return; // keep metadata's own structure
    removeAt(obj, parent);
  }
}

/** Applies a configuration; returns the merged object with its new managedFields, or throws a 409. */
export function serverSideApply(a: ApplyArgs): KubeObject {
  const entries = decodeManagedFields(a.live);
  const newSet = fieldSet(a.config, a.shape, a.scope);
  const others = entries.filter((e) => !sameManager(e, a.manager, 'Apply', a.subresource));
  let mine = entries.find((e) => sameManager(e, a.manager, 'Apply', a.subresource));
  const prevSet = mine ? new Set(mine.set) : new Set<string>();

  // conflicts: another manager owns a field this configuration sets to a different value
  if (a.live) {
    const conflicts: { entry: Entry; path: Path }[] = [];
    for (const p of newSet) {
      const path = decPath(p);
      if (sameAt(a.live, a.config, path)) continue;
      for (const e of others) if (e.set.has(p)) conflicts.push({ entry: e, path });
    }
    if (conflicts.length > 0 && !a.force) throw conflictError(a, conflicts);
    for (const c of conflicts) c.entry.set.delete(encPath(c.path));
  }

  // merge the configuration's in-scope fields into the live object
  let result: KubeObject;
  if (!a.live) result = structuredClone(a.config);
  else {
    result = structuredClone(a.live);
    for (const [top, v] of Object.entries(a.config)) {
      if (v === undefined || !inScope(a.scope, top)) continue;
      if (top === 'metadata') {
        if (!isObject(v)) continue;
        const meta = result.metadata as Record<string, unknown>;
        for (const [k, mv] of Object.entries(v)) {
          if (['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink', 'generateName'].includes(k)) continue;
          if (mv !== undefined) meta[k] = mergeApplied(meta[k], mv, a.shape.field('metadata').field(k));
        }
        continue;
      }
      (result as Record<string, unknown>)[top] = mergeApplied((result as Record<string, unknown>)[top], v, a.shape.field(top));
    }
  }

  // ownership: this manager now owns exactly what it applied
  if (!mine) {
    mine = { manager: a.manager, operation: 'Apply', apiVersion: a.apiVersion, time: a.now, set: new Set() };
    if (a.subresource) mine.subresource = a.subresource;
    entries.push(mine);
  }
  const changedSet = mine.set.size !== newSet.size || [...newSet].some((p) => !mine!.set.has(p));
  mine.set = newSet;
  mine.apiVersion = a.apiVersion;

  // fields this manager stopped applying and nobody else owns are removed (deepest first)
  const dropped = [...prevSet].filter((p) => !newSet.has(p)).map(decPath);
  dropped.sort((x, y) => y.length - x.length);
  const owners = entries.filter((e) => e !== mine);
  for (const path of dropped) {
    if (isKeyField(path)) continue; // an item's key fields live as long as the item
    if (owners.some((e) => ownsWithin(e.set, path))) continue;
    if (ownsWithin(newSet, path)) continue;
    if (getAt(result, path) === ABSENT) continue;
    removeWithEmptyParents(result, path, [mine, ...owners]);
  }

  const valuesChanged = !a.live || !deepEqual({ ...a.live, metadata: { ...a.live.metadata, managedFields: undefined } }, { ...result, metadata: { ...result.metadata, managedFields: undefined } });
  if (changedSet || valuesChanged) mine.time = a.now;
  result.metadata = { ...result.metadata, managedFields: encodeManagedFields(entries) };
  return result;
}
