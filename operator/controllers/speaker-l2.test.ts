// The L2 path of the speaker: three speakers (node-a/b/c) in one process against the test API server, each
// with a fake L2Responder recording when it holds which IP.
import { after, before, test } from 'node:test';
import { createMetalLBObject, lbService, readyEndpointOn } from './speaker-fixtures.js';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import type { L2Announcement, L2Responder } from '../l2/types.js';
import { TestApiServer } from '../../e2e/apiserver/index.js';
import { KubeClient, Manager, collectionPath, objectPath } from '../runtime/index.js';
import { silentLogger } from '../util/log.js';
import { projectPath } from '../util/paths.js';
import { Registry } from 'prom-client';
import { l2CountersFor, Speaker } from './speaker.js';
import { speakerLeaseName } from './speaker-membership.js';

const NS = 'metallb-system';
const NODES = ['node-a', 'node-b', 'node-c'] as const;
type NodeName = (typeof NODES)[number];

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

interface Interval {
  node: string;
  ip: string;
  start: number;
  end?: number;
}

/** Records, per IP, the intervals during which it held the IP (set() with it … set() without it or close()). */
class FakeResponder implements L2Responder {
  readonly intervals: Interval[] = [];
  readonly calls: { t: number; set: L2Announcement[] }[] = [];
  private open = new Map<string, Interval>();
  private interfaces = new Map<string, string[]>();
  closed = false;
  constructor(readonly node: string) {}
  set(anns: L2Announcement[]): void {
    assert.ok(!this.closed, `set() after close() on ${this.node}`);
    const t = nowMs();
    this.calls.push({ t, set: anns.map((a) => ({ ip: a.ip, interfaces: [...a.interfaces] })) });
    const want = new Set(anns.map((a) => a.ip));
    for (const [ip, iv] of this.open)
      if (!want.has(ip)) {
        iv.end = t;
        this.open.delete(ip);
        this.interfaces.delete(ip);
      }
    for (const a of anns) {
      this.interfaces.set(a.ip, [...a.interfaces]);
      if (this.open.has(a.ip)) continue;
      const iv: Interval = { node: this.node, ip: a.ip, start: t };
      this.open.set(a.ip, iv);
      this.intervals.push(iv);
    }
  }
  async close(): Promise<void> {
    const t = nowMs();
    for (const iv of this.open.values()) iv.end = t;
    this.open.clear();
    this.interfaces.clear();
    this.closed = true;
  }
  holds(ip: string): boolean {
    return this.open.has(ip);
  }
  interfacesOf(ip: string): string[] | undefined {
    return this.interfaces.get(ip);
  }
}

interface Running {
  mgr: Manager;
  speaker: Speaker;
  responder: FakeResponder;
}

let api: TestApiServer;
let client: KubeClient;
const running = new Map<NodeName, Running>();
/** every responder ever used (crashed and restarted speakers included), for the overlap check */
const allResponders: FakeResponder[] = [];

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startSpeaker(node: NodeName): Promise<Running> {
  const c = new KubeClient(api.kubeConfig());
  const mgr = new Manager({ client: c, name: 'metallb-speaker', logger: silentLogger });
  const responder = new FakeResponder(node);
  allResponders.push(responder);
  const speaker = new Speaker(mgr, c, { node, namespace: NS, l2Responder: responder });
  await mgr.start();
  const r = { mgr, speaker, responder };
  running.set(node, r);
  return r;
}

const holders = (ip: string): string[] => [...running.values()].filter((r) => r.responder.holds(ip)).map((r) => r.responder.node);
type L2StatusObj = { metadata: { name: string; labels: Record<string, string>; ownerReferences?: unknown[] }; status?: { node?: string; serviceName?: string; serviceNamespace?: string; interfaces?: { name: string }[] } };
const l2Statuses = (service: string) => (api.list('metallb.io/v1beta1', 'ServiceL2Status', NS) as unknown as L2StatusObj[]).filter((s) => s.metadata.labels['metallb.io/service-name'] === service);

