import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestApiServer } from './server.js';
import { cm, eventually, startServer, WatchCollector } from './testing.js';

let api: TestApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let co: k8s.CustomObjectsApi;
let nsCount = 0;

before(async () => {
  ({ api, kc } = await startServer({ historySize: 50, bookmarkIntervalMs: 50 }));
  core = kc.makeApiClient(k8s.CoreV1Api);
  co = kc.makeApiClient(k8s.CustomObjectsApi);
});
after(() => api.stop());

/** A fresh namespace per test keeps the watches apart. */
async function freshNamespace(): Promise<string> {
  const name = `w${++nsCount}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

test('watch without a resourceVersion replays ADDED, then streams changes; DELETED carries the last state', async () => {
  const ns = await freshNamespace();
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('a', { v: '1' }) });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('b') });
  const w = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`);
  const initial = await w.take(2);
  assert.deepEqual(
    initial.map((e) => [e.type, e.object.metadata.name, e.object.kind, e.object.apiVersion]),
    [
      ['ADDED', 'a', 'ConfigMap', 'v1'],
      ['ADDED', 'b', 'ConfigMap', 'v1'],
    ],
  );
  await core.patchNamespacedConfigMap({ namespace: ns, name: 'a', body: { data: { v: '2' } } }, MERGE);
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('c') });
  const del = await core.readNamespacedConfigMap({ namespace: ns, name: 'a' });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'a' });
  const live = await w.take(3, () => true, 2);
  assert.deepEqual(
    live.map((e) => [e.type, e.object.metadata.name]),
    [
      ['MODIFIED', 'a'],
      ['ADDED', 'c'],
      ['DELETED', 'a'],
    ],
  );
  assert.equal(live[0]!.object.data.v, '2');
  assert.equal(live[2]!.object.data.v, '2', 'DELETED has the last state');
  assert.ok(Number(live[2]!.object.metadata.resourceVersion) > Number(del.metadata!.resourceVersion), 'at the deletion resourceVersion');
  // other namespaces are not seen
  await core.createNamespacedConfigMap({ namespace: 'default', body: cm(`elsewhere-${ns}`) });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('d') });
  const [d] = await w.take(1, () => true, 5);
  assert.equal(d!.object.metadata.name, 'd');
  w.stop();
});

test('watch from a resourceVersion resumes with exactly the later events', async () => {
  const ns = await freshNamespace();
  const a = await core.createNamespacedConfigMap({ namespace: ns, body: cm('a') });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('b') });
  await core.patchNamespacedConfigMap({ namespace: ns, name: 'a', body: { data: { x: 'y' } } }, MERGE);
  const w = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: a.metadata!.resourceVersion! });
  const evs = await w.take(2);
  assert.deepEqual(
    evs.map((e) => [e.type, e.object.metadata.name]),
    [
      ['ADDED', 'b'],
      ['MODIFIED', 'a'],
    ],
  );
  w.stop();
});

test('bookmarks carry only kind, apiVersion and the current resourceVersion', async () => {
  const ns = await freshNamespace();
  const w = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { allowWatchBookmarks: true, resourceVersion: api.resourceVersion() });
  const [b] = await w.take(1, (e) => e.type === 'BOOKMARK');
  assert.deepEqual(Object.keys(b!.object).sort(), ['apiVersion', 'kind', 'metadata']);
  assert.equal(b!.object.kind, 'ConfigMap');
  assert.deepEqual(Object.keys(b!.object.metadata), ['resourceVersion']);
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('after-bookmark') });
  const [added] = await w.take(1, (e) => e.type === 'ADDED');
  const n = w.events.indexOf(added!);
  const [later] = await w.take(1, (e) => e.type === 'BOOKMARK', n);
  assert.ok(Number(later!.object.metadata.resourceVersion) >= Number(added!.object.metadata.resourceVersion));
  w.stop();

  const init = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { allowWatchBookmarks: true, sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' });
  const [first, second] = await init.take(2);
  assert.equal(first!.type, 'ADDED');
  assert.equal(second!.type, 'BOOKMARK');
  assert.equal(second!.object.metadata.annotations['k8s.io/initial-events-end'], 'true');
  init.stop();
});

test('a resourceVersion older than the history gets a 410 Expired ERROR event (or an HTTP 410)', async () => {
  const ns = await freshNamespace();
  const first = await core.createNamespacedConfigMap({ namespace: ns, body: cm('old') });
  for (let i = 0; i < 60; i++) await core.patchNamespacedConfigMap({ namespace: ns, name: 'old', body: { data: { i: String(i) } } }, MERGE);
  const w = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: first.metadata!.resourceVersion! });
  const [err] = await w.take(1);
  assert.equal(err!.type, 'ERROR');
  assert.equal(err!.object.kind, 'Status');
  assert.equal(err!.object.code, 410);
  assert.equal(err!.object.reason, 'Expired');
  assert.match(err!.object.message, /^too old resource version: \d+ \(\d+\)$/);
  assert.equal((await w.ended()).err, null, 'then the stream ends');

  api.faults.expiredWatchResponse = 'status';
  try {
    const w2 = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: first.metadata!.resourceVersion! });
    const end = await w2.ended();
    assert.equal(end.err.statusCode, 410);
  } finally {
    api.faults.expiredWatchResponse = 'event';
  }
});

