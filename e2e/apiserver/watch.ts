// Watch streams: newline-delimited JSON events over a chunked HTTP response.
// - no resourceVersion (or "0", or sendInitialEvents=true): ADDED for every current object, then live events;
// - resourceVersion N: every retained event newer than N, then live events; N older than the retained
//   history: an ERROR event carrying a 410 Expired Status (or an HTTP 410, see `expiredAs`);
// - label/field selectors: objects starting to match arrive as ADDED, objects stopping as DELETED;
// - allowWatchBookmarks: periodic BOOKMARK events; timeoutSeconds: the stream ends normally.
import type { ServerResponse } from 'node:http';
import type { ApiCore } from './core.js';
import { grOf } from './core.js';
import { badRequest, status } from './errors.js';
import type { Selector } from './selectors.js';
import type { StoreEvent } from './store.js';
import { apiVersionOf, type KubeObject, type ResourceType } from './types.js';

export interface WatchRequest {
  type: ResourceType;
  namespace?: string;
  selector: Selector;
  resourceVersion?: string;
  allowBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  /** extra response headers (warnings) */
  headers?: Record<string, string | string[]>;
}

interface ActiveWatch {
  res: ServerResponse;
  close(): void;
}

export class WatchHub {
  private readonly active = new Set<ActiveWatch>();
  /** how a watch from an expired resourceVersion is refused: an ERROR event in a 200 stream (like kube-apiserver) or an HTTP 410 */
  expiredAs: 'event' | 'status' = 'event';

  constructor(
    private readonly core: ApiCore,
    public bookmarkIntervalMs: number,
  ) {}

  get count(): number {
    return this.active.size;
  }

  /** Ends every open watch: `abrupt` destroys the connections, `graceful` ends the streams normally. */
  drop(mode: 'abrupt' | 'graceful' = 'abrupt'): number {
    const n = this.active.size;
    for (const w of [...this.active]) {
      if (mode === 'abrupt') w.res.destroy();
      else w.res.end();
      w.close();
    }
    return n;
  }

  serve(req: WatchRequest, res: ServerResponse): void {
    const { type: t, selector } = req;
    const store = this.core.store;
    const gr = grOf(t);
    const rvText = req.resourceVersion ?? '';
    const initial = rvText === '' || rvText === '0' || req.sendInitialEvents === true;
    let replay: StoreEvent[] = [];
    if (!initial) {
      if (!/^\d+$/.test(rvText)) throw badRequest(`invalid resource version: ${JSON.stringify(rvText)}`);
      const since = store.eventsSince(Number(rvText));
      if (since === 'expired') {
        const st = status(410, 'Expired', `too old resource version: ${rvText} (${store.oldestRV})`);
        if (this.expiredAs === 'status') {
          res.writeHead(410, { 'content-type': 'application/json', ...(req.headers ?? {}) });
          res.end(JSON.stringify(st));
        } else {
          res.writeHead(200, { 'content-type': 'application/json', ...(req.headers ?? {}) });
          res.end(JSON.stringify({ type: 'ERROR', object: st }) + '\n');
        }
        return;
      }
      replay = since;
    }

    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private', ...(req.headers ?? {}) });
    res.flushHeaders();
    const send = (type: string, object: unknown): void => {
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify({ type, object }) + '\n');
    };
    const present = (o: KubeObject): KubeObject | undefined => {
      try {
        return this.core.present(o, t);
      } catch {
        return undefined; // unconvertible objects are skipped
      }
    };
    const matches = (o: KubeObject | undefined): o is KubeObject =>
      !!o && (!t.namespaced || !req.namespace || o.metadata.namespace === req.namespace) && selector.matches(o);
    const handle = (e: StoreEvent): void => {
      if (e.gr !== gr) return;
      if (e.type === 'DELETED') {
        const last = present(e.object);
        if (matches(last)) send('DELETED', last);
        return;
      }
      const cur = present(e.object);
      const prev = e.old ? present(e.old) : undefined;
      const now = matches(cur);
      const was = e.type === 'MODIFIED' && matches(prev);
      if (now && was) send('MODIFIED', cur);
      else if (now) send('ADDED', cur);
      else if (was) {
        // stopped matching: DELETED with the previous content at the event's resourceVersion
        prev!.metadata.resourceVersion = String(e.rv);
        send('DELETED', prev);
      }
    };
    const bookmark = (annotations?: Record<string, string>): void =>
      send('BOOKMARK', { kind: t.kind, apiVersion: apiVersionOf(t), metadata: { resourceVersion: String(store.currentRV), ...(annotations ? { annotations } : {}) } });

    if (initial) {
      for (const o of store.list(gr, t.namespaced ? req.namespace || undefined : undefined)) {
        const p = present(o);
        if (matches(p)) send('ADDED', p);
      }
      if (req.sendInitialEvents && req.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else for (const e of replay) handle(e);

    const unsubscribe = store.subscribe(handle);
    const timers: NodeJS.Timeout[] = [];
    if (req.allowBookmarks && this.bookmarkIntervalMs > 0) timers.push(setInterval(() => bookmark(), this.bookmarkIntervalMs));
    if (req.timeoutSeconds && req.timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), req.timeoutSeconds * 1000));
    const w: ActiveWatch = {
      res,
      close: () => {
        unsubscribe();
        for (const tm of timers) clearTimeout(tm);
        this.active.delete(w);
      },
    };
    this.active.add(w);
    res.on('close', () => w.close());
  }
}
