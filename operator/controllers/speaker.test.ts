// The BGP speaker (frr-k8s mode) against the test API server.
import { after, before, test } from 'node:test';
import { createMetalLBObject, lbService, readyEndpointOn } from './speaker-fixtures.js';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import type { FRRConfiguration } from '../api/frrk8s.js';
import { TestApiServer } from '../../e2e/apiserver/index.js';
import { KubeClient, Manager, collectionPath, objectPath } from '../runtime/index.js';
import { silentLogger } from '../util/log.js';
import { projectPath } from '../util/paths.js';
import { convertConfigurations } from '../config/frrk8s/convert.js';
import { Speaker } from './speaker.js';

const NS = 'metallb-system';
const FRR_NS = 'frr-k8s-system';
let api: TestApiServer;
let client: KubeClient;
let mgr: Manager;
let speaker: Speaker;

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const frrConfig = () => api.get('frrk8s.metallb.io/v1beta1', 'FRRConfiguration', 'metallb-node1', FRR_NS) as FRRConfiguration | undefined;
const neighbors = () => frrConfig()?.spec?.bgp?.routers?.flatMap((r) => r.neighbors ?? []) ?? [];
const routerPrefixes = () => frrConfig()?.spec?.bgp?.routers?.flatMap((r) => r.prefixes ?? []) ?? [];
const bgpStatuses = () => api.list('metallb.io/v1beta1', 'ServiceBGPStatus', NS) as { metadata: { name: string; labels: Record<string, string> }; status?: { peers?: string[]; serviceName?: string } }[];

const mk = (path: string, obj: KubeObject) => client.create(path, obj);
const mlb = (kind: string, plural: string, name: string, spec: Record<string, unknown>, version = 'v1beta1') => createMetalLBObject(client, NS, kind, plural, name, spec, version);

const service = (name: string, ip: string, policy: 'Cluster' | 'Local'): Promise<void> => lbService(client, name, ip, policy);
const endpoints = (svc: string, nodeName: string): Promise<void> => readyEndpointOn(client, svc, nodeName);