/** Exactly `node` holds the IP, and its ServiceL2Status is the only one for the service. */
const ownedBy = (ip: string, service: string, node: string): boolean => {
  const h = holders(ip);
  const st = l2Statuses(service);
  return h.length === 1 && h[0] === node && st.length === 1 && st[0]!.status?.node === node;
};

/** No two responders ever held the same IP at the same instant. */
function assertNoOverlap(): void {
  const byIP = new Map<string, Interval[]>();
  for (const r of allResponders) for (const iv of r.intervals) byIP.set(iv.ip, [...(byIP.get(iv.ip) ?? []), iv]);
  for (const [ip, ivs] of byIP)
    for (let i = 0; i < ivs.length; i++)
      for (let j = i + 1; j < ivs.length; j++) {
        const a = ivs[i]!;
        const b = ivs[j]!;
        const overlap = a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity);
        assert.ok(!overlap, `${ip} held by ${a.node} [${a.start.toFixed(1)}, ${a.end?.toFixed(1)}] and ${b.node} [${b.start.toFixed(1)}, ${b.end?.toFixed(1)}] at once`);
      }
}

/** Asserts ownership stays put (and single) for a while. */
async function stays(ip: string, service: string, node: string, ms = 600): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.deepEqual(holders(ip), [node], `${ip} holders`);
    await sleep(25);
  }
  assert.ok(ownedBy(ip, service, node));
}

const mlb = (kind: string, plural: string, name: string, spec: Record<string, unknown>, version = 'v1beta1') => createMetalLBObject(client, NS, kind, plural, name, spec, version);

const service = (name: string, ip: string, policy: 'Cluster' | 'Local'): Promise<void> => lbService(client, name, ip, policy);
const endpoints = (svc: string, nodeName: string): Promise<void> => readyEndpointOn(client, svc, nodeName);

before(async () => {
  api = new TestApiServer({ crds: projectPath('crds') });
  await api.start();
  client = new KubeClient(api.kubeConfig());
  await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (const n of NODES)
    await client.create(collectionPath('v1', 'nodes'), {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n, labels: { 'kubernetes.io/hostname': n, ...(n === 'node-c' ? { edge: 'yes' } : {}) } },
    });
  await mlb('IPAddressPool', 'ipaddresspools', 'pool1', { addresses: ['10.0.0.0/24'] });
  await mlb('IPAddressPool', 'ipaddresspools', 'edge', { addresses: ['10.0.1.0/24'] });
  await mlb('L2Advertisement', 'l2advertisements', 'l2-all', { ipAddressPools: ['pool1'] });
  await mlb('L2Advertisement', 'l2advertisements', 'l2-edge', { ipAddressPools: ['edge'], nodeSelectors: [{ matchLabels: { edge: 'yes' } }], interfaces: ['eth1', 'eth0'] });
  for (const n of NODES) await startSpeaker(n);
});

after(async () => {
  for (const r of running.values()) await r.mgr.stop();
  await api.stop();
});

