import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';
import { projectPath } from '../../operator/util/paths.js';
import { parseArgs } from './cli.js';
import { WAIT_MS } from './testing.js';

test('the CLI serves the CRDs, writes a kubeconfig and stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiserver-cli-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, [projectPath('dist/e2e/apiserver/main.js'), '--port', '0', '--crds', projectPath('crds'), '--kubeconfig-out', kubeconfig], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no URL printed')), WAIT_MS);
      createInterface(child.stdout!).once('line', (l) => {
        clearTimeout(timer);
        resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    const m = line.match(/listening on (http:\/\/127\.0\.0\.1:\d+) \((\d+) CRDs\)/);
    assert.ok(m, line);
    assert.equal(Number(m[2]), 14);
    assert.match(readFileSync(kubeconfig, 'utf8'), /insecure-skip-tls-verify: true/);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    assert.equal(kc.getCurrentCluster()?.server, m[1]);
    const co = kc.makeApiClient(k8s.CustomObjectsApi);
    const list = await co.listNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: 'default', plural: 'ipaddresspools' });
    assert.deepEqual(list.items, []);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI arguments', () => {
  const a = parseArgs(['--port', '8080', '--crds', 'crds', '--crds', 'more', '--webhook-service', 'metallb-system/metallb-webhook-service=127.0.0.1:9443']);
  assert.equal(a.port, 8080);
  assert.deepEqual(a.crds, ['crds', 'more']);
  assert.deepEqual(a.services.get('metallb-system/metallb-webhook-service'), { host: '127.0.0.1', port: 9443 });
  assert.throws(() => parseArgs(['--port', 'x']), /not a number/);
  assert.throws(() => parseArgs(['--bogus']), /unknown argument/);
});
