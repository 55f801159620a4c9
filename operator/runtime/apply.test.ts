import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyBody, applyObject } from './apply.js';
import { KubeApiError, isConflict, isGone, isNotFound } from './client.js';
import { ResourceResolver } from './resources.js';
import { RecordingServer, clientFor, type RecordedRequest } from './testutil.js';

const discovery: Record<string, unknown> = {
  '/apis/example.com/v1': {
    kind: 'APIResourceList',
    groupVersion: 'example.com/v1',
    resources: [
      { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get', 'patch'] },
      { name: 'widgets/status', singularName: '', namespaced: true, kind: 'Widget', verbs: ['get', 'patch'] },
      { name: 'gizmos', singularName: 'gizmo', namespaced: false, kind: 'Gizmo', verbs: ['get', 'patch'] },
    ],
  },
};

const server = new RecordingServer((r: RecordedRequest) => {
  const path = r.url.split('?')[0]!;
  if (r.method === 'GET') {
    const d = discovery[path];
    return d ? { status: 200, body: d } : { status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound', message: `${path} not found` } };
  }
  if (path.includes('conflict')) return { status: 409, body: { kind: 'Status', code: 409, reason: 'Conflict', message: 'Apply failed with 1 conflict' } };
  const body = JSON.parse(r.body) as { metadata: Record<string, unknown> };
  return { status: 200, body: { ...body, metadata: { ...body.metadata, resourceVersion: '42', uid: 'u-1' } } };
});

before(() => server.start());
after(() => server.stop());

const last = (): RecordedRequest => server.requests.at(-1)!;

test('applyObject sends a raw JSON apply patch with fieldManager and force to the kind URL', async () => {
  const client = clientFor(server.url);
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'speaker', namespace: 'metallb-system', resourceVersion: '7', managedFields: [{ manager: 'x' }], labels: { app: 'metallb' } },
    spec: {
      futureField: { keep: true }, // unknown to client-node's typed model: must survive
      template: { spec: { containers: [{ name: 'speaker', image: 'quay.io/metallb/speaker:v0.15.2', unknownContainerField: 1 }] } },
    },
  };
  const out = await applyObject(client, ds, 'metallb-operator');
  const r = last();
  assert.equal(r.method, 'PATCH');
  const url = new URL(r.url, 'http://x');
  assert.equal(url.pathname, '/apis/apps/v1/namespaces/metallb-system/daemonsets/speaker');
  assert.equal(url.searchParams.get('fieldManager'), 'metallb-operator');
  assert.equal(url.searchParams.get('force'), 'true');
  assert.equal(r.headers['content-type'], 'application/apply-patch+yaml');
  assert.equal(r.headers.authorization, 'Bearer test-token');
  const sent = JSON.parse(r.body);
  assert.deepEqual(sent.spec, ds.spec, 'unknown fields kept');
  assert.equal(sent.metadata.managedFields, undefined);
  assert.equal(sent.metadata.resourceVersion, undefined);
  assert.deepEqual(sent.metadata.labels, { app: 'metallb' });
  assert.equal(out.metadata.resourceVersion, '42');
  assert.equal(ds.metadata.managedFields.length, 1, 'the input is not mutated');
});

test('core, CR and status paths; cluster-scoped kinds drop the namespace', async () => {
  const client = clientFor(server.url);
  await applyObject(client, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } }, 'metallb-controller', { subresource: 'status' });
  assert.equal(new URL(last().url, 'http://x').pathname, '/api/v1/namespaces/default/services/s/status');
  await applyObject(client, { apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'FRRConfiguration', metadata: { name: 'metallb-node1', namespace: 'metallb-system' }, spec: {} }, 'metallb-speaker', { force: false });
  const u = new URL(last().url, 'http://x');
  assert.equal(u.pathname, '/apis/frrk8s.metallb.io/v1beta1/namespaces/metallb-system/frrconfigurations/metallb-node1');
  assert.equal(u.searchParams.get('force'), null);
  await applyObject(client, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'ignored' } }, 'm');
  assert.equal(new URL(last().url, 'http://x').pathname, '/api/v1/nodes/n1');
  await assert.rejects(applyObject(client, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, 'm'), /without metadata.namespace/);
});

test('unknown kinds are resolved by discovery once per group/version', async () => {
  const client = clientFor(server.url);
  const resolver = new ResourceResolver(client);
  server.requests.length = 0;
  await applyObject(client, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'ns' } }, 'm', { resolver });
  await applyObject(client, { apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g', namespace: 'ns' } }, 'm', { resolver });
  assert.deepEqual(
    server.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`),
    ['GET /apis/example.com/v1', 'PATCH /apis/example.com/v1/namespaces/ns/widgets/w', 'PATCH /apis/example.com/v1/gizmos/g'],
  );
  await assert.rejects(resolver.resolve('example.com/v1', 'Nope'), /no resource for kind Nope/);
  await assert.rejects(resolver.resolve('other.io/v1', 'X'), (e) => isNotFound(e));
});

test('API errors carry the Status; helpers classify them', async () => {
  const client = clientFor(server.url);
  const err = await applyObject(client, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conflict', namespace: 'x' } }, 'm').catch((e: unknown) => e);
  assert.ok(err instanceof KubeApiError);
  assert.equal(err.code, 409);
  assert.equal(err.status?.reason, 'Conflict');
  assert.ok(isConflict(err) && !isNotFound(err) && !isGone(err));
});

test('applyBody strips server-owned metadata only', () => {
  const b = applyBody({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n', namespace: 'x', uid: 'u', generation: 3, creationTimestamp: 't', annotations: { a: 'b' } }, data: { k: 'v' } });
  assert.deepEqual(b, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n', namespace: 'x', annotations: { a: 'b' } }, data: { k: 'v' } });
});

test('client verbs: content types, methods and query strings', async () => {
  const client = clientFor(server.url);
  await client.mergePatch('/api/v1/namespaces/x/configmaps/a', { data: { k: 'v' } });
  assert.equal(last().headers['content-type'], 'application/merge-patch+json');
  await client.patch('/api/v1/namespaces/x/configmaps/a', [{ op: 'add', path: '/data/x', value: 'y' }], 'json');
  assert.equal(last().headers['content-type'], 'application/json-patch+json');
  await client.replace('/api/v1/namespaces/x/configmaps/a', { metadata: { name: 'a', resourceVersion: '3' } });
  assert.equal(last().method, 'PUT');
  assert.equal(JSON.parse(last().body).metadata.resourceVersion, '3');
  await client.create('/api/v1/namespaces/x/configmaps', { metadata: { name: 'b' } }, { query: { fieldManager: 'm', dryRun: undefined } });
  assert.equal(last().method, 'POST');
  assert.equal(last().url, '/api/v1/namespaces/x/configmaps?fieldManager=m');
  await client.delete('/api/v1/namespaces/x/configmaps/a', { propagationPolicy: 'Background' });
  assert.equal(last().method, 'DELETE');
  assert.equal(JSON.parse(last().body).propagationPolicy, 'Background');
  await client.applyPatch('/api/v1/namespaces/x/configmaps/a', { metadata: { name: 'a' } }, 'mgr', { dryRun: true });
  assert.equal(new URL(last().url, 'http://x').searchParams.get('dryRun'), 'All');
  const ac = new AbortController();
  ac.abort(new Error('cancelled by test'));
  await assert.rejects(client.get('/api/v1/namespaces'), (e) => isNotFound(e));
  await assert.rejects(client.get('/apis/example.com/v1', { signal: ac.signal }), /cancelled by test/);
});