test('selectors: objects that start matching arrive as ADDED, objects that stop matching as DELETED', async () => {
  const ns = await freshNamespace();
  const w = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { labelSelector: 'app=x', resourceVersion: api.resourceVersion() });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('s', {}, { app: 'y' }) });
  await core.patchNamespacedConfigMap({ namespace: ns, name: 's', body: { metadata: { labels: { app: 'x' } } } }, MERGE);
  await core.patchNamespacedConfigMap({ namespace: ns, name: 's', body: { data: { k: 'v' } } }, MERGE);
  const moved = await core.patchNamespacedConfigMap({ namespace: ns, name: 's', body: { metadata: { labels: { app: 'z' } }, data: { k: 'w' } } }, MERGE);
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 's' });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('t', {}, { app: 'x' }) });
  const evs = await w.take(4);
  assert.deepEqual(
    evs.map((e) => [e.type, e.object.metadata.name]),
    [
      ['ADDED', 's'],
      ['MODIFIED', 's'],
      ['DELETED', 's'],
      ['ADDED', 't'],
    ],
  );
  assert.equal(evs[2]!.object.metadata.labels.app, 'x', 'the DELETED object is the last matching state');
  assert.equal(evs[2]!.object.data.k, 'v');
  assert.equal(evs[2]!.object.metadata.resourceVersion, moved.metadata!.resourceVersion, '...at the resourceVersion of the change');
  w.stop();

  const byName = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { fieldSelector: 'metadata.name=t' });
  const [t] = await byName.take(1);
  assert.equal(t!.object.metadata.name, 't');
  byName.stop();
});

test('timeoutSeconds ends the stream normally', async () => {
  const ns = await freshNamespace();
  const w = await WatchCollector.start(kc, `/api/v1/namespaces/${ns}/configmaps`, { timeoutSeconds: 1 });
  assert.equal((await w.ended()).err, null);
});

test('custom resources are watched at the requested version', async () => {
  const w = await WatchCollector.start(kc, '/apis/metallb.io/v1beta1/namespaces/default/bgppeers', { resourceVersion: api.resourceVersion() });
  await co.createNamespacedCustomObject({
    group: 'metallb.io',
    version: 'v1beta2',
    namespace: 'default',
    plural: 'bgppeers',
    body: { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'watched' }, spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.3' } },
  });
  const [e] = await w.take(1);
  assert.equal(e!.object.apiVersion, 'metallb.io/v1beta1');
  assert.equal(e!.object.spec.holdTime, '0s');
  w.stop();
});

test('an informer lists, watches, and relists after its history expired', async () => {
  const ns = await freshNamespace();
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('i1') });
  const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
  const log: string[] = [];
  informer.on('add', (o) => log.push(`add ${o.metadata?.name}`));
  informer.on('update', (o) => log.push(`update ${o.metadata?.name} ${o.data?.v ?? ''}`));
  informer.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
  informer.on('error', (e) => log.push(`error ${String(e)}`));
  await informer.start();
  await eventually(() => log.includes('add i1'), 'initial add');
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('i2') });
  await eventually(() => log.includes('add i2'), 'watched add');

  // disconnect, change things while away, and make the informer's resourceVersion too old
  const lists = () => api.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/api/v1/namespaces/${ns}/configmaps`) && !r.path.includes('watch=true')).length;
  const listsBefore = lists();
  await core.patchNamespacedConfigMap({ namespace: ns, name: 'i1', body: { data: { v: 'changed' } } }, MERGE);
  await eventually(() => log.includes('update i1 changed'), 'update');
  api.faults.expireHistory();
  assert.ok(api.faults.dropWatches('graceful') >= 1);
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'i2' });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('i3') });
  await eventually(() => log.includes('add i3') && log.includes('delete i2'), 'the relist diff');
  assert.ok(lists() > listsBefore, 'the informer relisted after the 410');
  assert.deepEqual(informer.list().map((o) => o.metadata?.name).sort(), ['i1', 'i3']);
  assert.ok(!log.some((l) => l.startsWith('error')), log.join('\n'));
  await informer.stop();
});

test('an informer whose watch fails with a 500 reports the error and resumes when restarted', async () => {
  const ns = await freshNamespace();
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, path, () => core.listNamespacedConfigMap({ namespace: ns }));
  const log: string[] = [];
  let errors = 0;
  informer.on('add', (o) => log.push(`add ${o.metadata?.name}`));
  informer.on('error', () => errors++);
  await informer.start();
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('r1') });
  await eventually(() => log.includes('add r1'), 'add r1');
  api.faults.failNext(1, 500, (r) => r.path === path);
  api.faults.dropWatches('graceful');
  await eventually(() => errors === 1, 'the error event');
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('r2') });
  await informer.start();
  await eventually(() => log.includes('add r2'), 'the missed add, replayed from the stored resourceVersion');
  await informer.stop();
});

test('ListWatch with a field selector only caches the selected objects', async () => {
  const ns = await freshNamespace();
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('pick') });
  await core.createNamespacedConfigMap({ namespace: ns, body: cm('skip') });
  const path = `/api/v1/namespaces/${ns}/configmaps`;
  const lw = new k8s.ListWatch<k8s.V1ConfigMap>(path, new k8s.Watch(kc), () => core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'metadata.name=pick' }), false, undefined, 'metadata.name=pick');
  const names: string[] = [];
  lw.on('add', (o) => names.push(o.metadata!.name!));
  lw.on('delete', (o) => names.push(`-${o.metadata!.name!}`));
  await lw.start();
  await eventually(() => names.includes('pick'), 'initial add');
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'skip' });
  await core.deleteNamespacedConfigMap({ namespace: ns, name: 'pick' });
  await eventually(() => names.includes('-pick'), 'delete');
  assert.deepEqual(names, ['pick', '-pick']);
  await lw.stop();
});
