// The HTTP side: routing of kube-apiserver paths, body decoding (JSON, YAML for apply), query options,
// discovery documents, Status errors and Warning headers, and the fault switches.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYAML } from 'yaml';
import { readBody } from '../../operator/util/httpbody.js';
import { isObject } from '../../operator/util/json.js';
import type { ApiCore, DeleteOptions, PatchType } from './core.js';
import { ApiError, badRequest, methodNotAllowed, notFoundPath, status, toApiError, unsupportedMediaType } from './errors.js';
import { Selector } from './selectors.js';
import type { KubeObject, ResourceType, WriteOptions } from './types.js';
import type { WatchHub } from './watch.js';

const MAX_BODY = 3 * 1024 * 1024;

export interface RequestRecord {
  method: string;
  path: string;
  code: number;
}

interface FailRule {
  remaining: number;
  code: number;
  match?: (r: { method: string; path: string }) => boolean;
}

/** Fault injection shared by the HTTP layer and the watch hub. */
export class Faults {
  readonly rules: FailRule[] = [];
  constructor(
    private readonly hub: WatchHub,
    private readonly core: ApiCore,
  ) {}

  /** Ends every open watch (`abrupt`: connections destroyed; `graceful`: streams end normally). Returns how many. */
  dropWatches(mode: 'abrupt' | 'graceful' = 'abrupt'): number {
    return this.hub.drop(mode);
  }

  /** Forgets the event history: watches resuming from an older resourceVersion, and continue tokens, get 410. */
  expireHistory(): void {
    this.core.store.expireHistory();
  }

  /** The next n requests (matching `match`, when given) fail with this code and a Status body. */
  failNext(n: number, code = 500, match?: (r: { method: string; path: string }) => boolean): void {
    this.rules.push({ remaining: n, code, ...(match ? { match } : {}) });
  }

  /** How a watch from an expired resourceVersion is refused: ERROR event in a 200 stream (default) or HTTP 410. */
  set expiredWatchResponse(mode: 'event' | 'status') {
    this.hub.expiredAs = mode;
  }
  get expiredWatchResponse(): 'event' | 'status' {
    return this.hub.expiredAs;
  }

  clear(): void {
    this.rules.length = 0;
    this.hub.expiredAs = 'event';
  }

  /** The injected failure for this request, if any. */
  take(method: string, path: string): number | undefined {
    for (const r of this.rules) {
      if (r.remaining <= 0 || (r.match && !r.match({ method, path }))) continue;
      r.remaining--;
      if (r.remaining <= 0) this.rules.splice(this.rules.indexOf(r), 1);
      return r.code;
    }
    return undefined;
  }
}

const REASONS: Record<number, string> = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout', 409: 'Conflict', 404: 'NotFound', 403: 'Forbidden' };

/** A Warning header value: `299 - "<text>"`. */
export const warningHeader = (text: string): string => `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function send(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | string[] | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache, private' };
  const uniq = [...new Set(warnings)];
  if (uniq.length > 0) headers.warning = uniq.map(warningHeader);
  res.writeHead(code, headers);
  res.end(text);
}

function decode(text: string, yaml: boolean): unknown {
  if (text.trim() === '') return undefined;
  try {
    return yaml ? parseYAML(text) : JSON.parse(text);
  } catch (e) {
    throw badRequest(`couldn't get version/kind; ${yaml ? 'yaml' : 'json'} parse error: ${(e as Error).message}`);
  }
}

const mediaType = (req: IncomingMessage): string => String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

function decodeObjectBody(req: IncomingMessage, text: string): unknown {
  const ct = mediaType(req);
  if (ct === '' || ct === 'application/json' || ct === '*/*') return decode(text, false);
  if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') return decode(text, true);
  throw unsupportedMediaType(ct);
}

interface Route {
  type: ResourceType;
  namespace?: string;
  name?: string;
  sub?: string;
  watchPath: boolean;
}

export class HttpFrontend {
  readonly requests: RequestRecord[] = [];
  /** how many request records are kept */
  maxRecords = 2000;

  constructor(
    private readonly core: ApiCore,
    private readonly hub: WatchHub,
    readonly faults: Faults,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const record = (code: number): void => {
      this.requests.push({ method, path: url.pathname + url.search, code });
      if (this.requests.length > this.maxRecords) this.requests.splice(0, this.requests.length - this.maxRecords);
    };
    const injected = this.faults.take(method, url.pathname);
    if (injected !== undefined) {
      req.resume();
      record(injected);
      send(res, injected, status(injected, REASONS[injected] ?? 'InternalError', `injected fault: HTTP ${injected}`));
      return;
    }
    this.dispatch(method, url, req, res).then(
      (code) => record(code),
      (e: unknown) => {
        const err = toApiError(e);
        record(err.code);
        if (res.headersSent) res.destroy();
        else send(res, err.code, err.status);
      },
    );
  }

