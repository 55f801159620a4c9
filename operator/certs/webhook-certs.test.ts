import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { projectPath } from '../util/paths.js';
import { createServingCertificates, inspectCert, isSignedBy, keyMatchesCert, splitPEMCertificates, verifiesAgainst } from '../util/certs.js';
import {
  caBundleBase64,
  decodeSecretData,
  encodeSecretData,
  planWebhookCerts,
  serviceDNSName,
  withConversionCABundle,
  withWebhookCABundle,
  type WebhookCertOptions,
  type WebhookCertPlan,
} from './webhook-certs.js';

const MIN = 60_000;
const SVC = 'metallb-webhook-service';
const NS = 'metallb-system';
const NAME = serviceDNSName(SVC, NS);
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (min: number): Date => new Date(T0.getTime() + min * MIN);
/** short lifetimes: CA 60 min (renewed 20 min before expiry), serving certificate 20 min (renewed 5 min before) */
const SHORT = { caValidityMs: 60 * MIN, caRenewBeforeMs: 20 * MIN, certValidityMs: 20 * MIN, certRenewBeforeMs: 5 * MIN };
const opts = (now: Date, extra: Partial<WebhookCertOptions> = {}): WebhookCertOptions => ({ serviceName: SVC, namespace: NS, now, ...SHORT, ...extra });

