// The real webhook routes behind the real HTTPS server: every webhook-e2e acceptance vector, the
// FRRConfiguration webhook, and the `metalfrr webhook` process with --objects.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:https';
import type { KubeObject } from '../operator/api/meta.js';
import type { BGPBackend } from '../operator/api/constants.js';
import { KINDS, type KnownKind } from '../operator/config/kinds.js';
import { createServingCertificates, inspectCert, issueServingCert, type CertBundle } from '../operator/util/certs.js';
import { silentLogger } from '../operator/util/log.js';
import { parseManifests } from '../operator/util/manifests.js';
import { projectPath, sharedDir } from '../operator/util/paths.js';
import { createWebhookServer, type AdmissionHandler } from './server.js';
import { CONVERSION_PATH, FRRK8S_WEBHOOK_PATH, METALLB_WEBHOOK_PATHS, webhookRoutes } from './routes.js';
import type { ObjectSource } from './sources.js';
import { post, servedSerial } from './testing.js';

class MemorySource implements ObjectSource {
  constructor(public objects: KubeObject[]) {}
  async list(kind: KnownKind, namespace?: string): Promise<KubeObject[]> {
    const k = KINDS[kind];
    return this.objects.filter((o) => o.kind === k.kind && (!k.namespaced || namespace === undefined || o.metadata.namespace === namespace));
  }
}

function review(uid: string, operation: string, object?: KubeObject, oldObject?: KubeObject): string {
  const o = object ?? oldObject!;
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version, kind: o.kind },
      resource: { group, version, resource: o.kind.toLowerCase() + 's' },
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      operation,
      userInfo: { username: 'test' },
      object: object ?? null,
      oldObject: oldObject ?? null,
      dryRun: false,
    },
  });
}

let certs: CertBundle;
let server: Server;
let port: number;
const routes: Record<string, AdmissionHandler> = {};

before(async () => {
  certs = createServingCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  server = createWebhookServer({ cert: certs.cert, key: certs.key, routes, logger: silentLogger });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

function useCluster(objects: KubeObject[], backend: BGPBackend): void {
  for (const k of Object.keys(routes)) delete routes[k];
  Object.assign(routes, webhookRoutes(new MemorySource(objects), { namespace: 'metallb-system', backend }));
}

const load = (file: string): KubeObject[] => (existsSync(file) ? parseManifests(readFileSync(file, 'utf8'), file).objects.map((o) => o.object) : []);

describe('webhook-e2e acceptance vectors over HTTPS', () => {
  const dir = join(sharedDir(), 'vectors', 'metallb-validation', 'webhook-e2e');
  const cases = readdirSync(dir).filter((d) => /^\d{3}-/.test(d)).sort();
  test('all vectors are present', () => assert.equal(cases.length, 36));
  for (const c of cases) {
    test(c, async () => {
      const expected = JSON.parse(readFileSync(join(dir, c, 'expected.json'), 'utf8'));
      const existing = load(join(dir, c, 'existing.yaml'));
      const [applied] = load(join(dir, c, 'applied.yaml'));
      assert.ok(applied, 'applied.yaml holds the object under test');
      useCluster(existing, expected.bgpBackend);
      const path = METALLB_WEBHOOK_PATHS[applied.kind as keyof typeof METALLB_WEBHOOK_PATHS];
      const op = expected.operation as string;
      const old = existing.find((o) => o.kind === applied.kind && o.metadata.name === applied.metadata.name);
      const body =
        op === 'DELETE' ? review(c, op, undefined, old ?? applied) : review(c, op, applied, op === 'UPDATE' ? old : undefined);
      const res = await post(port, path, body, certs.caCert);
      assert.equal(res.status, 200);
      const r = JSON.parse(res.body).response;
      assert.equal(r.uid, c);
      assert.equal(r.allowed, expected.valid, r.status?.message);
      if (!expected.valid) {
        assert.equal(r.status.code, 403);
        if (expected.errorContains) assert.ok(r.status.message.includes(expected.errorContains), r.status.message);
      }
    });
  }
});

describe('BGPPeer hold time over HTTPS (issue acceptance)', () => {
  const peer = (holdTime: string): KubeObject => ({
    apiVersion: 'metallb.io/v1beta2',
    kind: 'BGPPeer',
    metadata: { name: 'peer1', namespace: 'metallb-system' },
    spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1', holdTime },
  });
  test('holdTime 2s is denied, 90s allowed', async () => {
    useCluster([], 'frr-k8s');
    const denied = JSON.parse((await post(port, METALLB_WEBHOOK_PATHS.BGPPeer, review('a', 'CREATE', peer('2s')), certs.caCert)).body).response;
    assert.equal(denied.allowed, false);
    assert.match(denied.status.message, /invalid hold time "2s": must be 0 or >=3s/);
    const ok = JSON.parse((await post(port, METALLB_WEBHOOK_PATHS.BGPPeer, review('b', 'CREATE', peer('90s')), certs.caCert)).body).response;
    assert.equal(ok.allowed, true, ok.status?.message);
  });
  test('an object of the wrong kind on a path is denied', async () => {
    useCluster([], 'frr-k8s');
    const r = JSON.parse((await post(port, METALLB_WEBHOOK_PATHS.IPAddressPool, review('c', 'CREATE', peer('90s')), certs.caCert)).body).response;
    assert.equal(r.allowed, false);
    assert.match(r.status.message, /validates IPAddressPool objects, got BGPPeer/);
  });
});

describe('FRRConfiguration webhook over HTTPS', () => {
  const cfg = (name: string, ns: string, asn: number, extra: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'frrk8s.metallb.io/v1beta1',
    kind: 'FRRConfiguration',
    metadata: { name, namespace: ns },
    spec: { bgp: { routers: [{ asn, neighbors: [{ address: '172.18.0.5', asn: 64512, ...extra }] }] } },
  });
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } } };
  test('conflict with an object in another namespace is denied, naming the node', async () => {
    useCluster([node, cfg('existing', 'other-ns', 64512)], 'frr-k8s');
    const r = JSON.parse((await post(port, FRRK8S_WEBHOOK_PATH, review('f1', 'CREATE', cfg('new', 'frr-k8s-system', 64999)), certs.caCert)).body).response;
    assert.equal(r.allowed, false);
    assert.match(r.status.message, /different asns/);
    assert.match(r.status.message, /resource is invalid for node node1/);
  });
  test('compatible config allowed, disableMP warned', async () => {
    useCluster([node, cfg('existing', 'other-ns', 64512)], 'frr-k8s');
    const r = JSON.parse((await post(port, FRRK8S_WEBHOOK_PATH, review('f2', 'CREATE', cfg('new', 'frr-k8s-system', 64512, { disableMP: true })), certs.caCert)).body).response;
    assert.equal(r.allowed, true, r.status?.message);
    assert.ok(r.warnings?.some((w: string) => w.includes('disableMP is deprecated')), JSON.stringify(r));
  });
});

