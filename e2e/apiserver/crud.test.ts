import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestApiServer } from './server.js';
import { cm, failure, peer, PEERS, raw, startServer } from './testing.js';

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

test('built-in CRUD: create, read, replace, list, delete; system fields; one global resourceVersion', async () => {
  const a = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('crud-a', { k: 'v' }) });
  assert.ok(a.metadata?.uid);
  assert.ok(a.metadata?.creationTimestamp instanceof Date);
  assert.equal(a.metadata?.namespace, 'default');
  const rvA = Number(a.metadata?.resourceVersion);
  const b = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('crud-b') });
  assert.ok(Number(b.metadata?.resourceVersion) > rvA, 'strictly increasing');

  const read = await core.readNamespacedConfigMap({ namespace: 'default', name: 'crud-a' });
  assert.deepEqual(read.data, { k: 'v' });
  read.data = { k: 'w' };
  const replaced = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'crud-a', body: read });
  assert.equal(replaced.data?.k, 'w');
  assert.ok(Number(replaced.metadata?.resourceVersion) > Number(b.metadata?.resourceVersion));
  assert.equal(replaced.metadata?.uid, a.metadata?.uid);

  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  assert.ok(list.items.some((i) => i.metadata?.name === 'crud-b'));
  assert.equal(list.metadata?.resourceVersion, api.resourceVersion());
  const rawList = (await raw(api.url, 'GET', '/api/v1/namespaces/default/configmaps')).body;
  assert.equal(rawList.kind, 'ConfigMapList');
  assert.equal(rawList.items[0].kind, undefined, 'built-in list items carry no kind, like kube-apiserver');

  const dup = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('crud-a') }));
  assert.equal(dup.code, 409);
  assert.equal(dup.reason, 'AlreadyExists');
  assert.equal(dup.message, 'configmaps "crud-a" already exists');

  await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'crud-a' });
  const gone = await failure(() => core.readNamespacedConfigMap({ namespace: 'default', name: 'crud-a' }));
  assert.equal(gone.code, 404);
  assert.equal(gone.reason, 'NotFound');
  assert.equal(gone.message, 'configmaps "crud-a" not found');
  assert.deepEqual(gone.details, { name: 'crud-a', kind: 'configmaps' });
});

test('names, namespaces and generateName are validated like the real server', async () => {
  const bad = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('Bad_Name') }));
  assert.equal(bad.code, 422);
  assert.equal(bad.reason, 'Invalid');
  assert.equal(bad.details.causes[0].field, 'metadata.name');
  assert.match(bad.message!, /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);

  const noName = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: {} } }));
  assert.equal(noName.code, 422);
  assert.match(noName.message!, /name or generateName is required/);

  const noNs = await failure(() => core.createNamespacedConfigMap({ namespace: 'missing', body: cm('x') }));
  assert.equal(noNs.code, 404);
  assert.equal(noNs.message, 'namespaces "missing" not found');

  const mismatch = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'x', namespace: 'kube-system' } } }));
  assert.equal(mismatch.code, 400);

  const gen = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
  assert.match(gen.metadata!.name!, /^gen-[a-z0-9]{5}$/);

  const svcBad = await failure(() => core.createNamespacedService({ namespace: 'default', body: { metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } } }));
  assert.equal(svcBad.code, 422, 'Service names are DNS-1035 labels');

  const labels = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('lbl', {}, { 'a b': 'c' }) }));
  assert.equal(labels.code, 422);
  assert.equal(labels.details.causes[0].field, 'metadata.labels');

  // cluster-scoped: the namespace in the body is dropped
  const node = await core.createNode({ body: { metadata: { name: 'node-1', namespace: 'default', labels: { zone: 'a' } }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.11' }] } } });
  assert.equal(node.metadata?.namespace, undefined);
  assert.equal(node.status?.addresses?.[0]?.address, '10.0.0.11', 'Nodes keep their status on create');
});

test('built-in defaults: Secret stringData, Namespace phase, Service type', async () => {
  const s = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'sd' }, stringData: { user: 'admin' } } });
  assert.equal(s.type, 'Opaque');
  assert.deepEqual(s.data, { user: Buffer.from('admin').toString('base64') });
  assert.equal(s.stringData, undefined);
  const ns = await core.createNamespace({ body: { metadata: { name: 'phase-test' } } });
  assert.equal(ns.status?.phase, 'Active');
  const svc = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } } });
  assert.equal(svc.spec?.type, 'ClusterIP');
  assert.equal(svc.spec?.ports?.[0]?.protocol, 'TCP');
  assert.deepEqual(svc.status?.loadBalancer?.ingress, undefined, 'status is reset on create');
});

