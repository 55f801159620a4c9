// Acceptance of the controller runtime against the test API server (issue 3):
// - no change is lost across forced watch drops and 410s (a deletion made while the watch was down
//   reaches the reconciler);
// - two runtimes with leader election never both lead over many renew periods, and a killed leader
//   (a separate process, SIGKILLed) is replaced within the lease duration;
// - a reconcile that throws is retried with backoff and converges once the fault is gone;
// - a denial from the real HTTPS webhook server reaches the client as a 4xx with
//   `admission webhook "<name>" denied the request: ...`;
// - a CR violating its CRD schema is refused with 422 naming the field.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../operator/api/meta.js';
import { KINDS } from '../operator/config/kinds.js';
import {
  Controller,
  Informer,
  KubeApiError,
  KubeClient,
  KubeLeaseStore,
  LeaderElector,
  collectionPath,
  objectPath,
} from '../operator/runtime/index.js';
import { ExponentialRateLimiter } from '../operator/runtime/workqueue.js';
import { createServingCertificates } from '../operator/util/certs.js';
import { silentLogger } from '../operator/util/log.js';
import { projectPath } from '../operator/util/paths.js';
import { createWebhookServer } from '../webhooks/server.js';
import { METALLB_WEBHOOK_PATHS, webhookRoutes } from '../webhooks/routes.js';
import { KubeObjectSource } from '../webhooks/sources.js';
import { TestApiServer } from './apiserver/index.js';

const WAIT = 30_000;

async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = WAIT): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let api: TestApiServer;
let client: KubeClient;

before(async () => {
  api = new TestApiServer({ crds: projectPath('crds'), bookmarkIntervalMs: 200 });
  await api.start();
  client = new KubeClient(api.kubeConfig());
});
after(() => api.stop());

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

describe('informer + controller: no change lost', () => {
  test('deletions and updates made while the watch is down or history expired reach the reconciler', async () => {
    const informer = new Informer(client, KINDS.ConfigMap, { namespace: 'default', logger: silentLogger, backoff: { initialMs: 50, maxMs: 400 } });
    const seen = new Map<string, string | null>(); // key -> last observed data.v (null = absent)
    const controller = new Controller({
      name: 'no-loss',
      logger: silentLogger,
      reconcile: async (key) => {
        const obj = informer.getByKey(key) as (KubeObject & { data?: Record<string, string> }) | undefined;
        seen.set(key, obj ? (obj.data?.v ?? '') : null);
      },
    }).watch(informer);
    informer.start();
    await informer.hasSynced();
    controller.start();
    try {
      for (const n of ['a', 'b', 'c']) await client.create(collectionPath('v1', 'configmaps', 'default'), cm(`nl-${n}`, { v: '1' }));
      await eventually(() => ['a', 'b', 'c'].every((n) => seen.get(`default/nl-${n}`) === '1'), 'initial objects reconciled');

      // 1. the watch is dropped and kept down (every watch request fails) while an object is deleted
      api.faults.failNext(3, 500, (r) => r.method === 'GET' && r.path.includes('watch=true'));
      api.faults.dropWatches();
      await client.delete(objectPath('v1', 'configmaps', 'default', 'nl-a'));
      await client.replace(objectPath('v1', 'configmaps', 'default', 'nl-b'), { ...(await client.get<KubeObject>(objectPath('v1', 'configmaps', 'default', 'nl-b'))), data: { v: '2' } });
      await eventually(() => seen.get('default/nl-a') === null && seen.get('default/nl-b') === '2', 'deletion and update made while the watch was down');

      // 2. the history is expired while the watch is down: the informer must relist (410) and still see the deletion
      api.faults.failNext(2, 500, (r) => r.method === 'GET' && r.path.includes('watch=true'));
      api.faults.dropWatches();
      await client.delete(objectPath('v1', 'configmaps', 'default', 'nl-c'));
      await client.create(collectionPath('v1', 'configmaps', 'default'), cm('nl-d', { v: '1' }));
      api.faults.expireHistory();
      await eventually(() => seen.get('default/nl-c') === null && seen.get('default/nl-d') === '1', 'deletion made before a 410 relist');
      assert.deepEqual(informer.keys().filter((k) => k.startsWith('default/nl-')).sort(), ['default/nl-b', 'default/nl-d']);
    } finally {
      await controller.stop(5000);
      await informer.stop();
    }
  });
});

