// Unit tests of the pure parts: selectors, field sets, version priority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldSet, formatPath, fromFieldsV1, recordUpdate, toFieldsV1, decPath } from './managed.js';
import { compareKubeVersions } from './registry.js';
import { labelsMatch, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { BuiltinShape } from './shape.js';
import { serverSideApply } from './apply.js';

test('label selector parsing and matching', () => {
  const reqs = parseLabelSelector('a=b, c!=d,e in (f, g),h notin (i),j,!k,n>3');
  assert.deepEqual(
    reqs.map((r) => r.op),
    ['Equals', 'NotEquals', 'In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt'],
  );
  assert.ok(labelsMatch(reqs, { a: 'b', e: 'g', j: '', n: '4' }));
  assert.ok(!labelsMatch(reqs, { a: 'b', e: 'g', j: '', n: '4', k: 'x' }));
  assert.ok(!labelsMatch(reqs, { a: 'b', c: 'd', e: 'g', j: '', n: '4' }));
  assert.throws(() => parseLabelSelector('a in ('), /unable to parse/);
  assert.throws(() => parseLabelSelector('a=b=c'), /unable to parse/);
  assert.deepEqual(parseFieldSelector('metadata.name=a\\,b,spec.x!=y'), [
    { field: 'metadata.name', negate: false, value: 'a,b' },
    { field: 'spec.x', negate: true, value: 'y' },
  ]);
});

test('Kubernetes version priority', () => {
  assert.deepEqual(['v1beta1', 'v1alpha1', 'v2', 'v1', 'v1beta2', 'foo', 'v10'].sort(compareKubeVersions), ['v10', 'v2', 'v1', 'v1beta2', 'v1beta1', 'v1alpha1', 'foo']);
});

test('field sets: leaves, associative lists, sets, FieldsV1 round trip', () => {
  const obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'x', labels: { a: 'b' }, finalizers: ['f1'] },
    spec: { containers: [{ name: 'c', image: 'i', args: ['x'] }], empty: {} },
  };
  const set = fieldSet(obj, new BuiltinShape('Pod'), 'all');
  const fv1 = toFieldsV1(set);
  assert.deepEqual(fv1, {
    'f:metadata': { 'f:finalizers': { 'v:"f1"': {} }, 'f:labels': { 'f:a': {} } },
    'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:args': {}, 'f:image': {}, 'f:name': {} } }, 'f:empty': {} },
  });
  assert.deepEqual(fromFieldsV1(fv1), set);
  const paths = [...set].map(decPath).map(formatPath).sort();
  assert.ok(paths.includes('.spec.containers[name="c"].image'));
  assert.ok(paths.includes('.metadata.finalizers[="f1"]'));
});

test('recordUpdate moves changed fields to the writer', () => {
  const shape = new BuiltinShape('ConfigMap');
  const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1', b: '2' } };
  const mf1 = recordUpdate({ old: undefined, next: base, manager: 'one', shape, scope: 'all', apiVersion: 'v1', now: 't1' });
  const withMF = { ...base, metadata: { ...base.metadata, managedFields: mf1 } };
  const next = { ...withMF, data: { a: '1', b: '3', c: '4' } };
  const mf2 = recordUpdate({ old: withMF, next, manager: 'two', shape, scope: 'all', apiVersion: 'v1', now: 't2' });
  assert.deepEqual(
    mf2.map((m) => [m.manager, m.fieldsV1]),
    [
      ['one', { 'f:data': { 'f:a': {} } }],
      ['two', { 'f:data': { 'f:b': {}, 'f:c': {} } }],
    ],
  );
  const reset = recordUpdate({ old: withMF, next: { ...next, metadata: { ...next.metadata, managedFields: [{}] } }, manager: 'two', shape, scope: 'all', apiVersion: 'v1', now: 't3' });
  assert.deepEqual(
    reset.map((m) => m.manager),
    ['two'],
  );
});

test('serverSideApply keeps a list item another manager still owns a field of', () => {
  const shape = new BuiltinShape('ValidatingWebhookConfiguration');
  const common = { manager: 'op', force: false, shape, scope: 'all' as const, apiVersion: 'admissionregistration.k8s.io/v1', name: 'v', kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io' };
  const cfg = (names: string[]) => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'v' }, webhooks: names.map((name) => ({ name, sideEffects: 'None' })) });
  const one = serverSideApply({ ...common, live: undefined, config: cfg(['a', 'b']), now: 't' });
  assert.equal(one.webhooks instanceof Array && one.webhooks.length, 2);
  const two = serverSideApply({ ...common, live: one, config: cfg(['a']), now: 't' });
  assert.deepEqual(
    (two.webhooks as { name: string }[]).map((w) => w.name),
    ['a'],
  );
});
