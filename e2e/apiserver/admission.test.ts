import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { KubeClient } from '../../operator/runtime/client.js';
import { METALLB_WEBHOOK_PATHS, webhookRoutes } from '../../webhooks/routes.js';
import { KubeObjectSource } from '../../webhooks/sources.js';
import type { AdmissionRequest } from '../../webhooks/server.js';
import type { TestApiServer } from './server.js';
import { cm, failure, startServer, startWebhook } from './testing.js';

let api: TestApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let co: k8s.CustomObjectsApi;
let hook: Awaited<ReturnType<typeof startWebhook>>;
const seen: AdmissionRequest[] = [];
let releaseSlow: () => void = () => undefined;
const slowGate = new Promise<void>((r) => (releaseSlow = r));

before(async () => {
  ({ api, kc } = await startServer());
  core = kc.makeApiClient(k8s.CoreV1Api);
  co = kc.makeApiClient(k8s.CustomObjectsApi);
  const metallb = webhookRoutes(new KubeObjectSource(new KubeClient(kc)), { namespace: 'metallb-system', backend: 'frr-k8s' });
  hook = await startWebhook(
    {
      ...metallb,
      '/deny': (req) => {
        seen.push(req);
        const name = req.object?.metadata?.name ?? req.oldObject?.metadata?.name ?? '';
        return name.startsWith('bad') ? { allowed: false, message: `${name} is a bad name` } : { allowed: true, warnings: [`${req.operation} ${name} checked`] };
      },
      '/slow': async () => {
        await slowGate;
        return { allowed: true };
      },
      '/peer': (req) => {
        seen.push(req);
        return { allowed: true };
      },
    },
    ['localhost', 'metalfrr-webhook.default.svc', 'metallb-webhook-service.metallb-system.svc'],
  );
  api.webhookServiceResolver = (svc) =>
    (svc.name === 'metalfrr-webhook' && svc.namespace === 'default') || (svc.name === 'metallb-webhook-service' && svc.namespace === 'metallb-system')
      ? { host: '127.0.0.1', port: hook.port }
      : undefined;
  await core.createNamespace({ body: { metadata: { name: 'guarded', labels: { guarded: 'yes' } } } });
  await core.createNamespace({ body: { metadata: { name: 'metallb-system' } } });
});
after(async () => {
  releaseSlow();
  await api.stop();
  await hook.close();
});

type Webhook = Record<string, unknown>;

async function withWebhooks(name: string, webhooks: Webhook[], fn: () => Promise<void>): Promise<void> {
  const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  await adm.createValidatingWebhookConfiguration({ body: { metadata: { name }, webhooks: webhooks as unknown as k8s.V1ValidatingWebhook[] } });
  try {
    await fn();
  } finally {
    await adm.deleteValidatingWebhookConfiguration({ name });
  }
}

const rule = (resources: string[], operations = ['CREATE', 'UPDATE', 'DELETE'], apiGroups = [''], apiVersions = ['v1']) => ({ apiGroups, apiVersions, operations, resources });

const viaUrl = (path: string, caBundle = hook.caBundle) => ({ url: `https://localhost:${hook.port}${path}`, caBundle });

const webhook = (name: string, extra: Webhook): Webhook => ({ name, admissionReviewVersions: ['v1'], sideEffects: 'None', ...extra });

