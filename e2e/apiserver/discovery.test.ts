import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestApiServer } from './server.js';
import { failure, peer, raw, startServer } from './testing.js';

let api: TestApiServer;
let kc: k8s.KubeConfig;

before(async () => {
  ({ api, kc } = await startServer());
});
after(() => api.stop());

test('/api, /apis, group versions and /version are served', async () => {
  const core = (await raw(api.url, 'GET', '/api')).body;
  assert.equal(core.kind, 'APIVersions');
  assert.deepEqual(core.versions, ['v1']);

  const groups = (await raw(api.url, 'GET', '/apis')).body;
  assert.equal(groups.kind, 'APIGroupList');
  const metallb = groups.groups.find((g: any) => g.name === 'metallb.io');
  assert.deepEqual(
    metallb.versions.map((v: any) => v.version),
    ['v1beta2', 'v1beta1'],
  );
  assert.equal(metallb.preferredVersion.version, 'v1beta2');
  for (const g of ['apps', 'discovery.k8s.io', 'coordination.k8s.io', 'rbac.authorization.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'frrk8s.metallb.io'])
    assert.ok(groups.groups.some((x: any) => x.name === g), g);

  const v1 = (await raw(api.url, 'GET', '/api/v1')).body;
  assert.equal(v1.kind, 'APIResourceList');
  assert.equal(v1.groupVersion, 'v1');
  const pods = v1.resources.find((r: any) => r.name === 'pods');
  assert.equal(pods.kind, 'Pod');
  assert.equal(pods.namespaced, true);
  assert.ok(pods.verbs.includes('watch'));
  assert.ok(v1.resources.some((r: any) => r.name === 'pods/status'));
  const nodes = v1.resources.find((r: any) => r.name === 'nodes');
  assert.equal(nodes.namespaced, false);

  const peers = (await raw(api.url, 'GET', '/apis/metallb.io/v1beta2')).body;
  const bgppeers = peers.resources.find((r: any) => r.name === 'bgppeers');
  assert.equal(bgppeers.kind, 'BGPPeer');
  assert.ok(peers.resources.some((r: any) => r.name === 'bgppeers/status'));

  const group = (await raw(api.url, 'GET', '/apis/apps')).body;
  assert.equal(group.kind, 'APIGroup');
  assert.equal(group.preferredVersion.groupVersion, 'apps/v1');

  const version = await kc.makeApiClient(k8s.VersionApi).getCode();
  assert.equal(version.major, '1');

  assert.equal((await raw(api.url, 'GET', '/apis/nope.example.com/v1')).status, 404);
  assert.equal((await raw(api.url, 'GET', '/api/v1/nopes')).status, 404);
});

test('KubernetesObjectApi resolves built-in and custom kinds through discovery', async () => {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  const created = await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-objapi', namespace: 'default' }, data: { a: 'b' } } as k8s.KubernetesObject);
  assert.equal(created.metadata?.name, 'via-objapi');
  const p = await client.create(peer('objapi-peer') as k8s.KubernetesObject);
  assert.equal((p as any).spec.peerPort, 179); // schema default
  const read = await client.read({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'objapi-peer', namespace: 'default' } });
  assert.equal(read.metadata?.uid, p.metadata?.uid);
  const list = await client.list('metallb.io/v1beta2', 'BGPPeer', 'default');
  assert.ok(list.items.some((i) => i.metadata?.name === 'objapi-peer'));
  await client.delete({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'objapi-peer', namespace: 'default' } });
  assert.equal(api.get('metallb.io/v1beta2', 'BGPPeer', 'objapi-peer', 'default'), undefined);
  assert.ok(api.requests.some((r) => r.path === '/apis/metallb.io/v1beta2'), 'discovery was used');
});

test('a CRD created through the API becomes served, and deleting it removes its objects', async () => {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList', shortNames: ['wd'] },
      scope: 'Cluster',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1, default: 3 } } },
                status: { type: 'object', properties: { ready: { type: 'boolean' } } },
              },
            },
          },
        },
      ],
    },
  };
  // raw JSON: the typed model would drop `default` (it expects `_default`)
  const res = await raw(api.url, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  assert.equal(res.status, 201, res.text);
  const created = await ext.readCustomResourceDefinition({ name: 'widgets.example.com' });
  assert.ok(created.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
  assert.deepEqual(created.status?.storedVersions, ['v1']);
  const doc = (await raw(api.url, 'GET', '/apis/example.com/v1')).body;
  assert.equal(doc.resources[0].name, 'widgets');
  assert.equal(doc.resources[0].namespaced, false);
  assert.deepEqual(doc.resources[0].shortNames, ['wd']);

  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const w = await co.createClusterCustomObject({ group: 'example.com', version: 'v1', plural: 'widgets', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: {} } });
  assert.equal(w.spec.size, 3);
  const bad = await failure(() => co.createClusterCustomObject({ group: 'example.com', version: 'v1', plural: 'widgets', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 0 } } }));
  assert.equal(bad.code, 422);
  assert.equal(bad.details.causes[0].field, 'spec.size');

  await ext.deleteCustomResourceDefinition({ name: 'widgets.example.com' });
  assert.equal((await raw(api.url, 'GET', '/apis/example.com/v1')).status, 404);
  assert.equal((await raw(api.url, 'GET', '/apis/example.com/v1/widgets')).status, 404);
  assert.equal(api.core.store.list('widgets.example.com').length, 0);
});

test('a CRD whose name does not match its names is rejected', async () => {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const st = await failure(() =>
    ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'wrong.example.com' },
        spec: { group: 'example.com', names: { kind: 'Gadget', plural: 'gadgets' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true }] },
      } as k8s.V1CustomResourceDefinition,
    }),
  );
  assert.equal(st.code, 422);
  assert.equal(st.details.causes[0].field, 'metadata.name');
});
