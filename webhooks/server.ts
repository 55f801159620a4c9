// HTTPS server for Kubernetes admission webhooks (AdmissionReview admission.k8s.io/v1) and CRD
// conversion webhooks (ConversionReview apiextensions.k8s.io/v1).
// It knows nothing about MetalLB: routes map a URL path to a handler returning a decision, conversion
// routes map a path to a converter.
import { createServer, type Server } from 'node:https';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../operator/api/meta.js';
import type { AdmissionDecision } from '../operator/config/admission.js';
import { readBody } from '../operator/util/httpbody.js';
import { createLogger, type Logger } from '../operator/util/log.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo?: Record<string, unknown>;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
  options?: unknown;
}

export type { AdmissionDecision };

export type AdmissionHandler = (req: AdmissionRequest) => AdmissionDecision | Promise<AdmissionDecision>;

/** The request of a ConversionReview. */
export interface ConversionRequest {
  uid: string;
  desiredAPIVersion: string;
  objects: KubeObject[];
}

/** Converts every object of a request; a thrown error fails the whole review (result Failure with its message). */
export type ConversionHandler = (req: ConversionRequest) => KubeObject[] | Promise<KubeObject[]>;

export interface WebhookServerOptions {
  cert: string | Buffer;
  key: string | Buffer;
  routes: Record<string, AdmissionHandler>;
  /** conversion webhooks by path (e.g. /convert) */
  conversions?: Record<string, ConversionHandler>;
  logger?: Logger;
  /** largest accepted request body, bytes (the API server sends at most ~3 MiB objects) */
  maxBodyBytes?: number;
  /** serve GET /metrics from this registry and record controller-runtime's webhook metrics in it */
  registry?: Registry;
}

/** controller-runtime's webhook server metrics (label `webhook` = the request path). */
export function webhookMetrics(registry: Registry) {
  const names = ['controller_runtime_webhook_requests_total', 'controller_runtime_webhook_requests_in_flight', 'controller_runtime_webhook_latency_seconds'];
  for (const n of names) if (registry.getSingleMetric(n)) registry.removeSingleMetric(n);
  return {
    requests: new Counter({ name: 'controller_runtime_webhook_requests_total', help: 'Total number of admission requests by HTTP status code.', labelNames: ['code', 'webhook'] as const, registers: [registry] }),
    inFlight: new Gauge({ name: 'controller_runtime_webhook_requests_in_flight', help: 'Current number of admission requests being served.', labelNames: ['webhook'] as const, registers: [registry] }),
    latency: new Histogram({ name: 'controller_runtime_webhook_latency_seconds', help: 'Histogram of the latency of processing admission requests', labelNames: ['webhook'] as const, registers: [registry] }),
  };
}

const MAX_BODY = 4 * 1024 * 1024;

class BadRequest extends Error {}

/** The review's envelope: JSON, an object of `kind` at `apiVersion`, with a request carrying a uid. */
function reviewRequest(body: string, kind: string, apiVersion: string): Record<string, unknown> {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (e) {
    throw new BadRequest(`request body is not valid JSON: ${(e as Error).message}`);
  }
  const article = /^[AEIOU]/.test(kind) ? 'an' : 'a';
  if (!review || typeof review !== 'object' || Array.isArray(review)) throw new BadRequest(`request body is not ${article} ${kind} object`);
  const r = review as Record<string, unknown>;
  if (r.kind !== kind) throw new BadRequest(`expected kind ${kind}, got ${JSON.stringify(r.kind ?? null)}`);
  if (r.apiVersion !== apiVersion) throw new BadRequest(`unsupported ${kind} apiVersion ${JSON.stringify(r.apiVersion ?? null)}: only ${apiVersion} is served`);
  const req = r.request as Record<string, unknown> | undefined;
  if (!req || typeof req !== 'object' || Array.isArray(req)) throw new BadRequest(`${kind} has no request`);
  if (typeof req.uid !== 'string' || req.uid === '') throw new BadRequest(`${kind} request has no uid`);
  return req;
}

/** Checks the shape of an AdmissionReview and returns its request; throws BadRequest with a clear message. */
export function parseAdmissionReview(body: string): AdmissionRequest {
  const req = reviewRequest(body, 'AdmissionReview', 'admission.k8s.io/v1');
  if (!['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(req.operation as string))
    throw new BadRequest(`AdmissionReview request has an invalid operation ${JSON.stringify(req.operation ?? null)}`);
  const kind = req.kind as Record<string, unknown> | undefined;
  if (!kind || typeof kind.kind !== 'string') throw new BadRequest('AdmissionReview request has no kind');
  for (const f of ['object', 'oldObject'] as const) {
    const o = req[f];
    if (o !== undefined && o !== null && (typeof o !== 'object' || Array.isArray(o)))
      throw new BadRequest(`AdmissionReview request.${f} is not an object`);
  }
  if ((req.operation === 'CREATE' || req.operation === 'UPDATE') && !req.object)
    throw new BadRequest(`AdmissionReview ${req.operation as string} request has no object`);
  if (req.operation === 'DELETE' && !req.oldObject && !req.object)
    throw new BadRequest('AdmissionReview DELETE request has no oldObject');
  return req as unknown as AdmissionRequest;
}

/** Checks the shape of a ConversionReview and returns its request; throws BadRequest with a clear message. */
export function parseConversionReview(body: string): ConversionRequest {
  const req = reviewRequest(body, 'ConversionReview', 'apiextensions.k8s.io/v1');
  if (typeof req.desiredAPIVersion !== 'string' || req.desiredAPIVersion === '') throw new BadRequest('ConversionReview request has no desiredAPIVersion');
  if (!Array.isArray(req.objects)) throw new BadRequest('ConversionReview request.objects is not a list');
  req.objects.forEach((o, i) => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw new BadRequest(`ConversionReview request.objects[${i}] is not an object`);
  });
  return { uid: req.uid as string, desiredAPIVersion: req.desiredAPIVersion, objects: req.objects as KubeObject[] };
}

/** Builds the ConversionReview response body. */
export function conversionResponse(uid: string, result: { objects: KubeObject[] } | { error: string }): Record<string, unknown> {
  const response =
    'objects' in result
      ? { uid, convertedObjects: result.objects, result: { status: 'Success' } }
      : { uid, convertedObjects: [], result: { status: 'Failure', message: result.error } };
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response };
}

