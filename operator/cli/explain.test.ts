import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TestApiServer } from '../../e2e/apiserver/index.js';
import { projectPath } from '../util/paths.js';
import { KubeClient, objectPath } from '../runtime/client.js';
import { parseExplainArgs, withAssumedClusterIPs } from './explain.js';
import { UsageError } from './io.js';
import { main } from './main.js';

const NS = 'metallb-system';
let dir: string;
let api: TestApiServer;

const service = (name: string, ip?: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name } },
  ...(ip ? { status: { loadBalancer: { ingress: [{ ip }] } } } : {}),
});
const CONFIG = [
  { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'main', namespace: NS }, spec: { addresses: ['192.168.10.0/31'] } },
  { apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'all', namespace: NS }, spec: {} },
  { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'router', namespace: NS }, spec: { myASN: 64512, peerASN: 64513, peerAddress: '172.18.0.1' } },
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } } },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.0.1'], nodeName: 'n1', conditions: { ready: true } }],
  },
];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'explain-'));
  const docs = [...CONFIG, service('web', '192.168.10.0'), service('db', '192.168.10.1'), service('pending')];
  writeFileSync(join(dir, 'all.yaml'), docs.map((d) => JSON.stringify(d)).join('\n---\n'));
  api = new TestApiServer({ crds: projectPath('crds') });
  await api.start();
  for (const d of [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'frr-k8s-system' } }, ...CONFIG, service('web', '192.168.10.0'), service('db', '192.168.10.1'), service('pending')]) api.seed(d as never);
  api.seed({ apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'BGPSessionState', metadata: { name: 'n1-router', namespace: 'frr-k8s-system' }, status: { node: 'n1', peer: '172.18.0.1', vrf: '', bgpStatus: 'Active' } } as never);
  // seeding drops the status: write it through the status subresource
  const client = new KubeClient(api.kubeConfig());
  for (const s of [service('web', '192.168.10.0'), service('db', '192.168.10.1')]) {
    const cur = api.get('v1', 'Service', s.metadata.name, 'default')!;
    await client.replace(objectPath('v1', 'services', 'default', s.metadata.name, 'status'), { ...cur, status: s.status });
  }
  const st = api.get('frrk8s.metallb.io/v1beta1', 'BGPSessionState', 'n1-router', 'frr-k8s-system')!;
  await client.replace(objectPath('frrk8s.metallb.io/v1beta1', 'bgpsessionstates', 'frr-k8s-system', 'n1-router', 'status'), {
    ...st,
    status: { node: 'n1', peer: '172.18.0.1', vrf: '', bgpStatus: 'Active' },
  });
  api.writeKubeconfig(join(dir, 'kubeconfig'));
});

after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('explain args', () => {
  assert.deepEqual(parseExplainArgs({}, ['service', 'default/web', 'a.yaml']), { service: 'default/web', paths: ['a.yaml'], kubeconfig: undefined, namespace: NS, lbClass: '' });
  assert.equal(parseExplainArgs({ kubeconfig: '/k', 'node-lb-class': 'x' }, ['service', 'a/b']).lbClass, 'x');
  assert.throws(() => parseExplainArgs({}, ['pod', 'a/b', 'f']), UsageError);
  assert.throws(() => parseExplainArgs({}, ['service', 'web', 'f']), UsageError);
  assert.throws(() => parseExplainArgs({}, ['service', 'a/b']), UsageError);
});

test('files: all good -> exit 0, sentence then What to do then details', async () => {
  const c = capture();
  assert.equal(await main(['explain', 'service', 'default/web', dir], c.io), 0, c.err.join('\n'));
  assert.match(c.out[0]!, /default\/web has 192\.168\.10\.0 from pool main and is announced over BGP by n1 to router/);
  assert.match(c.out[1]!, /^What to do: /);
  assert.ok(c.out.slice(2).every((l) => l.startsWith('  ')));
});

test('files: exhausted pool -> exit 1 naming the pool', async () => {
  const c = capture();
  assert.equal(await main(['explain', 'service', 'default/pending', join(dir, 'all.yaml')], c.io), 1);
  assert.match(c.out[0]!, /pool main is exhausted/);
  assert.match(c.out[1]!, /^What to do: add addresses/);
});

test('exit 2: not found, unreadable input, usage', async () => {
  let c = capture();
  assert.equal(await main(['explain', 'service', 'default/nope', dir], c.io), 2);
  assert.match(c.out[0]!, /does not exist/);
  c = capture();
  assert.equal(await main(['explain', 'service', 'default/web', join(dir, 'missing.yaml')], c.io), 2);
  c = capture();
  assert.equal(await main(['explain'], c.io), 2);
  c = capture();
  assert.equal(await main(['explain', '--help'], c.io), 0);
  assert.match(c.out.join('\n'), /usage: metalfrr explain service/);
});

test('--kubeconfig: reads the cluster, the BGP session state included', async () => {
  let c = capture();
  assert.equal(await main(['explain', 'service', 'default/web', '--kubeconfig', join(dir, 'kubeconfig')], c.io), 1, c.err.join('\n'));
  assert.match(c.out[0]!, /no BGP session to its peers is Established \(n1 -> router 172\.18\.0\.1: Active\)/);
  c = capture();
  assert.equal(await main(['explain', 'service', 'default/pending', '--kubeconfig', join(dir, 'kubeconfig')], c.io), 1);
  assert.match(c.out[0]!, /pool main is exhausted/);
  c = capture();
  assert.equal(await main(['explain', 'service', 'default/web', '--kubeconfig', join(dir, 'nope')], c.io), 2);
});

test('offline, Services without ClusterIPs get placeholders of their families (manifest files have none)', async () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { type: 'LoadBalancer', ipFamilyPolicy: 'RequireDualStack' } };
  const got = withAssumedClusterIPs(svc) as unknown as { spec: { clusterIPs: string[]; ipFamilies: string[] } };
  assert.deepEqual(got.spec.ipFamilies, ['IPv4', 'IPv6']);
  assert.equal(got.spec.clusterIPs.length, 2);
  const lines: string[] = [];
  const code = await main(['explain', 'service', 'default/nginx-bgp', projectPath('examples')], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  assert.equal(code, 1);
  assert.match(lines.join('\n'), /pool bgp-pool has 10\.0\.100\.0 free for it/);
});
