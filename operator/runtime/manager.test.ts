import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Manager } from './manager.js';
import { FakeLeaseStoreBackend, FakeListWatchServer, clientFor, waitFor } from './testutil.js';
import type { KubeClient } from './client.js';
import { splitKey } from './informer.js';

const POOLS = { apiVersion: 'metallb.io/v1beta1', plural: 'ipaddresspools', kind: 'IPAddressPool' };
const PATH = '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools';
const pool = (name: string) => ({ metadata: { name, namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.0/24'] } });

let api: FakeListWatchServer;
let client: KubeClient;

before(async () => {
  api = new FakeListWatchServer();
  client = clientFor(await api.start());
  api.put(PATH, pool('a'));
  api.put(PATH, pool('b'));
});
after(() => api.stop());

// short periods so the real-clock tests stay quick, long enough that a loaded machine does not lose the
// lease by accident; the state machine itself is tested on a fake clock
const fastLease = { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 250 };

function makeManager(id: string, backend: FakeLeaseStoreBackend, seen: string[]): Manager {
  const m = new Manager({
    client,
    name: 'test-controller',
    healthPort: 0,
    healthHost: '127.0.0.1',
    shutdownTimeoutMs: 5000,
    leaderElection: { namespace: 'metallb-system', name: 'lease', identity: id, store: backend.view(id, 'metallb-system', 'lease'), ...fastLease },
  });
  const pools = m.informer(POOLS, { namespace: 'metallb-system' });
  m.controller({
    name: `pools-${id}`,
    reconcile: async (key) => {
      const { namespace, name } = splitKey(key);
      seen.push(`${key}:${pools.get(namespace, name) ? 'present' : 'gone'}`);
    },
  }).watch(pools);
  return m;
}

test('manager: caches, readiness, metrics, leader-only controllers, graceful stop with lease release', async () => {
  const backend = new FakeLeaseStoreBackend();
  const seenA: string[] = [];
  const seenB: string[] = [];
  const a = makeManager('a', backend, seenA);
  const b = makeManager('b', backend, seenB);
  assert.strictEqual(a.informer(POOLS, { namespace: 'metallb-system' }), a.informer(POOLS, { namespace: 'metallb-system' }), 'informers are shared');
  await a.start();
  await waitFor(() => a.elector!.isLeader(), 'a leads');
  await b.start();
  await waitFor(() => seenA.length === 2, 'leader reconciles existing objects');
  assert.deepEqual(seenA.sort(), ['metallb-system/a:present', 'metallb-system/b:present']);

  const base = `http://127.0.0.1:${a.port}`;
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /controller_runtime_reconcile_total\{controller="pools-a",result="success"\} 2/);
  assert.match(metrics, /leader_election_master_status\{name="lease"\} 1/);
  const metricsB = await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text();
  assert.match(metricsB, /leader_election_master_status\{name="lease"\} 0/);

  api.remove(PATH, 'b');
  await waitFor(() => seenA.includes('metallb-system/b:gone'), 'delete reaches the leader');
  assert.deepEqual(seenB, [], 'the follower reconciles nothing');

  // SIGTERM on the leader: controllers drained, lease released, the follower takes over quickly
  const running = a.run();
  process.emit('SIGTERM');
  await running;
  assert.equal(backend.lease!.spec.holderIdentity === 'a', false);
  await waitFor(() => b.elector!.isLeader(), 'b takes over after release');
  await waitFor(() => seenB.length === 1, 'b reconciles the existing object');
  assert.deepEqual(seenB, ['metallb-system/a:present']);
  await assert.rejects(fetch(`${base}/healthz`), 'a closed its server');
  await b.stop();
  assert.equal(backend.lease!.spec.holderIdentity, '');
  await waitFor(() => api.activeWatches() === 0, 'watches closed');
});

test('manager: losing the lease stops leader-only controllers; regaining it restarts them with a full resync', async () => {
  const backend = new FakeLeaseStoreBackend();
  const seen: string[] = [];
  const m = makeManager('x', backend, seen);
  await m.start();
  await waitFor(() => seen.length >= 1, 'reconciles while leading');
  backend.partition('x');
  await waitFor(() => !m.elector!.isLeader(), 'steps down');
  seen.length = 0;
  api.put(PATH, pool('c'));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(seen.length, 0, 'nothing reconciled without the lease');
  backend.partition('x', false);
  await waitFor(() => m.elector!.isLeader(), 'leads again');
  await waitFor(() => seen.includes('metallb-system/c:present') && seen.includes('metallb-system/a:present'), 'all keys reconciled after regaining the lease');
  await m.stop();
  await m.stop(); // idempotent
  api.remove(PATH, 'c');
});

test('manager without leader election runs controllers right after sync', async () => {
  const seen: string[] = [];
  const m = new Manager({ client, name: 'agent' });
  const pools = m.informer(POOLS, { namespace: 'metallb-system' });
  m.controller({ name: 'agent', reconcile: async (k) => void seen.push(k) }).watch(pools);
  const ac = new AbortController();
  const running = m.run(ac.signal);
  await waitFor(() => seen.length >= 1, 'reconciled');
  ac.abort();
  await running;
  assert.equal(m.port, undefined);
});
