// The frr agent against the test API server, with a fake FRR (real FRR scenarios live in e2e/).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import { TestApiServer } from '../../e2e/apiserver/index.js';
import { KubeClient, Manager, collectionPath, objectPath } from '../runtime/index.js';
import { silentLogger } from '../util/log.js';
import { projectPath } from '../util/paths.js';
import { FRRAgent, type FRRBackend } from './frr-agent.js';
import { peerLabelValue, planSessionStates, type FRRBFDPeer, type FRRSession } from './frr-status.js';

class FakeFRR implements FRRBackend {
  running = '';
  applies: string[] = [];
  sessionList: FRRSession[] = [];
  async apply(config: string) {
    if (config.includes('this-is-not-frr')) return { ok: false, output: '% Unknown command: this-is-not-frr\nline 42', checkFailed: true };
    this.applies.push(config);
    this.running = `! running\n${config}`;
    return { ok: true, output: '' };
  }
  async runningConfig() {
    return this.running;
  }
  async sessions() {
    return this.sessionList;
  }
  async bfdPeers(): Promise<FRRBFDPeer[]> {
    return [{ vrf: 'default', peer: '10.0.0.1', status: 'up', controlPacketInput: 7 }];
  }
}

const NS = 'frr-k8s-system';
let api: TestApiServer;
let client: KubeClient;
let mgr: Manager;
let agent: FRRAgent;
const frr = new FakeFRR();

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cfg = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'FRRConfiguration', metadata: { name, namespace: NS }, spec });
const router = (asn: number, extra: Record<string, unknown> = {}) => ({
  bgp: { routers: [{ asn, prefixes: ['192.168.10.0/24'], neighbors: [{ address: '10.0.0.1', asn: 64501, toAdvertise: { allowed: { mode: 'all' } }, ...extra }] }] },
});
const nodeState = () => api.get('frrk8s.metallb.io/v1beta1', 'FRRNodeState', 'node1') as { status?: Record<string, string> } | undefined;

before(async () => {
  api = new TestApiServer({ crds: projectPath('crds') });
  await api.start();
  client = new KubeClient(api.kubeConfig());
  await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await client.create(collectionPath('v1', 'nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1', rack: 'r1' } } });
  mgr = new Manager({ client, name: 'frr-k8s', logger: silentLogger });
  agent = new FRRAgent(mgr, client, { node: 'node1', namespace: NS, hostname: 'node1', backend: frr, statusIntervalMs: 100 });
  await mgr.start();
  agent.startPolling();
});

after(async () => {
  agent.stop();
  await mgr.stop();
  await api.stop();
});

test('an FRRConfiguration is rendered and applied; FRRNodeState says success with passwords retracted', async () => {
  await client.create(collectionPath('v1', 'secrets', NS), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw', namespace: NS }, type: 'kubernetes.io/basic-auth', data: { password: Buffer.from('s3cret').toString('base64') } });
  await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS), cfg('base', router(64500, { passwordSecret: { name: 'pw', namespace: NS } })));
  await eventually(() => frr.applies.some((c) => c.includes('neighbor 10.0.0.1 remote-as 64501')), 'config applied');
  assert.match(frr.applies.at(-1)!, /neighbor 10\.0\.0\.1 password s3cret/);
  await eventually(() => /password/.test(nodeState()?.status?.runningConfig ?? ''), 'FRRNodeState shows the applied config');
  const st = nodeState()!.status!;
  assert.equal(st.lastConversionResult, 'success');
  assert.match(st.runningConfig!, /password <retracted>/);
  assert.doesNotMatch(JSON.stringify(st), /s3cret/);
});

test('a node label change re-renders; a selector not matching the node removes its config', async () => {
  await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS), {
    ...cfg('rack2-only', { nodeSelector: { matchLabels: { rack: 'r2' } }, bgp: { routers: [{ asn: 64500, prefixes: ['10.99.0.0/24'] }] } }),
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.doesNotMatch(frr.applies.at(-1)!, /10\.99\.0\.0\/24/);
  const node = await client.get<KubeObject>(objectPath('v1', 'nodes', undefined, 'node1'));
  await client.replace(objectPath('v1', 'nodes', undefined, 'node1'), { ...node, metadata: { ...node.metadata, labels: { 'kubernetes.io/hostname': 'node1', rack: 'r2' } } });
  await eventually(() => /network 10\.99\.0\.0\/24/.test(frr.applies.at(-1)!), 'rack2 config applied after the label change');
});

test('a conversion error keeps the last good config and is reported', async () => {
  const before = frr.applies.length;
  await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS), cfg('conflict', router(64999)));
  await eventually(() => /^failed: different asns/.test(nodeState()?.status?.lastConversionResult ?? ''), 'conversion failure in FRRNodeState');
  assert.equal(frr.applies.length, before, 'nothing applied');
  const metrics = await mgr.registry.metrics();
  assert.match(metrics, /frrk8s_k8s_client_config_stale_bool 1/);
  await client.delete(objectPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS, 'conflict'));
  await eventually(async () => nodeState()?.status?.lastConversionResult === 'success' && /frrk8s_k8s_client_config_stale_bool 0/.test(await mgr.registry.metrics()), 'recovered');
});

