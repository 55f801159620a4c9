// How merges see an object's structure: which lists are associative (merged by key), sets or atomic,
// and which maps are atomic. Custom resources read it from their CRD schema
// (x-kubernetes-list-type, -list-map-keys, -map-type); built-in kinds from the strategic-merge keys
// of the fields the project uses (builtins.ts).
import type { JSONSchemaProps } from '../../operator/config/schema.js';
import { builtinListKeys } from './builtins.js';

export type ListType = { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[] };

export interface Shape {
  field(name: string): Shape;
  items(): Shape;
  listType(): ListType;
  /** the object is replaced as a whole (x-kubernetes-map-type: atomic) */
  atomicObject(): boolean;
}

const ATOMIC: ListType = { type: 'atomic' };

/** Built-in kinds: lists are atomic unless they have a known merge key. */
export class BuiltinShape implements Shape {
  constructor(
    private readonly kind: string,
    private readonly path: string[] = [],
  ) {}
  field(name: string): Shape {
    return new BuiltinShape(this.kind, [...this.path, name]);
  }
  items(): Shape {
    return this;
  }
  listType(): ListType {
    const k = builtinListKeys(this.kind, this.path);
    if (k === 'set') return { type: 'set' };
    return k ? { type: 'map', keys: k } : ATOMIC;
  }
  atomicObject(): boolean {
    return false;
  }
}

/** Custom resources: the CRD schema (metadata behaves as for built-ins). */
export class SchemaShape implements Shape {
  constructor(
    private readonly kind: string,
    private readonly schema: JSONSchemaProps | undefined,
    private readonly top = true,
  ) {}
  field(name: string): Shape {
    if (this.top && name === 'metadata') return new BuiltinShape(this.kind, ['metadata']);
    const s = this.schema;
    const child = s?.properties?.[name] ?? (typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined);
    return new SchemaShape(this.kind, child, false);
  }
  items(): Shape {
    return new SchemaShape(this.kind, this.schema?.items, false);
  }
  listType(): ListType {
    const lt = this.schema?.['x-kubernetes-list-type'];
    if (lt === 'set') return { type: 'set' };
    if (lt === 'map') return { type: 'map', keys: this.schema?.['x-kubernetes-list-map-keys'] ?? [] };
    return ATOMIC;
  }
  atomicObject(): boolean {
    return this.schema?.['x-kubernetes-map-type'] === 'atomic';
  }
}
