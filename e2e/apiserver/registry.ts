// Which resources are served: the built-in kinds plus every CustomResourceDefinition in the store.
// Also: conversion between versions of a custom resource, and the discovery documents.
import { CRDSchemas, crdVersionNames } from '../../operator/config/schema.js';
import { convertBGPPeer, ConversionError } from '../../operator/config/bgppeer-conversion.js';
import { isObject } from '../../operator/util/json.js';
import { BUILTIN_TYPES } from './builtins.js';
import { internalError } from './errors.js';
import { apiVersionOf, grKey, splitAPIVersion, type KubeObject, type ResourceType } from './types.js';

/** Kubernetes' version priority: GA > beta > alpha, higher numbers first, then other strings alphabetically. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number, string] => {
    const m = v.match(/^v(\d+)(?:(alpha|beta)(\d+))?$/);
    if (!m) return [0, 0, 0, v];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0), ''];
  };
  const [sa, ma, na, ta] = parse(a);
  const [sb, mb, nb, tb] = parse(b);
  if ((sa === 0) !== (sb === 0)) return sa === 0 ? 1 : -1;
  if (sa === 0) return ta < tb ? -1 : ta > tb ? 1 : 0;
  if (ma !== mb) return mb - ma;
  if (sa !== sb) return sb - sa;
  return nb - na;
}

const key3 = (group: string, version: string, name: string): string => `${group}/${version}/${name}`;

/** ResourceTypes for each served version of a CRD object. */
export function crdTypes(crd: KubeObject): ResourceType[] {
  const spec = isObject(crd.spec) ? (crd.spec as Record<string, any>) : {};
  const versions = (Array.isArray(spec.versions) ? spec.versions : []) as Record<string, any>[];
  const storage = versions.find((v) => v.storage === true)?.name ?? versions[0]?.name;
  return versions
    .filter((v) => v.served === true)
    .map((v): ResourceType => {
      const names = crdVersionNames(spec, v);
      return {
        ...names,
        categories: spec.names?.categories ?? [],
        storageVersion: storage,
        builtin: false,
        generation: names.hasStatus ? 'nonMetadataStatus' : 'nonMetadata',
        nameRule: 'subdomain',
        resetStatusOnCreate: names.hasStatus,
        allowUnconditionalUpdate: false,
        returnDeletedObject: true,
      };
    });
}

export class Registry {
  private types: ResourceType[] = [];
  private byPlural = new Map<string, ResourceType>();
  private byKind = new Map<string, ResourceType>();
  private byGR = new Map<string, ResourceType[]>();
  /** schemas of every CRD currently stored */
  schemas: CRDSchemas = CRDSchemas.fromCRDs([]);

  constructor() {
    this.setCRDs([]);
  }

  /** Rebuilds the served resources from the CRD objects (built-ins always stay). */
  setCRDs(crds: KubeObject[]): void {
    this.schemas = CRDSchemas.fromCRDs(crds);
    const types = [...BUILTIN_TYPES];
    const builtinGroups = new Set(BUILTIN_TYPES.map((t) => t.group));
    for (const crd of crds) for (const t of crdTypes(crd)) if (!builtinGroups.has(t.group)) types.push(t);
    this.types = types;
    this.byPlural = new Map(types.map((t) => [key3(t.group, t.version, t.plural), t]));
    this.byKind = new Map(types.map((t) => [key3(t.group, t.version, t.kind), t]));
    this.byGR = new Map();
    for (const t of types) {
      const k = grKey(t.group, t.plural);
      this.byGR.set(k, [...(this.byGR.get(k) ?? []), t]);
    }
  }

  all(): ResourceType[] {
    return [...this.types];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPlural.get(key3(group, version, plural));
  }

  findKind(apiVersion: string, kind: string): ResourceType | undefined {
    const { group, version } = splitAPIVersion(apiVersion);
    return this.byKind.get(key3(group, version, kind));
  }

  /** Every served version of a group-resource. */
  versions(gr: string): ResourceType[] {
    return [...(this.byGR.get(gr) ?? [])];
  }

  /** The type at the storage version (or undefined when that version is not served). */
  storageType(t: ResourceType): ResourceType {
    return this.find(t.group, t.storageVersion, t.plural) ?? t;
  }

  /** Converts an object to another version of its resource (BGPPeer via its conversion; others by renaming). */
  convert(obj: KubeObject, to: ResourceType): KubeObject {
    const target = apiVersionOf(to);
    if (obj.apiVersion === target) return structuredClone(obj);
    if (to.group === 'metallb.io' && to.kind === 'BGPPeer') {
      try {
        const out = convertBGPPeer(obj, target);
        // conversion keeps metadata as is, including fields the converter does not know
        out.metadata = structuredClone(obj.metadata);
        return out;
      } catch (e) {
        if (e instanceof ConversionError) throw internalError(`conversion webhook for metallb.io/v1beta2, Kind=BGPPeer failed: ${e.message}`);
        throw e;
      }
    }
    return { ...structuredClone(obj), apiVersion: target };
  }

  // ------------------------------------------------------------------------------ discovery

  /** Served groups (without the core group), each with its versions by priority. */
  private groupVersions(): Map<string, string[]> {
    const m = new Map<string, Set<string>>();
    for (const t of this.types) {
      if (t.group === '') continue;
      if (!m.has(t.group)) m.set(t.group, new Set());
      m.get(t.group)!.add(t.version);
    }
    const out = new Map<string, string[]>();
    for (const [g, vs] of m) out.set(g, [...vs].sort(compareKubeVersions));
    return out;
  }

  apiVersions(serverAddress: string): Record<string, unknown> {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
  }

  private apiGroup(group: string, versions: string[]): Record<string, unknown> {
    const gv = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
    return { name: group, versions: gv, preferredVersion: gv[0] };
  }

  apiGroupList(): Record<string, unknown> {
    const groups = [...this.groupVersions()].map(([g, vs]) => this.apiGroup(g, vs));
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }

  apiGroupDoc(group: string): Record<string, unknown> | undefined {
    const vs = this.groupVersions().get(group);
    return vs ? { kind: 'APIGroup', apiVersion: 'v1', ...this.apiGroup(group, vs) } : undefined;
  }

  apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
    const types = this.types.filter((t) => t.group === group && t.version === version);
    if (types.length === 0) return undefined;
    const resources: Record<string, unknown>[] = [];
    for (const t of types) {
      const r: Record<string, unknown> = {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      };
      if (t.shortNames.length > 0) r.shortNames = t.shortNames;
      if (t.categories.length > 0) r.categories = t.categories;
      resources.push(r);
      if (t.hasStatus) resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }
}
