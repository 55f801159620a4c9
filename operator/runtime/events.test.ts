import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { EventRecorder } from './events.js';
import { RecordingServer, clientFor, type RecordedRequest } from './testutil.js';
import { createLogger } from '../util/log.js';

const stored = new Map<string, Record<string, unknown>>();
const server = new RecordingServer((r: RecordedRequest) => {
  const path = r.url.split('?')[0]!;
  if (r.method === 'POST') {
    const ev = JSON.parse(r.body) as { metadata: { name: string } };
    stored.set(`${path}/${ev.metadata.name}`, ev);
    return { status: 201, body: ev };
  }
  if (r.method === 'PATCH') {
    const ev = stored.get(path);
    if (!ev) return { status: 404, body: { kind: 'Status', code: 404, reason: 'NotFound', message: 'events not found' } };
    Object.assign(ev, JSON.parse(r.body));
    return { status: 200, body: ev };
  }
  return { status: 405 };
});

before(() => server.start());
after(() => server.stop());
beforeEach(() => {
  server.requests.length = 0;
  stored.clear();
});

const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'uid-1', resourceVersion: '9' } };

test('creates a core/v1 Event with the involved object, source and timestamps', async () => {
  const clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
  const rec = new EventRecorder(clientFor(server.url), { component: 'metallb-controller', host: 'node1', clock });
  rec.event(svc, 'Normal', 'IPAllocated', 'Assigned IP ["10.0.0.1"]');
  await rec.flush();
  assert.equal(server.requests.length, 1);
  const r = server.requests[0]!;
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/api/v1/namespaces/default/events');
  const ev = JSON.parse(r.body);
  assert.match(ev.metadata.name, /^web\.[0-9a-f]+$/);
  assert.equal(ev.metadata.namespace, 'default');
  assert.deepEqual(ev.involvedObject, { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'default', uid: 'uid-1', resourceVersion: '9' });
  assert.equal(ev.reason, 'IPAllocated');
  assert.equal(ev.message, 'Assigned IP ["10.0.0.1"]');
  assert.equal(ev.type, 'Normal');
  assert.deepEqual(ev.source, { component: 'metallb-controller', host: 'node1' });
  assert.equal(ev.count, 1);
  assert.equal(ev.firstTimestamp, '2024-05-01T12:00:00Z');
  assert.equal(ev.lastTimestamp, '2024-05-01T12:00:00Z');
  assert.equal(ev.reportingComponent, 'metallb-controller');
});

test('repeats within the window patch count and lastTimestamp; bursts collapse; other messages get their own Event', async () => {
  const clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
  const rec = new EventRecorder(clientFor(server.url), { component: 'c', clock, aggregateWindowMs: 60_000 });
  rec.event(svc, 'Warning', 'AllocationFailed', 'no available IPs');
  await rec.flush();
  await clock.advance(5000);
  rec.event(svc, 'Warning', 'AllocationFailed', 'no available IPs');
  await rec.flush();
  // a burst: one patch carries all of it
  await clock.advance(5000);
  for (let i = 0; i < 5; i++) rec.event(svc, 'Warning', 'AllocationFailed', 'no available IPs');
  await rec.flush();
  rec.event(svc, 'Warning', 'AllocationFailed', 'pool "p" is full');
  await rec.flush();
  const calls = server.requests.map((r) => `${r.method} ${r.url}`);
  const name = JSON.parse(server.requests[0]!.body).metadata.name as string;
  assert.deepEqual(calls, [
    'POST /api/v1/namespaces/default/events',
    `PATCH /api/v1/namespaces/default/events/${name}`,
    `PATCH /api/v1/namespaces/default/events/${name}`,
    'POST /api/v1/namespaces/default/events',
  ]);
  assert.equal(server.requests[1]!.headers['content-type'], 'application/merge-patch+json');
  assert.deepEqual(JSON.parse(server.requests[1]!.body), { count: 2, lastTimestamp: '2024-05-01T12:00:05Z' });
  assert.deepEqual(JSON.parse(server.requests[2]!.body), { count: 7, lastTimestamp: '2024-05-01T12:00:10Z' });
  const ev = stored.get(`/api/v1/namespaces/default/events/${name}`)!;
  assert.equal(ev.count, 7);
  assert.equal(ev.firstTimestamp, '2024-05-01T12:00:00Z');
  // after the window a new Event starts
  await clock.advance(61_000);
  server.requests.length = 0;
  rec.event(svc, 'Warning', 'AllocationFailed', 'no available IPs');
  await rec.flush();
  assert.equal(server.requests[0]!.method, 'POST');
  assert.equal(JSON.parse(server.requests[0]!.body).count, 1);
});

test('an aggregated Event deleted meanwhile is created again with the running count', async () => {
  const clock = new FakeClock();
  const rec = new EventRecorder(clientFor(server.url), { component: 'c', clock });
  rec.event(svc, 'Normal', 'R', 'm');
  await rec.flush();
  stored.clear(); // e.g. the Event TTL expired
  rec.event(svc, 'Normal', 'R', 'm');
  await rec.flush();
  assert.deepEqual(server.requests.map((r) => r.method), ['POST', 'PATCH', 'POST']);
  assert.equal(JSON.parse(server.requests[2]!.body).count, 2);
});

test('cluster-scoped objects get Events in "default"; passwords are masked; write failures are logged, not thrown', async () => {
  const lines: string[] = [];
  const rec = new EventRecorder(clientFor('http://127.0.0.1:1'), { component: 'c', logger: createLogger('t', { write: (l) => lines.push(l) }) });
  rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }, 'Warning', 'FRRReload', 'neighbor 1.2.3.4 password s3cr3t rejected');
  await rec.flush();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /could not write event/);
  assert.doesNotMatch(lines.join('\n'), /s3cr3t/);

  const ok = new EventRecorder(clientFor(server.url), { component: 'c' });
  ok.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }, 'Warning', 'FRRReload', 'neighbor 1.2.3.4 password s3cr3t rejected');
  await ok.flush();
  const r = server.requests.at(-1)!;
  assert.equal(r.url, '/api/v1/namespaces/default/events');
  assert.equal(JSON.parse(r.body).message, 'neighbor 1.2.3.4 password <retracted> rejected');
  assert.doesNotMatch(r.body, /s3cr3t/);
});