describe('controller retries', () => {
  test('a reconcile that throws is retried with growing backoff and converges once the fault is gone', async () => {
    const informer = new Informer(client, KINDS.ConfigMap, { namespace: 'default', logger: silentLogger, labelSelector: 'retry=yes' });
    const attempts: number[] = [];
    let healthy = false;
    let converged = false;
    const controller = new Controller({
      name: 'retry',
      logger: silentLogger,
      rateLimiter: () => new ExponentialRateLimiter(20, 2000),
      reconcile: async (key) => {
        attempts.push(Date.now());
        if (!healthy) throw new Error(`dependency not ready for ${key}`);
        converged = informer.getByKey(key) !== undefined;
      },
    }).watch(informer);
    informer.start();
    await informer.hasSynced();
    controller.start();
    try {
      await client.create(collectionPath('v1', 'configmaps', 'default'), { ...cm('retry-me'), metadata: { name: 'retry-me', namespace: 'default', labels: { retry: 'yes' } } });
      await eventually(() => attempts.length >= 5, 'five failed attempts');
      const gaps = attempts.slice(1, 5).map((t, i) => t - attempts[i]!);
      // exponential: 20, 40, 80, 160 ms (+ scheduling); each gap at least the nominal delay, and growing overall
      gaps.forEach((g, i) => assert.ok(g >= 20 * 2 ** i - 5, `gap ${i} = ${g} ms`));
      assert.ok(gaps[3]! > gaps[0]!, `backoff grows: ${gaps.join(', ')}`);
      healthy = true;
      await eventually(() => converged, 'reconcile converges after the fault is gone');
    } finally {
      await controller.stop(5000);
      await informer.stop();
    }
  });
});