test('custom resources: 422 naming the field, defaults, pruning with a warning, strict field validation', async () => {
  const st = await failure(() => co.createNamespacedCustomObject({ ...PEERS, body: peer('bad-port', { peerPort: 20000 }) }));
  assert.equal(st.code, 422);
  assert.equal(st.reason, 'Invalid');
  assert.equal(st.details.kind, 'BGPPeer');
  assert.equal(st.details.group, 'metallb.io');
  assert.deepEqual(
    st.details.causes.map((c: any) => c.field),
    ['spec.peerPort'],
  );
  assert.equal(st.message, 'BGPPeer.metallb.io "bad-port" is invalid: spec.peerPort: Invalid value: 20000: spec.peerPort in body should be less than or equal to 16384');

  const res = await co.createNamespacedCustomObjectWithHttpInfo({ ...PEERS, body: peer('defaults', { unknownField: 1 }) });
  assert.equal(res.httpStatusCode, 201);
  assert.equal(res.data.spec.peerPort, 179, 'default applied');
  assert.equal(res.data.spec.unknownField, undefined, 'unknown field pruned');
  assert.match(res.headers['warning'] ?? '', /299 - "unknown field \\"spec.unknownField\\""/);

  const strict = await raw(api.url, 'POST', '/apis/metallb.io/v1beta2/namespaces/default/bgppeers?fieldValidation=Strict', peer('strict', { unknownField: 1 }));
  assert.equal(strict.status, 400);
  assert.match(strict.body.message, /strict decoding error: unknown field "spec.unknownField"/);

  const pool = await co.createNamespacedCustomObject({
    group: 'metallb.io',
    version: 'v1beta1',
    namespace: 'default',
    plural: 'ipaddresspools',
    body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool' }, spec: { addresses: ['10.1.0.0/24'] } },
  });
  assert.equal(pool.spec.autoAssign, true);
  assert.equal(pool.spec.avoidBuggyIPs, false);
});

test('BGPPeer is served at v1beta1 and v1beta2, stored at v1beta2, with a deprecation warning for v1beta1', async () => {
  const v1 = { apiVersion: 'metallb.io/v1beta1', kind: 'BGPPeer', metadata: { name: 'legacy' }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.2', holdTime: '90s' } };
  const res = await co.createNamespacedCustomObjectWithHttpInfo({ group: 'metallb.io', version: 'v1beta1', namespace: 'default', plural: 'bgppeers', body: v1 });
  assert.equal(res.data.apiVersion, 'metallb.io/v1beta1');
  assert.match(res.headers['warning'] ?? '', /v1beta1 is deprecated, please use v1beta2/);
  const stored = api.core.store.get('bgppeers.metallb.io', 'default', 'legacy')!;
  assert.equal(stored.apiVersion, 'metallb.io/v1beta2');
  assert.equal((stored.spec as any).holdTime, '1m30s');
  const v2 = await co.getNamespacedCustomObject({ ...PEERS, name: 'legacy' });
  assert.equal(v2.apiVersion, 'metallb.io/v1beta2');
  assert.equal(v2.spec.peerAddress, '10.0.0.2');
  const v1list = await co.listNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: 'default', plural: 'bgppeers' });
  assert.ok(v1list.items.every((i: any) => i.apiVersion === 'metallb.io/v1beta1'));
});

test('stale updates get 409 Conflict; custom resources need a resourceVersion on PUT', async () => {
  const a = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('stale', { n: '1' }) });
  const copy = structuredClone(a);
  a.data = { n: '2' };
  await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'stale', body: a });
  copy.data = { n: '3' };
  const st = await failure(() => core.replaceNamespacedConfigMap({ namespace: 'default', name: 'stale', body: copy }));
  assert.equal(st.code, 409);
  assert.equal(st.reason, 'Conflict');
  assert.equal(st.message, 'Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again');
  // built-ins accept unconditional updates
  delete copy.metadata!.resourceVersion;
  const forced = await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'stale', body: copy });
  assert.equal(forced.data?.n, '3');

  const p = await co.createNamespacedCustomObject({ ...PEERS, body: peer('put-rv') });
  const noRV = structuredClone(p);
  delete noRV.metadata.resourceVersion;
  const cr = await failure(() => co.replaceNamespacedCustomObject({ ...PEERS, name: 'put-rv', body: noRV }));
  assert.equal(cr.code, 422);
  assert.equal(cr.details.causes[0].field, 'metadata.resourceVersion');
  p.spec.peerASN = 64999;
  const ok = await co.replaceNamespacedCustomObject({ ...PEERS, name: 'put-rv', body: p });
  assert.equal(ok.spec.peerASN, 64999);
  const stalePeer = await failure(() => co.replaceNamespacedCustomObject({ ...PEERS, name: 'put-rv', body: p }));
  assert.equal(stalePeer.code, 409);
  assert.equal(stalePeer.message, 'Operation cannot be fulfilled on bgppeers.metallb.io "put-rv": the object has been modified; please apply your changes to the latest version and try again');
});

