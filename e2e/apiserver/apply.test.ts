import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestApiServer } from './server.js';
import { failure, peer, PEERS, raw, startServer } from './testing.js';

let api: TestApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let co: k8s.CustomObjectsApi;

before(async () => {
  ({ api, kc } = await startServer());
  core = kc.makeApiClient(k8s.CoreV1Api);
  co = kc.makeApiClient(k8s.CustomObjectsApi);
});
after(() => api.stop());

const APPLY = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

/** Server-side apply of a core-group object (CustomObjectsApi cannot address the core group). */
async function applyCore(path: string, body: unknown, manager: string, force = false): Promise<{ status: number; body: any; headers: Headers }> {
  return raw(api.url, 'PATCH', `${path}?fieldManager=${manager}${force ? '&force=true' : ''}`, body, 'application/apply-patch+yaml');
}

const managers = (o: any): string[] => (o.metadata.managedFields ?? []).map((m: any) => `${m.manager}/${m.operation}${m.subresource ? `/${m.subresource}` : ''}`).sort();

test('apply creates, requires a fieldManager, accepts YAML, and records managedFields', async () => {
  const path = '/api/v1/namespaces/default/configmaps/applied';
  const noManager = await raw(api.url, 'PATCH', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied' } }, 'application/apply-patch+yaml');
  assert.equal(noManager.status, 400);
  const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  labels:\n    a: b\ndata:\n  k: v\n';
  const r = await applyCore(path, yaml, 'mgr');
  assert.equal(r.status, 201);
  assert.deepEqual(r.body.data, { k: 'v' });
  assert.deepEqual(r.body.metadata.managedFields, [
    { manager: 'mgr', operation: 'Apply', apiVersion: 'v1', time: r.body.metadata.managedFields[0].time, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:k': {} }, 'f:metadata': { 'f:labels': { 'f:a': {} } } } },
  ]);
  const again = await applyCore(path, yaml, 'mgr');
  assert.equal(again.status, 200);
  assert.equal(again.body.metadata.resourceVersion, r.body.metadata.resourceVersion, 'a repeated apply is a no-op');
  const force = await raw(api.url, 'PATCH', `${path}?force=true`, { data: { a: 'b' } }, 'application/merge-patch+json');
  assert.equal(force.status, 400, 'force is only for apply');
});

test('two managers coexist: an operator applies a webhook Secret without data, a rotator writes the data', async () => {
  const path = '/api/v1/namespaces/default/secrets/webhook-cert';
  const desired = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'webhook-cert', labels: { app: 'metallb' } }, type: 'Opaque' };
  assert.equal((await applyCore(path, desired, 'metallb-operator', true)).status, 201);

  // the rotator fills the data with an update (merge patch, its own field manager)
  const data = { 'tls.crt': Buffer.from('cert').toString('base64'), 'tls.key': Buffer.from('key').toString('base64') };
  await core.patchNamespacedSecret({ namespace: 'default', name: 'webhook-cert', body: { data }, fieldManager: 'cert-rotator' }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));

  // every reconcile re-applies the empty Secret: the data stays
  for (let i = 0; i < 2; i++) {
    const r = await applyCore(path, { ...desired, metadata: { ...desired.metadata, labels: { app: 'metallb', round: String(i) } } }, 'metallb-operator', true);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.data, data);
    assert.deepEqual(managers(r.body), ['cert-rotator/Update', 'metallb-operator/Apply']);
  }

  // the operator applying data of its own conflicts with the rotator's fields...
  const conflict = await applyCore(path, { ...desired, data: { 'tls.crt': Buffer.from('other').toString('base64') } }, 'metallb-operator');
  assert.equal(conflict.status, 409);
  assert.equal(conflict.body.reason, 'Conflict');
  assert.equal(conflict.body.message, 'Apply failed with 1 conflict: conflict with "cert-rotator" using v1: .data.tls.crt');
  assert.deepEqual(conflict.body.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "cert-rotator" using v1', field: '.data.tls.crt' }]);

  // ...unless forced, which takes the field over
  const forced = await applyCore(path, { ...desired, data: { 'tls.crt': Buffer.from('other').toString('base64') } }, 'metallb-operator', true);
  assert.equal(forced.status, 200);
  assert.equal(forced.body.data['tls.crt'], Buffer.from('other').toString('base64'));
  assert.equal(forced.body.data['tls.key'], data['tls.key'], 'fields still owned by the rotator stay');
  const rot = forced.body.metadata.managedFields.find((m: any) => m.manager === 'cert-rotator');
  assert.deepEqual(rot.fieldsV1, { 'f:data': { 'f:tls.key': {} } });
});

