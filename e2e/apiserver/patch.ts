// The non-apply patch types: JSON Patch (RFC 6902), JSON merge patch (RFC 7396) and strategic merge
// patch (merge patch plus key-merged lists and the $patch directive, enough for the kinds used here).
import { deepEqual, isObject } from '../../operator/util/json.js';
import { ApiError, badRequest, status } from './errors.js';
import type { Shape } from './shape.js';

const patchError = (message: string): ApiError => new ApiError(status(422, 'Invalid', message));

function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw patchError(`invalid JSON pointer ${JSON.stringify(ptr)}`);
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(seg: string, len: number, allowEnd: boolean): number {
  if (seg === '-' && allowEnd) return len;
  if (!/^(0|[1-9]\d*)$/.test(seg)) throw patchError(`invalid array index ${JSON.stringify(seg)}`);
  const i = Number(seg);
  if (i > len || (!allowEnd && i === len)) throw patchError(`array index ${i} out of bounds`);
  return i;
}

/** The container holding the last segment of the path. */
function parentOf(doc: unknown, path: string[], op: string): unknown {
  let cur = doc;
  for (const seg of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(seg, cur.length, false)];
    else if (isObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else throw patchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
  }
  return cur;
}

function getValue(doc: unknown, path: string[], op: string): unknown {
  if (path.length === 0) return doc;
  const parent = parentOf(doc, path, op);
  const last = path[path.length - 1]!;
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false)];
  if (isObject(parent) && Object.hasOwn(parent, last)) return parent[last];
  throw patchError(`${op} operation does not apply: doc is missing path: "/${path.join('/')}": missing value`);
}

/** Applies an RFC 6902 JSON Patch to a copy of `doc`. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let root: unknown = structuredClone(doc);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw badRequest('invalid JSON Patch operation: op and path are required');
    const op = raw.op;
    const path = parsePointer(raw.path);
    const setAt = (p: string[], value: unknown, insert: boolean): void => {
      if (p.length === 0) {
        root = value;
        return;
      }
      const parent = parentOf(root, p, op);
      const last = p[p.length - 1]!;
      if (Array.isArray(parent)) {
        const i = arrayIndex(last, parent.length, insert);
        if (insert) parent.splice(i, 0, value);
        else parent[i] = value;
      } else if (isObject(parent)) {
        if (!insert && !Object.hasOwn(parent, last))
          throw patchError(`${op} operation does not apply: doc is missing key: "/${p.join('/')}": missing value`);
        parent[last] = value;
      } else throw patchError(`${op} operation does not apply: doc is missing path: "/${p.join('/')}": missing value`);
    };
    const removeAt = (p: string[]): unknown => {
      if (p.length === 0) throw patchError('unable to remove the whole document');
      const parent = parentOf(root, p, op);
      const last = p[p.length - 1]!;
      if (Array.isArray(parent)) return parent.splice(arrayIndex(last, parent.length, false), 1)[0];
      if (isObject(parent) && Object.hasOwn(parent, last)) {
        const v = parent[last];
        delete parent[last];
        return v;
      }
      throw patchError(`${op} operation does not apply: doc is missing path: "/${p.join('/')}": missing value`);
    };
    switch (op) {
      case 'add':
        if (!('value' in raw)) throw badRequest('add operation has no value');
        setAt(path, structuredClone(raw.value), true);
        break;
      case 'replace':
        if (!('value' in raw)) throw badRequest('replace operation has no value');
        getValue(root, path, op);
        setAt(path, structuredClone(raw.value), false);
        break;
      case 'remove':
        removeAt(path);
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw badRequest(`${op} operation has no from`);
        const from = parsePointer(raw.from);
        const v = op === 'move' ? removeAt(from) : structuredClone(getValue(root, from, op));
        setAt(path, v, true);
        break;
      }
      case 'test':
        if (!deepEqual(getValue(root, path, op), raw.value)) throw patchError(`testing value /${path.join('/')} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${op}`);
    }
  }
  return root;
}

/** RFC 7396 merge patch (returns a new value). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const keyOf = (item: unknown, keys: string[]): string | undefined =>
  isObject(item) ? JSON.stringify(keys.map((k) => item[k] ?? null)) : undefined;

/** Strategic merge patch: like a merge patch, but lists with merge keys are merged item by item. */
export function strategicMergePatch(target: unknown, patch: unknown, shape: Shape): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace' || shape.atomicObject()) {
    const { $patch: _p, ...rest } = patch;
    return structuredClone(rest);
  }
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  const retain = Array.isArray(patch.$retainKeys) ? new Set(patch.$retainKeys.map(String)) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys' || k === '$patch') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const child = shape.field(k);
    if (Array.isArray(v)) {
      const lt = child.listType();
      const cur = Array.isArray(out[k]) ? structuredClone(out[k] as unknown[]) : [];
      if (lt.type === 'map') {
        for (const item of v) {
          const key = keyOf(item, lt.keys);
          const i = key === undefined ? -1 : cur.findIndex((c) => keyOf(c, lt.keys) === key);
          if (isObject(item) && item.$patch === 'delete') {
            if (i >= 0) cur.splice(i, 1);
          } else if (i >= 0) cur[i] = strategicMergePatch(cur[i], item, child.items());
          else cur.push(strategicMergePatch(undefined, item, child.items()));
        }
        out[k] = cur;
      } else if (lt.type === 'set') {
        for (const item of v) if (!cur.some((c) => deepEqual(c, item))) cur.push(structuredClone(item));
        out[k] = cur;
      } else out[k] = structuredClone(v);
      continue;
    }
    const merged = strategicMergePatch(out[k], v, child);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  return out;
}