test('status subresource: main writes ignore status, /status writes change only status', async () => {
  const POOLS = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools', namespace: 'default' };
  const st = (n: number) => ({ assignedIPv4: n, assignedIPv6: 0, availableIPv4: 256 - n, availableIPv6: 0 });
  const body = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'st' }, spec: { addresses: ['10.9.0.0/24'] }, status: st(9) };
  const p = await co.createNamespacedCustomObject({ ...POOLS, body });
  assert.equal(p.status, undefined, 'status is dropped on create');
  assert.equal(p.metadata.generation, 1);

  const withStatus = { ...p, status: st(1), spec: { ...p.spec, autoAssign: false } };
  const s1 = await co.replaceNamespacedCustomObjectStatus({ ...POOLS, name: 'st', body: withStatus });
  assert.deepEqual(s1.status, st(1));
  assert.equal(s1.spec.autoAssign, true, 'spec changes through /status are ignored');
  assert.equal(s1.metadata.generation, 1, 'status writes do not bump generation');

  const main = { ...s1, status: st(2), spec: { ...s1.spec, autoAssign: false } };
  const m1 = await co.replaceNamespacedCustomObject({ ...POOLS, name: 'st', body: main });
  assert.deepEqual(m1.status, st(1), 'status changes through the main resource are ignored');
  assert.equal(m1.spec.autoAssign, false);
  assert.equal(m1.metadata.generation, 2, 'spec change bumps generation');

  const labelled = { ...m1, metadata: { ...m1.metadata, labels: { a: 'b' } } };
  const m2 = await co.replaceNamespacedCustomObject({ ...POOLS, name: 'st', body: labelled });
  assert.equal(m2.metadata.generation, 2, 'metadata changes do not bump generation');
  assert.ok(Number(m2.metadata.resourceVersion) > Number(m1.metadata.resourceVersion));

  // a no-op update writes nothing
  const m3 = await co.replaceNamespacedCustomObject({ ...POOLS, name: 'st', body: m2 });
  assert.equal(m3.metadata.resourceVersion, m2.metadata.resourceVersion);

  const patched = await co.patchNamespacedCustomObjectStatus(
    { ...POOLS, name: 'st', body: { status: { assignedIPv4: 3 } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  assert.equal(patched.status.assignedIPv4, 3);
  const badStatus = await failure(() =>
    co.patchNamespacedCustomObjectStatus({ ...POOLS, name: 'st', body: { status: { assignedIPv4: 'x' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
  );
  assert.equal(badStatus.code, 422);
  assert.equal(badStatus.details.causes[0].field, 'status.assignedIPv4');

  const nf = await raw(api.url, 'PUT', '/api/v1/namespaces/default/configmaps/x/status', cm('x'));
  assert.equal(nf.status, 404, 'kinds without a status subresource have no /status');
});

test('Deployments: generation follows spec only; status through /status', async () => {
  const d = await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'dep' },
      spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'img:1' }] } } },
      status: { replicas: 5 },
    },
  });
  assert.equal(d.metadata?.generation, 1);
  assert.equal(d.status?.replicas, undefined);
  d.metadata!.annotations = { note: 'x' };
  const d2 = await apps.replaceNamespacedDeployment({ namespace: 'default', name: 'dep', body: d });
  assert.equal(d2.metadata?.generation, 1);
  d2.spec!.template.spec!.containers[0]!.image = 'img:2';
  const d3 = await apps.replaceNamespacedDeployment({ namespace: 'default', name: 'dep', body: d2 });
  assert.equal(d3.metadata?.generation, 2);
  d3.status = { observedGeneration: 2, readyReplicas: 1 };
  const d4 = await apps.replaceNamespacedDeploymentStatus({ namespace: 'default', name: 'dep', body: d3 });
  assert.equal(d4.status?.observedGeneration, 2);
  assert.equal(d4.metadata?.generation, 2);
});

