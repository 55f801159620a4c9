// Server-side apply of a desired object: PATCH application/apply-patch+yaml with a raw JSON body,
// ?fieldManager=<manager>&force=true. The URL comes from apiVersion/kind via the resource resolver.
import type { KubeObject } from '../api/meta.js';
import type { KubeClient } from './client.js';
import { resolverFor, type ResourceResolver } from './resources.js';

export interface ApplyOptions {
  /** Take over fields owned by other managers (default true, as controllers do). */
  force?: boolean;
  /** Apply to a subresource, e.g. `status`. */
  subresource?: string;
  dryRun?: boolean;
  resolver?: ResourceResolver;
  signal?: AbortSignal;
}

/** The apply body: the object without server-owned bookkeeping that apply refuses or ignores. */
export function applyBody<T extends KubeObject>(obj: T): T {
  const { managedFields: _m, resourceVersion: _rv, uid: _u, creationTimestamp: _c, generation: _g, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

export async function applyObject<T extends KubeObject>(client: KubeClient, obj: T, fieldManager: string, opts: ApplyOptions = {}): Promise<T> {
  if (!obj.apiVersion || !obj.kind) throw new Error('applyObject: apiVersion and kind are required');
  const resolver = opts.resolver ?? resolverFor(client);
  const path = await resolver.pathOf(obj, opts.subresource);
  return client.applyPatch<T>(path, applyBody(obj), fieldManager, { force: opts.force ?? true, dryRun: opts.dryRun, signal: opts.signal });
}