describe('leader election on the Lease API', () => {
  // Lease.spec.leaseDurationSeconds holds whole seconds, so the lease duration is a whole number of seconds
  const LEASE = 2000;
  const RENEW = 1400;
  const RETRY = 200;

  test('two electors never both lead over many renew periods; the survivor takes over', async () => {
    const leading = new Set<string>();
    let overlaps = 0;
    let transitions = 0;
    const mk = (id: string): LeaderElector =>
      new LeaderElector({
        store: new KubeLeaseStore(client, 'kube-system', 'two-electors'),
        identity: id,
        leaseDurationMs: LEASE,
        renewDeadlineMs: RENEW,
        retryPeriodMs: RETRY,
        logger: silentLogger,
        onStartedLeading: () => {
          if (leading.size > 0) overlaps++;
          leading.add(id);
          transitions++;
        },
        onStoppedLeading: () => leading.delete(id),
      });
    const a = mk('a');
    const b = mk('b');
    a.start();
    b.start();
    try {
      await eventually(() => leading.size === 1, 'one leader');
      // many renew periods, with API hiccups in between (failed renewals must make the leader step down, not overlap)
      const until = Date.now() + 8 * RENEW;
      let samples = 0;
      while (Date.now() < until) {
        if (samples % 25 === 12) api.faults.failNext(3, 500, (r) => r.path.includes('/leases/'));
        assert.ok(!(a.isLeader() && b.isLeader()), 'both electors lead at once');
        samples++;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(overlaps, 0);
      assert.ok(samples > 100);
      assert.ok(transitions >= 1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('a SIGKILLed leader process is replaced within the lease duration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'metalfrr-le-'));
    const kubeconfig = join(dir, 'kubeconfig');
    api.writeKubeconfig(kubeconfig);
    const child: ChildProcess = spawn(process.execPath, [projectPath('dist', 'e2e', 'fixtures', 'elector.js'), kubeconfig, 'child', String(LEASE), String(RENEW), String(RETRY)], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let childLeading = false;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"started"')) childLeading = true;
    });
    let takeover = 0;
    const survivor = new LeaderElector({
      store: new KubeLeaseStore(client, 'kube-system', 'acceptance-lease'),
      identity: 'survivor',
      leaseDurationMs: LEASE,
      renewDeadlineMs: RENEW,
      retryPeriodMs: RETRY,
      logger: silentLogger,
      onStartedLeading: () => (takeover = Date.now()),
    });
    try {
      await eventually(() => childLeading, 'the child process leads');
      survivor.start();
      await new Promise((r) => setTimeout(r, 3 * RENEW));
      assert.equal(survivor.isLeader(), false, 'the survivor must not lead while the child renews');
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await eventually(() => takeover > 0, 'takeover after the leader was killed', 10_000);
      const delay = takeover - killedAt;
      // the lease may have been renewed just before the kill: at most one lease duration plus one retry period
      assert.ok(delay <= LEASE + RETRY + 250, `takeover after ${delay} ms (lease ${LEASE} ms)`);
      const lease = api.get('coordination.k8s.io/v1', 'Lease', 'acceptance-lease', 'kube-system') as { spec?: { holderIdentity?: string; leaseTransitions?: number } };
      assert.equal(lease.spec?.holderIdentity, 'survivor');
      assert.ok((lease.spec?.leaseTransitions ?? 0) >= 1);
    } finally {
      child.kill('SIGKILL');
      await survivor.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('API server answers', () => {
  test('a webhook denial from the real HTTPS webhook server reaches the client as a 4xx', async () => {
    const certs = createServingCertificates({ dnsNames: ['metallb-webhook-service.metallb-system.svc', 'localhost'], ipAddresses: ['127.0.0.1'] });
    const hook = createWebhookServer({
      cert: certs.cert,
      key: certs.key,
      logger: silentLogger,
      routes: webhookRoutes(new KubeObjectSource(client), { namespace: 'metallb-system', backend: 'frr-k8s' }),
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as AddressInfo).port;
    try {
      await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } }).catch(() => undefined);
      await client.create(collectionPath('admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations'), {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'metallb-webhook-configuration' },
        webhooks: [
          {
            name: 'bgppeervalidationwebhook.metallb.io',
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
            clientConfig: { url: `https://localhost:${port}${METALLB_WEBHOOK_PATHS.BGPPeer}`, caBundle: Buffer.from(certs.caCert).toString('base64') },
            rules: [{ apiGroups: ['metallb.io'], apiVersions: ['v1beta2'], operations: ['CREATE', 'UPDATE'], resources: ['bgppeers'] }],
          },
        ],
      });
      const peer = (name: string, holdTime: string): KubeObject => ({
        apiVersion: 'metallb.io/v1beta2',
        kind: 'BGPPeer',
        metadata: { name, namespace: 'metallb-system' },
        spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1', holdTime },
      });
      const err = await client.create(collectionPath('metallb.io/v1beta2', 'bgppeers', 'metallb-system'), peer('short-hold', '2s')).then(
        () => undefined,
        (e: unknown) => e as KubeApiError,
      );
      assert.ok(err instanceof KubeApiError, 'the create must fail');
      assert.ok(err.code >= 400 && err.code < 500, `4xx, got ${err.code}`);
      assert.match(err.status?.message ?? '', /^admission webhook "bgppeervalidationwebhook.metallb.io" denied the request: .*invalid hold time "2s": must be 0 or >=3s/);
      const ok = await client.create<KubeObject>(collectionPath('metallb.io/v1beta2', 'bgppeers', 'metallb-system'), peer('good-hold', '90s'));
      assert.equal(ok.metadata.name, 'good-hold');
    } finally {
      hook.close();
    }
  });

  test('a CR violating its CRD schema is refused with 422 naming the field', async () => {
    const err = await client
      .create(collectionPath('metallb.io/v1beta2', 'bgppeers', 'default'), {
        apiVersion: 'metallb.io/v1beta2',
        kind: 'BGPPeer',
        metadata: { name: 'bad-port', namespace: 'default' },
        spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1', peerPort: 20000 },
      })
      .then(
        () => undefined,
        (e: unknown) => e as KubeApiError,
      );
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.code, 422);
    assert.match(err.status?.message ?? '', /spec\.peerPort: Invalid value: 20000/);
    const causes = (err.status?.details as { causes?: { field: string }[] } | undefined)?.causes ?? [];
    assert.ok(causes.some((c) => c.field === 'spec.peerPort'), JSON.stringify(causes));
  });
});