  private serverAddress(req: IncomingMessage): string {
    return String(req.headers.host ?? 'localhost');
  }

  /** Serves one request; returns the HTTP status sent. */
  private async dispatch(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<number> {
    const segs = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const reg = this.core.registry;
    const ok = (body: unknown, code = 200, warnings: string[] = []): number => {
      send(res, code, body, warnings);
      return code;
    };
    if (segs.length === 1 && ['healthz', 'livez', 'readyz'].includes(segs[0]!)) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return 200;
    }
    if (segs.length === 1 && segs[0] === 'version') {
      return ok({ major: '1', minor: '34', gitVersion: 'v1.34.0-metalfrr-test', gitCommit: '', gitTreeState: 'clean', buildDate: '', goVersion: 'n/a', compiler: 'n/a', platform: `${process.platform}/${process.arch}` });
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') {
      if (segs.length === 1) return ok(reg.apiVersions(this.serverAddress(req)));
      group = '';
      version = segs[1]!;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      if (segs.length === 1) return ok(reg.apiGroupList());
      if (segs.length === 2) {
        const doc = reg.apiGroupDoc(segs[1]!);
        if (!doc) throw notFoundPath();
        return ok(doc);
      }
      group = segs[1]!;
      version = segs[2]!;
      rest = segs.slice(3);
    } else throw notFoundPath();
    if (rest.length === 0) {
      const doc = reg.apiResourceList(group, version);
      if (!doc) throw notFoundPath();
      return ok(doc);
    }
    const route = this.route(group, version, rest);
    return this.serveResource(method, url, req, res, route);
  }