test('fields a manager stops applying are removed unless another manager owns them', async () => {
  const path = '/api/v1/namespaces/default/configmaps/prune';
  await applyCore(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prune' }, data: { a: '1', b: '2', c: '3' } }, 'one');
  await applyCore(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prune' }, data: { c: '3' } }, 'two');
  const r = await applyCore(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prune' }, data: { a: '1' } }, 'one');
  assert.deepEqual(r.body.data, { a: '1', c: '3' }, 'b is gone, c is kept for "two"');
  const r2 = await applyCore(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prune' } }, 'two');
  assert.deepEqual(r2.body.data, { a: '1' });
});

test('webhook configurations: the operator re-applying webhooks keeps the caBundle a rotator injected', async () => {
  const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const path = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/metallb-webhook-configuration';
  const hook = (name: string) => ({
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    failurePolicy: 'Fail',
    clientConfig: { service: { name: 'metallb-webhook-service', namespace: 'metallb-system', path: `/validate-${name}` } },
    rules: [{ apiGroups: ['example.com'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['things'] }],
  });
  const desired = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'metallb-webhook-configuration' }, webhooks: [hook('a.metallb.io'), hook('b.metallb.io')] };
  const created = await applyCore(path, desired, 'metallb-operator', true);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.webhooks[0].timeoutSeconds, 10, 'defaults applied');

  const vwc = await adm.readValidatingWebhookConfiguration({ name: 'metallb-webhook-configuration' });
  for (const w of vwc.webhooks!) w.clientConfig.caBundle = Buffer.from('CA').toString('base64');
  await adm.replaceValidatingWebhookConfiguration({ name: 'metallb-webhook-configuration', body: vwc, fieldManager: 'cert-rotator' });

  const re = await applyCore(path, desired, 'metallb-operator', true);
  assert.equal(re.status, 200);
  assert.deepEqual(
    re.body.webhooks.map((w: any) => w.clientConfig.caBundle),
    [Buffer.from('CA').toString('base64'), Buffer.from('CA').toString('base64')],
  );
  const rot = re.body.metadata.managedFields.find((m: any) => m.manager === 'cert-rotator');
  assert.deepEqual(Object.keys(rot.fieldsV1['f:webhooks']).sort(), ['k:{"name":"a.metallb.io"}', 'k:{"name":"b.metallb.io"}']);
  assert.deepEqual(rot.fieldsV1['f:webhooks']['k:{"name":"a.metallb.io"}'], { 'f:clientConfig': { 'f:caBundle': {} } });

  // a webhook the operator adds later gets no caBundle until the rotator comes by; one it drops
  // (and nobody else owns anything of) is removed
  const c = await applyCore(path, { ...desired, webhooks: [hook('a.metallb.io'), hook('b.metallb.io'), hook('c.metallb.io')] }, 'metallb-operator', true);
  assert.deepEqual(
    c.body.webhooks.map((w: any) => [w.name, w.clientConfig.caBundle ?? null]),
    [['a.metallb.io', 'Q0E='], ['b.metallb.io', 'Q0E='], ['c.metallb.io', null]],
  );
  const dropped = await applyCore(path, { ...desired, webhooks: [hook('a.metallb.io'), hook('b.metallb.io')] }, 'metallb-operator', true);
  assert.equal(dropped.status, 200, JSON.stringify(dropped.body));
  assert.deepEqual(
    dropped.body.webhooks.map((w: any) => w.name),
    ['a.metallb.io', 'b.metallb.io'],
  );
});

test('apply on custom resources through CustomObjectsApi and KubernetesObjectApi; conflicts and force', async () => {
  const body = peer('ssa-peer', { peerASN: 65001 });
  const created = await co.patchNamespacedCustomObject({ ...PEERS, name: 'ssa-peer', body, fieldManager: 'speaker', force: true }, APPLY);
  assert.equal(created.spec.peerASN, 65001);
  assert.equal(created.spec.peerPort, 179, 'defaults applied on apply-create');
  const mf = created.metadata.managedFields[0];
  assert.deepEqual(Object.keys(mf.fieldsV1['f:spec']).sort(), ['f:myASN', 'f:peerASN', 'f:peerAddress'], 'defaults are not owned by the applier');

  const objApi = k8s.KubernetesObjectApi.makeApiClient(kc);
  const other = await failure(() => objApi.patch(peer('ssa-peer', { peerASN: 65002 }) as k8s.KubernetesObject, undefined, undefined, 'admin', false, k8s.PatchStrategy.ServerSideApply));
  assert.equal(other.code, 409);
  assert.deepEqual(
    other.details.causes.map((c: any) => c.field).sort(),
    ['.spec.peerASN'],
  );
  const forced = await objApi.patch(peer('ssa-peer', { peerASN: 65002 }) as k8s.KubernetesObject, undefined, undefined, 'admin', true, k8s.PatchStrategy.ServerSideApply);
  assert.equal((forced as any).spec.peerASN, 65002);

  // the schema still applies: an invalid value is a 422
  const bad = await failure(() => co.patchNamespacedCustomObject({ ...PEERS, name: 'ssa-peer', body: peer('ssa-peer', { peerPort: 0 }), fieldManager: 'speaker', force: true }, APPLY));
  assert.equal(bad.code, 422);

  // the status subresource takes applied status only
  const POOLS = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools', namespace: 'default' };
  const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'ssa-pool' }, spec: { addresses: ['10.3.0.0/24'] } };
  await co.patchNamespacedCustomObject({ ...POOLS, name: 'ssa-pool', body: pool, fieldManager: 'user' }, APPLY);
  const status = { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 255, availableIPv6: 0 };
  const s = await co.patchNamespacedCustomObjectStatus({ ...POOLS, name: 'ssa-pool', body: { ...pool, spec: { addresses: ['1.1.1.1/32'] }, status }, fieldManager: 'controller', force: true }, APPLY);
  assert.deepEqual(s.status, status);
  assert.deepEqual(s.spec.addresses, ['10.3.0.0/24']);
  assert.deepEqual(managers(s), ['controller/Apply/status', 'user/Apply']);
});

test('an update manager and an apply manager: the applier removing its field keeps the updater\'s value', async () => {
  const path = '/api/v1/namespaces/default/configmaps/shared';
  await applyCore(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data: { x: '1' } }, 'applier');
  // same value written by another manager: shared ownership
  await core.patchNamespacedConfigMap({ namespace: 'default', name: 'shared', body: { data: { x: '1', y: '2' } }, fieldManager: 'editor' }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  const r = await applyCore(path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data: {} }, 'applier');
  assert.deepEqual(r.body.data, { y: '2' }, 'x was only owned by the applier (the editor did not change it)');
});
