// The webhook TLS the operator manages, end to end through the test API server (issue 6 §2, §4):
// the ValidatingWebhookConfiguration the operator registers makes the API server reject an invalid
// IPAddressPool over HTTPS trusting only the operator's CA; while the operator renews the serving
// certificate and then rotates the CA, admissions keep working (a kubelet stand-in projects the Secret
// into the webhook server's files with a delay, the server reloads them without a restart).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import type { KubeObject } from '../../operator/api/meta.js';
import { WEBHOOK_CERT_SECRET, WEBHOOK_SERVICE, decodeSecretData, planWebhookCerts, serviceDNSName } from '../../operator/certs/webhook-certs.js';
import { KubeApiError, collectionPath } from '../../operator/runtime/client.js';
import { inspectCert, splitPEMCertificates } from '../../operator/util/certs.js';
import { silentLogger } from '../../operator/util/log.js';
import { CertReloader } from '../../webhooks/cert-reloader.js';
import { conversionRoutes, webhookRoutes } from '../../webhooks/routes.js';
import { createWebhookServer } from '../../webhooks/server.js';
import { KubeObjectSource } from '../../webhooks/sources.js';
import { servedSerial } from '../../webhooks/testing.js';
import { projectSecret } from '../kubelet/secret-volume.js';
import { NS, eventually, startOperator, type OperatorHarness } from './harness.js';

const MIN = 60_000;
const REAL = Date.now();
// real TLS checks validity against the wall clock, so the operator's clock starts in the past:
// t0 = -100 min issues everything, t1 = -40 min renews the serving certificate, t2 = now rotates the CA
const LIFETIMES = { caValidityMs: 200 * MIN, caRenewBeforeMs: 120 * MIN, certValidityMs: 120 * MIN, certRenewBeforeMs: 60 * MIN };
const KUBELET_LAG_MS = 800;
const SERVER_NAME = serviceDNSName(WEBHOOK_SERVICE, NS);
let clock = new Date(REAL - 100 * MIN);

let h: OperatorHarness;
let dir: string;
let hook: Server | undefined;
let reloader: CertReloader | undefined;
let kubelet: NodeJS.Timeout | undefined;

const secretData = (): Record<string, string> => decodeSecretData((h.api.get('v1', 'Secret', WEBHOOK_CERT_SECRET, NS) as (KubeObject & { data?: Record<string, string> }) | undefined)?.data);

/** The kubelet's part: the Secret's current content appears in the pod's files a while after it changed. */
function startKubelet(): void {
  let projected = JSON.stringify(secretData());
  let pending: string | undefined;
  kubelet = setInterval(() => {
    const now = JSON.stringify(secretData());
    if (now === projected || now === pending) return;
    pending = now;
    setTimeout(() => {
      if (pending !== now) return;
      projectSecret(dir, JSON.parse(now) as Record<string, string>);
      projected = now;
      pending = undefined;
    }, KUBELET_LAG_MS);
  }, 50);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metalfrr-operator-tls-'));
  h = await startOperator({
    now: () => clock,
    certPlanner: (current, now) => planWebhookCerts(current, { serviceName: WEBHOOK_SERVICE, namespace: NS, now, ...LIFETIMES }),
  });
  h.api.seed({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'base', namespace: NS }, spec: { addresses: ['192.168.10.0/24'] } });
});

