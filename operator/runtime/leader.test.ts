import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FakeClock } from './clock.js';
import { KubeLeaseStore, LeaderElector } from './leader.js';
import { FakeLeaseStoreBackend, RecordingServer, clientFor, waitFor } from './testutil.js';

const LEASE = 15_000;
const RENEW = 10_000;
const RETRY = 2_000;

/** A deterministic pseudo-random sequence (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function candidate(
  backend: FakeLeaseStoreBackend,
  clock: FakeClock,
  id: string,
  extra: { registry?: Registry; seed?: number; log?: string[]; leading?: Set<string> } = {},
): LeaderElector {
  return new LeaderElector({
    store: backend.view(id),
    identity: id,
    clock,
    random: rng(extra.seed ?? id.length),
    registry: extra.registry,
    onStartedLeading: () => {
      extra.log?.push(`${id} start@${clock.now()}`);
      if (extra.leading) {
        assert.deepEqual([...extra.leading], [], `${id} starts leading at ${clock.now()} while others lead`);
        extra.leading.add(id);
      }
    },
    onStoppedLeading: () => {
      extra.log?.push(`${id} stop@${clock.now()}`);
      extra.leading?.delete(id);
    },
  });
}

test('a lone candidate creates the Lease with client-go fields and renews it', async () => {
  const clock = new FakeClock();
  const backend = new FakeLeaseStoreBackend();
  const registry = new Registry();
  const a = candidate(backend, clock, 'a', { registry });
  assert.match(await registry.metrics(), /leader_election_master_status\{name="lease"\} 0/);
  a.start();
  await clock.advance(0);
  assert.ok(a.isLeader());
  const l = backend.lease!;
  assert.equal(l.apiVersion, 'coordination.k8s.io/v1');
  assert.equal(l.kind, 'Lease');
  assert.deepEqual(l.metadata.name, 'lease');
  assert.equal(l.spec.holderIdentity, 'a');
  assert.equal(l.spec.leaseDurationSeconds, 15);
  assert.equal(l.spec.leaseTransitions, 0);
  assert.match(l.spec.acquireTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'MicroTime');
  assert.equal(l.spec.renewTime, l.spec.acquireTime);
  assert.match(await registry.metrics(), /leader_election_master_status\{name="lease"\} 1/);
  const acquired = l.spec.acquireTime;
  await clock.advance(RETRY);
  assert.notEqual(backend.lease!.spec.renewTime, acquired, 'renewed every retry period');
  assert.equal(backend.lease!.spec.acquireTime, acquired, 'acquireTime kept while holding');
  await a.stop();
  assert.equal(backend.lease!.spec.holderIdentity, '', 'released on stop');
  assert.equal(backend.lease!.spec.leaseDurationSeconds, 1);
  assert.match(await registry.metrics(), /leader_election_master_status\{name="lease"\} 0/);
  assert.equal(clock.pending(), 0, 'no timers left');
});

test('two candidates never both lead over many periods, with partitions and restarts', async () => {
  const clock = new FakeClock();
  const backend = new FakeLeaseStoreBackend();
  const log: string[] = [];
  const leading = new Set<string>(); // maintained by the callbacks, which assert exclusivity themselves
  const ids = ['a', 'b'];
  const els = new Map(ids.map((id, i) => [id, candidate(backend, clock, id, { seed: 7 + i, log, leading })]));
  for (const e of els.values()) e.start();
  const chaos = rng(42);
  let leaderSteps = 0;
  let changes = 0;
  let prev = '';
  const step = 250;
  for (let t = 0; t < 60 * 60_000; t += step) {
    await clock.advance(step);
    const leaders = [...els.values()].filter((e) => e.isLeader());
    assert.ok(leaders.length <= 1, `two leaders at ${t} ms: ${log.slice(-6).join(', ')}`);
    if (leaders.length === 1) leaderSteps++;
    const cur = leaders[0]?.identity ?? '';
    if (cur && cur !== prev) {
      changes++;
      prev = cur;
    }
    // every ~20 s of fake time, partition or heal someone, or restart a candidate without releasing
    if (t % 20_000 === 0) {
      const id = ids[Math.floor(chaos() * 2)]!;
      const r = chaos();
      if (r < 0.4) backend.partition(id, true);
      else if (r < 0.8) backend.partition(id, false);
      else {
        const e = els.get(id)!;
        await e.stop({ release: chaos() < 0.5 });
        const n = candidate(backend, clock, id, { seed: Math.floor(chaos() * 1000), log, leading });
        els.set(id, n);
        n.start();
      }
    }
  }
  assert.ok(changes >= 3, `leadership moved ${changes} times`);
  assert.ok(log.length >= 6, 'callbacks ran');
  assert.ok(leaderSteps > (60 * 60_000 / step) * 0.4, 'someone led most of the time');
  for (const e of els.values()) await e.stop();
});

test('a killed leader is replaced within leaseDuration + retryPeriod of its last renewal', async () => {
  const clock = new FakeClock();
  const backend = new FakeLeaseStoreBackend();
  const log: string[] = [];
  const a = candidate(backend, clock, 'a', { log });
  a.start();
  await clock.advance(0);
  const b = candidate(backend, clock, 'b', { log });
  b.start();
  await clock.advance(7 * RETRY + 500);
  assert.ok(a.isLeader() && !b.isLeader());
  // kill a: it stops renewing and does not release
  const lastRenew = Date.parse(backend.lease!.spec.renewTime!);
  await a.stop({ release: false });
  assert.equal(backend.lease!.spec.holderIdentity, 'a');
  const took = await clock.advanceUntil(() => b.isLeader(), 50, 60_000);
  const at = clock.now();
  assert.ok(at - lastRenew <= LEASE + RETRY, `took over ${at - lastRenew} ms after the last renewal`);
  assert.ok(at - lastRenew >= LEASE, `not before the lease expired (${at - lastRenew} ms)`);
  assert.ok(took > 0);
  assert.equal(backend.lease!.spec.holderIdentity, 'b');
  assert.equal(backend.lease!.spec.leaseTransitions, 1);
  await b.stop();
});

test('a partitioned leader steps down within the renew deadline, before the other takes over', async () => {
  const clock = new FakeClock();
  const backend = new FakeLeaseStoreBackend();
  const log: string[] = [];
  const a = candidate(backend, clock, 'a', { log });
  a.start();
  await clock.advance(0);
  const b = candidate(backend, clock, 'b', { log });
  b.start();
  await clock.advance(5 * RETRY);
  const lastRenew = Date.parse(backend.lease!.spec.renewTime!);
  backend.partition('a');
  await clock.advanceUntil(() => !a.isLeader(), 50, 60_000);
  const down = clock.now();
  assert.ok(down - lastRenew <= RENEW, `stepped down ${down - lastRenew} ms after the last renewal`);
  assert.ok(!b.isLeader(), 'b must wait for the lease to expire');
  await clock.advanceUntil(() => b.isLeader(), 50, 60_000);
  assert.ok(clock.now() - lastRenew >= LEASE);
  backend.partition('a', false);
  await clock.advance(10 * RETRY);
  assert.ok(!a.isLeader() && b.isLeader(), 'the healed candidate does not grab a held lease');
  assert.equal(a.leader(), 'b');
  assert.deepEqual(
    log.map((x) => x.split('@')[0]),
    ['a start', 'a stop', 'b start'],
  );
  await a.stop();
  await b.stop();
});

test('a cut-off candidate keeps retrying at the retry period, not in a tight loop', async () => {
  const clock = new FakeClock();
  const backend = new FakeLeaseStoreBackend();
  const a = candidate(backend, clock, 'a');
  const b = candidate(backend, clock, 'b');
  a.start();
  await clock.advance(0);
  b.start();
  await clock.advance(RETRY);
  await a.stop({ release: false });
  backend.partition('b'); // b's view: a holds the lease, which then expires while b cannot reach the API
  const before = backend.calls.get('b')!;
  await clock.advance(120_000);
  const calls = backend.calls.get('b')! - before;
  assert.ok(calls >= 120_000 / RETRY && calls <= 120_000 / (0.75 * RETRY) + 2, `${calls} attempts in 120 s`);
  backend.partition('b', false);
  // b may see a's last renewal only now: it must then wait a full lease duration of its own clock
  await clock.advanceUntil(() => b.isLeader(), 50, LEASE + 2 * RETRY);
  await b.stop();
});

test('release on shutdown lets the next candidate in at its next retry', async () => {
  const clock = new FakeClock();
  const backend = new FakeLeaseStoreBackend();
  const a = candidate(backend, clock, 'a');
  const b = candidate(backend, clock, 'b');
  a.start();
  await clock.advance(0);
  b.start();
  await clock.advance(3 * RETRY);
  await a.stop();
  const released = clock.now();
  await clock.advanceUntil(() => b.isLeader(), 50, 60_000);
  assert.ok(clock.now() - released <= RETRY, 'no need to wait for the lease duration');
  assert.equal(backend.lease!.spec.leaseTransitions, 1);
  await b.stop();
});

test('simultaneous candidates: exactly one wins the race (409 for the other)', async () => {
  for (let seed = 0; seed < 10; seed++) {
    const clock = new FakeClock();
    const backend = new FakeLeaseStoreBackend();
    const els = ['a', 'b', 'c'].map((id, i) => candidate(backend, clock, id, { seed: seed * 10 + i }));
    for (const e of els) e.start();
    await clock.advance(0);
    for (let i = 0; i < 20; i++) {
      await clock.advance(500);
      assert.equal(els.filter((e) => e.isLeader()).length, 1);
    }
    for (const e of els) await e.stop();
  }
});

test('leader election refuses inconsistent periods', () => {
  const backend = new FakeLeaseStoreBackend();
  assert.throws(() => new LeaderElector({ store: backend.view('a'), identity: 'a', leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /leaseDuration/);
  assert.throws(() => new LeaderElector({ store: backend.view('a'), identity: 'a', renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadline/);
});

test('KubeLeaseStore: GET, POST on 404, conditional PUT; a 409 loses the round', async () => {
  let lease: Record<string, unknown> | undefined;
  let rv = 10;
  const conflictNext = { on: false };
  const server = new RecordingServer((r) => {
    const path = r.url.split('?')[0]!;
    if (r.method === 'GET') return lease ? { status: 200, body: lease } : { status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound', message: 'leases "ctl" not found' } };
    const body = JSON.parse(r.body) as { metadata: { resourceVersion?: string } };
    if (r.method === 'POST' && path === '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases') {
      lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return { status: 201, body: lease };
    }
    if (r.method === 'PUT' && path === '/apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/ctl') {
      const cur = (lease!.metadata as { resourceVersion: string }).resourceVersion;
      if (conflictNext.on || body.metadata.resourceVersion !== cur) {
        conflictNext.on = false;
        return { status: 409, body: { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' } };
      }
      lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return { status: 200, body: lease };
    }
    return { status: 400, body: {} };
  });
  await server.start();
  const clock = new FakeClock();
  const el = new LeaderElector({ store: new KubeLeaseStore(clientFor(server.url), 'metallb-system', 'ctl'), identity: 'pod-1', clock });
  el.start();
  await waitFor(() => el.isLeader(), 'acquired over HTTP');
  assert.deepEqual(
    server.requests.map((r) => `${r.method} ${r.url}`),
    ['GET /apis/coordination.k8s.io/v1/namespaces/metallb-system/leases/ctl', 'POST /apis/coordination.k8s.io/v1/namespaces/metallb-system/leases'],
  );
  const created = JSON.parse(server.requests[1]!.body);
  assert.equal(created.apiVersion, 'coordination.k8s.io/v1');
  assert.equal(created.kind, 'Lease');
  assert.deepEqual(created.metadata, { name: 'ctl', namespace: 'metallb-system' });
  assert.equal(created.spec.holderIdentity, 'pod-1');
  // fake time for the elector, real time for HTTP: advance in small steps while requests complete
  const until = async (cond: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await clock.advance(50);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  server.requests.length = 0;
  await until(() => server.requests.length >= 2, 'renewal');
  const put = server.requests[1]!;
  assert.equal(put.method, 'PUT');
  assert.equal(JSON.parse(put.body).metadata.resourceVersion, '11', 'carries the resourceVersion it read');
  // a lost race (409) is not an error and does not end leadership before the deadline
  conflictNext.on = true;
  await until(() => !conflictNext.on, 'conflicting renewal');
  assert.ok(el.isLeader());
  const rvBefore = rv;
  await until(() => rv > rvBefore, 'next renewal');
  assert.ok(el.isLeader());
  await el.stop();
  const released = lease!.spec as { holderIdentity: string; leaseDurationSeconds: number };
  assert.equal(released.holderIdentity, '');
  assert.equal(released.leaseDurationSeconds, 1);
  await server.stop();
});