test('a denial from the real HTTPS webhook server reaches the client as its 4xx with kube-apiserver\'s message', async () => {
  await withWebhooks('deny-config', [webhook('deny.example.com', { clientConfig: viaUrl('/deny'), rules: [rule(['configmaps'])], namespaceSelector: { matchLabels: { guarded: 'yes' } } })], async () => {
    const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'guarded', body: cm('bad-one') }));
    assert.equal(st.code, 403, 'the webhook answered 403 Forbidden');
    assert.equal(st.reason, 'Forbidden');
    assert.equal(st.message, 'admission webhook "deny.example.com" denied the request: bad-one is a bad name');
    assert.equal(api.get('v1', 'ConfigMap', 'bad-one', 'guarded'), undefined);

    const res = await core.createNamespacedConfigMapWithHttpInfo({ namespace: 'guarded', body: cm('good-one') });
    assert.equal(res.httpStatusCode, 201);
    assert.match(res.headers['warning'] ?? '', /299 - "CREATE good-one checked"/);
    const req = seen[seen.length - 1]!;
    assert.equal(req.operation, 'CREATE');
    assert.equal(req.namespace, 'guarded');
    assert.deepEqual(req.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(req.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.equal(req.object?.metadata?.name, 'good-one');
    assert.equal(req.oldObject, null);

    // UPDATE carries oldObject; DELETE carries oldObject and no object
    await core.patchNamespacedConfigMap({ namespace: 'guarded', name: 'good-one', body: { data: { a: 'b' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const upd = seen[seen.length - 1]!;
    assert.equal(upd.operation, 'UPDATE');
    assert.deepEqual(upd.object?.data, { a: 'b' });
    assert.deepEqual(upd.oldObject?.data, {});
    await core.deleteNamespacedConfigMap({ namespace: 'guarded', name: 'good-one' });
    const del = seen[seen.length - 1]!;
    assert.equal(del.operation, 'DELETE');
    assert.equal(del.object, null);
    assert.equal(del.oldObject?.metadata?.name, 'good-one');

    // not matched: other namespaces (namespaceSelector), other resources (rules)
    const before = seen.length;
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('bad-elsewhere') });
    await core.createNamespacedSecret({ namespace: 'guarded', body: { metadata: { name: 'bad-secret' } } });
    assert.equal(seen.length, before);

    // dry run: the webhook (sideEffects None) is called and can still deny
    const dry = await failure(() => core.createNamespacedConfigMap({ namespace: 'guarded', body: cm('bad-dry'), dryRun: 'All' }));
    assert.equal(dry.code, 403);
    assert.equal((seen[seen.length - 1] as any).dryRun, true);
  });
});

test('rules: operations, objectSelector and the service client config through the resolver', async () => {
  await withWebhooks(
    'deny-create-only',
    [
      webhook('create.example.com', {
        clientConfig: { service: { namespace: 'default', name: 'metalfrr-webhook', path: '/deny', port: 443 }, caBundle: hook.caBundle },
        rules: [rule(['configmaps'], ['CREATE'])],
        objectSelector: { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] },
      }),
    ],
    async () => {
      const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('bad-svc') }));
      assert.equal(st.code, 403);
      assert.equal(st.message, 'admission webhook "create.example.com" denied the request: bad-svc is a bad name');
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('bad-skipped', {}, { skip: 'true' }) });
      // UPDATE is not in the rule
      await core.patchNamespacedConfigMap({ namespace: 'default', name: 'bad-skipped', body: { metadata: { labels: { skip: null } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    },
  );
});

test('failurePolicy: a dead webhook fails the request with Fail and is skipped with Ignore', async () => {
  const dead: Server = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const deadUrl = { url: `https://127.0.0.1:${port}/x`, caBundle: hook.caBundle };
  await withWebhooks('dead-ignore', [webhook('ignore.example.com', { clientConfig: deadUrl, rules: [rule(['configmaps'])], failurePolicy: 'Ignore' })], async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('passes-ignore') });
  });
  await withWebhooks('dead-fail', [webhook('fail.example.com', { clientConfig: deadUrl, rules: [rule(['configmaps'])], failurePolicy: 'Fail' })], async () => {
    const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('blocked') }));
    assert.equal(st.code, 500);
    assert.equal(st.reason, 'InternalError');
    assert.match(st.message!, /^Internal error occurred: failed calling webhook "fail.example.com": failed to call webhook: Post "https:\/\/127.0.0.1:\d+\/x\?timeout=10s": .*ECONNREFUSED/);
  });
  // no resolver mapping for a service behaves like a dead webhook
  await withWebhooks('unresolved', [webhook('nosvc.example.com', { clientConfig: { service: { namespace: 'x', name: 'y' } }, rules: [rule(['configmaps'])] })], async () => {
    const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('blocked2') }));
    assert.equal(st.code, 500);
  });
});

test('caBundle is verified: a webhook served with a certificate from another CA fails', async () => {
  const other = await startWebhook({ '/deny': () => ({ allowed: true }) });
  try {
    await withWebhooks('wrong-ca', [webhook('ca.example.com', { clientConfig: viaUrl('/deny', other.caBundle), rules: [rule(['configmaps'])] })], async () => {
      const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('wrong-ca') }));
      assert.equal(st.code, 500);
      assert.match(st.message!, /failed calling webhook "ca.example.com".*(self-signed|unable to verify|certificate)/i);
    });
    // the right CA for the same server works
    await withWebhooks('right-ca', [webhook('ca.example.com', { clientConfig: { url: `https://localhost:${other.port}/deny`, caBundle: other.caBundle }, rules: [rule(['configmaps'])] })], async () => {
      await core.createNamespacedConfigMap({ namespace: 'default', body: cm('right-ca') });
    });
  } finally {
    await other.close();
  }
});

