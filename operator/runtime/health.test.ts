import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { HealthServer } from './health.js';
import { WorkQueue } from './workqueue.js';

const registry = new Registry();
const health = new HealthServer({ port: 0, host: '127.0.0.1', registry });
let base = '';
let synced = false;

before(async () => {
  health.addHealthCheck('ping', () => true);
  health.addReadyCheck('informers-synced', () => synced || 'not synced: pools');
  health.addReadyCheck('throws', () => {
    if (!synced) throw new Error('boom');
  });
  base = `http://127.0.0.1:${await health.start()}`;
});
after(() => health.stop());

test('/healthz answers ok while running', async () => {
  const r = await fetch(`${base}/healthz`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'ok');
  const v = await fetch(`${base}/healthz?verbose`);
  assert.equal(await v.text(), '[+]ping ok\nhealthz check passed\n');
});

test('/readyz lists failing checks with 500 and passes once they pass', async () => {
  synced = false;
  const r = await fetch(`${base}/readyz`);
  assert.equal(r.status, 500);
  assert.equal(await r.text(), '[-]informers-synced failed: not synced: pools\n[-]throws failed: boom\nreadyz check failed\n');
  synced = true;
  const ok = await fetch(`${base}/readyz`);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'ok');
});

test('/metrics serves the registry in the Prometheus text format', async () => {
  const q = new WorkQueue({ name: 'h', registry });
  q.add('x');
  const r = await fetch(`${base}/metrics`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), registry.contentType);
  const text = await r.text();
  assert.match(text, /# TYPE workqueue_depth gauge/);
  assert.match(text, /workqueue_depth\{name="h"\} 1/);
  q.shutDown();
});

test('other paths and methods', async () => {
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
  const h = await fetch(`${base}/readyz`, { method: 'HEAD' });
  assert.equal(h.status, 200);
});
