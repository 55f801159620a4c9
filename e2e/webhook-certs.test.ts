// Webhook certificate rotation end to end: the test API server calls the real webhook server (in
// process) through a ValidatingWebhookConfiguration whose caBundle comes from the planner; the webhook
// server reads its certificate from a kubelet-style projected Secret volume. While admissions run
// without pause, the planner renews the serving certificate and then rotates the CA; each step follows
// the operator's order (caBundle into the webhook configuration, then the Secret, then, after a
// kubelet delay, the files). No admission may fail for TLS or connection reasons, and the server must
// really switch certificates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import type { KubeObject } from '../operator/api/meta.js';
import { inspectCert, splitPEMCertificates } from '../operator/util/certs.js';
import { silentLogger } from '../operator/util/log.js';
import { projectPath } from '../operator/util/paths.js';
import { KubeApiError, KubeClient, collectionPath, objectPath } from '../operator/runtime/client.js';
import {
  WEBHOOK_CERT_SECRET,
  WEBHOOK_SERVICE,
  caBundleBase64,
  decodeSecretData,
  encodeSecretData,
  planWebhookCerts,
  serviceDNSName,
  withWebhookCABundle,
  type WebhookCertPlan,
} from '../operator/certs/webhook-certs.js';
import { createWebhookServer } from '../webhooks/server.js';
import { CertReloader } from '../webhooks/cert-reloader.js';
import { METALLB_WEBHOOK_PATHS, conversionRoutes, webhookRoutes } from '../webhooks/routes.js';
import { KubeObjectSource } from '../webhooks/sources.js';
import { servedSerial } from '../webhooks/testing.js';
import { TestApiServer } from './apiserver/index.js';
import { projectSecret } from './kubelet/secret-volume.js';

const NS = 'metallb-system';
const VWC_NAME = 'metallb-webhook-configuration';
const WEBHOOK_NAME = 'ipaddresspoolvalidationwebhook.metallb.io';
const SERVER_NAME = serviceDNSName(WEBHOOK_SERVICE, NS);
const MIN = 60_000;
/** kubelet delay between the Secret write and the files changing in the pod */
const KUBELET_LAG_MS = 800;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Real TLS clients check certificates against the wall clock, so the fake planner times lie in the
// past (certificates are valid from a minute before their planning time) and every certificate is
// still valid now. Lifetimes: CA 200 min renewed 120 min before expiry, serving certificate 120 min
// renewed 60 min before. From REAL - 100 min: certificate renewal at REAL - 40, CA rotation at REAL - 20.
const REAL = new Date();
const LIFETIMES = { caValidityMs: 200 * MIN, caRenewBeforeMs: 120 * MIN, certValidityMs: 120 * MIN, certRenewBeforeMs: 60 * MIN };

let api: TestApiServer;
let client: KubeClient;
let hook: Server;
let hookPort: number;
let reloader: CertReloader;
let dir: string;

const secretPath = objectPath('v1', 'secrets', NS, WEBHOOK_CERT_SECRET);
const vwcPath = objectPath('admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations', undefined, VWC_NAME);
const poolsPath = collectionPath('metallb.io/v1beta1', 'ipaddresspools', NS);

const vwcTemplate = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: VWC_NAME },
  webhooks: [
    {
      name: WEBHOOK_NAME,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      clientConfig: { service: { name: WEBHOOK_SERVICE, namespace: NS, path: METALLB_WEBHOOK_PATHS.IPAddressPool } },
      rules: [{ apiGroups: ['metallb.io'], apiVersions: ['v1beta1'], operations: ['CREATE', 'UPDATE'], resources: ['ipaddresspools'] }],
    },
  ],
};

/** One planner step the operator's way; returns the plan. */
async function step(now: Date, onLag?: (plan: WebhookCertPlan, previousServed: string) => Promise<void>): Promise<WebhookCertPlan> {
  const secret = await client.get<KubeObject & { data?: Record<string, string> }>(secretPath);
  const plan = planWebhookCerts(decodeSecretData(secret.data), { serviceName: WEBHOOK_SERVICE, namespace: NS, now, ...LIFETIMES });
  if (!plan.changed) return plan;
  // 1. trust: the caBundle into the webhook configuration
  const b64 = caBundleBase64(plan.caBundle);
  const vwc = await client.get<typeof vwcTemplate>(vwcPath).catch((e: unknown) => {
    if (e instanceof KubeApiError && e.code === 404) return undefined;
    throw e;
  });
  if (vwc) await client.replace(vwcPath, withWebhookCABundle(vwc, b64));
  else await client.create(collectionPath('admissionregistration.k8s.io/v1', 'validatingwebhookconfigurations'), withWebhookCABundle(vwcTemplate, b64));
  // 2. only then the Secret
  await client.replace(secretPath, { ...secret, data: encodeSecretData(plan.data) });
  // 3. the kubelet projects the Secret into the pod later
  if (hookPort) {
    const previous = await servedSerial(hookPort, plan.caBundle, SERVER_NAME);
    await onLag?.(plan, previous);
  }
  const stored = await client.get<KubeObject & { data?: Record<string, string> }>(secretPath);
  projectSecret(dir, decodeSecretData(stored.data));
  return plan;
}

async function waitServed(serial: string, bundle: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await servedSerial(hookPort, bundle, SERVER_NAME)) !== serial) {
    if (Date.now() > deadline) assert.fail(`the webhook server did not switch to certificate ${serial} within ${ms} ms`);
    await sleep(50);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metalfrr-webhook-cert-'));
  api = new TestApiServer({ crds: projectPath('crds') });
  await api.start();
  client = new KubeClient(api.kubeConfig());
  await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // the operator's manifests create the Secret empty
  await client.create(collectionPath('v1', 'secrets', NS), { apiVersion: 'v1', kind: 'Secret', metadata: { name: WEBHOOK_CERT_SECRET, namespace: NS }, type: 'kubernetes.io/tls' });
  api.seed({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'base', namespace: NS }, spec: { addresses: ['192.168.10.0/24'] } });
});

