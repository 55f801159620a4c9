// The controller role against the test API server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import { TestApiServer } from '../../e2e/apiserver/index.js';
import { KubeClient, Manager, collectionPath, objectPath } from '../runtime/index.js';
import { silentLogger } from '../util/log.js';
import { projectPath } from '../util/paths.js';
import { ServiceIPAM } from './service-ipam.js';

const NS = 'metallb-system';
let api: TestApiServer;
let client: KubeClient;
let mgr: Manager;
let ipam: ServiceIPAM;

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Svc = KubeObject & { status?: { loadBalancer?: { ingress?: { ip: string }[] } } };
const svc = (name: string) => api.get('v1', 'Service', name, 'default') as Svc | undefined;
const ingress = (name: string) => (svc(name)?.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
const poolOf = (name: string) => svc(name)?.metadata.annotations?.['metallb.io/ip-allocated-from-pool'];
const events = (name: string) =>
  api
    .list('v1', 'Event', 'default')
    .map((e) => e as KubeObject & { involvedObject: { name: string }; reason: string; message: string; type: string })
    .filter((e) => e.involvedObject.name === name);

async function createPool(name: string, spec: Record<string, unknown>) {
  await client.create(collectionPath('metallb.io/v1beta1', 'ipaddresspools', NS), { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec });
}
async function createService(name: string, o: { annotations?: Record<string, string>; clusterIP?: string; ports?: number[]; cls?: string } = {}) {
  const ip = o.clusterIP ?? `10.96.0.${Math.floor(Math.random() * 200) + 10}`;
  await client.create(collectionPath('v1', 'services', 'default'), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', annotations: o.annotations ?? {} },
    spec: { type: 'LoadBalancer', clusterIP: ip, clusterIPs: [ip], ports: (o.ports ?? [80]).map((port) => ({ port })), ...(o.cls ? { loadBalancerClass: o.cls } : {}) },
  });
}

function startController(): { mgr: Manager; ipam: ServiceIPAM } {
  const m = new Manager({ client, name: 'metallb-controller', logger: silentLogger });
  return { mgr: m, ipam: new ServiceIPAM(m, client, { namespace: NS }) };
}

before(async () => {
  api = new TestApiServer({ crds: projectPath('crds') });
  await api.start();
  client = new KubeClient(api.kubeConfig());
  for (const n of [NS]) await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  await createPool('main', { addresses: ['192.168.10.0/30'] });
  await createPool('manual', { addresses: ['192.168.20.0/31'], autoAssign: false });
  ({ mgr, ipam } = startController());
  await mgr.start();
});

after(async () => {
  await mgr.stop();
  await api.stop();
});

test('a LoadBalancer service gets the first IP of the pool, annotation, event, pool status and metrics', async () => {
  await createService('web');
  await eventually(() => ingress('web').length === 1, 'web gets an IP');
  assert.deepEqual(ingress('web'), ['192.168.10.0']);
  await eventually(() => poolOf('web') === 'main', 'pool annotation');
  await eventually(() => events('web').some((e) => e.reason === 'IPAllocated'), 'IPAllocated event');
  assert.equal(events('web').find((e) => e.reason === 'IPAllocated')!.message, 'Assigned IP ["192.168.10.0"]');
  await eventually(() => (api.get('metallb.io/v1beta1', 'IPAddressPool', 'main', NS)?.status as { assignedIPv4?: number } | undefined)?.assignedIPv4 === 1, 'pool status');
  assert.deepEqual(api.get('metallb.io/v1beta1', 'IPAddressPool', 'main', NS)!.status, { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 3, availableIPv6: 0 });
  const metrics = await mgr.registry.metrics();
  assert.match(metrics, /metallb_allocator_addresses_in_use_total\{pool="main"\} 1/);
  assert.match(metrics, /metallb_allocator_addresses_total\{pool="main"\} 4/);
  assert.match(metrics, /metallb_k8s_client_config_loaded_bool 1/);
  assert.match(metrics, /metallb_k8s_client_config_stale_bool 0/);
});

test('annotations: requested IP, requested pool, sharing; other lb class ignored', async () => {
  await createService('fixed', { annotations: { 'metallb.io/loadBalancerIPs': '192.168.10.3' } });
  await createService('manual', { annotations: { 'metallb.io/address-pool': 'manual' } });
  await createService('dns-tcp', { annotations: { 'metallb.io/allow-shared-ip': 'dns', 'metallb.io/loadBalancerIPs': '192.168.20.1' }, ports: [53] });
  await client.create(collectionPath('v1', 'services', 'default'), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'dns-udp', namespace: 'default', annotations: { 'metallb.io/allow-shared-ip': 'dns', 'metallb.io/loadBalancerIPs': '192.168.20.1' } },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.1.1', clusterIPs: ['10.96.1.1'], ports: [{ port: 53, protocol: 'UDP' }] },
  });
  await createService('other-class', { cls: 'example.com/other' });
  await eventually(() => ingress('fixed').length === 1 && ingress('manual').length === 1 && ingress('dns-tcp').length === 1 && ingress('dns-udp').length === 1, 'all assigned');
  assert.deepEqual(ingress('fixed'), ['192.168.10.3']);
  assert.deepEqual(ingress('manual'), ['192.168.20.0']);
  assert.deepEqual([ingress('dns-tcp'), ingress('dns-udp')], [['192.168.20.1'], ['192.168.20.1']]);
  assert.deepEqual(ingress('other-class'), []);
  assert.equal(events('other-class').length, 0);
});

