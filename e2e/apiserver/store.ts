// The in-memory storage: objects per group-resource at their storage version, one global strictly
// increasing resourceVersion, and a bounded history of change events for watch replay.
import type { KubeObject } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** group-resource key (see grKey) */
  gr: string;
  rv: number;
  /** the new state; for DELETED the last state, carrying the deletion's resourceVersion */
  object: KubeObject;
  /** the previous state (MODIFIED, DELETED) */
  old?: KubeObject;
}

export type Listener = (e: StoreEvent) => void;

const objKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

const deepFreeze = <T>(v: T): T => {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
};

export class Store {
  /** the last resourceVersion handed out */
  private rv = 0;
  /** every event with rv > floor is in the history */
  private floor = 0;
  private history: StoreEvent[] = [];
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly byUID = new Map<string, { gr: string; key: string }>();
  private readonly listeners = new Set<Listener>();

  constructor(private readonly historySize = 1000) {}

  get currentRV(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can resume from. */
  get oldestRV(): number {
    return this.floor;
  }

  /** The stored object (frozen: copy before changing it). */
  get(gr: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.data.get(gr)?.get(objKey(namespace, name));
  }

  /** Where the object with this uid lives, if it exists. */
  getByUID(uid: string): { gr: string; object: KubeObject } | undefined {
    const loc = this.byUID.get(uid);
    if (!loc) return undefined;
    const object = this.data.get(loc.gr)?.get(loc.key);
    return object ? { gr: loc.gr, object } : undefined;
  }

  /** Stored objects of a group-resource (frozen), sorted by namespace and name like etcd keys. */
  list(gr: string, namespace?: string): KubeObject[] {
    const m = this.data.get(gr);
    if (!m) return [];
    const out: { k: string; o: KubeObject }[] = [];
    for (const [k, o] of m) if (namespace === undefined || (o.metadata.namespace ?? '') === namespace) out.push({ k, o });
    out.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    return out.map((x) => x.o);
  }

  /** The group-resources holding at least one object. */
  resources(): string[] {
    return [...this.data.keys()].filter((gr) => (this.data.get(gr)?.size ?? 0) > 0);
  }

  /** Stores a new or changed object: sets its resourceVersion, records and publishes the event. */
  put(gr: string, obj: KubeObject): KubeObject {
    const rv = ++this.rv;
    const copy = structuredClone(obj);
    copy.metadata = { ...copy.metadata, resourceVersion: String(rv) };
    const stored = deepFreeze(copy);
    let m = this.data.get(gr);
    if (!m) this.data.set(gr, (m = new Map()));
    const key = objKey(stored.metadata.namespace, stored.metadata.name!);
    const old = m.get(key);
    m.set(key, stored);
    if (stored.metadata.uid) this.byUID.set(stored.metadata.uid, { gr, key });
    this.record({ type: old ? 'MODIFIED' : 'ADDED', gr, rv, object: stored, ...(old ? { old } : {}) });
    return stored;
  }

  /** Removes an object; the DELETED event carries its last state with the deletion's resourceVersion. */
  remove(gr: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const m = this.data.get(gr);
    const key = objKey(namespace, name);
    const old = m?.get(key);
    if (!m || !old) return undefined;
    m.delete(key);
    if (old.metadata.uid) this.byUID.delete(old.metadata.uid);
    const rv = ++this.rv;
    const last = deepFreeze({ ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } });
    this.record({ type: 'DELETED', gr, rv, object: last, old });
    return last;
  }

  private record(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.floor = dropped[dropped.length - 1]!.rv;
    }
    for (const l of [...this.listeners]) l(e);
  }

  /** Events newer than rv, or 'expired' when some of them are no longer retained. */
  eventsSince(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.floor) return 'expired';
    // history is sorted by rv: binary search for the first event > rv
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /**
   * Forgets the whole history, like an etcd compaction: every resourceVersion handed out so far becomes
   * too old (watches resuming from it and continue tokens get 410 Expired). The counter moves on by one
   * so that lists made afterwards return a resourceVersion that can be watched from.
   */
  expireHistory(): void {
    this.history = [];
    this.floor = ++this.rv;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
