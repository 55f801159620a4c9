import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../operator/runtime/client.js';
import { FileObjectSource, KubeObjectSource } from './sources.js';

let api: Server;
let port: number;
const requests: string[] = [];

before(async () => {
  // a minimal stand-in for list endpoints: enough to check paths, auth header and item typing
  api = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    const lists: Record<string, unknown[]> = {
      '/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools': [{ metadata: { name: 'p', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.0/24'] } }],
      '/api/v1/nodes': [{ metadata: { name: 'n1', labels: { a: 'b' } } }],
      '/apis/frrk8s.metallb.io/v1beta1/frrconfigurations': [{ metadata: { name: 'c', namespace: 'x' }, spec: {} }],
    };
    const items = lists[req.url ?? ''];
    if (!items) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'List', metadata: { resourceVersion: '7' }, items }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  port = (api.address() as AddressInfo).port;
});
after(() => api.close());

test('KubeObjectSource lists with the kubeconfig credentials and types the items', async () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'sekret-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  const src = new KubeObjectSource(new KubeClient(kc));
  const pools = await src.list('IPAddressPool', 'metallb-system');
  assert.equal(pools.length, 1);
  assert.equal(pools[0]!.kind, 'IPAddressPool');
  assert.equal(pools[0]!.apiVersion, 'metallb.io/v1beta1');
  const nodes = await src.list('Node');
  assert.equal(nodes[0]!.kind, 'Node');
  assert.equal((await src.list('FRRConfiguration'))[0]!.metadata.namespace, 'x');
  assert.ok(requests.every((r) => r.endsWith('Bearer sekret-token')), requests.join('\n'));
  await assert.rejects(src.list('Community', 'metallb-system'), /404/);
});

test('FileObjectSource re-reads files, defaults namespaces and converts v1beta1 peers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'metalfrr-src-'));
  try {
    const f = join(dir, 'objs.yaml');
    writeFileSync(
      f,
      `apiVersion: metallb.io/v1beta1
kind: BGPPeer
metadata: {name: old}
spec: {myASN: 64500, peerASN: 64501, peerAddress: 10.0.0.1}
`,
    );
    const src = new FileObjectSource(dir, 'metallb-system');
    const peers = await src.list('BGPPeer', 'metallb-system');
    assert.equal(peers.length, 1);
    assert.equal(peers[0]!.apiVersion, 'metallb.io/v1beta2');
    assert.equal(peers[0]!.metadata.namespace, 'metallb-system');
    writeFileSync(join(dir, 'more.yaml'), 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n');
    assert.equal((await src.list('Node')).length, 1);
    writeFileSync(join(dir, 'broken.yaml'), 'kind: [\n');
    await assert.rejects(src.list('Node'), /cannot read existing objects/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
