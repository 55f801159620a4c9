// Field ownership (metadata.managedFields, FieldsV1) at leaf granularity.
//
// A field set is a set of paths; a path is a list of FieldsV1 elements: `f:<field>`,
// `k:<json of the key fields>` (an item of an associative list), `v:<json value>` (an item of a set).
// Objects are owned leaf by leaf, atomic lists and atomic maps as a whole, associative-list and set
// items one by one (plus their fields).
import { deepEqual, isObject } from '../../operator/util/json.js';
import type { Shape } from './shape.js';
import type { KubeObject } from './types.js';

export type Path = string[];
export type FieldSet = Set<string>;

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** A decoded managedFields entry. */
export interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  subresource?: string;
  set: FieldSet;
}

export const encPath = (p: Path): string => JSON.stringify(p);
export const decPath = (s: string): Path => JSON.parse(s) as Path;

/** Metadata fields the system owns: never part of a field set. */
const SYSTEM_META = new Set([
  'name',
  'namespace',
  'generateName',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/** Which top-level fields a write covers: a status subresource write only `status`, a main-resource write of a kind with a status subresource everything else. */
export type Scope = 'all' | 'main' | 'status';

export function inScope(scope: Scope, top: string): boolean {
  if (top === 'apiVersion' || top === 'kind') return false;
  if (scope === 'status') return top === 'status';
  if (scope === 'main') return top !== 'status';
  return true;
}

function keyElem(item: unknown, keys: string[]): string | undefined {
  if (!isObject(item) || keys.length === 0) return undefined;
  const k: Record<string, unknown> = {};
  for (const name of [...keys].sort()) if (item[name] !== undefined) k[name] = item[name];
  return Object.keys(k).length > 0 ? `k:${JSON.stringify(k)}` : undefined;
}

function walk(v: unknown, shape: Shape, path: Path, out: FieldSet): void {
  if (isObject(v) && !shape.atomicObject()) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (keys.length === 0) {
      if (path.length > 0) out.add(encPath(path));
      return;
    }
    for (const k of keys) walk(v[k], shape.field(k), [...path, `f:${k}`], out);
    return;
  }
  if (Array.isArray(v)) {
    const lt = shape.listType();
    if (lt.type === 'atomic' || v.length === 0) {
      out.add(encPath(path));
      return;
    }
    if (lt.type === 'set') {
      for (const item of v) out.add(encPath([...path, `v:${JSON.stringify(item)}`]));
      return;
    }
    const elems = v.map((item) => keyElem(item, lt.keys));
    if (elems.some((e) => e === undefined)) {
      out.add(encPath(path)); // items without their keys: treat the list as atomic
      return;
    }
    v.forEach((item, i) => {
      const ip = [...path, elems[i]!];
      out.add(encPath(ip));
      for (const [k, x] of Object.entries(item as Record<string, unknown>)) if (x !== undefined) walk(x, shape.items().field(k), [...ip, `f:${k}`], out);
    });
    return;
  }
  out.add(encPath(path));
}

/** The field set of an object (the fields it sets), limited to a scope. */
export function fieldSet(obj: KubeObject | Record<string, unknown>, shape: Shape, scope: Scope): FieldSet {
  const out: FieldSet = new Set();
  for (const [top, v] of Object.entries(obj)) {
    if (v === undefined || !inScope(scope, top)) continue;
    if (top === 'metadata') {
      if (!isObject(v)) continue;
      for (const [k, mv] of Object.entries(v)) {
        if (mv === undefined || SYSTEM_META.has(k)) continue;
        walk(mv, shape.field('metadata').field(k), ['f:metadata', `f:${k}`], out);
      }
      continue;
    }
    walk(v, shape.field(top), [`f:${top}`], out);
  }
  return out;
}

export const ABSENT = Symbol('absent');

/** The value at a path, or ABSENT. */
export function getAt(obj: unknown, path: Path): unknown {
  let cur: unknown = obj;
  for (const el of path) {
    const body = el.slice(2);
    if (el.startsWith('f:')) {
      if (!isObject(cur) || !Object.hasOwn(cur, body) || cur[body] === undefined) return ABSENT;
      cur = cur[body];
    } else if (el.startsWith('k:')) {
      if (!Array.isArray(cur)) return ABSENT;
      const key = JSON.parse(body) as Record<string, unknown>;
      const found = cur.find((i) => isObject(i) && Object.entries(key).every(([k, v]) => deepEqual(i[k], v)));
      if (found === undefined) return ABSENT;
      cur = found;
    } else if (el.startsWith('v:')) {
      const val: unknown = JSON.parse(body);
      if (!Array.isArray(cur) || !cur.some((i) => deepEqual(i, val))) return ABSENT;
      cur = val;
    } else if (el.startsWith('i:')) {
      if (!Array.isArray(cur) || Number(body) >= cur.length) return ABSENT;
      cur = cur[Number(body)];
    } else return ABSENT;
  }
  return cur;
}

/** Same value at the path in both objects (items of lists and sets: both present). */
export function sameAt(a: unknown, b: unknown, path: Path): boolean {
  const va = getAt(a, path);
  const vb = getAt(b, path);
  const last = path[path.length - 1] ?? '';
  if (last.startsWith('k:') || last.startsWith('v:')) return (va === ABSENT) === (vb === ABSENT);
  if (va === ABSENT || vb === ABSENT) return va === vb;
  return deepEqual(va, vb);
}

/** Removes the value at a path (no-op when absent). */
export function removeAt(obj: unknown, path: Path): void {
  const parent = getAt(obj, path.slice(0, -1));
  const el = path[path.length - 1];
  if (parent === ABSENT || el === undefined) return;
  const body = el.slice(2);
  if (el.startsWith('f:') && isObject(parent)) delete parent[body];
  else if (el.startsWith('k:') && Array.isArray(parent)) {
    const key = JSON.parse(body) as Record<string, unknown>;
    const i = parent.findIndex((x) => isObject(x) && Object.entries(key).every(([k, v]) => deepEqual(x[k], v)));
    if (i >= 0) parent.splice(i, 1);
  } else if (el.startsWith('v:') && Array.isArray(parent)) {
    const val: unknown = JSON.parse(body);
    const i = parent.findIndex((x) => deepEqual(x, val));
    if (i >= 0) parent.splice(i, 1);
  }
}

/** Does the set hold the path itself or anything under it? */
export function ownsWithin(set: FieldSet, path: Path): boolean {
  const p = encPath(path);
  const prefix = p.slice(0, -1) + ',';
  for (const s of set) if (s === p || s.startsWith(prefix)) return true;
  return false;
}

/** A path as structured-merge-diff prints it: `.spec.webhooks[name="a"].clientConfig`. */
export function formatPath(path: Path): string {
  return path
    .map((el) => {
      const body = el.slice(2);
      if (el.startsWith('f:')) return `.${body}`;
      if (el.startsWith('k:')) {
        const key = JSON.parse(body) as Record<string, unknown>;
        return `[${Object.entries(key)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      }
      if (el.startsWith('v:')) return `[=${body}]`;
      return `[${body}]`;
    })
    .join('');
}

// ------------------------------------------------------------------------------------ FieldsV1

interface Node {
  owned: boolean;
  children: Map<string, Node>;
}

export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Node = { owned: false, children: new Map() };
  for (const s of set) {
    let n = root;
    for (const el of decPath(s)) {
      let c = n.children.get(el);
      if (!c) n.children.set(el, (c = { owned: false, children: new Map() }));
      n = c;
    }
    n.owned = true;
  }
  const ser = (n: Node): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (n.owned && n.children.size > 0) o['.'] = {};
    for (const [el, c] of [...n.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) o[el] = ser(c);
    return o;
  };
  return ser(root);
}

export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Set();
  const rec = (node: unknown, path: Path): void => {
    if (!isObject(node)) return;
    for (const [el, child] of Object.entries(node)) {
      if (el === '.') continue;
      const p = [...path, el];
      if (!isObject(child) || Object.keys(child).length === 0 || Object.hasOwn(child, '.')) out.add(encPath(p));
      rec(child, p);
    }
  };
  rec(tree, []);
  return out;
}

export function decodeManagedFields(obj: KubeObject | undefined): Entry[] {
  const mf = obj?.metadata?.managedFields;
  if (!Array.isArray(mf)) return [];
  const out: Entry[] = [];
  for (const e of mf) {
    if (!isObject(e) || typeof e.manager !== 'string') continue;
    const entry: Entry = {
      manager: e.manager,
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: String(e.apiVersion ?? ''),
      time: String(e.time ?? ''),
      set: fromFieldsV1(e.fieldsV1),
    };
    if (typeof e.subresource === 'string' && e.subresource) entry.subresource = e.subresource;
    out.push(entry);
  }
  return out;
}

export function encodeManagedFields(entries: Entry[]): ManagedFieldsEntry[] {
  return entries
    .filter((e) => e.set.size > 0)
    .map((e) => {
      const m: ManagedFieldsEntry = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(e.set) };
      if (e.subresource) m.subresource = e.subresource;
      return m;
    });
}

export const sameManager = (e: Entry, manager: string, operation: Entry['operation'], subresource: string | undefined): boolean =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

export interface UpdateArgs {
  old: KubeObject | undefined;
  next: KubeObject;
  manager: string;
  shape: Shape;
  scope: Scope;
  apiVersion: string;
  subresource?: string;
  now: string;
}

/**
 * managedFields after a non-apply write (create, update, patch): the writer takes ownership of every
 * field it added or changed (other managers lose it) and removed fields leave every set.
 * A request that sets managedFields to `[{}]` resets them.
 */
export function recordUpdate(a: UpdateArgs): ManagedFieldsEntry[] {
  const requested = a.next.metadata?.managedFields;
  const reset = Array.isArray(requested) && requested.length === 1 && isObject(requested[0]) && Object.keys(requested[0]).length === 0;
  const entries = reset ? [] : decodeManagedFields(a.old);
  const oldSet = a.old ? fieldSet(a.old, a.shape, a.scope) : new Set<string>();
  const newSet = fieldSet(a.next, a.shape, a.scope);
  const changed = [...newSet].filter((p) => !a.old || !sameAt(a.old, a.next, decPath(p)));
  const removed = [...oldSet].filter((p) => !newSet.has(p));
  let mine = entries.find((e) => sameManager(e, a.manager, 'Update', a.subresource));
  for (const e of entries) {
    const before = e.set.size;
    for (const p of removed) e.set.delete(p);
    if (e !== mine) for (const p of changed) e.set.delete(p);
    if (e.set.size !== before) e.time = a.now;
  }
  if (changed.length > 0) {
    if (!mine) {
      mine = { manager: a.manager, operation: 'Update', apiVersion: a.apiVersion, time: a.now, set: new Set() };
      if (a.subresource) mine.subresource = a.subresource;
      entries.push(mine);
    }
    for (const p of changed) mine.set.add(p);
    mine.time = a.now;
    mine.apiVersion = a.apiVersion;
  }
  return encodeManagedFields(entries);
}
