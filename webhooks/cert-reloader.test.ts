// Certificate reload of the webhook server when a kubelet-projected Secret volume changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA, inspectCert, issueServingCert, type KeyPairPEM } from '../operator/util/certs.js';
import { silentLogger } from '../operator/util/log.js';
import { projectSecret, readProjectedSecret } from '../e2e/kubelet/secret-volume.js';
import { CertReloader } from './cert-reloader.js';
import { createWebhookServer } from './server.js';
import { servedSerial } from './testing.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let ca: KeyPairPEM;
let server: Server;
let port: number;
let reloader: CertReloader;
let gate: () => void = () => {};
let gateOpen: Promise<void> = Promise.resolve();
const leaf = (): KeyPairPEM => issueServingCert(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
const serialOf = (c: KeyPairPEM) => inspectCert(c.cert).serial;
const project = (c: { cert: string; key: string }) => projectSecret(dir, { 'tls.crt': c.cert, 'tls.key': c.key, 'ca.crt': ca.cert });

async function waitServed(serial: string, ms = 3000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await servedSerial(port, ca.cert)) === serial) return Date.now() - start;
    if (Date.now() - start > ms) assert.fail(`the server did not switch to certificate ${serial} within ${ms} ms`);
    await sleep(25);
  }
}

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u', kind: { group: '', version: 'v1', kind: 'Thing' }, operation: 'CREATE', object: { metadata: { name: 'x' } } },
});

function call(path: string, agent?: Agent): Promise<{ status: number; reused: boolean; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', ca: ca.cert, servername: 'localhost', headers: { 'content-type': 'application/json' }, agent: agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(review);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'metalfrr-certs-'));
  ca = createCA();
  const first = leaf();
  project(first);
  const initial = { cert: readFileSync(join(dir, 'tls.crt')), key: readFileSync(join(dir, 'tls.key')) };
  server = createWebhookServer({
    ...initial,
    logger: silentLogger,
    routes: {
      '/ok': () => ({ allowed: true }),
      '/slow': async () => {
        await gateOpen;
        return { allowed: true };
      },
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  reloader = new CertReloader(server, { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), intervalMs: 100, logger: silentLogger }).start(initial);
  assert.equal(reloader.serial, serialOf(first));
  assert.equal(await servedSerial(port, ca.cert), serialOf(first));
});

after(() => {
  reloader.stop();
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('projectSecret lays the files out like the kubelet and swaps ..data atomically', () => {
  const before = readlinkSync(join(dir, '..data'));
  assert.match(before, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d{9}$/);
  assert.ok(lstatSync(join(dir, 'tls.crt')).isSymbolicLink());
  assert.equal(readlinkSync(join(dir, 'tls.crt')), join('..data', 'tls.crt'));
  const payload = projectSecret(dir, { ...readProjectedSecret(dir), extra: 'x' });
  assert.equal(readlinkSync(join(dir, '..data')), payload);
  assert.notEqual(payload, before);
  assert.throws(() => lstatSync(join(dir, before)), /ENOENT/, 'the previous payload directory is removed');
  assert.equal(readFileSync(join(dir, 'extra'), 'utf8'), 'x');
  const { extra: _x, ...rest } = readProjectedSecret(dir);
  projectSecret(dir, rest);
  assert.throws(() => lstatSync(join(dir, 'extra')), /ENOENT/, 'a removed key disappears');
  assert.throws(() => projectSecret(dir, { '..data': 'x' }), /invalid key/);
});

test('a kubelet-style update is served within a couple of seconds; no request or connection fails, in-flight ones finish', async () => {
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  assert.equal((await call('/ok', keepAlive)).status, 200);
  gateOpen = new Promise<void>((r) => (gate = r));
  const inflight = call('/slow');
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (!stop) {
      try {
        const r = await call('/ok');
        if (r.status === 200) ok++;
        else failures.push(`status ${r.status}`);
        await servedSerial(port, ca.cert);
        ok++;
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  })();
  await sleep(200);
  const next = leaf();
  project(next);
  const took = await waitServed(serialOf(next));
  assert.ok(took < 2500, `switched after ${took} ms`);
  await sleep(200);
  gate();
  const slow = await inflight;
  assert.equal(slow.status, 200, 'the request in flight during the switch completed');
  const again = await call('/ok', keepAlive);
  assert.equal(again.status, 200);
  assert.equal(again.reused, true, 'the keep-alive connection opened before the switch is still in use');
  stop = true;
  await loop;
  keepAlive.destroy();
  assert.deepEqual(failures, []);
  assert.ok(ok > 10, `${ok} successful requests during the switch`);
  assert.equal(reloader.serial, serialOf(next));
});

test('an inconsistent or truncated pair keeps the current certificate until a good one arrives', async () => {
  const current = await servedSerial(port, ca.cert);
  const a = leaf();
  const b = leaf();
  project({ cert: a.cert, key: b.key }); // key of another certificate
  await sleep(400);
  assert.equal(reloader.check(), 'inconsistent');
  assert.equal(await servedSerial(port, ca.cert), current);
  project({ cert: a.cert.slice(0, 300), key: a.key }); // truncated certificate
  await sleep(400);
  assert.equal(reloader.check(), 'inconsistent');
  assert.equal(await servedSerial(port, ca.cert), current);
  project(a);
  await waitServed(serialOf(a));
  assert.equal(reloader.check(), 'unchanged');
});

test('plain files rewritten one after the other: the new pair is installed once both are there', async () => {
  const plain = mkdtempSync(join(tmpdir(), 'metalfrr-plain-'));
  try {
    const cur = leaf();
    writeFileSync(join(plain, 'tls.crt'), cur.cert);
    writeFileSync(join(plain, 'tls.key'), cur.key);
    const r = new CertReloader(server, { certFile: join(plain, 'tls.crt'), keyFile: join(plain, 'tls.key'), logger: silentLogger });
    assert.equal(r.check(), 'reloaded', 'without an initial pair the first check installs the files');
    assert.equal(await servedSerial(port, ca.cert), serialOf(cur));
    const next = leaf();
    writeFileSync(join(plain, 'tls.crt'), next.cert);
    assert.equal(r.check(), 'inconsistent');
    assert.equal(await servedSerial(port, ca.cert), serialOf(cur));
    writeFileSync(join(plain, 'tls.key'), next.key);
    assert.equal(r.check(), 'reloaded');
    assert.equal(await servedSerial(port, ca.cert), serialOf(next));
    rmSync(join(plain, 'tls.key'));
    assert.equal(r.check(), 'unreadable');
    assert.equal(await servedSerial(port, ca.cert), serialOf(next));
  } finally {
    rmSync(plain, { recursive: true, force: true });
  }
});