after(async () => {
  if (kubelet) clearInterval(kubelet);
  reloader?.stop();
  if (hook) {
    hook.closeAllConnections();
    await new Promise<void>((r) => hook!.close(() => r()));
  }
  await h?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the operator's webhook configuration rejects an invalid IPAddressPool over HTTPS with its CA, and admissions survive certificate renewal and CA rotation", { timeout: 60_000 }, async () => {
  await h.client.create(collectionPath('metallb.io/v1beta1', 'metallbs', NS), { apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name: 'metallb', namespace: NS }, spec: {} });
  await eventually(() => secretData()['tls.crt'] !== undefined && h.api.get('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'metallb-webhook-configuration') !== undefined, 'Secret and webhook configuration');

  // the webhook pod: its Secret volume, the server with the files, the Service resolving to it
  projectSecret(dir, secretData());
  const initial = { cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) };
  const server = createWebhookServer({ ...initial, logger: silentLogger, routes: webhookRoutes(new KubeObjectSource(h.client), { namespace: NS, backend: 'frr-k8s' }), conversions: conversionRoutes() });
  hook = server;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  reloader = new CertReloader(server, { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), intervalMs: 200, logger: silentLogger }).start(initial);
  h.api.webhookServiceResolver = (svc) => (svc.namespace === NS && svc.name === WEBHOOK_SERVICE && svc.port === 443 ? { host: '127.0.0.1', port } : undefined);
  startKubelet();

  // admissions, continuously, through the API server: invalid pools denied by the webhook, valid ones allowed
  let stop = false;
  const failures: string[] = [];
  let denied = 0;
  let allowed = 0;
  const loop = (async () => {
    for (let i = 0; !stop; i++) {
      const bad = i % 2 === 0;
      const body = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: `${bad ? 'bad' : 'ok'}-${i}`, namespace: NS }, spec: { addresses: [bad ? '192.168.10.100/30' : `10.${Math.floor(i / 250) % 250}.${i % 250}.0/24`] } };
      try {
        await h.client.create(collectionPath('metallb.io/v1beta1', 'ipaddresspools', NS), body);
        if (bad) failures.push(`${body.metadata.name} was allowed`);
        else allowed++;
      } catch (e) {
        const msg = (e as Error).message;
        if (bad && e instanceof KubeApiError && e.code === 403 && /admission webhook "ipaddresspoolvalidationwebhook\.metallb\.io" denied the request: .*overlaps with already defined CIDR "192\.168\.10\.0\/24"/.test(msg)) denied++;
        else failures.push(`${body.metadata.name}: ${msg}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  try {
  const bundleNow = () => splitPEMCertificates(secretData()['ca-bundle.crt'] ?? '').join('\n');
  const serial0 = await servedSerial(port, bundleNow(), SERVER_NAME);
  assert.equal(serial0, inspectCert(secretData()['tls.crt']!).serial);
  await eventually(() => denied >= 3 && allowed >= 3, 'first admissions');

  // t1: the serving certificate is renewed from the same CA
  const ca0 = secretData()['ca.crt'];
  clock = new Date(REAL - 40 * MIN);
  h.operator.resync();
  await eventually(() => inspectCert(secretData()['tls.crt']!).serial !== serial0, 'renewed certificate in the Secret');
  assert.equal(secretData()['ca.crt'], ca0, 'same CA');
  const serial1 = inspectCert(secretData()['tls.crt']!).serial;
  await eventually(async () => (await servedSerial(port, bundleNow(), SERVER_NAME)) === serial1, 'webhook serving the renewed certificate', 10_000);
  const mark1 = denied;
  await eventually(() => denied >= mark1 + 3, 'admissions after the renewal');

  // t2: the CA is rotated; the bundle in every webhook configuration holds the old and the new CA
  clock = new Date(REAL);
  h.operator.resync();
  await eventually(() => secretData()['ca.crt'] !== ca0, 'new CA in the Secret');
  const serial2 = inspectCert(secretData()['tls.crt']!).serial;
  const vwc = h.api.get('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'metallb-webhook-configuration') as KubeObject & { webhooks: { clientConfig: { caBundle: string } }[] };
  const cas = splitPEMCertificates(Buffer.from(vwc.webhooks[0]!.clientConfig.caBundle, 'base64').toString());
  assert.equal(cas.length, 2, 'old and new CA trusted');
  await eventually(async () => {
    const got = await servedSerial(port, bundleNow(), SERVER_NAME);
    return got === serial2;
  }, 'webhook serving the certificate of the new CA', 10_000);
  const mark2 = denied;
  await eventually(() => denied >= mark2 + 3, 'admissions after the CA rotation');

  } finally {
    stop = true;
    await loop;
  }
  assert.deepEqual(failures, [], 'no admission failed or was wrongly decided across the switches');
  assert.ok(denied >= 9 && allowed >= 9, `denied ${denied}, allowed ${allowed}`);
});
