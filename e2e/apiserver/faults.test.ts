import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestApiServer } from './server.js';
import { cm, failure, startServer, WatchCollector } from './testing.js';

let api: TestApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

before(async () => {
  ({ api, kc } = await startServer());
  core = kc.makeApiClient(k8s.CoreV1Api);
});
after(() => api.stop());

test('failNext: the next N requests fail with the given code and a Status, then service resumes', async () => {
  api.faults.failNext(2);
  for (let i = 0; i < 2; i++) {
    const st = await failure(() => core.listNamespacedConfigMap({ namespace: 'default' }));
    assert.equal(st.code, 500);
    assert.equal(st.reason, 'InternalError');
  }
  await core.listNamespacedConfigMap({ namespace: 'default' });

  api.faults.failNext(1, 503);
  assert.equal((await failure(() => core.readNamespace({ name: 'default' }))).code, 503);

  // a matcher limits the fault to some requests
  api.faults.failNext(1, 429, (r) => r.method === 'POST');
  await core.listNamespacedConfigMap({ namespace: 'default' });
  const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('f1') }));
  assert.equal(st.code, 429);
  await core.createNamespacedConfigMap({ namespace: 'default', body: cm('f1') });
});

test('dropWatches: abrupt drops end client watches with an error, graceful ones normally', async () => {
  const abrupt = await WatchCollector.start(kc, '/api/v1/namespaces/default/configmaps');
  await abrupt.take(1);
  const graceful = await WatchCollector.start(kc, '/api/v1/namespaces/default/configmaps');
  await graceful.take(1);
  assert.equal(api.faults.dropWatches('abrupt'), 2);
  assert.notEqual((await abrupt.ended()).err, null);
  const g2 = await WatchCollector.start(kc, '/api/v1/namespaces/default/configmaps');
  await g2.take(1);
  assert.equal(api.faults.dropWatches('graceful'), 1);
  assert.equal((await g2.ended()).err, null);
  graceful.stop();
});

test('expireHistory: every resourceVersion handed out so far is too old; a fresh list can be watched from', async () => {
  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  api.faults.expireHistory();
  const old = await WatchCollector.start(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: list.metadata!.resourceVersion! });
  const [e] = await old.take(1);
  assert.equal(e!.type, 'ERROR');
  assert.equal(e!.object.code, 410);
  const fresh = await core.listNamespacedConfigMap({ namespace: 'default' });
  const w = await WatchCollector.start(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: fresh.metadata!.resourceVersion! });
  await core.createNamespacedConfigMap({ namespace: 'default', body: cm('after-expiry') });
  const [added] = await w.take(1);
  assert.equal(added!.type, 'ADDED');
  assert.equal(added!.object.metadata.name, 'after-expiry');
  w.stop();
});

test('a restart keeps the data; clients reconnect to the same port', async () => {
  await core.createNamespacedConfigMap({ namespace: 'default', body: cm('survivor') });
  const port = Number(new URL(api.url).port);
  const w = await WatchCollector.start(kc, '/api/v1/namespaces/default/configmaps');
  await w.take(1);
  await api.stop();
  assert.notEqual((await w.ended()).err, null, 'open watches break');
  await assert.rejects(core.readNamespacedConfigMap({ namespace: 'default', name: 'survivor' }), 'nobody listens while stopped');
  await api.start(port);
  const back = await core.readNamespacedConfigMap({ namespace: 'default', name: 'survivor' });
  assert.equal(back.metadata?.name, 'survivor');
});