/** Builds the AdmissionReview response body; denials carry 403 Forbidden like controller-runtime webhooks. */
export function admissionResponse(uid: string, d: AdmissionDecision): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: d.allowed };
  if (!d.allowed) response.status = { code: 403, reason: 'Forbidden', message: d.message ?? '' };
  else if (d.message) response.status = { code: 200, message: d.message };
  if (d.warnings && d.warnings.length > 0) response.warnings = d.warnings;
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

function send(res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function serveConversion(req: IncomingMessage, res: ServerResponse, path: string, converter: ConversionHandler, log: Logger, limit: number): Promise<void> {
  const ctype = String(req.headers['content-type'] ?? '');
  let request: ConversionRequest;
  try {
    if (!ctype.startsWith('application/json')) throw new BadRequest(`content-type must be application/json, got ${JSON.stringify(ctype)}`);
    request = parseConversionReview(await readBody(req, limit, () => new BadRequest(`request body larger than ${limit} bytes`)));
  } catch (e) {
    const msg = (e as Error).message;
    log.warn('malformed conversion request', { path, error: msg });
    if (!res.headersSent) send(res, 400, `bad ConversionReview: ${msg}\n`);
    return;
  }
  let answer: Record<string, unknown>;
  try {
    const objects = await converter(request);
    answer = conversionResponse(request.uid, { objects });
    log.info('conversion', { path, uid: request.uid, desiredAPIVersion: request.desiredAPIVersion, objects: objects.length });
  } catch (e) {
    const msg = (e as Error).message;
    log.warn('conversion failed', { path, uid: request.uid, desiredAPIVersion: request.desiredAPIVersion, error: msg });
    answer = conversionResponse(request.uid, { error: msg });
  }
  send(res, 200, JSON.stringify(answer), 'application/json');
}

export function createWebhookServer(opts: WebhookServerOptions): Server {
  const log = opts.logger ?? createLogger('webhook');
  const limit = opts.maxBodyBytes ?? MAX_BODY;
  const registry = opts.registry;
  const metrics = registry ? webhookMetrics(registry) : undefined;
  const server = createServer({ cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      send(res, 200, 'ok');
      return;
    }
    if (path === '/metrics' && registry && (req.method === 'GET' || req.method === 'HEAD')) {
      registry.metrics().then(
        (body) => send(res, 200, req.method === 'HEAD' ? '' : body, registry.contentType),
        (e: unknown) => send(res, 500, `cannot collect metrics: ${(e as Error).message}\n`),
      );
      return;
    }
    if (metrics && (opts.routes[path] || opts.conversions?.[path])) {
      const started = process.hrtime.bigint();
      metrics.inFlight.inc({ webhook: path });
      res.once('close', () => {
        metrics.inFlight.dec({ webhook: path });
        metrics.requests.inc({ code: String(res.statusCode), webhook: path });
        metrics.latency.observe({ webhook: path }, Number(process.hrtime.bigint() - started) / 1e9);
      });
    }
    const converter = opts.conversions?.[path];
    const handler = opts.routes[path];
    if (converter) {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        send(res, 405, `method ${req.method ?? ''} not allowed: conversion webhooks accept POST`);
        return;
      }
      void serveConversion(req, res, path, converter, log, limit);
      return;
    }
    if (!handler) {
      send(res, 404, `no admission webhook is served at ${path}`);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      send(res, 405, `method ${req.method ?? ''} not allowed: admission webhooks accept POST`);
      return;
    }
    const ctype = String(req.headers['content-type'] ?? '');
    void (async () => {
      let request: AdmissionRequest;
      try {
        if (!ctype.startsWith('application/json')) throw new BadRequest(`content-type must be application/json, got ${JSON.stringify(ctype)}`);
        request = parseAdmissionReview(await readBody(req, limit, () => new BadRequest(`request body larger than ${limit} bytes`)));
      } catch (e) {
        const msg = (e as Error).message;
        log.warn('malformed admission request', { path, error: msg });
        send(res, 400, `bad AdmissionReview: ${msg}\n`);
        return;
      }
      let decision: AdmissionDecision;
      try {
        decision = await handler(request);
      } catch (e) {
        log.error('admission handler failed', { path, uid: request.uid, error: (e as Error).message });
        decision = { allowed: false, message: `internal error: ${(e as Error).message}` };
      }
      log.info('admission', {
        path,
        uid: request.uid,
        operation: request.operation,
        kind: request.kind.kind,
        namespace: request.namespace,
        name: request.name ?? request.object?.metadata?.name ?? request.oldObject?.metadata?.name,
        allowed: decision.allowed,
        reason: decision.allowed ? undefined : decision.message,
      });
      send(res, 200, JSON.stringify(admissionResponse(request.uid, decision)), 'application/json');
    })().catch((e: unknown) => {
      log.error('webhook request failed', { path, error: (e as Error).message });
      if (!res.headersSent) send(res, 500, 'internal error\n');
    });
  });
  server.on('tlsClientError', (err) => log.debug('tls client error', { error: err.message }));
  return server;
}
