// The BGPPeer conversion webhook (/convert) over HTTPS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import { createServingCertificates, type CertBundle } from '../operator/util/certs.js';
import { silentLogger } from '../operator/util/log.js';
import { createWebhookServer } from './server.js';
import { CONVERSION_PATH, conversionRoutes } from './routes.js';
import { post } from './testing.js';

let certs: CertBundle;
let server: Server;
let port: number;

before(async () => {
  certs = createServingCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  server = createWebhookServer({ cert: certs.cert, key: certs.key, routes: {}, conversions: conversionRoutes(), logger: silentLogger });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

const meta = { name: 'p1', namespace: 'metallb-system', uid: 'abc', resourceVersion: '7', labels: { a: 'b' }, annotations: { 'x/y': 'z' } };
const v1beta1 = {
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPPeer',
  metadata: meta,
  spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1', holdTime: '90s', nodeSelectors: [{ matchLabels: { rack: 'a' } }] },
};
const review = (desiredAPIVersion: string, objects: unknown[], uid = 'conv-1') =>
  JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid, desiredAPIVersion, objects } });

async function convert(body: string) {
  const r = await post(port, CONVERSION_PATH, body, certs.caCert);
  assert.equal(r.status, 200, r.body);
  const parsed = JSON.parse(r.body);
  assert.equal(parsed.apiVersion, 'apiextensions.k8s.io/v1');
  assert.equal(parsed.kind, 'ConversionReview');
  return parsed.response;
}

test('v1beta1 -> v1beta2 -> v1beta1 with uid, metadata kept, Go durations', async () => {
  const up = await convert(review('metallb.io/v1beta2', [v1beta1], 'u-up'));
  assert.equal(up.uid, 'u-up');
  assert.deepEqual(up.result, { status: 'Success' });
  assert.equal(up.convertedObjects.length, 1);
  const v2 = up.convertedObjects[0];
  assert.equal(v2.apiVersion, 'metallb.io/v1beta2');
  assert.equal(v2.kind, 'BGPPeer');
  assert.deepEqual(v2.metadata, meta);
  assert.deepEqual(v2.spec, {
    myASN: 64500,
    peerASN: 64501,
    peerAddress: '10.0.0.1',
    holdTime: '1m30s',
    keepaliveTime: '0s',
    nodeSelectors: [{ matchLabels: { rack: 'a' } }],
  });
  const down = await convert(review('metallb.io/v1beta1', [{ ...v2, spec: { ...v2.spec, dynamicASN: 'external', peerASN: undefined } }], 'u-down'));
  assert.equal(down.uid, 'u-down');
  assert.deepEqual(down.result, { status: 'Success' });
  const v1 = down.convertedObjects[0];
  assert.equal(v1.apiVersion, 'metallb.io/v1beta1');
  assert.deepEqual(v1.metadata, meta);
  assert.equal(v1.spec.peerASN, 0, 'v1beta1 has no dynamicASN: peerASN is written as 0');
  assert.equal(v1.spec.dynamicASN, undefined);
  assert.deepEqual(v1.spec.nodeSelectors, [{ matchLabels: { rack: 'a' } }]);
});

test('several objects, and objects already at the desired version', async () => {
  const v2 = { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'p2' }, spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.2' } };
  const r = await convert(review('metallb.io/v1beta2', [v1beta1, v2]));
  assert.deepEqual(r.result, { status: 'Success' });
  assert.deepEqual(r.convertedObjects.map((o: { apiVersion: string; metadata: { name: string } }) => `${o.apiVersion} ${o.metadata.name}`), [
    'metallb.io/v1beta2 p1',
    'metallb.io/v1beta2 p2',
  ]);
  assert.deepEqual(r.convertedObjects[1], v2);
  const empty = await convert(review('metallb.io/v1beta1', []));
  assert.deepEqual(empty, { uid: 'conv-1', convertedObjects: [], result: { status: 'Success' } });
});

test('an object that does not convert fails the whole review with a message', async () => {
  const bad = { ...v1beta1, spec: { ...v1beta1.spec, holdTime: 'soon' } };
  const r = await convert(review('metallb.io/v1beta2', [v1beta1, bad], 'u-bad'));
  assert.equal(r.uid, 'u-bad');
  assert.deepEqual(r.convertedObjects, []);
  assert.equal(r.result.status, 'Failure');
  assert.equal(r.result.message, 'time: invalid duration "soon"');
  const version = await convert(review('metallb.io/v2', [v1beta1]));
  assert.equal(version.result.status, 'Failure');
  assert.match(version.result.message, /unsupported BGPPeer version metallb.io\/v2/);
  const kind = await convert(review('metallb.io/v1beta2', [{ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'x' } }]));
  assert.equal(kind.result.status, 'Failure');
  assert.match(kind.result.message, /expected a BGPPeer, got IPAddressPool/);
});

test('malformed ConversionReviews get HTTP 400, wrong methods 405, and the server keeps serving', async () => {
  const cases: [string, RegExp][] = [
    ['{', /not valid JSON/],
    [JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'ConversionReview', request: {} }), /only apiextensions.k8s.io\/v1/],
    [JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'AdmissionReview' }), /expected kind ConversionReview/],
    [JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview' }), /has no request/],
    [JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { desiredAPIVersion: 'v', objects: [] } }), /no uid/],
    [JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid: 'u', objects: [] } }), /no desiredAPIVersion/],
    [JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid: 'u', desiredAPIVersion: 'v' } }), /objects is not a list/],
    [JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid: 'u', desiredAPIVersion: 'v', objects: [1] } }), /objects\[0\] is not an object/],
  ];
  for (const [body, re] of cases) {
    const r = await post(port, CONVERSION_PATH, body, certs.caCert);
    assert.equal(r.status, 400, body);
    assert.match(r.body, /^bad ConversionReview: /);
    assert.match(r.body, re);
  }
  assert.equal((await post(port, CONVERSION_PATH, review('metallb.io/v1beta2', []), certs.caCert, { 'content-type': 'text/plain' })).status, 400);
  assert.equal((await post(port, CONVERSION_PATH, '', certs.caCert, {}, 'GET')).status, 405);
  const ok = await convert(review('metallb.io/v1beta2', [v1beta1]));
  assert.equal(ok.result.status, 'Success');
});