test('timeoutSeconds: a webhook slower than its timeout fails the request (failurePolicy Fail)', async () => {
  await withWebhooks('slow', [webhook('slow.example.com', { clientConfig: viaUrl('/slow'), rules: [rule(['configmaps'])], timeoutSeconds: 1 })], async () => {
    const st = await failure(() => core.createNamespacedConfigMap({ namespace: 'default', body: cm('too-slow') }));
    assert.equal(st.code, 500);
    assert.match(st.message!, /failed calling webhook "slow.example.com".*context deadline exceeded/);
  });
});

test('matchPolicy Equivalent: a v1beta1 BGPPeer is sent to a v1beta2 webhook converted', async () => {
  await withWebhooks(
    'peers',
    [webhook('peer.example.com', { clientConfig: viaUrl('/peer'), rules: [rule(['bgppeers'], ['CREATE'], ['metallb.io'], ['v1beta2'])] })],
    async () => {
      await co.createNamespacedCustomObject({
        group: 'metallb.io',
        version: 'v1beta1',
        namespace: 'default',
        plural: 'bgppeers',
        body: { apiVersion: 'metallb.io/v1beta1', kind: 'BGPPeer', metadata: { name: 'eq' }, spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.9' } },
      });
      const req = seen[seen.length - 1] as any;
      assert.deepEqual(req.kind, { group: 'metallb.io', version: 'v1beta2', kind: 'BGPPeer' });
      assert.deepEqual(req.requestKind, { group: 'metallb.io', version: 'v1beta1', kind: 'BGPPeer' });
      assert.equal(req.object.apiVersion, 'metallb.io/v1beta2');
    },
  );
});

test('end to end with MetalLB\'s own webhook: an overlapping IPAddressPool is denied with upstream\'s message', async () => {
  const POOLS = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools', namespace: 'metallb-system' };
  await withWebhooks(
    'metallb-webhook-configuration',
    [
      webhook('ipaddresspoolvalidationwebhook.metallb.io', {
        clientConfig: { service: { namespace: 'metallb-system', name: 'metallb-webhook-service', path: METALLB_WEBHOOK_PATHS.IPAddressPool }, caBundle: hook.caBundle },
        rules: [rule(['ipaddresspools'], ['CREATE', 'UPDATE'], ['metallb.io'], ['v1beta1'])],
      }),
    ],
    async () => {
      const pool = (name: string, cidr: string) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name }, spec: { addresses: [cidr] } });
      await co.createNamespacedCustomObject({ ...POOLS, body: pool('first', '192.168.10.0/24') });
      const st = await failure(() => co.createNamespacedCustomObject({ ...POOLS, body: pool('second', '192.168.10.100/30') }));
      assert.equal(st.code, 403);
      assert.match(st.message!, /^admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: .*overlaps with already defined CIDR "192.168.10.0\/24"/);
      await co.createNamespacedCustomObject({ ...POOLS, body: pool('third', '192.168.20.0/24') });
    },
  );
});

test('mutating webhooks patch the object (JSONPatch) before validation', async () => {
  const mutator = createHttpsServer({ cert: hook.certs.cert, key: hook.certs.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString());
      const patch = [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') } }));
    });
  });
  await new Promise<void>((r) => mutator.listen(0, '127.0.0.1', r));
  const port = (mutator.address() as AddressInfo).port;
  const adm = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  await adm.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: 'mutate' },
      webhooks: [webhook('mutate.example.com', { clientConfig: { url: `https://localhost:${port}/`, caBundle: hook.caBundle }, rules: [rule(['configmaps'], ['CREATE'])], reinvocationPolicy: 'Never' }) as unknown as k8s.V1MutatingWebhook],
    },
  });
  try {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('to-mutate') });
    assert.deepEqual(created.metadata?.labels, { mutated: 'yes' });
  } finally {
    await adm.deleteMutatingWebhookConfiguration({ name: 'mutate' });
    mutator.closeAllConnections();
    await new Promise<void>((r) => mutator.close(() => r()));
  }
});
