import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import { createServingCertificates, type CertBundle } from '../operator/util/certs.js';
import { silentLogger } from '../operator/util/log.js';
import { createWebhookServer, type AdmissionRequest } from './server.js';
import { post } from './testing.js';

let certs: CertBundle;
let server: Server;
let port: number;
const seen: AdmissionRequest[] = [];

before(async () => {
  certs = createServingCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  server = createWebhookServer({
    cert: certs.cert,
    key: certs.key,
    logger: silentLogger,
    routes: {
      '/validate-thing': (req) => {
        seen.push(req);
        const ok = (req.object?.metadata?.name ?? '') !== 'bad';
        return ok ? { allowed: true, warnings: ['careful'] } : { allowed: false, message: 'bad thing' };
      },
      '/boom': () => {
        throw new Error('kaboom');
      },
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

after(() => server.close());

const review = (name: string, operation = 'CREATE') =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${name}`,
      kind: { group: 'x', version: 'v1', kind: 'Thing' },
      operation,
      object: { apiVersion: 'x/v1', kind: 'Thing', metadata: { name } },
    },
  });

test('allows and denies with AdmissionReview v1 responses over TLS', async () => {
  const ok = await post(port, '/validate-thing', review('good'), certs.caCert);
  assert.equal(ok.status, 200);
  const okBody = JSON.parse(ok.body);
  assert.equal(okBody.apiVersion, 'admission.k8s.io/v1');
  assert.deepEqual(okBody.response, { uid: 'uid-good', allowed: true, warnings: ['careful'] });

  const bad = JSON.parse((await post(port, '/validate-thing', review('bad'), certs.caCert)).body);
  assert.equal(bad.response.allowed, false);
  assert.equal(bad.response.uid, 'uid-bad');
  assert.deepEqual(bad.response.status, { code: 403, reason: 'Forbidden', message: 'bad thing' });
  assert.equal(seen.at(-1)?.object?.metadata.name, 'bad');
});

test('malformed requests get HTTP 400 and the server keeps serving', async () => {
  const cases: [string, RegExp][] = [
    ['{not json', /not valid JSON/],
    ['[]', /not an AdmissionReview object/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }), /only admission.k8s.io\/v1/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /has no request/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'X' }, operation: 'CREATE', object: {} } }), /no uid/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { kind: 'X' }, operation: 'PATCH' } }), /invalid operation/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { kind: 'X' }, operation: 'CREATE' } }), /has no object/],
  ];
  for (const [body, re] of cases) {
    const r = await post(port, '/validate-thing', body, certs.caCert);
    assert.equal(r.status, 400, body);
    assert.match(r.body, re);
  }
  const wrongType = await post(port, '/validate-thing', review('good'), certs.caCert, { 'content-type': 'text/plain' });
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.body, /content-type must be application\/json/);
  // still serving
  const ok = await post(port, '/validate-thing', review('good'), certs.caCert);
  assert.equal(JSON.parse(ok.body).response.allowed, true);
});

test('healthz, unknown paths, wrong methods, handler errors', async () => {
  const h = await post(port, '/healthz', '', certs.caCert, {}, 'GET');
  assert.equal(h.status, 200);
  assert.equal(h.body, 'ok');
  assert.equal((await post(port, '/nope', review('x'), certs.caCert)).status, 404);
  assert.equal((await post(port, '/validate-thing', '', certs.caCert, {}, 'GET')).status, 405);
  const boom = JSON.parse((await post(port, '/boom', review('x'), certs.caCert)).body);
  assert.equal(boom.response.allowed, false);
  assert.match(boom.response.status.message, /internal error: kaboom/);
});

test('TLS below 1.2 is refused', async () => {
  await assert.rejects(
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/healthz', method: 'GET', ca: certs.caCert, servername: 'localhost', maxVersion: 'TLSv1.1', minVersion: 'TLSv1' },
        resolve,
      );
      req.on('error', reject);
      req.end();
    }),
  );
});