before(async () => {
  api = new TestApiServer({ crds: projectPath('crds') });
  await api.start();
  client = new KubeClient(api.kubeConfig());
  for (const ns of [NS, FRR_NS]) await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const [n, zone] of [['node1', 'a'], ['node2', 'b']] as const)
    await client.create(collectionPath('v1', 'nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: n, labels: { 'kubernetes.io/hostname': n, zone } } });
  await mlb('IPAddressPool', 'ipaddresspools', 'pool1', { addresses: ['192.168.10.0/24'] });
  await mlb('BGPAdvertisement', 'bgpadvertisements', 'adv1', { communities: ['65535:65282'] });
  await mlb('BGPPeer', 'bgppeers', 'peer1', { myASN: 64500, peerASN: 64501, peerAddress: '172.18.0.5' }, 'v1beta2');
  mgr = new Manager({ client, name: 'metallb-speaker', logger: silentLogger });
  speaker = new Speaker(mgr, client, { node: 'node1', namespace: NS, frrk8sNamespace: FRR_NS });
  await mgr.start();
});

after(async () => {
  await mgr.stop();
  await api.stop();
});

test('a LoadBalancer service with an ingress IP in an advertised pool: metallb-node1 carries the prefix and the neighbor', async () => {
  await service('web', '192.168.10.7', 'Cluster');
  await endpoints('web', 'node2');
  await eventually(() => routerPrefixes().includes('192.168.10.7/32'), 'prefix in metallb-node1');
  const o = frrConfig()!;
  assert.deepEqual(o.spec!.nodeSelector, { matchLabels: { 'kubernetes.io/hostname': 'node1' } });
  // (the API server fills CRD defaults such as allowed.mode and addressFamilies)
  const n = neighbors();
  assert.equal(n.length, 1);
  assert.deepEqual([n[0]!.asn, n[0]!.address, n[0]!.port], [64501, '172.18.0.5', 179]);
  assert.deepEqual(n[0]!.toAdvertise!.allowed!.prefixes, ['192.168.10.7/32']);
  assert.deepEqual(n[0]!.toAdvertise!.withCommunity, [{ community: '65535:65282', prefixes: ['192.168.10.7/32'] }]);
  convertConfigurations([o]);
  await eventually(() => bgpStatuses().some((s) => s.status?.serviceName === 'web' && s.status.peers?.[0] === 'peer1'), 'ServiceBGPStatus for web');
  const st = bgpStatuses().find((s) => s.status?.serviceName === 'web')!;
  assert.equal(st.metadata.labels['metallb.io/node'], 'node1');
  assert.ok(st.metadata.name.startsWith('bgp-'));
  await eventually(
    async () => /metallb_speaker_announced\{service="default\/web",protocol="bgp",node="node1",ip="192.168.10.7"\} 1/.test(await mgr.registry.metrics()),
    'metallb_speaker_announced for web',
  );
  await eventually(() => api.list('v1', 'Event', 'default').some((e) => (e as { reason?: string }).reason === 'nodeAssigned'), 'nodeAssigned event');
  await eventually(() => (api.get('metallb.io/v1beta1', 'ConfigurationState', 'speaker-node1', NS) as { status?: { result?: string } } | undefined)?.status?.result === 'Valid', 'ConfigurationState Valid');
});

test('metallb-node1 is written only when its spec changes, and re-created when deleted', async () => {
  const rv = frrConfig()!.metadata.resourceVersion;
  const before = speaker.completed;
  const slice = await client.get<KubeObject>(objectPath('discovery.k8s.io/v1', 'endpointslices', 'default', 'web-abc'));
  await client.replace(objectPath('discovery.k8s.io/v1', 'endpointslices', 'default', 'web-abc'), {
    ...slice,
    endpoints: [...(slice.endpoints as unknown[]), { addresses: ['10.244.2.9'], nodeName: 'node2', conditions: { ready: true } }],
  });
  await eventually(() => speaker.completed > before, 'a reconcile after the EndpointSlice change');
  assert.equal(frrConfig()!.metadata.resourceVersion, rv);
  await client.delete(objectPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', FRR_NS, 'metallb-node1'));
  await eventually(() => routerPrefixes().includes('192.168.10.7/32') && frrConfig()!.metadata.resourceVersion !== rv, 're-created');
});

test('Local policy without a local endpoint is not announced; with one it is', async () => {
  await service('local', '192.168.10.8', 'Local');
  await endpoints('local', 'node2');
  const reason = () => speaker.state?.announcement.decisions.find((d) => d.service === 'default/local')?.reason;
  await eventually(() => reason() === 'noLocalEndpoints', 'local service not announced: noLocalEndpoints');
  assert.ok(!routerPrefixes().includes('192.168.10.8/32'));
  await client.delete(objectPath('discovery.k8s.io/v1', 'endpointslices', 'default', 'local-abc'));
  await endpoints('local', 'node1');
  await eventually(() => routerPrefixes().includes('192.168.10.8/32'), 'local service announced with a local endpoint');
});

test('a peer whose nodeSelector excludes the node gives no neighbor; a node label change brings it in', async () => {
  await mlb('BGPPeer', 'bgppeers', 'peer-b', { myASN: 64500, peerASN: 64502, peerAddress: '172.18.0.6', nodeSelectors: [{ matchLabels: { zone: 'b' } }] }, 'v1beta2');
  await mlb('BGPPeer', 'bgppeers', 'peer-a', { myASN: 64500, peerASN: 64503, peerAddress: '172.18.0.7', nodeSelectors: [{ matchLabels: { zone: 'a' } }] }, 'v1beta2');
  await eventually(() => neighbors().some((n) => n.address === '172.18.0.7'), 'peer-a neighbor');
  assert.ok(!neighbors().some((n) => n.address === '172.18.0.6'));
  const node = await client.get<KubeObject>(objectPath('v1', 'nodes', undefined, 'node1'));
  await client.replace(objectPath('v1', 'nodes', undefined, 'node1'), { ...node, metadata: { ...node.metadata, labels: { 'kubernetes.io/hostname': 'node1', zone: 'b' } } });
  await eventually(() => neighbors().some((n) => n.address === '172.18.0.6') && !neighbors().some((n) => n.address === '172.18.0.7'), 'peer-b replaces peer-a');
});

test('an invalid configuration keeps the last good one and is reported', async () => {
  await mlb('BGPPeer', 'bgppeers', 'peer-bad', { myASN: 64500, peerASN: 64509, peerAddress: '172.18.0.9', bfdProfile: 'missing' }, 'v1beta2');
  await eventually(async () => /metallb_k8s_client_config_stale_bool 1/.test(await mgr.registry.metrics()), 'stale config');
  assert.ok(!neighbors().some((n) => n.address === '172.18.0.9'));
  assert.ok(routerPrefixes().includes('192.168.10.7/32'));
  await eventually(() => (api.get('metallb.io/v1beta1', 'ConfigurationState', 'speaker-node1', NS) as { status?: { result?: string } } | undefined)?.status?.result === 'Invalid', 'ConfigurationState Invalid');
  const cs = api.get('metallb.io/v1beta1', 'ConfigurationState', 'speaker-node1', NS) as unknown as { status: { errorSummary: string } };
  assert.match(cs.status.errorSummary, /^configuration error: peer peer-bad referencing non existing bfd profile missing/);
  await client.delete(objectPath('metallb.io/v1beta2', 'bgppeers', NS, 'peer-bad'));
  await eventually(async () => /metallb_k8s_client_config_stale_bool 0/.test(await mgr.registry.metrics()), 'config valid again');
});

test('a password Secret in the MetalLB namespace is resolved into the neighbor (frr-k8s in another namespace)', async () => {
  await mk(collectionPath('v1', 'secrets', NS), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bgp-pw', namespace: NS },
    type: 'kubernetes.io/basic-auth',
    data: { password: Buffer.from('s3cret').toString('base64') },
  });
  await mlb('BGPPeer', 'bgppeers', 'peer-pw', { myASN: 64500, peerASN: 64520, peerAddress: '172.18.0.20', passwordSecret: { name: 'bgp-pw', namespace: NS } }, 'v1beta2');
  await eventually(() => neighbors().some((n) => n.address === '172.18.0.20'), 'peer-pw neighbor');
  const n = neighbors().find((x) => x.address === '172.18.0.20')!;
  assert.equal(n.password, 's3cret');
  assert.equal(n.passwordSecret?.name, undefined);
  await client.delete(objectPath('metallb.io/v1beta2', 'bgppeers', NS, 'peer-pw'));
  await eventually(() => !neighbors().some((x) => x.address === '172.18.0.20'), 'peer-pw removed');
});

test('deleting the service removes its prefix and its ServiceBGPStatus', async () => {
  await client.delete(objectPath('v1', 'services', 'default', 'web'));
  await eventually(() => !routerPrefixes().includes('192.168.10.7/32'), 'prefix withdrawn');
  await eventually(() => !bgpStatuses().some((s) => s.status?.serviceName === 'web'), 'ServiceBGPStatus deleted');
  assert.ok(routerPrefixes().includes('192.168.10.8/32'), 'the other service stays');
  await eventually(async () => !/metallb_speaker_announced\{service="default\/web"/.test(await mgr.registry.metrics()), 'metric for web removed');
});
