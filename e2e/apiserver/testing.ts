// Helpers for the API server's tests: clients, event-driven waits, watch collectors, webhook servers.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { createServingCertificates, type CertBundle } from '../../operator/util/certs.js';
import { silentLogger } from '../../operator/util/log.js';
import { projectPath } from '../../operator/util/paths.js';
import { createWebhookServer, type AdmissionHandler } from '../../webhooks/server.js';
import { TestApiServer, type TestApiServerOptions } from './server.js';

/** Generous: the CI machine may be slow and loaded. */
export const WAIT_MS = 30_000;

export async function startServer(opts: TestApiServerOptions = {}): Promise<{ api: TestApiServer; kc: k8s.KubeConfig }> {
  const api = new TestApiServer({ crds: projectPath('crds'), ...opts });
  await api.start();
  return { api, kc: api.kubeConfig() };
}

/** Resolves when the predicate holds (checked on every call of `poke` and every 20 ms); rejects after WAIT_MS. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface WatchEvent {
  type: string;
  object: any;
}

/** Collects the events of one client-node Watch and lets a test await specific ones. */
export class WatchCollector {
  readonly events: WatchEvent[] = [];
  done: { err: any } | undefined;
  private waiters: (() => void)[] = [];
  controller: AbortController | undefined;

  static async start(kc: k8s.KubeConfig, path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<WatchCollector> {
    const c = new WatchCollector();
    c.controller = await new k8s.Watch(kc).watch(
      path,
      query,
      (type, object) => {
        c.events.push({ type, object });
        c.notify();
      },
      (err) => {
        c.done = { err };
        c.notify();
      },
    );
    return c;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitChange(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for watch events')), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Waits until `n` events (from index `from`) matching the predicate arrived; returns them. */
  async take(n: number, pred: (e: WatchEvent) => boolean = () => true, from = 0, ms = WAIT_MS): Promise<WatchEvent[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const got = this.events.slice(from).filter(pred);
      if (got.length >= n) return got.slice(0, n);
      if (this.done) throw new Error(`watch ended (${String(this.done.err?.message ?? this.done.err)}) after ${this.events.length} events: ${this.summary()}`);
      await this.waitChange(Math.max(1, deadline - Date.now())).catch(() => {
        throw new Error(`timed out waiting for ${n} events; got: ${this.summary()}`);
      });
    }
  }

  async ended(ms = WAIT_MS): Promise<{ err: any }> {
    const deadline = Date.now() + ms;
    while (!this.done) await this.waitChange(Math.max(1, deadline - Date.now()));
    return this.done;
  }

  summary(): string {
    return this.events.map((e) => `${e.type}:${e.object?.metadata?.name ?? e.object?.reason ?? ''}@${e.object?.metadata?.resourceVersion ?? ''}`).join(' ');
  }

  stop(): void {
    this.controller?.abort();
  }
}

/** The parsed Status of a client-node ApiException. */
export function statusOf(e: unknown): { code: number; reason?: string; message?: string; details?: any } {
  const err = e as { code?: number; body?: unknown };
  assert.ok(err && typeof err.code === 'number', `expected an ApiException, got ${String(e)}`);
  const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
  return { ...body, code: err.code };
}

/** Runs fn and returns the Status it failed with. */
export async function failure(fn: () => Promise<unknown>): Promise<{ code: number; reason?: string; message?: string; details?: any }> {
  try {
    await fn();
  } catch (e) {
    return statusOf(e);
  }
  assert.fail('expected the request to fail');
}

/** An HTTPS webhook server (webhooks/server.ts) on 127.0.0.1 with a fresh CA. */
export async function startWebhook(routes: Record<string, AdmissionHandler>, dnsNames = ['localhost']): Promise<{ server: Server; port: number; certs: CertBundle; caBundle: string; close(): Promise<void> }> {
  const certs = createServingCertificates({ dnsNames, ipAddresses: ['127.0.0.1'] });
  const server = createWebhookServer({ cert: certs.cert, key: certs.key, routes, logger: silentLogger });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    certs,
    caBundle: Buffer.from(certs.caCert).toString('base64'),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Raw HTTP request to the test server (for wire details client-node hides). */
export async function raw(url: string, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const init: RequestInit = { method, headers: { 'content-type': contentType, accept: 'application/json' } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const r = await fetch(url + path, init);
  const text = await r.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.status, headers: r.headers, body: parsed, text };
}

export const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
  data,
});

export const peer = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'metallb.io/v1beta2',
  kind: 'BGPPeer',
  metadata: { name, namespace: 'default' },
  spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1', ...spec },
});

export const PEERS = { group: 'metallb.io', version: 'v1beta2', plural: 'bgppeers', namespace: 'default' } as const;
