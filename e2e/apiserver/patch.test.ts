import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestApiServer } from './server.js';
import { cm, failure, peer, PEERS, startServer } from './testing.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { BuiltinShape } from './shape.js';

let api: TestApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;
let co: k8s.CustomObjectsApi;

before(async () => {
  ({ api, kc } = await startServer());
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
  co = kc.makeApiClient(k8s.CustomObjectsApi);
});
after(() => api.stop());

const as = (type: string) => k8s.setHeaderOptions('Content-Type', type);

test('JSON patch: add, replace, remove, test; a failing test op is 422', async () => {
  await core.createNamespacedConfigMap({ namespace: 'default', body: cm('jp', { a: '1', b: '2' }) });
  const r = await core.patchNamespacedConfigMap(
    {
      namespace: 'default',
      name: 'jp',
      body: [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'replace', path: '/data/a', value: 'one' },
        { op: 'remove', path: '/data/b' },
        { op: 'add', path: '/metadata/labels', value: { x: 'y' } },
      ],
    },
    as(k8s.PatchStrategy.JsonPatch),
  );
  assert.deepEqual(r.data, { a: 'one' });
  assert.deepEqual(r.metadata?.labels, { x: 'y' });
  const st = await failure(() => core.patchNamespacedConfigMap({ namespace: 'default', name: 'jp', body: [{ op: 'test', path: '/data/a', value: 'nope' }] }, as(k8s.PatchStrategy.JsonPatch)));
  assert.equal(st.code, 422);
  const missing = await failure(() => core.patchNamespacedConfigMap({ namespace: 'default', name: 'jp', body: [{ op: 'replace', path: '/data/zzz', value: 'x' }] }, as(k8s.PatchStrategy.JsonPatch)));
  assert.equal(missing.code, 422);
  const nf = await failure(() => core.patchNamespacedConfigMap({ namespace: 'default', name: 'nope', body: [] }, as(k8s.PatchStrategy.JsonPatch)));
  assert.equal(nf.code, 404);
});

test('merge patch: null deletes, maps merge, lists replace; resourceVersion acts as a precondition', async () => {
  const a = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('mp', { a: '1', b: '2' }) });
  const r = await core.patchNamespacedConfigMap({ namespace: 'default', name: 'mp', body: { data: { a: null, c: '3' } } }, as(k8s.PatchStrategy.MergePatch));
  assert.deepEqual(r.data, { b: '2', c: '3' });
  const stale = await failure(() =>
    core.patchNamespacedConfigMap({ namespace: 'default', name: 'mp', body: { metadata: { resourceVersion: a.metadata!.resourceVersion }, data: { d: '4' } } }, as(k8s.PatchStrategy.MergePatch)),
  );
  assert.equal(stale.code, 409);
  assert.equal(stale.reason, 'Conflict');
  const fresh = await core.patchNamespacedConfigMap(
    { namespace: 'default', name: 'mp', body: { metadata: { resourceVersion: r.metadata!.resourceVersion }, data: { d: '4' } } },
    as(k8s.PatchStrategy.MergePatch),
  );
  assert.equal(fresh.data?.d, '4');

  await co.createNamespacedCustomObject({ ...PEERS, body: peer('mp-peer', { nodeSelectors: [{ matchLabels: { a: 'b' } }] }) });
  const p = await co.patchNamespacedCustomObject({ ...PEERS, name: 'mp-peer', body: { spec: { peerASN: 65010, nodeSelectors: [] } } }, as(k8s.PatchStrategy.MergePatch));
  assert.equal(p.spec.peerASN, 65010);
  assert.deepEqual(p.spec.nodeSelectors, []);
  const invalid = await failure(() => co.patchNamespacedCustomObject({ ...PEERS, name: 'mp-peer', body: { spec: { peerPort: 99999 } } }, as(k8s.PatchStrategy.MergePatch)));
  assert.equal(invalid.code, 422);
  assert.equal(invalid.details.causes[0].field, 'spec.peerPort');
});

test('strategic merge patch merges containers by name and honours $patch: delete', async () => {
  const body: k8s.V1DaemonSet = {
    metadata: { name: 'smp' },
    spec: {
      selector: { matchLabels: { app: 's' } },
      template: {
        metadata: { labels: { app: 's' } },
        spec: {
          containers: [
            { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
            { name: 'b', image: 'b:1' },
          ],
        },
      },
    },
  };
  await apps.createNamespacedDaemonSet({ namespace: 'default', body });
  const r = await apps.patchNamespacedDaemonSet(
    {
      namespace: 'default',
      name: 'smp',
      body: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] }, { name: 'b', $patch: 'delete' }] } } } },
    },
    as(k8s.PatchStrategy.StrategicMergePatch),
  );
  const cs = r.spec!.template.spec!.containers;
  assert.deepEqual(
    cs.map((c) => [c.name, c.image]),
    [['a', 'a:2']],
  );
  assert.deepEqual(
    cs[0]!.env!.map((e) => e.name),
    ['X', 'Y'],
  );
  assert.equal(r.metadata?.generation, 2);
});

test('patch functions (unit)', () => {
  assert.deepEqual(jsonPatch({ a: [1, 2] }, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'move', from: '/a', path: '/b' }, { op: 'copy', from: '/b', path: '/c' }]), { b: [1, 2, 3], c: [1, 2, 3] });
  assert.deepEqual(jsonPatch({ 'a/b': { '~': 1 } }, [{ op: 'replace', path: '/a~1b/~0', value: 2 }]), { 'a/b': { '~': 2 } });
  assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: null }, l: [2] }), { a: { c: 2 }, l: [2] });
  const shape = new BuiltinShape('Pod');
  assert.deepEqual(
    strategicMergePatch({ metadata: { finalizers: ['a'] }, spec: { tolerations: [{ key: 'x' }] } }, { metadata: { finalizers: ['b'] }, spec: { tolerations: [{ key: 'y' }] } }, shape),
    { metadata: { finalizers: ['a', 'b'] }, spec: { tolerations: [{ key: 'y' }] } },
  );
  assert.deepEqual(strategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $patch: 'replace', c: 3 } }, shape), { spec: { c: 3 } });
});
