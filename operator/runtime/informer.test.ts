import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import { Controller } from './controller.js';
import { Informer, objectKey, splitKey } from './informer.js';
import { FakeListWatchServer, clientFor, waitFor } from './testutil.js';
import type { KubeClient } from './client.js';

const POOLS = { apiVersion: 'metallb.io/v1beta1', plural: 'ipaddresspools', kind: 'IPAddressPool' };
const PATH = '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools';
const pool = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: { name, namespace: 'metallb-system' },
  spec: { addresses: ['10.0.0.0/24'], ...spec },
});

let api: FakeListWatchServer;
let client: KubeClient;
const informers: Informer[] = [];

before(async () => {
  api = new FakeListWatchServer();
  client = clientFor(await api.start());
});
after(() => api.stop());
afterEach(async () => {
  for (const i of informers.splice(0)) await i.stop();
  api.requests.length = 0;
  api.failWatches = [];
  api.failLists = [];
  api.silentWatches = 0;
  api.goneAs = 'http';
  for (const o of ['a', 'b', 'c', 'd', 'e']) api.remove(PATH, o);
});

interface Seen {
  events: string[];
}

function start(opts: ConstructorParameters<typeof Informer>[2] = {}): { inf: Informer; seen: Seen } {
  const inf = new Informer(client, POOLS, { namespace: 'metallb-system', backoff: { initialMs: 20, maxMs: 200 }, ...opts });
  informers.push(inf);
  const seen: Seen = { events: [] };
  inf.addHandler({
    onAdd: (o) => seen.events.push(`add ${objectKey(o)}`),
    onUpdate: (a, b) => seen.events.push(`update ${objectKey(b)} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o) => seen.events.push(`delete ${objectKey(o)}`),
  });
  inf.start();
  return { inf, seen };
}

test('lists, then watches from the list resourceVersion; cache and handlers follow adds, updates, deletes', async () => {
  api.put(PATH, pool('a'));
  api.put(PATH, pool('b'));
  const { inf, seen } = start({ labelSelector: 'x=y' });
  await inf.hasSynced();
  assert.ok(inf.synced);
  assert.deepEqual(seen.events.sort(), ['add metallb-system/a', 'add metallb-system/b']);
  const a = inf.get('metallb-system', 'a')!;
  assert.equal(a.kind, 'IPAddressPool', 'list items get kind/apiVersion');
  assert.equal(a.apiVersion, 'metallb.io/v1beta1');
  const listRv = api.currentRV();
  await waitFor(() => api.activeWatches() === 1, 'watch');
  const w = api.watchRequests()[0]!;
  assert.equal(w.get('resourceVersion'), listRv);
  assert.equal(w.get('allowWatchBookmarks'), 'true');
  assert.equal(w.get('labelSelector'), 'x=y');
  assert.ok(Number(w.get('timeoutSeconds')) >= 300 && Number(w.get('timeoutSeconds')) < 600);
  assert.equal(api.listRequests()[0]!.headers.authorization, 'Bearer test-token');
  assert.match(api.listRequests()[0]!.url, /labelSelector=x%3Dy/);

  seen.events.length = 0;
  const c = api.put(PATH, pool('c'));
  const a2 = api.put(PATH, pool('a', { autoAssign: false }));
  api.remove(PATH, 'b');
  await waitFor(() => seen.events.length === 3, 'three events');
  assert.deepEqual(seen.events, ['add metallb-system/c', `update metallb-system/a ${a.metadata.resourceVersion}->${a2.metadata.resourceVersion}`, 'delete metallb-system/b']);
  assert.deepEqual(inf.keys().sort(), ['metallb-system/a', 'metallb-system/c']);
  assert.equal((inf.get('metallb-system', 'a')!.spec as { autoAssign: boolean }).autoAssign, false);
  assert.equal(inf.getByKey('metallb-system/c')!.metadata.resourceVersion, c.metadata.resourceVersion);
  assert.equal(inf.list('other').length, 0);
  assert.equal(inf.list('metallb-system').length, 2);
  api.bookmark(PATH);
  await waitFor(() => inf.resourceVersion === api.currentRV() && seen.events.length === 3, 'bookmark');
  // a handler added late gets the cache replayed as adds
  const late: string[] = [];
  inf.addHandler({ onAdd: (o) => late.push(o.metadata.name!) });
  assert.deepEqual(late.sort(), ['a', 'c']);
  assert.equal(inf.stats.lists, 1);
});

test('a dropped watch resumes from the last resourceVersion without relisting and loses nothing', async () => {
  api.put(PATH, pool('a'));
  api.put(PATH, pool('b'));
  const { inf, seen } = start();
  await inf.hasSynced();
  await waitFor(() => api.activeWatches() === 1, 'watch');
  api.put(PATH, pool('c'));
  await waitFor(() => inf.getByKey('metallb-system/c') !== undefined, 'c');
  const rv = inf.resourceVersion;
  // drop the connection, then fail the next reconnect so changes happen while nobody watches
  api.failWatches = [503];
  api.dropWatches();
  api.remove(PATH, 'a');
  api.put(PATH, pool('d'));
  seen.events.length = 0;
  await waitFor(() => seen.events.length === 2, 'events after reconnect');
  assert.deepEqual(seen.events, ['delete metallb-system/a', 'add metallb-system/d']);
  const resumed = api.watchRequests().map((q) => q.get('resourceVersion'));
  assert.deepEqual(resumed.slice(1), [rv, rv], 'both reconnects resumed from the last seen resourceVersion');
  assert.equal(inf.stats.lists, 1, 'no relist');
  assert.ok(inf.stats.errors >= 2);
});

for (const goneAs of ['http', 'event'] as const) {
  test(`410 Gone (${goneAs === 'http' ? 'HTTP status' : 'ERROR event'}) relists and emits a delete for an object removed while disconnected`, async () => {
    api.goneAs = goneAs;
    api.put(PATH, pool('a'));
    api.put(PATH, pool('b'));
    api.put(PATH, pool('c'));
    const { inf, seen } = start();
    await inf.hasSynced();
    await waitFor(() => api.activeWatches() === 1, 'watch');
    const oldC = inf.getByKey('metallb-system/c')!;
    api.failWatches = [500];
    api.dropWatches();
    api.remove(PATH, 'b');
    const c2 = api.put(PATH, pool('c', { autoAssign: false }));
    api.put(PATH, pool('e'));
    api.compact(); // the history is gone: resuming from the old resourceVersion gets 410
    seen.events.length = 0;
    await waitFor(() => seen.events.length === 3, 'relist diff');
    assert.deepEqual(seen.events.sort(), [
      'add metallb-system/e',
      'delete metallb-system/b',
      `update metallb-system/c ${oldC.metadata.resourceVersion}->${c2.metadata.resourceVersion}`,
    ]);
    assert.equal(inf.stats.lists, 2);
    assert.equal(inf.stats.relistsOnGone, 1);
    assert.deepEqual(inf.keys().sort(), ['metallb-system/a', 'metallb-system/c', 'metallb-system/e']);
    // and it watches again from the relist's resourceVersion
    await waitFor(() => api.activeWatches() === 1, 'watch after relist');
    assert.equal(api.watchRequests().at(-1)!.get('resourceVersion'), api.currentRV());
    api.put(PATH, pool('d'));
    await waitFor(() => inf.getByKey('metallb-system/d') !== undefined, 'd');
  });
}

test('HTTP 500 on list and watch restarts with backoff until the server recovers', async () => {
  api.put(PATH, pool('a'));
  api.failLists = [500, 500];
  api.failWatches = [500, 500, 500];
  const { inf, seen } = start();
  await inf.hasSynced();
  assert.equal(inf.stats.lists, 3, 'two failed lists, then one that worked');
  await waitFor(() => api.activeWatches() === 1, 'watch after failures');
  assert.ok(inf.stats.errors >= 5);
  api.put(PATH, pool('b'));
  await waitFor(() => seen.events.includes('add metallb-system/b'), 'b');
  const rvs = api.watchRequests().map((q) => q.get('resourceVersion'));
  assert.equal(new Set(rvs).size, 1, 'every watch retry resumed from the list resourceVersion');
});

test('a silent watch is restarted by the watchdog and the missed events are replayed', async () => {
  api.put(PATH, pool('a'));
  api.silentWatches = 1;
  const { inf, seen } = start({ watchdogMs: 300 });
  await inf.hasSynced();
  await waitFor(() => api.activeWatches() === 1, 'silent watch');
  api.put(PATH, pool('b')); // not delivered by the silent stream
  await waitFor(() => seen.events.includes('add metallb-system/b'), 'b after watchdog restart', 15_000);
  assert.ok(api.watchRequests().length >= 2);
  assert.ok(inf.stats.errors >= 1);
});

test('a stream the server ends normally is re-watched from the last resourceVersion', async () => {
  api.put(PATH, pool('a'));
  const { inf, seen } = start();
  await inf.hasSynced();
  await waitFor(() => api.activeWatches() === 1, 'watch');
  api.put(PATH, pool('b'));
  await waitFor(() => seen.events.includes('add metallb-system/b'), 'b');
  // this watch delivered an event, so its end is not a "very short watch" error
  const rv = inf.resourceVersion;
  api.endWatches();
  await waitFor(() => api.watchRequests().length === 2 && api.activeWatches() === 1, 'rewatch');
  assert.equal(api.watchRequests()[1]!.get('resourceVersion'), rv);
  assert.equal(inf.stats.errors, 0);
  assert.equal(inf.stats.lists, 1);
});

test('periodic resync calls onUpdate(obj, obj); indexes follow the cache', async () => {
  api.put(PATH, pool('a', { autoAssign: true }));
  api.put(PATH, pool('b', { autoAssign: false }));
  const { inf, seen } = start({ resyncMs: 100 });
  inf.addIndex('auto', (o) => [String((o.spec as { autoAssign?: boolean }).autoAssign)]);
  await inf.hasSynced();
  assert.deepEqual(inf.byIndex('auto', 'true').map((o) => o.metadata.name), ['a']);
  await waitFor(() => seen.events.filter((e) => e.startsWith('update metallb-system/a')).length >= 2, 'resyncs');
  const e = seen.events.find((x) => x.startsWith('update metallb-system/a'))!;
  const [from, to] = e.split(' ')[2]!.split('->');
  assert.equal(from, to, 'same object');
  api.put(PATH, pool('a', { autoAssign: false }));
  await waitFor(() => inf.byIndex('auto', 'false').length === 2, 'index updated');
  assert.deepEqual(inf.byIndex('auto', 'true'), []);
  assert.throws(() => inf.byIndex('nope', 'x'), /no index/);
});

test('stop before sync rejects hasSynced and closes the watch', async () => {
  api.failLists = [500, 500, 500, 500, 500, 500];
  const inf = new Informer(client, POOLS, { namespace: 'metallb-system', backoff: { initialMs: 5000 } });
  inf.start();
  const synced = inf.hasSynced();
  await waitFor(() => api.listRequests().length === 1, 'first list');
  await inf.stop();
  await assert.rejects(synced, /stopped before sync/);
  assert.equal(api.activeWatches(), 0);
});

test('a deletion made while the watch was down (and history compacted) reaches the reconciler', async () => {
  api.put(PATH, pool('a'));
  api.put(PATH, pool('b'));
  const { inf } = start();
  const reconciled: Array<{ key: string; exists: boolean }> = [];
  const ctl = new Controller({
    name: 'pools',
    reconcile: async (key) => {
      const { namespace, name } = splitKey(key);
      reconciled.push({ key, exists: inf.get(namespace, name) !== undefined });
    },
  }).watch(inf);
  await inf.hasSynced();
  ctl.start();
  await waitFor(() => reconciled.length === 2, 'initial reconciles');
  await waitFor(() => api.activeWatches() === 1, 'watch');
  api.failWatches = [500];
  api.dropWatches();
  api.remove(PATH, 'a');
  api.compact();
  await waitFor(() => reconciled.some((r) => r.key === 'metallb-system/a' && !r.exists), 'reconcile of the deleted object');
  await ctl.stop();
});

test('objectKey / splitKey', () => {
  assert.equal(objectKey({ metadata: { name: 'n', namespace: 'ns' } } as KubeObject), 'ns/n');
  assert.equal(objectKey({ metadata: { name: 'node1' } } as KubeObject), 'node1');
  assert.deepEqual(splitKey('ns/n'), { namespace: 'ns', name: 'n' });
  assert.deepEqual(splitKey('node1'), { name: 'node1' });
});
