import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GratuitousSchedule } from './schedule.js';

/** Drives take() at every ms from `from` to `to` and records when `key` was due. */
function sends(s: GratuitousSchedule, from: number, to: number, key = 'ip'): number[] {
  const out: number[] = [];
  for (let t = from; t <= to; t++) if (s.take(t).includes(key)) out.push(t);
  return out;
}

test('new IP: at once, then every 1.1 s until 5 s after the announce', () => {
  const s = new GratuitousSchedule();
  s.announce('ip', 1000);
  assert.equal(s.nextWakeup(), 1000);
  assert.deepEqual(sends(s, 1000, 9000), [1000, 2100, 3200, 4300, 5400]);
  assert.equal(s.size, 0);
  assert.equal(s.nextWakeup(), null);
});

test('re-announce: due at once, then relative to the re-announce', () => {
  const s = new GratuitousSchedule();
  s.announce('ip', 0);
  assert.deepEqual(sends(s, 0, 2500), [0, 1100, 2200]);
  s.announce('ip', 2600);
  assert.deepEqual(sends(s, 2600, 20000), [2600, 3700, 4800, 5900, 7000]);
});

test('withdraw stops at once; other keys unaffected', () => {
  const s = new GratuitousSchedule();
  s.announce('a', 0);
  s.announce('b', 500);
  assert.deepEqual(s.take(0), ['a']);
  assert.equal(s.nextWakeup(), 500);
  s.withdraw('a');
  assert.deepEqual(s.take(1100), ['b']); // due since 500; 'a' no more
  assert.deepEqual(s.take(1599), []);
  assert.deepEqual(s.take(1600), ['b']);
  assert.equal(s.has('a'), false);
  assert.equal(s.has('b'), true);
});

test('a late timer neither shifts the rhythm nor sends twice', () => {
  const s = new GratuitousSchedule();
  s.announce('ip', 0);
  assert.deepEqual(s.take(0), ['ip']);
  assert.deepEqual(s.take(2500), ['ip']); // 1100 and 2200 missed: one send
  assert.equal(s.nextWakeup(), 3300);
  assert.deepEqual(s.take(3300), ['ip']);
  assert.deepEqual(s.take(4400), ['ip']);
  assert.equal(s.size, 0);
});