  private route(group: string, version: string, rest: string[]): Route {
    const reg = this.core.registry;
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && rest.length === 3 && !reg.find(group, version, rest[2]!))) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub, ...extra] = rest;
    const type = plural ? reg.find(group, version, plural) : undefined;
    if (!type || extra.length > 0) throw notFoundPath();
    if (namespace !== undefined && !type.namespaced) throw notFoundPath();
    const r: Route = { type, watchPath };
    if (namespace !== undefined) r.namespace = namespace;
    if (name !== undefined) r.name = name;
    if (sub !== undefined) r.sub = sub;
    return r;
  }

  private writeOptions(url: URL, req: IncomingMessage): WriteOptions {
    const q = url.searchParams;
    const dryRun = q.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All')) throw badRequest(`invalid dry run option: ${JSON.stringify(dryRun)}; supported values: "All"`);
    const fieldManager = q.get('fieldManager') ?? String(req.headers['user-agent'] ?? 'unknown').split('/')[0]!.trim();
    const fv = q.get('fieldValidation');
    if (fv && !['Ignore', 'Warn', 'Strict'].includes(fv)) throw badRequest(`fieldValidation must be one of Ignore, Warn, Strict; got ${JSON.stringify(fv)}`);
    return { dryRun: dryRun.length > 0, fieldManager: fieldManager || 'unknown', strict: fv === 'Strict', user: 'admin' };
  }

  private async serveResource(method: string, url: URL, req: IncomingMessage, res: ServerResponse, r: Route): Promise<number> {
    const core = this.core;
    const q = url.searchParams;
    const t = r.type;
    const warnings = t.deprecationWarning ? [t.deprecationWarning] : [];
    const ok = (body: unknown, code = 200, more: string[] = []): number => {
      send(res, code, body, [...warnings, ...more]);
      return code;
    };
    const ns = r.namespace;
    if (t.namespaced && ns === undefined && (r.name !== undefined || (method !== 'GET' && method !== 'DELETE'))) throw notFoundPath();
    if (r.sub !== undefined && (r.name === undefined || r.sub !== 'status' || !t.hasStatus)) {
      if (!(t.kind === 'Namespace' && r.sub === 'finalize')) throw notFoundPath();
    }
    const sub = r.sub === 'finalize' ? undefined : r.sub;
    const watch = r.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';

    if (method === 'GET') {
      if (watch) {
        let fieldSelector = q.get('fieldSelector') ?? '';
        if (r.name !== undefined) fieldSelector = [fieldSelector, `metadata.name=${r.name}`].filter(Boolean).join(',');
        const selector = new Selector(q.get('labelSelector'), fieldSelector);
        const timeout = Number(q.get('timeoutSeconds') ?? '0');
        this.hub.serve(
          {
            type: t,
            ...(ns !== undefined ? { namespace: ns } : {}),
            selector,
            resourceVersion: q.get('resourceVersion') ?? '',
            allowBookmarks: q.get('allowWatchBookmarks') === 'true',
            sendInitialEvents: q.get('sendInitialEvents') === 'true',
            timeoutSeconds: Number.isFinite(timeout) ? timeout : 0,
            ...(warnings.length > 0 ? { headers: { warning: warnings.map(warningHeader) } } : {}),
          },
          res,
        );
        return 200;
      }
      if (r.name !== undefined) return ok(core.get(t, ns, r.name));
      const limit = Number(q.get('limit') ?? '0');
      return ok(
        core.list(t, ns, {
          ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}),
          ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}),
          ...(Number.isFinite(limit) && limit > 0 ? { limit } : {}),
          ...(q.get('continue') ? { continue: q.get('continue')! } : {}),
        }),
      );
    }

    const text = await readBody(req, MAX_BODY, () => new ApiError(status(413, 'RequestEntityTooLarge', 'the request body is too large')));
    const opts = this.writeOptions(url, req);
    switch (method) {
      case 'POST': {
        if (r.name !== undefined) throw methodNotAllowed(method);
        const body = decodeObjectBody(req, text);
        if (!isObject(body)) throw badRequest('the request body is not a Kubernetes object');
        const w = await core.create(t, ns, body as KubeObject, opts);
        return ok(w.object, w.code, w.warnings);
      }
      case 'PUT': {
        if (r.name === undefined) throw methodNotAllowed(method);
        const body = decodeObjectBody(req, text);
        if (!isObject(body)) throw badRequest('the request body is not a Kubernetes object');
        const w = await core.update(t, ns, r.name, sub, body as KubeObject, opts);
        return ok(w.object, w.code, w.warnings);
      }
      case 'PATCH': {
        if (r.name === undefined) throw methodNotAllowed(method);
        const ct = mediaType(req);
        const force = q.get('force') === 'true';
        if (ct === 'application/apply-patch+yaml') {
          const body = decode(text, true);
          if (!isObject(body)) throw badRequest('the applied configuration is not an object');
          const w = await core.apply(t, ns, r.name, sub, body as KubeObject, { ...opts, fieldManager: q.get('fieldManager') ?? '', force });
          return ok(w.object, w.code, w.warnings);
        }
        if (force) throw badRequest('force: Invalid value: true: may not be specified for non-apply patch');
        const types: Record<string, PatchType> = {
          'application/json-patch+json': 'json',
          'application/merge-patch+json': 'merge',
          'application/strategic-merge-patch+json': 'strategic',
        };
        const pt = types[ct];
        if (!pt) throw unsupportedMediaType(ct);
        const w = await core.patch(t, ns, r.name, sub, pt, decode(text, false), opts);
        return ok(w.object, w.code, w.warnings);
      }
      case 'DELETE': {
        const body = text.trim() ? decode(text, false) : {};
        if (!isObject(body)) throw badRequest('the body of a DELETE must be DeleteOptions');
        const { dryRun, ...rest } = body as DeleteOptions & { dryRun?: unknown };
        const d: DeleteOptions = rest;
        if (Array.isArray(dryRun) && dryRun.includes('All')) opts.dryRun = true;
        const pp = q.get('propagationPolicy');
        if (pp) {
          if (pp !== 'Foreground' && pp !== 'Background' && pp !== 'Orphan') throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(pp)}`);
          d.propagationPolicy = pp;
        }
        if (q.get('orphanDependents') !== null) d.orphanDependents = q.get('orphanDependents') === 'true';
        if (r.name === undefined) {
          const list = await core.deleteCollection(
            t,
            ns,
            { ...(q.get('labelSelector') ? { labelSelector: q.get('labelSelector')! } : {}), ...(q.get('fieldSelector') ? { fieldSelector: q.get('fieldSelector')! } : {}) },
            d,
            opts,
          );
          return ok(list);
        }
        const out = await core.delete(t, ns, r.name, d, opts);
        return ok(out.body, out.code, out.warnings);
      }
      default:
        throw methodNotAllowed(method);
    }
  }
}
