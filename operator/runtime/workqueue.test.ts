import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeClock, settle } from './clock.js';
import { ExponentialRateLimiter, WorkQueue } from './workqueue.js';

test('a key is queued once however often it is added', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
});

test('a key added while processing is queued again only after done', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  const k = await q.get();
  assert.equal(k, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'not handed out while a worker holds it');
  let second: string | undefined;
  void q.get().then((x) => (second = x));
  await settle();
  assert.equal(second, undefined);
  q.done('a');
  await settle();
  assert.equal(second, 'a');
  q.done('a');
  assert.equal(q.len(), 0);
});

test('waiting workers are woken in order and never share a key', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const got: Array<string | undefined> = [];
  const w1 = q.get().then((k) => got.push(k));
  const w2 = q.get().then((k) => got.push(k));
  q.add('x');
  q.add('x');
  q.add('y');
  await Promise.all([w1, w2]);
  assert.deepEqual(got, ['x', 'y']);
  assert.ok(q.isProcessing('x') && q.isProcessing('y'));
});

test('exponential per-key backoff grows from the base to the cap; forget resets it', () => {
  const rl = new ExponentialRateLimiter(5, 1000);
  const a = Array.from({ length: 10 }, () => rl.when('k'));
  assert.deepEqual(a, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
  assert.equal(rl.when('other'), 5, 'per key');
  assert.equal(rl.numRequeues('k'), 10);
  rl.forget('k');
  assert.equal(rl.numRequeues('k'), 0);
  assert.equal(rl.when('k'), 5);
  const def = new ExponentialRateLimiter();
  let last = 0;
  for (let i = 0; i < 40; i++) last = def.when('z');
  assert.equal(last, 1_000_000, 'default cap 1000 s');
});

test('addRateLimited waits the backoff on the fake clock', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, rateLimiter: new ExponentialRateLimiter(100, 1000) });
  q.addRateLimited('a'); // 100 ms
  assert.equal(q.len(), 0);
  assert.equal(q.delayedLen(), 1);
  await clock.advance(99);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  q.addRateLimited('a'); // 200 ms
  await clock.advance(199);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
});

test('addAfter keeps the earliest time and coalesces with direct adds', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('a', 1000);
  q.addAfter('a', 300);
  q.addAfter('a', 2000);
  assert.equal(q.delayedLen(), 1);
  await clock.advance(300);
  assert.equal(q.len(), 1);
  await clock.advance(5000);
  assert.equal(q.len(), 1, 'the later timers were dropped');
  q.addAfter('b', 0);
  assert.equal(q.len(), 2, 'zero delay adds at once');
  q.addAfter('a', 10);
  await clock.advance(10);
  assert.equal(q.len(), 2, 'already queued: dedup');
});

test('shutDown wakes idle workers, ignores adds, drops delayed keys, and drained waits for in-flight keys', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.add('busy');
  assert.equal(await q.get(), 'busy');
  const idle = q.get();
  q.addAfter('later', 50);
  q.add('queued');
  // 'queued' went straight to the idle worker
  assert.equal(await idle, 'queued');
  const idle2 = q.get();
  q.shutDown();
  assert.equal(await idle2, undefined);
  assert.equal(await q.get(), undefined);
  q.add('x');
  q.addRateLimited('y');
  assert.equal(q.len(), 0);
  await clock.advance(100);
  assert.equal(q.len(), 0, 'delayed add cancelled');
  let drained = false;
  void q.drained().then(() => (drained = true));
  q.done('busy');
  await settle();
  assert.equal(drained, false, 'one key still processing');
  q.done('queued');
  await settle();
  assert.equal(drained, true);
  assert.equal(clock.pending(), 0);
});

test('workqueue metrics go to the registry passed in', async () => {
  const clock = new FakeClock();
  const registry = new Registry();
  const q = new WorkQueue({ name: 'svc', clock, registry });
  q.add('a');
  q.add('a');
  q.add('b');
  await clock.advance(2000);
  const k = await q.get();
  await clock.advance(500);
  q.done(k!);
  q.addRateLimited('c');
  const text = await registry.metrics();
  assert.match(text, /workqueue_adds_total\{name="svc"\} 2/);
  assert.match(text, /workqueue_depth\{name="svc"\} 1/);
  assert.match(text, /workqueue_retries_total\{name="svc"\} 1/);
  assert.match(text, /workqueue_queue_duration_seconds_count\{name="svc"\} 1/);
  assert.match(text, /workqueue_queue_duration_seconds_sum\{name="svc"\} 2\b/);
  assert.match(text, /workqueue_work_duration_seconds_sum\{name="svc"\} 0.5/);
  q.shutDown();
});