test('exhaustion -> AllocationFailed; deleting a service lets the pending one in', async () => {
  await createService('second');
  await eventually(() => ingress('second').length === 1, 'second gets an IP');
  await createService('third');
  await eventually(() => ingress('third').length === 1, 'third gets an IP');
  await createService('pending');
  await eventually(() => events('pending').some((e) => e.reason === 'AllocationFailed'), 'AllocationFailed');
  const ev = events('pending').find((e) => e.reason === 'AllocationFailed')!;
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, 'Failed to allocate IP for "default/pending": no available IPs');
  assert.deepEqual(ingress('pending'), []);
  const freed = ingress('second')[0];
  await client.delete(objectPath('v1', 'services', 'default', 'second'));
  await eventually(() => ingress('pending').length === 1, 'pending gets the freed IP');
  assert.deepEqual(ingress('pending'), [freed]);
});

test('a controller restart keeps every address', async () => {
  const names = ['web', 'fixed', 'manual', 'dns-tcp', 'dns-udp', 'third', 'pending'];
  const before = Object.fromEntries(names.map((n) => [n, ingress(n)]));
  await mgr.stop();
  // a new service is created while no controller runs
  await createService('late');
  ({ mgr, ipam } = startController());
  await mgr.start();
  await eventually(() => events('late').some((e) => e.reason === 'AllocationFailed'), 'late processed');
  assert.deepEqual(Object.fromEntries(names.map((n) => [n, ingress(n)])), before);
  assert.equal(ipam.allocator.services().length, names.length);
  // the controller stopped and started again (leadership lost and regained): state rebuilt, nothing moves
  const first = ipam.allocator;
  await ipam.controller.stop();
  ipam.controller.start();
  await eventually(() => ipam.allocator !== first && ipam.allocator.services().length === names.length, 'state rebuilt');
  assert.deepEqual(Object.fromEntries(names.map((n) => [n, ingress(n)])), before);
});

test('an invalid pool set keeps the last good pools (stale metric)', async () => {
  const before = ingress('web');
  await createPool('overlap', { addresses: ['192.168.10.2/31'] });
  await eventually(async () => /metallb_k8s_client_config_stale_bool 1/.test(await mgr.registry.metrics()), 'stale');
  assert.deepEqual(ingress('web'), before);
  const state = () => api.get('metallb.io/v1beta1', 'ConfigurationState', 'controller', NS)?.status as { result?: string; errorSummary?: string } | undefined;
  await eventually(() => state()?.result === 'Invalid', 'ConfigurationState Invalid');
  assert.match(state()!.errorSummary!, /^configuration error: .*overlap/);
  await client.delete(objectPath('metallb.io/v1beta1', 'ipaddresspools', NS, 'overlap'));
  await eventually(async () => /metallb_k8s_client_config_stale_bool 0/.test(await mgr.registry.metrics()), 'not stale');
  await eventually(() => state()?.result === 'Valid', 'ConfigurationState Valid');
});

test('a sharing key change on a shared IP: the changed service loses it, gets it back when the keys match again', async () => {
  await client.mergePatch(objectPath('v1', 'services', 'default', 'dns-tcp'), { metadata: { annotations: { 'metallb.io/allow-shared-ip': 'other' } } });
  await eventually(() => ingress('dns-tcp').length === 0, 'dns-tcp loses the shared IP');
  const want = `current IP for "default/dns-tcp" not allowed by config, will attempt for new IP assignment: can't change sharing key for "default/dns-tcp", address also in use by default/dns-udp`;
  await eventually(() => events('dns-tcp').some((e) => e.reason === 'ClearAssignment' && e.message === want), 'ClearAssignment event');
  assert.deepEqual(ingress('dns-udp'), ['192.168.20.1']);
  await client.mergePatch(objectPath('v1', 'services', 'default', 'dns-tcp'), { metadata: { annotations: { 'metallb.io/allow-shared-ip': 'dns' } } });
  await eventually(() => ingress('dns-tcp').length === 1, 'dns-tcp shares again');
});

test('pool deletion reassigns services from the remaining pools; removing all pools clears them', async () => {
  await createPool('spare', { addresses: ['192.168.30.0/29'] });
  await eventually(() => ingress('late').length === 1, 'late gets an IP from the new pool');
  assert.deepEqual(ingress('late'), ['192.168.30.0']);
  await createService('old', { annotations: { 'metallb.universe.tf/address-pool': 'spare' } });
  await eventually(() => ingress('old').length === 1 && events('old').some((e) => e.reason === 'deprecatedAnnotation'), 'old assigned with a deprecation warning');
  assert.equal(events('old').find((e) => e.reason === 'deprecatedAnnotation')!.message, 'Service uses deprecated annotation metallb.universe.tf/address-pool');
  await client.delete(objectPath('metallb.io/v1beta1', 'ipaddresspools', NS, 'main'));
  await eventually(() => ['web', 'fixed', 'third', 'pending'].every((n) => ingress(n)[0]?.startsWith('192.168.30.') || (n === 'fixed' && ingress(n).length === 0)), 'services moved');
  assert.deepEqual(ingress('fixed'), []); // its requested IP is in no pool any more
  await eventually(() => events('web').some((e) => e.reason === 'ClearAssignment'), 'ClearAssignment on web');
  await eventually(() => poolOf('web') === 'spare', 'web annotated with the new pool');
  for (const p of ['manual', 'spare']) await client.delete(objectPath('metallb.io/v1beta1', 'ipaddresspools', NS, p));
  await eventually(() => ['web', 'late', 'manual', 'dns-tcp'].every((n) => ingress(n).length === 0), 'all cleared');
  await eventually(() => poolOf('web') === undefined, 'pool annotation removed');
});