test('exactly the hash winner (node-b for 10.0.0.1) announces, with one ServiceL2Status, metric and event', async () => {
  await service('web', '10.0.0.1', 'Cluster');
  await endpoints('web', 'node-c');
  await eventually(() => ownedBy('10.0.0.1', 'web', 'node-b'), 'node-b owns 10.0.0.1');
  await stays('10.0.0.1', 'web', 'node-b');
  const st = l2Statuses('web')[0]!;
  assert.ok(st.metadata.name.startsWith('l2-'));
  assert.deepEqual(st.metadata.labels, { 'metallb.io/node': 'node-b', 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' });
  assert.deepEqual(st.status, { node: 'node-b', serviceName: 'web', serviceNamespace: 'default' });
  const b = running.get('node-b')!;
  assert.deepEqual(b.speaker.l2Announced(), [{ ip: '10.0.0.1', interfaces: [] }]);
  assert.deepEqual(running.get('node-a')!.speaker.l2Announced(), []);
  const a = running.get('node-a')!.speaker.l2Decisions.find((d) => d.service === 'default/web')!;
  assert.equal(a.reason, 'notOwner');
  assert.deepEqual(a.candidates, ['node-b', 'node-a', 'node-c']);
  assert.deepEqual(b.speaker.liveNodes, ['node-a', 'node-b', 'node-c']);
  await eventually(
    async () => /metallb_speaker_announced\{service="default\/web",protocol="layer2",node="node-b",ip="10.0.0.1"\} 1/.test(await b.mgr.registry.metrics()),
    'metallb_speaker_announced layer2',
  );
  assert.ok(!/protocol="layer2"/.test(await running.get('node-a')!.mgr.registry.metrics()));
  await eventually(
    () => api.list('v1', 'Event', 'default').some((e) => (e as { reason?: string; message?: string }).reason === 'nodeAssigned' && (e as { message?: string }).message === 'announcing from node "node-b" with protocol "layer2"'),
    'nodeAssigned event',
  );
  // the membership Leases
  const lease = api.get('coordination.k8s.io/v1', 'Lease', speakerLeaseName('node-a'), NS) as { spec?: { leaseDurationSeconds?: number; holderIdentity?: string } } | undefined;
  assert.equal(lease?.spec?.leaseDurationSeconds, 1);
  assert.equal(lease?.spec?.holderIdentity, 'node-a');
  assertNoOverlap();
});

test('Local policy: ownership follows the endpoint node, without overlap', async () => {
  // hash order for 10.0.0.2 is node-b, node-c, node-a: the endpoint decides instead
  await service('local', '10.0.0.2', 'Local');
  await endpoints('local', 'node-a');
  await eventually(() => ownedBy('10.0.0.2', 'local', 'node-a'), 'node-a owns 10.0.0.2');
  await endpoints('local', 'node-c');
  await eventually(() => ownedBy('10.0.0.2', 'local', 'node-c'), 'node-c owns 10.0.0.2');
  await stays('10.0.0.2', 'local', 'node-c', 300);
  assertNoOverlap();
});

test('nodeSelectors and interfaces: only the selected node announces, on the listed interfaces', async () => {
  await service('edge', '10.0.1.1', 'Cluster');
  await endpoints('edge', 'node-a');
  await eventually(() => ownedBy('10.0.1.1', 'edge', 'node-c'), 'node-c owns 10.0.1.1');
  const c = running.get('node-c')!;
  assert.deepEqual(c.responder.interfacesOf('10.0.1.1'), ['eth0', 'eth1']);
  assert.deepEqual(l2Statuses('edge')[0]!.status?.interfaces, [{ name: 'eth0' }, { name: 'eth1' }]);
  for (const n of ['node-a', 'node-b'] as const)
    assert.equal(running.get(n)!.speaker.l2Decisions.find((d) => d.service === 'default/edge')?.reason, 'noMatchingAdvertisement');
  await stays('10.0.1.1', 'edge', 'node-c', 300);
});

let crashTakeoverMs = 0;
test('a killed winner: the next candidate takes over within the lease duration; the dead status is removed', async () => {
  assert.ok(ownedBy('10.0.0.1', 'web', 'node-b'));
  const b = running.get('node-b')!;
  const t0 = nowMs();
  await b.speaker.crash();
  running.delete('node-b');
  await eventually(() => ownedBy('10.0.0.1', 'web', 'node-a'), 'node-a takes 10.0.0.1 over', 5_000);
  crashTakeoverMs = nowMs() - t0;
  // lease duration 1 s, renewed every 300 ms: expiry at most 1 s after the crash, plus the re-election
  // (measured 0.73–0.96 s; the bound leaves room for a loaded machine)
  assert.ok(crashTakeoverMs < 2_000, `takeover took ${crashTakeoverMs.toFixed(0)} ms`);
  assert.ok(crashTakeoverMs > 300, `takeover after ${crashTakeoverMs.toFixed(0)} ms: before the lease could expire?`);
  // the crashed speaker left its Lease behind (not released)
  assert.ok(api.get('coordination.k8s.io/v1', 'Lease', speakerLeaseName('node-b'), NS));
  assert.deepEqual(running.get('node-a')!.speaker.liveNodes, ['node-a', 'node-c']);
  console.log(`# crash takeover: ${crashTakeoverMs.toFixed(0)} ms`);
  assertNoOverlap();
});

test('the restarted winner gets ownership back with no instant where two responders hold the IP', async () => {
  // the current owner's reconciles are held back (its Lease is still renewed): the winner must wait for it
  const a0 = running.get('node-a')!;
  assert.ok(await a0.speaker.controller.stop(5_000));
  await startSpeaker('node-b');
  const b0 = running.get('node-b')!;
  await eventually(() => b0.speaker.l2Decisions.find((d) => d.service === 'default/web')?.reason === '', 'node-b elected for web');
  await sleep(500);
  assert.deepEqual(holders('10.0.0.1'), ['node-a'], 'the restarted winner waits while node-a still holds its status');
  assert.deepEqual(b0.speaker.l2Announced(), []);
  assert.deepEqual(l2Statuses('web').map((s) => s.status?.node), ['node-a']);
  const t0 = nowMs();
  a0.speaker.controller.start();
  await eventually(() => ownedBy('10.0.0.1', 'web', 'node-b'), 'node-b owns 10.0.0.1 again');
  console.log(`# hand-back once the owner reconciles: ${(nowMs() - t0).toFixed(0)} ms`);
  await stays('10.0.0.1', 'web', 'node-b');
  // node-a held it and let go: there was a handoff, and it did not overlap
  const a = running.get('node-a')!.responder;
  const aIv = a.intervals.filter((iv) => iv.ip === '10.0.0.1');
  assert.equal(aIv.length, 1);
  assert.ok(aIv[0]!.end !== undefined);
  const bIv = running.get('node-b')!.responder.intervals.find((iv) => iv.ip === '10.0.0.1')!;
  assert.ok(bIv.start > aIv[0]!.end!, 'node-b starts after node-a stopped');
  assertNoOverlap();
  // Local and edge services were not disturbed
  assert.ok(ownedBy('10.0.0.2', 'local', 'node-c'));
  assert.ok(ownedBy('10.0.1.1', 'edge', 'node-c'));
});

test('a graceful stop releases at once: Lease and status deleted, the next candidate takes over', async () => {
  const b = running.get('node-b')!;
  const t0 = nowMs();
  await b.mgr.stop();
  running.delete('node-b');
  assert.equal(b.responder.holds('10.0.0.1'), false);
  assert.equal(api.get('coordination.k8s.io/v1', 'Lease', speakerLeaseName('node-b'), NS), undefined);
  await eventually(() => ownedBy('10.0.0.1', 'web', 'node-a'), 'node-a owns 10.0.0.1', 5_000);
  const ms = nowMs() - t0;
  console.log(`# graceful stop takeover: ${ms.toFixed(0)} ms`);
  assert.ok(ms < 500, `graceful takeover took ${ms.toFixed(0)} ms`);
  assertNoOverlap();
});

test('deleting the service withdraws it and removes its ServiceL2Status', async () => {
  await client.delete(objectPath('v1', 'services', 'default', 'web'));
  await eventually(() => holders('10.0.0.1').length === 0 && l2Statuses('web').length === 0, 'web withdrawn');
  assert.ok(!/service="default\/web"/.test(await running.get('node-a')!.mgr.registry.metrics()));
  assertNoOverlap();
});

test('l2CountersFor feeds metallb_layer2_* (label ip) and is idempotent per registry', async () => {
  const reg = new Registry();
  const c1 = l2CountersFor(reg);
  const c2 = l2CountersFor(reg);
  c1.request('10.0.0.1');
  c2.request('10.0.0.1');
  c1.response('10.0.0.1');
  c2.gratuitous('fd00::1');
  const text = await reg.metrics();
  assert.match(text, /metallb_layer2_requests_received\{ip="10\.0\.0\.1"\} 2/);
  assert.match(text, /metallb_layer2_responses_sent\{ip="10\.0\.0\.1"\} 1/);
  assert.match(text, /metallb_layer2_gratuitous_sent\{ip="fd00::1"\} 1/);
  // the speaker exposes counters in its own registry
  const a = running.get('node-a')!;
  a.speaker.l2Counters.gratuitous('10.0.0.2');
  assert.match(await a.mgr.registry.metrics(), /metallb_layer2_gratuitous_sent\{ip="10\.0\.0\.2"\} 1/);
});
