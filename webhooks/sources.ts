// Where the webhooks read the objects that already exist: the API server (live lists, like upstream's
// webhooks) or, for running without a cluster, a directory of manifests re-read on every request.
import type { KubeObject } from '../operator/api/meta.js';
import { KINDS, type KnownKind } from '../operator/config/kinds.js';
import { asStoredVersion } from '../operator/config/bgppeer-conversion.js';
import { loadManifests } from '../operator/util/manifests.js';
import { KubeClient, collectionPath } from '../operator/runtime/client.js';

export interface ObjectSource {
  /** Objects of a kind; namespace undefined = all namespaces (or cluster-scoped kinds). */
  list(kind: KnownKind, namespace?: string): Promise<KubeObject[]>;
}

export class KubeObjectSource implements ObjectSource {
  constructor(private readonly client: KubeClient) {}

  async list(kind: KnownKind, namespace?: string): Promise<KubeObject[]> {
    const k = KINDS[kind];
    const r = await this.client.list<KubeObject>(collectionPath(k.apiVersion, k.plural, k.namespaced ? namespace : undefined));
    // list items lack apiVersion/kind
    return r.items.map((o) => ({ ...o, apiVersion: k.apiVersion, kind: k.kind }));
  }
}

export class FileObjectSource implements ObjectSource {
  /**
   * @param dir manifests directory (or file)
   * @param defaultNamespace namespace given to namespaced objects that do not name one
   */
  constructor(
    private readonly dir: string,
    private readonly defaultNamespace: string,
  ) {}

  private load(): KubeObject[] {
    const r = loadManifests([this.dir]);
    if (r.errors.length > 0) throw new Error(`cannot read existing objects from ${this.dir}: ${r.errors.map((e) => `${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`).join('; ')}`);
    return r.objects.map((o) => asStoredVersion(o.object));
  }

  async list(kind: KnownKind, namespace?: string): Promise<KubeObject[]> {
    const k = KINDS[kind];
    return this.load().filter((o) => {
      if (o.kind !== k.kind) return false;
      if (!k.namespaced || namespace === undefined) return true;
      return (o.metadata.namespace ?? this.defaultNamespace) === namespace;
    }).map((o) => (k.namespaced && !o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace: this.defaultNamespace } } : o));
  }
}