describe('metalfrr webhook process', () => {
  let child: ChildProcess | undefined;
  let tmp: string;
  let childPort = 0;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'metalfrr-webhook-'));
    writeFileSync(join(tmp, 'tls.crt'), certs.cert);
    writeFileSync(join(tmp, 'tls.key'), certs.key);
    writeFileSync(join(tmp, 'objects.yaml'), readFileSync(projectPath('operator', 'cli', 'testdata', 'overlapping-pools.yaml'), 'utf8').split('---')[0]!);
    child = spawn(
      process.execPath,
      [projectPath('dist', 'operator', 'cli', 'bin.js'), 'webhook', '--port', '0', '--host', '127.0.0.1',
        '--tls-cert-file', join(tmp, 'tls.crt'), '--tls-private-key-file', join(tmp, 'tls.key'), '--objects', join(tmp, 'objects.yaml')],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    childPort = await new Promise<number>((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error(`webhook did not start: ${buf}`)), 15000);
      child!.stderr!.on('data', (d: Buffer) => {
        buf += d.toString();
        for (const line of buf.split('\n')) {
          if (!line.startsWith('{')) continue;
          const rec = JSON.parse(line);
          if (rec.msg === 'serving admission webhooks') {
            clearTimeout(t);
            resolve(Number(String(rec.address).split(':').pop()));
          }
        }
      });
      child!.on('exit', (code) => reject(new Error(`webhook exited ${code}: ${buf}`)));
    });
  });
  after(() => {
    child?.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });
  test('serves healthz, validates against --objects, answers 400 to garbage and keeps serving', async () => {
    assert.equal((await post(childPort, '/healthz', '', certs.caCert, {}, 'GET')).status, 200);
    const pool = (name: string, cidr: string): KubeObject => ({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name, namespace: 'metallb-system' },
      spec: { addresses: [cidr] },
    });
    const overlap = JSON.parse((await post(childPort, METALLB_WEBHOOK_PATHS.IPAddressPool, review('p1', 'CREATE', pool('second', '192.168.10.128/25')), certs.caCert)).body).response;
    assert.equal(overlap.allowed, false);
    assert.match(overlap.status.message, /overlaps with already defined CIDR/);
    assert.equal((await post(childPort, METALLB_WEBHOOK_PATHS.IPAddressPool, '{"kind":', certs.caCert)).status, 400);
    const ok = JSON.parse((await post(childPort, METALLB_WEBHOOK_PATHS.IPAddressPool, review('p2', 'CREATE', pool('second', '192.168.11.0/24')), certs.caCert)).body).response;
    assert.equal(ok.allowed, true, ok.status?.message);
  });
  test('serves the BGPPeer conversion webhook at /convert and picks up new certificate files', async () => {
    const conv = await post(
      childPort,
      CONVERSION_PATH,
      JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'ConversionReview',
        request: { uid: 'c1', desiredAPIVersion: 'metallb.io/v1beta2', objects: [{ apiVersion: 'metallb.io/v1beta1', kind: 'BGPPeer', metadata: { name: 'p' }, spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.1' } }] },
      }),
      certs.caCert,
    );
    const response = JSON.parse(conv.body).response;
    assert.equal(response.uid, 'c1');
    assert.deepEqual(response.result, { status: 'Success' });
    assert.equal(response.convertedObjects[0].apiVersion, 'metallb.io/v1beta2');

    const next = issueServingCert({ cert: certs.caCert, key: certs.caKey }, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    writeFileSync(join(tmp, 'tls.crt'), next.cert);
    writeFileSync(join(tmp, 'tls.key'), next.key);
    const want = inspectCert(next.cert).serial;
    const deadline = Date.now() + 5000;
    while ((await servedSerial(childPort, certs.caCert)) !== want) {
      if (Date.now() > deadline) assert.fail('the webhook process did not reload its certificate within 5 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await post(childPort, '/healthz', '', certs.caCert, {}, 'GET')).status, 200);
  });
});
