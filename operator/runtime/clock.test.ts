import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';
import { FakeClock, microTime, rfc3339 } from './clock.js';

test('FakeClock fires timers in time order, only when advanced; cancel and abortable sleep', async () => {
  const c = new FakeClock(0);
  const fired: string[] = [];
  c.setTimeout(() => fired.push('b@20'), 20);
  c.setTimeout(() => fired.push('a@10'), 10);
  const t = c.setTimeout(() => fired.push('never'), 15);
  c.setTimeout(() => c.setTimeout(() => fired.push('nested@25'), 5), 20);
  t.cancel();
  await c.advance(9);
  assert.deepEqual(fired, []);
  await c.advance(100);
  assert.deepEqual(fired, ['a@10', 'b@20', 'nested@25']);
  assert.equal(c.now(), 109);
  const ac = new AbortController();
  let woke = false;
  void c.sleep(1000, ac.signal).then(() => (woke = true));
  ac.abort();
  await c.advance(0);
  assert.ok(woke);
  assert.equal(c.pending(), 0);
});

test('MicroTime and Time formats', () => {
  assert.equal(microTime(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), '2024-01-02T03:04:05.678000Z');
  assert.equal(rfc3339(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), '2024-01-02T03:04:05Z');
});

test('Backoff doubles up to the cap, with jitter stretching each delay, and resets', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next()), [100, 200, 400, 800, 1000, 1000]);
  b.reset();
  assert.equal(b.next(), 100);
  const j = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 1, random: () => 0.5 });
  assert.equal(j.next(), 150);
  assert.equal(j.attempts, 1);
});