after(async () => {
  reloader?.stop();
  if (hook) {
    hook.closeAllConnections();
    await new Promise<void>((r) => hook.close(() => r()));
  }
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('admissions never fail while the serving certificate is renewed and the CA rotated', async () => {
  // step 0: fresh certificates, then the webhook pod starts with the projected files
  const p0 = await step(new Date(REAL.getTime() - 100 * MIN));
  assert.match(p0.reason, /^new CA and serving certificate/);
  const initial = { cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) };
  hook = createWebhookServer({
    ...initial,
    logger: silentLogger,
    routes: webhookRoutes(new KubeObjectSource(client), { namespace: NS, backend: 'frr-k8s' }),
    conversions: conversionRoutes(),
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as AddressInfo).port;
  reloader = new CertReloader(hook, { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), intervalMs: 200, logger: silentLogger }).start(initial);
  api.webhookServiceResolver = (svc) => (svc.namespace === NS && svc.name === WEBHOOK_SERVICE && svc.port === 443 ? { host: '127.0.0.1', port: hookPort } : undefined);
  const served = [await servedSerial(hookPort, p0.caBundle, SERVER_NAME)];
  assert.equal(served[0], inspectCert(p0.data['tls.crt']!).serial);

  // admissions without pause: an overlapping pool (denied by MetalLB's rule) and a valid one (allowed)
  let stop = false;
  let allowed = 0;
  let denied = 0;
  const failures: string[] = [];
  const deniedMessage = new RegExp(
    `^admission webhook "${WEBHOOK_NAME.replace(/\./g, '\\.')}" denied the request: .*CIDR "192\\.168\\.10\\.100/30" in pool "bad-\\d+" overlaps with already defined CIDR "192\\.168\\.10\\.0/24"`,
  );
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const bad = i % 2 === 0;
      const name = `${bad ? 'bad' : 'ok'}-${w}${i}`;
      const body = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec: { addresses: [bad ? '192.168.10.100/30' : `10.${w}.${i % 250}.0/24`] } };
      try {
        await client.create(poolsPath, body, { query: { dryRun: 'All' } });
        if (bad) failures.push(`${name}: allowed`);
        else allowed++;
      } catch (e) {
        const msg = e instanceof KubeApiError ? `${e.code} ${e.status?.message ?? e.message}` : (e as Error).message;
        if (bad && e instanceof KubeApiError && e.code === 403 && deniedMessage.test(e.status?.message ?? '')) denied++;
        else failures.push(`${name}: ${msg}`);
      }
    }
  };
  const workers = [worker(1), worker(2)];
  let plan = p0;
  try {
    const progress = async (what: string): Promise<void> => {
      const a = allowed;
      const d = denied;
      const deadline = Date.now() + 10_000;
      while (allowed < a + 3 || denied < d + 3) {
        if (Date.now() > deadline) assert.fail(`no admissions progress ${what}: ${failures.slice(0, 3).join('; ')}`);
        await sleep(20);
      }
    };
    await progress('with the first certificate');

    // during the kubelet lag the pod still serves the previous certificate, and the new bundle trusts it
    const lagCheck = async (plan: WebhookCertPlan, previous: string): Promise<void> => {
      assert.equal(previous, served.at(-1), 'the previous certificate is still served');
      await progress('during the kubelet lag (old certificate, new caBundle)');
      await sleep(KUBELET_LAG_MS);
      assert.equal(await servedSerial(hookPort, plan.caBundle, SERVER_NAME), previous, 'still the previous certificate after the lag, trusted by the new caBundle');
    };

    for (const expected of [/^serving certificate renewed/, /^CA rotated/]) {
      const now = plan.nextCheck;
      assert.ok(now.getTime() <= REAL.getTime(), `planned step ${now.toISOString()} lies in the past`);
      plan = await step(new Date(now.getTime() + 1000), lagCheck);
      assert.match(plan.reason, expected);
      const serial = inspectCert(plan.data['tls.crt']!).serial;
      await waitServed(serial, plan.caBundle);
      served.push(serial);
      await progress(`after "${plan.reason}"`);
    }
    // the CA rotation left the previous CA in the bundle; the serving certificate chains to the new CA
    assert.equal(splitPEMCertificates(plan.caBundle).length, 2);
    assert.equal(splitPEMCertificates(plan.caBundle)[1], p0.data['ca.crt']);
    // nothing is due now
    const idle = await step(REAL);
    assert.equal(idle.changed, false, idle.reason);
    await progress('at the end');
  } finally {
    stop = true;
    await Promise.all(workers);
  }

  assert.deepEqual(failures, [], 'no admission failed (TLS, connection, or a wrong answer)');
  assert.equal(new Set(served).size, 3, `three different certificates were served: ${served.join(', ')}`);
  assert.ok(allowed >= 10 && denied >= 10, `allowed ${allowed}, denied ${denied}`);
  // what the API server holds is what the server presents
  const vwc = await client.get<typeof vwcTemplate & { webhooks: { clientConfig: { caBundle: string } }[] }>(vwcPath);
  assert.equal(vwc.webhooks[0]!.clientConfig.caBundle, caBundleBase64(plan.caBundle));
  const secret = await client.get<KubeObject & { data: Record<string, string> }>(secretPath);
  assert.equal(inspectCert(decodeSecretData(secret.data)['tls.crt']!).serial, served.at(-1));
  assert.equal(reloader.serial, served.at(-1));
});
