import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestApiServer } from './server.js';
import { cm, eventually, failure, startServer, WatchCollector } from './testing.js';

let api: TestApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

before(async () => {
  ({ api, kc } = await startServer());
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
});
after(() => api.stop());

const ownerRef = (o: { apiVersion?: string; kind?: string; metadata?: k8s.V1ObjectMeta }, controller = true): k8s.V1OwnerReference => ({
  apiVersion: o.apiVersion ?? 'v1',
  kind: o.kind ?? 'ConfigMap',
  name: o.metadata!.name!,
  uid: o.metadata!.uid!,
  controller,
  blockOwnerDeletion: true,
});

const exists = (name: string, ns = 'default') => api.get('v1', 'ConfigMap', name, ns) !== undefined;

async function owner(name: string, finalizers?: string[]): Promise<k8s.V1ConfigMap> {
  const o = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, ...(finalizers ? { finalizers } : {}) } } });
  return { ...o, apiVersion: 'v1', kind: 'ConfigMap' };
}

async function dependent(name: string, refs: k8s.V1OwnerReference[], ns = 'default'): Promise<k8s.V1ConfigMap> {
  return core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, ownerReferences: refs } } });
}

test('background: deleting an owner deletes its dependents (recursively); a DELETED event is seen', async () => {
  const o = await owner('bg-owner');
  const d1 = await dependent('bg-dep', [ownerRef(o)]);
  await dependent('bg-grandchild', [ownerRef({ ...d1, apiVersion: 'v1', kind: 'ConfigMap' })]);
  const w = await WatchCollector.start(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: api.resourceVersion() });
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'bg-owner' });
  const deleted = await w.take(3, (e) => e.type === 'DELETED');
  assert.deepEqual(deleted.map((e) => e.object.metadata.name).sort(), ['bg-dep', 'bg-grandchild', 'bg-owner']);
  w.stop();
});

test('a dependent with another live owner only loses the reference', async () => {
  const a = await owner('two-a');
  const b = await owner('two-b');
  await dependent('two-dep', [ownerRef(a), ownerRef(b, false)]);
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'two-a' });
  await api.gcIdle();
  const dep = api.get('v1', 'ConfigMap', 'two-dep', 'default')!;
  assert.deepEqual(
    dep.metadata.ownerReferences?.map((r) => r.name),
    ['two-b'],
  );
});

test('foreground: the owner waits (deletionTimestamp, foregroundDeletion) until its dependents are gone', async () => {
  const o = await owner('fg-owner');
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fg-dep', ownerReferences: [ownerRef(o)], finalizers: ['example.com/hold'] } } });
  const r = await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'fg-owner', propagationPolicy: 'Foreground' });
  assert.ok(r);
  await api.gcIdle();
  const waiting = api.get('v1', 'ConfigMap', 'fg-owner', 'default')!;
  assert.ok(waiting.metadata.deletionTimestamp);
  assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
  assert.ok(api.get('v1', 'ConfigMap', 'fg-dep', 'default')!.metadata.deletionTimestamp, 'the dependent is being deleted');
  await core.patchNamespacedConfigMap({ namespace: 'default', name: 'fg-dep', body: { metadata: { finalizers: null } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await eventually(() => !exists('fg-owner') && !exists('fg-dep'), 'both gone');
});

test('orphan: dependents lose the reference and stay', async () => {
  const o = await owner('or-owner');
  await dependent('or-dep', [ownerRef(o)]);
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'or-owner', propagationPolicy: 'Orphan' });
  await eventually(() => !exists('or-owner'), 'owner gone');
  await api.gcIdle();
  const dep = api.get('v1', 'ConfigMap', 'or-dep', 'default')!;
  assert.equal(dep.metadata.ownerReferences, undefined);
});

test('a namespaced owner does not collect dependents elsewhere; cluster-scoped owners collect namespaced dependents', async () => {
  const o = await owner('scope-owner');
  await core.createNamespace({ body: { metadata: { name: 'scope-other' } } });
  await dependent('scope-dep', [ownerRef(o)], 'scope-other');
  const node = await core.createNode({ body: { metadata: { name: 'gc-node' } } });
  await core.createNode({ body: { metadata: { name: 'gc-node-child', ownerReferences: [ownerRef({ ...o, kind: 'ConfigMap' })] } } });
  await dependent('node-dep', [ownerRef({ ...node, apiVersion: 'v1', kind: 'Node' })]);
  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'scope-owner' });
  await core.deleteNode({ name: 'gc-node' });
  await api.gcIdle();
  assert.ok(exists('scope-dep', 'scope-other'), 'other namespace: not collected');
  assert.ok(api.get('v1', 'Node', 'gc-node-child'), 'cluster-scoped dependent of a namespaced owner: not collected');
  assert.ok(!exists('node-dep'), 'namespaced dependent of a cluster-scoped owner: collected');
});

test('Deployments own ReplicaSets: deleting the Deployment collects them', async () => {
  const d = await apps.createNamespacedDeployment({
    namespace: 'default',
    body: { metadata: { name: 'gc-deploy' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } },
  });
  await apps.createNamespacedReplicaSet({
    namespace: 'default',
    body: {
      metadata: { name: 'gc-deploy-abc', ownerReferences: [ownerRef({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' })] },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    },
  });
  await apps.deleteNamespacedDeployment({ namespace: 'default', name: 'gc-deploy' });
  await eventually(() => !api.get('apps/v1', 'ReplicaSet', 'gc-deploy-abc', 'default'), 'ReplicaSet collected');
});

test('namespace deletion: Terminating, no new content, contents deleted, then the namespace goes', async () => {
  await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
  await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
  await core.createNamespacedSecret({ namespace: 'doomed', body: { metadata: { name: 's' } } });
  const ns = await core.deleteNamespace({ name: 'doomed' });
  assert.ok(ns);
  await api.gcIdle();
  const terminating = await core.readNamespace({ name: 'doomed' });
  assert.equal(terminating.status?.phase, 'Terminating');
  assert.equal(api.get('v1', 'Secret', 's', 'doomed'), undefined);
  const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'doomed', body: cm('late') }));
  assert.equal(st.code, 403);
  assert.match(st.message!, /unable to create new content in namespace doomed because it is being terminated/);
  await core.patchNamespacedConfigMap({ namespace: 'doomed', name: 'held', body: { metadata: { finalizers: null } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  await eventually(() => !api.get('v1', 'Namespace', 'doomed'), 'namespace removed');
});
