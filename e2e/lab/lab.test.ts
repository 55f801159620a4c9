// `metalfrr lab` end to end: up (background process), apply through the lab's API server and webhooks,
// status, exec into a namespace, down (nothing left behind). Needs root and FRR (runs in CI).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../operator/cli/main.js';
import { projectPath } from '../../operator/util/paths.js';
import { frrSkip, listNamespaces, waitFor } from '../topology/index.js';

const skip = frrSkip();

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, out: lines.join('\n') };
}

describe('metalfrr lab', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'metalfrr-lab-test-'));
  const state = ['--state-dir', join(dir, 'state')];
  let prefix = '';

  after(async () => {
    await run('lab', 'down', ...state);
    rmSync(dir, { recursive: true, force: true });
  });

  test('up, apply, status, exec, down', async () => {
    const nsBefore = new Set(listNamespaces());
    const up = await run('lab', 'up', ...state);
    assert.equal(up.code, 0, up.out);
    assert.match(up.out, /lab up \(pid \d+\)/);
    const created = listNamespaces().filter((n) => !nsBefore.has(n));
    assert.ok(created.some((n) => n.endsWith('-router')) && created.some((n) => n.endsWith('-node2')), created.join(' '));
    prefix = created[0]!.replace(/-[a-z0-9]+$/, '-');

    const manifests = join(dir, 'vip.yaml');
    writeFileSync(
      manifests,
      `apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata: {name: vip, namespace: frr-k8s-system}
spec:
  bgp:
    routers:
    - asn: 64500
      prefixes: [192.168.100.1/32]
      neighbors:
      - address: 10.0.0.1
        asn: 64501
        password: change-me-bgp-secret
        toAdvertise: {allowed: {mode: all}}
---
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata: {name: conflicting, namespace: frr-k8s-system}
spec:
  bgp:
    routers:
    - asn: 64999
`,
    );
    const applied = await run('lab', 'apply', ...state, manifests);
    assert.equal(applied.code, 1, 'one object is refused');
    assert.match(applied.out, /FRRConfiguration\/frr-k8s-system\/vip applied/);
    assert.match(applied.out, /FRRConfiguration\/frr-k8s-system\/conflicting refused: admission webhook "frrconfigurationsvalidationwebhook.metallb.io" denied the request: .*different asns/);

    const status = await waitFor(async () => {
      const s = await run('lab', 'status', ...state);
      return /192\.168\.100\.1\/32[\s\S]*via 10\.0\.0\.1[12][\s\S]*via 10\.0\.0\.1[12]/.test(s.out) && s;
    }, { what: 'two paths to 192.168.100.1/32 in lab status' });
    assert.match(status.out, /node1: reload success, conversion success/);

    // the seed walk-through: pool + BGPPeer + BGPAdvertisement + LoadBalancer Services
    const seed = await run('lab', 'apply', ...state, projectPath('examples', 'lab'));
    assert.equal(seed.code, 0, seed.out);
    const walk = await waitFor(async () => {
      const s = await run('lab', 'status', ...state);
      const nginx = /nginx-bgp\s+(10\.0\.100\.\d+)/.exec(s.out)?.[1];
      const local = /web-local\s+(10\.0\.100\.\d+)/.exec(s.out)?.[1];
      if (!nginx || !local) return false;
      const twoPaths = new RegExp(`${nginx.replace(/\./g, '\\.')}/32 \\[20/0\\] via 10\\.0\\.0\\.1[12][^\\n]*\\n\\s+\\*\\s+via 10\\.0\\.0\\.1[12]`).test(s.out);
      const answered = /\(default\/nginx-bgp\) -> hello from node[12]/.test(s.out) && /\(default\/web-local\) -> hello from node1/.test(s.out);
      const localRoute = new RegExp(`${local.replace(/\./g, '\\.')}/32 \\[20/0\\] via 10\\.0\\.0\\.11`).test(s.out);
      const l2 = /http:\/\/10\.0\.0\.2[45]\d:80\/ \(default\/nginx-l2\) -> hello from node[12]/.test(s.out);
      return twoPaths && answered && localRoute && l2 && s;
    }, { what: 'addresses, routes and HTTP answers for the seed services', timeoutMs: 60_000 });
    const nginxIP = /nginx-bgp\s+(10\.0\.100\.\d+)/.exec(walk.out)![1]!;
    const localIP = /web-local\s+(10\.0\.100\.\d+)/.exec(walk.out)![1]!;
    assert.match(walk.out, new RegExp(`${nginxIP.replace(/\./g, '\\.')}/32 \\[20/0\\] via 10\\.0\\.0\\.1[12][^\\n]*\\n\\s+\\*\\s+via 10\\.0\\.0\\.1[12]`), 'two ECMP paths for the Cluster-policy service');
    assert.match(walk.out, new RegExp(`${localIP.replace(/\./g, '\\.')}/32 \\[20/0\\] via 10\\.0\\.0\\.11`), 'Local policy: node1 only');
    // the L2 walk-through: the owner named by its ServiceL2Status is the node lanclient's HTTP answer came from
    const l2 = /\(default\/nginx-l2\) -> hello from (node[12])[\s\S]*\(default\/nginx-l2\) answered by (node[12]); lanclient: \S+ dev eth0 lladdr/.exec(walk.out);
    assert.ok(l2, walk.out);
    assert.equal(l2[1], l2[2]);
    // an invalid BGPPeer is refused by the webhook through the lab's API server
    const badPeer = join(dir, 'bad-peer.yaml');
    writeFileSync(badPeer, 'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: bad, namespace: metallb-system}\nspec: {myASN: 64500, peerASN: 64501, peerAddress: 10.0.0.9, holdTime: 2s}\n');
    const refused = await run('lab', 'apply', ...state, badPeer);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /BGPPeer\/metallb-system\/bad refused: admission webhook "bgppeervalidationwebhook.metallb.io" denied the request: .*invalid hold time "2s"/);

    const exec = spawnSync(process.execPath, [projectPath('dist', 'operator', 'cli', 'bin.js'), 'lab', 'exec', ...state, 'client', '--', 'ip', 'route'], { encoding: 'utf8' });
    assert.equal(exec.status, 0, exec.stderr);
    assert.match(exec.stdout, /default via/);

    const down = await run('lab', 'down', ...state);
    assert.equal(down.code, 0, down.out);
    assert.deepEqual(listNamespaces().filter((n) => n.startsWith(prefix)), [], 'no namespace left');
  });
});
