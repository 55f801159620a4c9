import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeClock, settle } from './clock.js';
import { Controller } from './controller.js';
import { ExponentialRateLimiter } from './workqueue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('a reconcile that throws is retried with growing backoff and converges once the fault is gone', async () => {
  const clock = new FakeClock();
  const registry = new Registry();
  let faults = 4;
  const calls: number[] = [];
  const c = new Controller({
    name: 'svc',
    clock,
    registry,
    rateLimiter: () => new ExponentialRateLimiter(100, 10_000),
    reconcile: async () => {
      calls.push(clock.now());
      if (faults-- > 0) throw new Error('API unavailable');
    },
  });
  c.start();
  const t0 = clock.now();
  c.enqueue('ns/a');
  await clock.advance(0);
  assert.equal(calls.length, 1);
  await clock.advanceUntil(() => calls.length === 5, 10, 60_000);
  assert.deepEqual(
    calls.map((t) => t - t0),
    [0, 100, 300, 700, 1500],
    'delays 100, 200, 400, 800 ms',
  );
  await clock.advance(60_000);
  assert.equal(calls.length, 5, 'no retry after success');
  assert.equal(c.queue!.numRequeues('ns/a'), 0, 'success forgets the backoff');
  const text = await registry.metrics();
  assert.match(text, /controller_runtime_reconcile_total\{controller="svc",result="error"\} 4/);
  assert.match(text, /controller_runtime_reconcile_total\{controller="svc",result="success"\} 1/);
  assert.match(text, /controller_runtime_reconcile_errors_total\{controller="svc"\} 4/);
  assert.match(text, /controller_runtime_reconcile_time_seconds_count\{controller="svc"\} 5/);
  assert.match(text, /workqueue_retries_total\{name="svc"\} 4/);
  assert.ok(await c.stop());
});

test('requeueAfter reconciles again after the delay; requeue: true uses the backoff', async () => {
  const clock = new FakeClock();
  const calls: string[] = [];
  const c = new Controller({
    name: 'r',
    clock,
    rateLimiter: () => new ExponentialRateLimiter(50, 1000),
    reconcile: async (key) => {
      calls.push(`${key}@${clock.now() - t0}`);
      if (key === 'after' && calls.filter((x) => x.startsWith('after')).length < 3) return { requeueAfter: 5000 };
      if (key === 'again' && calls.filter((x) => x.startsWith('again')).length < 2) return { requeue: true };
    },
  });
  const t0 = clock.now();
  c.start();
  c.enqueue('after');
  c.enqueue('again');
  await clock.advance(20_000);
  assert.deepEqual(calls, ['after@0', 'again@0', 'again@50', 'after@5000', 'after@10000']);
  await c.stop();
});

test('never two workers on one key; a key changed during its reconcile is reconciled again after', async () => {
  const clock = new FakeClock();
  const inFlight = new Map<string, number>();
  let maxPerKey = 0;
  let maxTotal = 0;
  const gates: Array<{ key: string; d: ReturnType<typeof deferred> }> = [];
  const seen: string[] = [];
  const c = new Controller({
    name: 'conc',
    clock,
    concurrency: 4,
    reconcile: async (key) => {
      seen.push(key);
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      maxPerKey = Math.max(maxPerKey, inFlight.get(key)!);
      maxTotal = Math.max(maxTotal, [...inFlight.values()].reduce((a, b) => a + b, 0));
      const d = deferred();
      gates.push({ key, d });
      await d.promise;
      inFlight.set(key, inFlight.get(key)! - 1);
    },
  });
  c.start();
  for (const k of ['a', 'b', 'c', 'd', 'e', 'a', 'b']) c.enqueue(k);
  await settle();
  assert.deepEqual(seen, ['a', 'b', 'c', 'd'], 'four workers, four distinct keys');
  c.enqueue('a'); // a changes while being reconciled
  c.enqueue('a');
  await settle();
  assert.equal(seen.length, 4, 'no second worker picks up a');
  gates.find((g) => g.key === 'a')!.d.resolve();
  await settle();
  // the freed worker takes e (queued first), then a again once a worker is free
  assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
  gates.find((g) => g.key === 'b')!.d.resolve();
  await settle();
  assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e', 'a']);
  for (let i = 0; i < 20; i++) {
    for (const g of gates) g.d.resolve();
    await settle();
  }
  assert.equal(maxPerKey, 1);
  assert.equal(maxTotal, 4);
  assert.equal(seen.filter((k) => k === 'a').length, 2, 'coalesced: two adds during processing = one more reconcile');
  assert.ok(await c.stop());
});

test('stop waits for reconciles in flight (bounded) and restart re-enqueues', async () => {
  const clock = new FakeClock();
  const d = deferred();
  let finished = 0;
  const c = new Controller({
    name: 's',
    clock,
    reconcile: async () => {
      await d.promise;
      finished++;
    },
  });
  c.start();
  c.enqueue('k');
  await settle();
  let stopped: boolean | undefined;
  void c.stop(1000).then((x) => (stopped = x));
  await settle();
  assert.equal(stopped, undefined, 'waiting for the reconcile');
  c.enqueue('other');
  d.resolve();
  await settle();
  assert.equal(stopped, true);
  assert.equal(finished, 1, 'keys added during shutdown are not processed');
  assert.equal(c.running, false);

  const stuck = new Controller({ name: 'stuck', clock, reconcile: () => new Promise(() => undefined) });
  stuck.start();
  stuck.enqueue('k');
  await settle();
  let r: boolean | undefined;
  void stuck.stop(1000).then((x) => (r = x));
  await clock.advance(999);
  assert.equal(r, undefined);
  await clock.advance(1);
  assert.equal(r, false, 'gave up at the deadline');
});

test('a failing reconcile of one key does not block others', async () => {
  const clock = new FakeClock();
  const ok: string[] = [];
  const c = new Controller({
    name: 'iso',
    clock,
    reconcile: async (key) => {
      if (key === 'bad') throw new Error('boom');
      ok.push(key);
    },
  });
  c.start();
  c.enqueue('bad');
  c.enqueue('good1');
  c.enqueue('good2');
  await clock.advance(1000);
  assert.deepEqual(ok, ['good1', 'good2']);
  assert.ok(c.queue!.numRequeues('bad') >= 5);
  await c.stop();
});

test('after a stop that timed out, a restart does not reconcile a key whose old reconcile still runs', async () => {
  const clock = new FakeClock();
  const gate = deferred();
  const log: string[] = [];
  let n = 0;
  const c = new Controller({
    name: 'restart',
    clock,
    reconcile: async (key) => {
      const i = ++n;
      log.push(`start ${key} #${i}`);
      if (i === 1) await gate.promise;
      log.push(`end ${key} #${i}`);
    },
  });
  c.start();
  c.enqueue('k');
  await settle();
  const stopping = c.stop(100);
  await clock.advance(100);
  assert.equal(await stopping, false);
  c.start();
  c.enqueue('k');
  c.enqueue('other');
  await clock.advance(1000);
  assert.deepEqual(log, ['start k #1', 'start other #2', 'end other #2']);
  gate.resolve();
  await clock.advance(0);
  assert.deepEqual(log, ['start k #1', 'start other #2', 'end other #2', 'end k #1', 'start k #3', 'end k #3']);
  await c.stop();
});