function assertConsistent(p: WebhookCertPlan, now: Date): void {
  const d = p.data;
  assert.deepEqual(Object.keys(d).sort(), ['ca-bundle.crt', 'ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  assert.equal(d['ca-bundle.crt'], p.caBundle);
  assert.ok(keyMatchesCert(d['ca.crt']!, d['ca.key']!), 'ca.key belongs to ca.crt');
  assert.ok(keyMatchesCert(d['tls.crt']!, d['tls.key']!), 'tls.key belongs to tls.crt');
  assert.ok(isSignedBy(d['tls.crt']!, d['ca.crt']!), 'tls.crt is signed by ca.crt');
  assert.ok(inspectCert(d['tls.crt']!).dnsNames.includes(NAME));
  const bundle = splitPEMCertificates(p.caBundle);
  assert.equal(bundle[0], splitPEMCertificates(d['ca.crt']!)[0], 'the current CA comes first in the bundle');
  for (const ca of bundle) assert.ok(inspectCert(ca).notAfter.getTime() > now.getTime(), 'no expired CA in the bundle');
  assert.ok(verifiesAgainst(d['tls.crt']!, p.caBundle, now, NAME), 'the serving certificate verifies against the bundle');
  assert.ok(p.nextCheck.getTime() > now.getTime(), `nextCheck ${p.nextCheck.toISOString()} is after now ${now.toISOString()}`);
}

test('a fresh Secret: CA, serving certificate for <svc>.<ns>.svc, bundle = the CA, nextCheck = the earliest renewal', () => {
  const p = planWebhookCerts(undefined, opts(T0));
  assert.equal(p.changed, true);
  assert.match(p.reason, /new CA and serving certificate: the Secret has no ca.crt, ca.key, tls.crt, tls.key/);
  assertConsistent(p, T0);
  assert.equal(splitPEMCertificates(p.caBundle).length, 1);
  const cert = inspectCert(p.data['tls.crt']!);
  assert.deepEqual(cert.dnsNames, [NAME, `${NAME}.cluster.local`, `${SVC}.${NS}`, SVC]);
  // the certificate is renewed first (20 - 5 min), X.509 times have second resolution
  assert.ok(Math.abs(p.nextCheck.getTime() - at(15).getTime()) < 1000, p.nextCheck.toISOString());
  // the same data planned again: nothing to do
  const again = planWebhookCerts(p.data, opts(at(1)));
  assert.equal(again.changed, false);
  assert.equal(again.reason, 'certificates are valid');
  assert.deepEqual(again.data, p.data);
  assert.equal(again.nextCheck.getTime(), p.nextCheck.getTime());
});

test('default lifetimes: CA 10 years, serving certificate 1 year renewed 90 days before expiry', () => {
  const p = planWebhookCerts(undefined, { serviceName: SVC, namespace: NS, now: T0 });
  const ca = inspectCert(p.data['ca.crt']!);
  const cert = inspectCert(p.data['tls.crt']!);
  const DAY = 86_400_000;
  assert.ok(Math.abs(ca.notAfter.getTime() - (T0.getTime() + 3650 * DAY)) < 1000);
  assert.ok(Math.abs(cert.notAfter.getTime() - (T0.getTime() + 365 * DAY)) < 1000);
  assert.ok(Math.abs(p.nextCheck.getTime() - (T0.getTime() + 275 * DAY)) < 1000);
  assert.equal(ca.isCA, true);
  assert.equal(cert.isCA, false);
  // a year in: the certificate is renewed, the CA stays
  const later = new Date(T0.getTime() + 300 * DAY);
  const q = planWebhookCerts(p.data, { serviceName: SVC, namespace: NS, now: later });
  assert.equal(q.changed, true);
  assert.match(q.reason, /^serving certificate renewed/);
  assert.equal(q.data['ca.crt'], p.data['ca.crt']);
  assert.equal(q.caBundle, p.caBundle);
  assertConsistent(q, later);
});

test('rotations over three CA lifetimes (minutes): at every instant the Secret verifies against the bundle, and so does the previous certificate', () => {
  let data: Record<string, string> | undefined;
  let now = T0;
  const reasons: string[] = [];
  let generations = 0;
  let maxBundle = 0;
  const END = at(130); // three CA rotations, serving certificates renewed in between
  while (now.getTime() < END.getTime()) {
    const p = planWebhookCerts(data, opts(now));
    assertConsistent(p, now);
    if (data) {
      // the previous serving certificate (still served until the kubelet projects the new Secret)
      // verifies against the new bundle now and during a kubelet lag of two minutes
      for (const lag of [0, 1, 2]) {
        const t = new Date(now.getTime() + lag * MIN);
        assert.ok(verifiesAgainst(data['tls.crt']!, p.caBundle, t, NAME), `previous certificate trusted at +${lag} min after ${p.reason}`);
      }
    }
    if (p.changed) {
      reasons.push(p.reason);
      if (p.data['tls.crt'] !== data?.['tls.crt']) generations++;
    }
    maxBundle = Math.max(maxBundle, splitPEMCertificates(p.caBundle).length);
    // at instants before nextCheck: nothing to do, and the stored certificate verifies against the bundle
    const span = p.nextCheck.getTime() - now.getTime();
    for (const f of [0.25, 0.5, 0.99]) {
      const t = new Date(now.getTime() + Math.floor(span * f));
      assert.ok(verifiesAgainst(p.data['tls.crt']!, p.caBundle, t, NAME), `stored certificate trusted at ${t.toISOString()}`);
      const q = planWebhookCerts(p.data, opts(t));
      assert.equal(q.changed, false, `nothing to do at ${t.toISOString()} (${q.reason})`);
    }
    data = p.data;
    now = new Date(p.nextCheck.getTime() + 1000);
  }
  const count = (re: RegExp): number => reasons.filter((r) => re.test(r)).length;
  assert.equal(count(/^new CA and serving certificate/), 1, reasons.join('\n'));
  assert.equal(count(/^CA rotated/), 3, reasons.join('\n'));
  assert.ok(count(/^serving certificate renewed/) >= 6, reasons.join('\n'));
  assert.equal(count(/expired CA\(s\) dropped from the bundle/), 2, reasons.join('\n'));
  assert.equal(maxBundle, 2, 'at most the current and the previous CA');
  assert.ok(generations < 15, `${generations} certificates generated`);
});

test('the bundle keeps the previous CA exactly until it expires', () => {
  const long = { certValidityMs: 50 * MIN }; // the certificate is due after the CA (40 min)
  const p0 = planWebhookCerts(undefined, opts(T0, long));
  const caRotation = planWebhookCerts(p0.data, opts(at(41), long));
  assert.match(caRotation.reason, /^CA rotated/);
  const oldCA = inspectCert(p0.data['ca.crt']!);
  const bundle = splitPEMCertificates(caRotation.caBundle);
  assert.equal(bundle.length, 2);
  assert.equal(bundle[1], p0.data['ca.crt']);
  assert.notEqual(caRotation.data['ca.crt'], p0.data['ca.crt']);
  assert.ok(!isSignedBy(caRotation.data['tls.crt']!, p0.data['ca.crt']!));
  // nextCheck is the old CA's expiry (the new certificate is renewed later)
  assert.equal(caRotation.nextCheck.getTime(), oldCA.notAfter.getTime());
  const before = planWebhookCerts(caRotation.data, opts(new Date(oldCA.notAfter.getTime() - 1000), long));
  assert.equal(before.changed, false);
  const dropped = planWebhookCerts(caRotation.data, opts(oldCA.notAfter, long));
  assert.equal(dropped.changed, true);
  assert.equal(dropped.reason, '1 expired CA(s) dropped from the bundle');
  assert.equal(dropped.data['tls.crt'], caRotation.data['tls.crt']);
  assert.deepEqual(splitPEMCertificates(dropped.caBundle), [caRotation.data['ca.crt']]);
});

test('missing, corrupt or mismatching data gets a fresh CA and certificate', () => {
  const good = planWebhookCerts(undefined, opts(T0)).data;
  const other = planWebhookCerts(undefined, opts(T0, { serviceName: 'other' })).data;
  const cases: [string, Record<string, string>, RegExp][] = [
    ['garbage certificate', { ...good, 'tls.crt': 'not a certificate' }, /tls.crt is not a certificate/],
    ['garbage CA', { ...good, 'ca.crt': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }, /ca.crt is not a certificate/],
    ['key of another certificate', { ...good, 'tls.key': other['tls.key']! }, /tls.key does not belong to tls.crt/],
    ['CA key of another CA', { ...good, 'ca.key': other['ca.key']! }, /ca.key does not belong to ca.crt/],
    ['certificate of another CA', { ...good, 'tls.crt': other['tls.crt']!, 'tls.key': other['tls.key']! }, /tls.crt is not signed by ca.crt/],
    ['certificate for another service', other, /tls.crt is not for metallb-webhook-service.metallb-system.svc \(it names other.metallb-system.svc/],
    ['serving certificate as CA', { ...good, 'ca.crt': good['tls.crt']!, 'ca.key': good['tls.key']! }, /ca.crt is not a CA certificate/],
    ['no key', { ...good, 'tls.key': '' }, /the Secret has no tls.key/],
  ];
  for (const [what, data, re] of cases) {
    const p = planWebhookCerts(data, opts(at(1)));
    assert.equal(p.changed, true, what);
    assert.match(p.reason, /^new CA and serving certificate: /, what);
    assert.match(p.reason, re, what);
    assertConsistent(p, at(1));
    assert.notEqual(p.data['ca.crt'], data['ca.crt'], what);
  }
  // an expired certificate (the operator was down for longer than the renew window)
  const expired = planWebhookCerts(good, opts(at(30)));
  assert.match(expired.reason, /the serving certificate is not valid now/);
  // unexpired CAs of the old data stay trusted (a pod may still serve a certificate they signed)
  const brokenKey = planWebhookCerts({ ...good, 'tls.key': other['tls.key']! }, opts(at(1)));
  assert.ok(verifiesAgainst(good['tls.crt']!, brokenKey.caBundle, at(1), NAME));
  // an expired CA does not
  const late = planWebhookCerts(good, opts(at(61)));
  assert.match(late.reason, /the CA is not valid now/);
  assert.equal(splitPEMCertificates(late.caBundle).length, 1);
});

test('a Secret written without ca-bundle.crt (e.g. by upstream cert-controller) gains it without new keys', () => {
  const p = planWebhookCerts(undefined, opts(T0));
  const { ['ca-bundle.crt']: _bundle, ...upstream } = p.data;
  const q = planWebhookCerts(upstream, opts(at(1)));
  assert.equal(q.changed, true);
  assert.equal(q.reason, 'ca-bundle.crt added');
  assert.deepEqual(q.data, p.data);
});

test('inconsistent lifetimes are refused', () => {
  assert.throws(() => planWebhookCerts(undefined, opts(T0, { certRenewBeforeMs: 20 * MIN })), /certRenewBeforeMs must be shorter than certValidityMs/);
  assert.throws(() => planWebhookCerts(undefined, opts(T0, { caRenewBeforeMs: 60 * MIN })), /caRenewBeforeMs must be shorter than caValidityMs/);
  assert.throws(() => planWebhookCerts(undefined, opts(T0, { caRenewBeforeMs: 2 * MIN })), /certRenewBeforeMs must be shorter than caRenewBeforeMs/);
  assert.throws(() => planWebhookCerts(undefined, opts(T0, { certValidityMs: -1 })), /certValidityMs must be a positive number/);
});

test('helpers: Secret data encoding, caBundle on webhook configurations and on the BGPPeer conversion webhook', () => {
  const data = { 'ca.crt': 'A\n', 'tls.key': 'ключ' };
  const enc = encodeSecretData(data);
  assert.equal(enc['ca.crt'], Buffer.from('A\n').toString('base64'));
  assert.deepEqual(decodeSecretData(enc), data);
  assert.deepEqual(decodeSecretData(undefined), {});
  const b64 = caBundleBase64('PEM');
  assert.equal(Buffer.from(b64, 'base64').toString(), 'PEM');

  const vwc = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'metallb-webhook-configuration' },
    webhooks: [
      { name: 'a', clientConfig: { service: { name: SVC, namespace: NS, path: '/x' } } },
      { name: 'b', clientConfig: { service: { name: SVC, namespace: NS, path: '/y' }, caBundle: 'old' } },
    ],
  };
  const out = withWebhookCABundle(vwc, b64);
  assert.deepEqual(out.webhooks.map((w) => w.clientConfig), [
    { service: { name: SVC, namespace: NS, path: '/x' }, caBundle: b64 },
    { service: { name: SVC, namespace: NS, path: '/y' }, caBundle: b64 },
  ]);
  assert.equal(vwc.webhooks[1]!.clientConfig.caBundle, 'old', 'the input is not modified');

  const crd = parse(readFileSync(projectPath('crds', 'metallb.io_bgppeers.yaml'), 'utf8'));
  const withCA = withConversionCABundle(crd, b64);
  assert.equal(withCA.spec.conversion.strategy, 'Webhook');
  assert.equal(withCA.spec.conversion.webhook.clientConfig.caBundle, b64);
  assert.equal(withCA.spec.conversion.webhook.clientConfig.service.name, SVC);
  assert.equal(withCA.spec.conversion.webhook.clientConfig.service.path, '/convert');
  assert.equal(crd.spec.conversion.webhook.clientConfig.caBundle, undefined);
  const plain = { spec: { conversion: { strategy: 'None' } } };
  assert.deepEqual(withConversionCABundle(plain, b64), plain);
});

test('createServingCertificates keeps working for its callers', () => {
  const c = createServingCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now: T0 });
  const i = inspectCert(c.cert);
  assert.deepEqual(i.dnsNames, ['localhost']);
  assert.deepEqual(i.ipAddresses, ['127.0.0.1']);
  assert.ok(isSignedBy(c.cert, c.caCert));
  assert.ok(keyMatchesCert(c.cert, c.key));
  assert.ok(!keyMatchesCert(c.cert, c.caKey));
  assert.ok(!isSignedBy(c.caCert, c.caCert) || inspectCert(c.caCert).isCA, 'the CA is self-signed');
  assert.ok(Math.abs(i.notAfter.getTime() - (T0.getTime() + 365 * 86_400_000)) < 1000);
  assert.ok(Math.abs(i.notBefore.getTime() - (T0.getTime() - MIN)) < 1000);
});

test('OpenSSL tells rotated CAs with the same subject apart (authorityKeyIdentifier)', async () => {
  const { createServer } = await import('node:tls');
  const { createCA, issueServingCert } = await import('../util/certs.js');
  const { servedSerial } = await import('../../webhooks/testing.js');
  const ca1 = createCA({ commonName: 'same' });
  const ca2 = createCA({ commonName: 'same' });
  const leaf = issueServingCert(ca2, { dnsNames: ['localhost'] });
  const server = createServer({ cert: leaf.cert, key: leaf.key });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    for (const bundle of [ca1.cert + ca2.cert, ca2.cert + ca1.cert]) assert.equal(await servedSerial(port, bundle), inspectCert(leaf.cert).serial);
    await assert.rejects(servedSerial(port, ca1.cert));
  } finally {
    server.close();
  }
});