test('finalizers: DELETE sets deletionTimestamp, removing the last finalizer deletes; no new finalizers while deleting', async () => {
  const p = await co.createNamespacedCustomObject({ ...PEERS, body: { ...peer('fin'), metadata: { name: 'fin', namespace: 'default', finalizers: ['example.com/keep'] } } });
  const del = await co.deleteNamespacedCustomObject({ ...PEERS, name: 'fin' });
  assert.ok(del.metadata.deletionTimestamp, 'still there, being deleted');
  assert.equal(del.metadata.deletionGracePeriodSeconds, 0);
  assert.equal(del.metadata.generation, p.metadata.generation + 1);
  const live = await co.getNamespacedCustomObject({ ...PEERS, name: 'fin' });
  assert.ok(live.metadata.deletionTimestamp);

  const add = { ...live, metadata: { ...live.metadata, finalizers: ['example.com/keep', 'example.com/more'] } };
  const st = await failure(() => co.replaceNamespacedCustomObject({ ...PEERS, name: 'fin', body: add }));
  assert.equal(st.code, 422);
  assert.match(st.message!, /no new finalizers can be added if the object is being deleted/);

  await co.patchNamespacedCustomObject({ ...PEERS, name: 'fin', body: [{ op: 'remove', path: '/metadata/finalizers' }] }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
  const gone = await failure(() => co.getNamespacedCustomObject({ ...PEERS, name: 'fin' }));
  assert.equal(gone.code, 404);
});

test('label and field selectors on lists', async () => {
  await core.createNamespace({ body: { metadata: { name: 'sel' } } });
  for (const [name, labels] of [
    ['s1', { app: 'a', tier: 'web' }],
    ['s2', { app: 'b', tier: 'web' }],
    ['s3', { app: 'c' }],
  ] as const)
    await core.createNamespacedConfigMap({ namespace: 'sel', body: cm(name, {}, labels) });
  const names = async (q: { labelSelector?: string; fieldSelector?: string }) =>
    (await core.listNamespacedConfigMap({ namespace: 'sel', ...q })).items.map((i) => i.metadata?.name).sort();
  assert.deepEqual(await names({ labelSelector: 'app=a' }), ['s1']);
  assert.deepEqual(await names({ labelSelector: 'app!=a' }), ['s2', 's3']);
  assert.deepEqual(await names({ labelSelector: 'app in (a,c)' }), ['s1', 's3']);
  assert.deepEqual(await names({ labelSelector: 'app notin (a,c)' }), ['s2']);
  assert.deepEqual(await names({ labelSelector: 'tier' }), ['s1', 's2']);
  assert.deepEqual(await names({ labelSelector: '!tier' }), ['s3']);
  assert.deepEqual(await names({ labelSelector: 'tier=web,app==b' }), ['s2']);
  assert.deepEqual(await names({ fieldSelector: 'metadata.name=s3' }), ['s3']);
  assert.deepEqual(await names({ fieldSelector: 'metadata.name!=s3,metadata.namespace=sel' }), ['s1', 's2']);
  const all = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=sel' });
  assert.equal(all.items.length, 3);
  const bad = await failure(() => core.listNamespacedConfigMap({ namespace: 'sel', labelSelector: 'a in (' }));
  assert.equal(bad.code, 400);
});

test('pagination with limit and continue; a continue token past the history is 410', async () => {
  await core.createNamespace({ body: { metadata: { name: 'pages' } } });
  for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: 'pages', body: cm(`p${i}`) });
  const first = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 2 });
  assert.deepEqual(first.items.map((i) => i.metadata?.name), ['p0', 'p1']);
  assert.equal(first.metadata?.remainingItemCount, 3);
  const second = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 2, _continue: first.metadata!._continue! });
  assert.deepEqual(second.items.map((i) => i.metadata?.name), ['p2', 'p3']);
  const third = await core.listNamespacedConfigMap({ namespace: 'pages', limit: 2, _continue: second.metadata!._continue! });
  assert.deepEqual(third.items.map((i) => i.metadata?.name), ['p4']);
  assert.equal(third.metadata?._continue, undefined);
  api.faults.expireHistory();
  const st = await failure(() => core.listNamespacedConfigMap({ namespace: 'pages', limit: 2, _continue: first.metadata!._continue! }));
  assert.equal(st.code, 410);
  assert.equal(st.reason, 'Expired');
});

