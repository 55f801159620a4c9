import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorError, selectorMatches, selectorString } from './selector.js';

test('selectorError mirrors apimachinery', () => {
  assert.equal(selectorError({ matchLabels: { a: 'b' } }), null);
  assert.match(selectorError({ matchExpressions: [{ key: 'a', operator: 'Foo' }] })!, /"Foo" is not a valid label selector operator/);
  assert.match(selectorError({ matchExpressions: [{ key: '', operator: 'In', values: ['x'] }] })!, /name part must be non-empty/);
  assert.match(selectorError({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })!, /values set can't be empty/);
  assert.match(selectorError({ matchLabels: { app: '@' } })!, /Invalid value: "@"/);
});

test('selectorMatches', () => {
  const l = { 'kubernetes.io/hostname': 'node1', zone: 'a' };
  assert.ok(selectorMatches({}, l));
  assert.ok(selectorMatches({ matchLabels: { zone: 'a' } }, l));
  assert.ok(!selectorMatches({ matchLabels: { zone: 'b' } }, l));
  assert.ok(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'c'] }] }, l));
  assert.ok(selectorMatches({ matchExpressions: [{ key: 'rack', operator: 'DoesNotExist' }] }, l));
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, l));
  assert.equal(selectorString({ matchLabels: { b: '1' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['y', 'x'] }] }), 'a in (x,y),b=1');
});
