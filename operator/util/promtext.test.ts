import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Gauge } from 'prom-client';
import { parseSamples, samples } from './promtext.js';

test('parseSamples reads what prom-client writes: names, labels with escapes, values', async () => {
  const reg = new Registry();
  const g = new Gauge({ name: 'metallb_allocator_addresses_total', help: 'h', labelNames: ['pool'], registers: [reg] });
  g.set({ pool: 'default' }, 11);
  g.set({ pool: 'we"ird\\pool\nx' }, 2);
  new Gauge({ name: 'plain_value', help: 'h', registers: [reg] }).set(-0.5);
  const all = parseSamples(await reg.metrics());
  assert.deepEqual(samples(all, 'metallb_allocator_addresses_total', { pool: 'default' }).map((s) => s.value), [11]);
  assert.deepEqual(samples(all, 'metallb_allocator_addresses_total', { pool: 'we"ird\\pool\nx' }).map((s) => s.value), [2]);
  assert.deepEqual(samples(all, 'plain_value'), [{ name: 'plain_value', labels: {}, value: -0.5 }]);
});

test('parseSamples: timestamps, +Inf and NaN; a broken line throws', () => {
  const all = parseSamples('# HELP x y\n# TYPE a_bucket counter\na_bucket{le="+Inf"} +Inf 1700000000\nb NaN\n\nc{x="1",} 3\n');
  assert.equal(all.length, 3);
  assert.equal(all[0]!.value, Infinity);
  assert.ok(Number.isNaN(all[1]!.value));
  assert.deepEqual(all[2]!.labels, { x: '1' });
  assert.throws(() => parseSamples('a{b=1} 2\n'), /bad label/);
  assert.throws(() => parseSamples('a{b="1"} x\n'), /bad sample value/);
});