test('dryRun=All validates and admits without storing', async () => {
  const before = api.resourceVersion();
  const r = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('dry'), dryRun: 'All' });
  assert.equal(r.metadata?.name, 'dry');
  assert.equal(api.resourceVersion(), before);
  assert.equal(api.get('v1', 'ConfigMap', 'dry', 'default'), undefined);
});

test('unsupported media types get 415', async () => {
  await core.createNamespacedConfigMap({ namespace: 'default', body: cm('media') });
  const r = await raw(api.url, 'PATCH', '/api/v1/namespaces/default/configmaps/media', '{}', 'application/x-unknown');
  assert.equal(r.status, 415);
  assert.equal(r.body.reason, 'UnsupportedMediaType');
  const smp = await raw(api.url, 'PATCH', '/apis/metallb.io/v1beta2/namespaces/default/bgppeers/st', '{}', 'application/strategic-merge-patch+json');
  assert.equal(smp.status, 415, 'custom resources do not take strategic merge patches');
});

test('the other built-in kinds the project uses round-trip through their typed clients', async () => {
  const coord = kc.makeApiClient(k8s.CoordinationV1Api);
  const disc = kc.makeApiClient(k8s.DiscoveryV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const now = new Date();
  const lease = await coord.createNamespacedLease({ namespace: 'kube-system', body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: now, renewTime: now, leaseTransitions: 0 } } });
  assert.equal(new Date(lease.spec!.renewTime as unknown as string).getTime(), now.getTime(), 'MicroTime survives (client-node hands it back as a string)');
  lease.spec!.holderIdentity = 'b';
  const stolen = await coord.replaceNamespacedLease({ namespace: 'kube-system', name: 'leader', body: lease });
  assert.equal(stolen.spec?.holderIdentity, 'b');
  lease.spec!.holderIdentity = 'c';
  assert.equal((await failure(() => coord.replaceNamespacedLease({ namespace: 'kube-system', name: 'leader', body: lease }))).code, 409, 'the loser of an election race gets 409');

  const slice = await disc.createNamespacedEndpointSlice({
    namespace: 'default',
    body: { metadata: { name: 'svc-abc', labels: { 'kubernetes.io/service-name': 'svc' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.1.1'], conditions: { ready: true }, nodeName: 'node-1' }], ports: [{ port: 80 }] },
  });
  assert.equal(slice.endpoints[0]?.nodeName, 'node-1');
  const bySvc = await disc.listNamespacedEndpointSlice({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=svc' });
  assert.equal(bySvc.items.length, 1);

  await core.createNamespacedEvent({ namespace: 'default', body: { metadata: { name: 'svc.1' }, involvedObject: { kind: 'Service', name: 'svc', namespace: 'default' }, reason: 'IPAllocated', message: 'Assigned IP', type: 'Normal' } });
  const evs = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=svc,reason=IPAllocated' });
  assert.equal(evs.items.length, 1);
  await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'speaker' } } });
  await rbac.createClusterRole({ body: { metadata: { name: 'metallb:speaker' }, rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] }] } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name: 'metallb:speaker' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metallb:speaker' }, subjects: [{ kind: 'ServiceAccount', name: 'speaker', namespace: 'default' }] } });
  await rbac.createNamespacedRole({ namespace: 'default', body: { metadata: { name: 'r' }, rules: [] } });
  await rbac.createNamespacedRoleBinding({ namespace: 'default', body: { metadata: { name: 'rb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [] } });

  const pod = await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'speaker-x', labels: { app: 'speaker' } }, spec: { nodeName: 'node-1', containers: [{ name: 'speaker', image: 'metalfrr' }] } } });
  assert.equal(pod.status?.phase, 'Pending');
  pod.status = { phase: 'Running', podIP: '10.0.0.11' };
  const running = await core.replaceNamespacedPodStatus({ namespace: 'default', name: 'speaker-x', body: pod });
  assert.equal(running.status?.podIP, '10.0.0.11');
  const onNode = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1', labelSelector: 'app=speaker' });
  assert.equal(onNode.items.length, 1);
  const svcStatus = await core.patchNamespacedServiceStatus(
    { namespace: 'default', name: 'svc', body: { status: { loadBalancer: { ingress: [{ ip: '192.168.10.1' }] } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  assert.equal(svcStatus.status?.loadBalancer?.ingress?.[0]?.ip, '192.168.10.1');
});