test('a config FRR refuses is never applied: last good one stays, error in FRRNodeState and an event', async () => {
  const before = frr.applies.length;
  const good = frr.running;
  await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS), cfg('raw-bad', { raw: { rawConfig: 'this-is-not-frr' } }));
  await eventually(() => /Unknown command/.test(nodeState()?.status?.lastReloadResult ?? ''), 'reload error in FRRNodeState');
  assert.equal(frr.applies.length, before);
  assert.equal(frr.running, good);
  await eventually(() => api.list('v1', 'Event', 'default').some((e) => (e as { reason?: string }).reason === 'ConfigRejected'), 'ConfigRejected event');
  await client.delete(objectPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS, 'raw-bad'));
  await eventually(() => nodeState()?.status?.lastReloadResult === 'success', 'good again');
});

test('bursts coalesce: 15 quick changes give far fewer applies', async () => {
  const before = frr.applies.length;
  for (let i = 0; i < 15; i++)
    await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS), cfg(`burst-${i}`, { bgp: { routers: [{ asn: 64500, prefixes: [`10.50.${i}.0/24`] }] } }));
  await eventually(() => /10\.50\.14\.0\/24/.test(frr.applies.at(-1) ?? ''), 'last burst config applied');
  const n = frr.applies.length - before;
  assert.ok(n < 15, `${n} applies for 15 changes`);
});

test('an FRR restart (running config lost) triggers a re-apply', async () => {
  const before = frr.applies.length;
  frr.running = '! fresh FRR\n';
  await eventually(() => frr.applies.length > before && frr.running.includes('router bgp 64500'), 're-applied after restart');
});

test('BGPSessionState objects follow the sessions FRR reports; metrics come from FRR', async () => {
  frr.sessionList = [
    { vrf: 'default', peer: '10.0.0.1', bgpState: 'Established', bfdStatus: 'Up', sentPrefixes: 3, messageStats: { updatesSent: 4 } },
    { vrf: 'red', peer: 'fc00:f853:ccd:e793::4', bgpState: 'Active' },
  ];
  const states = () => api.list('frrk8s.metallb.io/v1beta1', 'BGPSessionState', NS) as { metadata: { name: string; labels: Record<string, string> }; status?: Record<string, string> }[];
  await eventually(() => states().length === 2 && states().every((s) => s.status?.bgpStatus), 'two session states');
  const v6 = states().find((s) => s.status?.vrf === 'red')!;
  assert.equal(v6.status!.peer, 'fc00-f853-0ccd-e793-0000-0000-0000-0004');
  assert.equal(v6.status!.bfdStatus, 'N/A');
  assert.equal(v6.metadata.labels['frrk8s.metallb.io/node'], 'node1');
  assert.ok(v6.metadata.name.startsWith('node1-'));
  const v4 = states().find((s) => s.status?.vrf === '')!;
  assert.equal(v4.status!.bgpStatus, 'Established');
  frr.sessionList = [{ ...frr.sessionList[0]!, bgpState: 'Idle' }];
  await eventually(() => states().length === 1 && states()[0]!.status?.bgpStatus === 'Idle', 'vanished peer deleted, state updated');
  const metrics = await mgr.registry.metrics();
  assert.match(metrics, /frrk8s_bgp_session_up\{peer="10.0.0.1",vrf="default"\} 0/);
  assert.match(metrics, /frrk8s_bgp_announced_prefixes_total\{peer="10.0.0.1",vrf="default"\} 3/);
  assert.match(metrics, /frrk8s_bgp_updates_total\{peer="10.0.0.1",vrf="default"\} 4/);
  assert.match(metrics, /frrk8s_bfd_control_packet_input\{peer="10.0.0.1",vrf="default"\} 7/);
});

test('planSessionStates removes duplicates; peer label values', () => {
  const mk = (name: string, peer: string) => ({ apiVersion: 'x', kind: 'BGPSessionState', metadata: { name, labels: { 'frrk8s.metallb.io/node': 'n', 'frrk8s.metallb.io/peer': peer, 'frrk8s.metallb.io/vrf': '' } }, status: {} });
  const plan = planSessionStates('n', [{ vrf: 'default', peer: '1.2.3.4', bgpState: 'Established' }], [mk('n-a', '1.2.3.4'), mk('n-b', '1.2.3.4'), mk('n-c', '5.6.7.8')]);
  assert.deepEqual(plan.delete.sort(), ['n-b', 'n-c']);
  assert.equal(plan.update.length, 1);
  assert.equal(peerLabelValue('eth0'), 'eth0');
  assert.equal(peerLabelValue('2001:db8::1'), '2001-0db8-0000-0000-0000-0000-0000-0001');
});
