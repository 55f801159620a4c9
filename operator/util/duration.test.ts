import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.js';

test('parseDuration accepts Go durations', () => {
  assert.equal(parseDuration('3m0s'), 180e9);
  assert.equal(parseDuration('1m30s'), 90e9);
  assert.equal(parseDuration('1500ms'), 1.5e9);
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('1.5h'), 5400e9);
  for (const bad of ['', '3', 's', '1x', '1 s']) assert.equal(parseDuration(bad), null, bad);
});

test('formatDuration prints like Go Duration.String', () => {
  assert.equal(formatDuration(90e9), '1m30s');
  assert.equal(formatDuration(2e9), '2s');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1.5e9), '1.5s');
  assert.equal(formatDuration(500e6), '500ms');
  assert.equal(formatDuration(3600e9), '1h0m0s');
});
