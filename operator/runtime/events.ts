// Kubernetes Events (core/v1) for objects, like client-go's EventRecorder: the same (object, type, reason,
// message) seen again within the aggregation window bumps `count` and `lastTimestamp` of the existing
// Event with a merge patch instead of creating a new object. Writes are asynchronous and never throw
// into the caller; a burst of repeats collapses into one patch. Messages have `password <x>` masked.
import { maskPasswords, silentLogger, type Logger } from '../util/log.js';
import { realClock, rfc3339, type Clock } from './clock.js';
import { collectionPath, isNotFound, objectPath, type KubeClient } from './client.js';

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface EventRecorderOptions {
  /** source.component / reportingComponent, e.g. "metallb-controller". */
  component: string;
  /** source.host / reportingInstance (the node or pod name). */
  host?: string;
  /** Repeats within this time of the last occurrence are aggregated (default 10 min). */
  aggregateWindowMs?: number;
  /** Aggregation entries kept (oldest dropped first; default 4096). */
  maxEntries?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Entry {
  namespace: string;
  name?: string;
  count: number;
  written: number;
  firstMs: number;
  lastMs: number;
  chain: Promise<void>;
}

const MAX_MESSAGE = 1024;

export function referenceOf(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string } }): ObjectReference {
  const m = obj.metadata ?? {};
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
}

export class EventRecorder {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private seq = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: EventRecorderOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.log = (opts.logger ?? silentLogger).child({ events: opts.component });
    this.windowMs = opts.aggregateWindowMs ?? 10 * 60_000;
    this.maxEntries = opts.maxEntries ?? 4096;
  }

  /** Records an event about `obj` (an object or an ObjectReference). */
  event(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string; uid?: string } } | ObjectReference, type: EventType, reason: string, message: string): void {
    const ref: ObjectReference = 'metadata' in obj && obj.metadata ? referenceOf(obj as Parameters<typeof referenceOf>[0]) : (obj as ObjectReference);
    if (!ref.name) {
      this.log.warn('event for an object without a name dropped', { reason });
      return;
    }
    const msg = maskPasswords(message).slice(0, MAX_MESSAGE);
    const key = JSON.stringify([ref.apiVersion, ref.kind, ref.namespace, ref.name, ref.uid, ref.fieldPath, type, reason, msg]);
    const now = this.clock.now();
    let e = this.entries.get(key);
    if (e && now - e.lastMs > this.windowMs) {
      this.entries.delete(key);
      e = undefined;
    }
    if (!e) {
      e = { namespace: ref.namespace || 'default', count: 0, written: 0, firstMs: now, lastMs: now, chain: Promise.resolve() };
      this.entries.set(key, e);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    } else {
      this.entries.delete(key); // keep most recently used last
      this.entries.set(key, e);
    }
    e.count++;
    e.lastMs = now;
    const entry = e;
    const p = entry.chain.then(() => this.write(entry, ref, type, reason, msg));
    entry.chain = p;
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Waits for the writes started so far. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async write(e: Entry, ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    if (e.count === e.written) return; // an earlier write already carried this occurrence
    const count = e.count;
    const last = rfc3339(e.lastMs);
    try {
      if (e.name) {
        try {
          await this.client.mergePatch(objectPath('v1', 'events', e.namespace, e.name), { count, lastTimestamp: last });
          e.written = count;
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      const name = `${ref.name}.${(BigInt(this.clock.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
      const body = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: e.namespace },
        involvedObject: Object.fromEntries(Object.entries(ref).filter(([, v]) => v !== undefined)),
        reason,
        message,
        type,
        source: { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
        count,
        firstTimestamp: rfc3339(e.firstMs),
        lastTimestamp: last,
        reportingComponent: this.opts.component,
        reportingInstance: this.opts.host ?? '',
      };
      await this.client.create(collectionPath('v1', 'events', e.namespace), body);
      e.name = name;
      e.written = count;
    } catch (err) {
      this.log.warn('could not write event', { reason, object: `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`, error: err instanceof Error ? err.message : String(err) });
    }
  }
}
