// Background garbage collection and namespace finalization, driven by the store's change events:
// - an owner that disappears takes its dependents along (objects whose ownerReferences carry its uid,
//   in its namespace; cluster-scoped owners: anywhere), unless they still have another live owner;
// - Foreground deletion (finalizer foregroundDeletion) deletes the dependents first, then the owner;
// - Orphan deletion (finalizer orphan) strips the ownerReferences, then lets the owner go;
// - a Terminating namespace is emptied, then removed.
import type { ApiCore } from './core.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

const NAMESPACES = 'namespaces';

export class GarbageCollector {
  private readonly queue = new Map<string, () => void>();
  private running = false;
  private stopped = false;
  private idle: (() => void)[] = [];
  private readonly unsubscribe: () => void;
  /** errors of GC tasks (a task failing does not stop the collector) */
  readonly errors: Error[] = [];

  constructor(private readonly core: ApiCore) {
    this.unsubscribe = core.store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.queue.clear();
    this.settle();
  }

  /** Resolves once every pending collection has run. */
  whenIdle(): Promise<void> {
    if (!this.running && this.queue.size === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  private onEvent(e: StoreEvent): void {
    const m = e.object.metadata;
    if (e.type === 'DELETED') {
      const uid = m.uid;
      if (uid) this.enqueue(`owner:${uid}`, () => this.collectDependents(uid, m.namespace));
      for (const ref of m.ownerReferences ?? []) {
        const owner = this.core.store.getByUID(ref.uid);
        if (owner?.object.metadata.deletionTimestamp && owner.object.metadata.finalizers?.includes('foregroundDeletion')) {
          this.enqueue(`fg:${ref.uid}`, () => this.foreground(ref.uid));
        }
      }
      if (m.namespace && this.core.store.get(NAMESPACES, undefined, m.namespace)?.metadata.deletionTimestamp) {
        const ns = m.namespace;
        this.enqueue(`ns:${ns}`, () => this.finalizeNamespace(ns));
      }
      return;
    }
    if (!m.deletionTimestamp) return;
    const uid = m.uid ?? '';
    if (e.gr === NAMESPACES) this.enqueue(`ns:${m.name}`, () => this.finalizeNamespace(m.name!));
    if (m.finalizers?.includes('foregroundDeletion')) this.enqueue(`fg:${uid}`, () => this.foreground(uid));
    if (m.finalizers?.includes('orphan')) this.enqueue(`orphan:${uid}`, () => this.orphan(uid));
  }

  private enqueue(key: string, task: () => void): void {
    if (this.stopped) return;
    this.queue.set(key, task);
    if (this.running) return;
    this.running = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    while (this.queue.size > 0 && !this.stopped) {
      const [key, task] = this.queue.entries().next().value as [string, () => void];
      this.queue.delete(key);
      try {
        task();
      } catch (e) {
        this.errors.push(e as Error);
      }
    }
    this.running = false;
    this.settle();
  }

  private settle(): void {
    const waiters = this.idle;
    this.idle = [];
    for (const w of waiters) w();
  }

  /** Objects whose ownerReferences name this uid (namespaced owner: in its namespace only). */
  private dependents(uid: string, ownerNamespace: string | undefined): { gr: string; object: KubeObject }[] {
    const out: { gr: string; object: KubeObject }[] = [];
    for (const gr of this.core.store.resources()) {
      for (const object of this.core.store.list(gr, ownerNamespace || undefined)) {
        if (ownerNamespace && !object.metadata.namespace) continue;
        if ((object.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) out.push({ gr, object });
      }
    }
    return out;
  }

  private ownerAlive(uid: string, dependent: KubeObject): boolean {
    const o = this.core.store.getByUID(uid);
    if (!o) return false;
    const ns = o.object.metadata.namespace;
    return !ns || ns === dependent.metadata.namespace;
  }

  private deleteDependent(gr: string, dep: KubeObject, policy: 'Background' | 'Foreground'): void {
    const t = this.core.typeOfGR(gr);
    if (!t || dep.metadata.deletionTimestamp) return;
    this.core.deleteStored(t, dep, policy, false);
  }

  private collectDependents(ownerUID: string, ownerNamespace: string | undefined): void {
    if (this.core.store.getByUID(ownerUID)) return; // the owner came back? (uids are unique: never)
    for (const { gr, object } of this.dependents(ownerUID, ownerNamespace)) {
      const others = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUID && this.ownerAlive(r.uid, object));
      if (others.length > 0) {
        this.core.systemUpdate(gr, object.metadata.namespace, object.metadata.name!, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUID);
        });
      } else this.deleteDependent(gr, object, 'Background');
    }
  }

  private removeFinalizer(uid: string, finalizer: string): void {
    const owner = this.core.store.getByUID(uid);
    if (!owner) return;
    this.core.systemUpdate(owner.gr, owner.object.metadata.namespace, owner.object.metadata.name!, (o) => {
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    });
  }

  private foreground(uid: string): void {
    const owner = this.core.store.getByUID(uid);
    if (!owner || !owner.object.metadata.finalizers?.includes('foregroundDeletion')) return;
    const deps = this.dependents(uid, owner.object.metadata.namespace);
    for (const { gr, object } of deps) this.deleteDependent(gr, object, 'Foreground');
    if (this.dependents(uid, owner.object.metadata.namespace).length === 0) this.removeFinalizer(uid, 'foregroundDeletion');
  }

  private orphan(uid: string): void {
    const owner = this.core.store.getByUID(uid);
    if (!owner || !owner.object.metadata.finalizers?.includes('orphan')) return;
    for (const { gr, object } of this.dependents(uid, owner.object.metadata.namespace)) {
      this.core.systemUpdate(gr, object.metadata.namespace, object.metadata.name!, (o) => {
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (o.metadata.ownerReferences.length === 0) delete o.metadata.ownerReferences;
      });
    }
    this.removeFinalizer(uid, 'orphan');
  }

  private finalizeNamespace(name: string): void {
    const ns = this.core.store.get(NAMESPACES, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const gr of this.core.store.resources()) {
      if (gr === NAMESPACES) continue;
      for (const o of this.core.store.list(gr, name)) {
        this.deleteDependent(gr, o, 'Background');
        if (this.core.store.get(gr, name, o.metadata.name!)) remaining++;
      }
    }
    if (remaining > 0) return; // objects with finalizers: retried when they go away
    this.core.systemUpdate(NAMESPACES, undefined, name, (o) => {
      const spec = (o.spec ?? {}) as { finalizers?: string[] };
      spec.finalizers = (spec.finalizers ?? []).filter((f) => f !== 'kubernetes');
      o.spec = spec;
    });
    const after = this.core.store.get(NAMESPACES, undefined, name);
    const specFinalizers = ((after?.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length;
    if (after && specFinalizers === 0 && (after.metadata.finalizers ?? []).length === 0) this.core.commitRemove(NAMESPACES, after);
  }
}
