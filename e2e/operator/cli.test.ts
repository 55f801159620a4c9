// `metalfrr operator` as a process (what the install bundle runs): flags and env reach the operands,
// the MetalLB CR gets its finalizer and conditions, and SIGTERM stops it cleanly.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../operator/api/meta.js';
import type { MetalLB } from '../../operator/api/metallb.js';
import { parseOperatorArgs } from '../../operator/cli/operator.js';
import { KubeClient, collectionPath } from '../../operator/runtime/client.js';
import { projectPath } from '../../operator/util/paths.js';
import { TestApiServer } from '../apiserver/index.js';
import { NS, eventually } from './harness.js';

let api: TestApiServer | undefined;
let child: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'metalfrr-operator-cli-'));
after(async () => {
  child?.kill('SIGKILL');
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('flags and env: namespace, image, external namespace and certificate lifetimes', () => {
  const a = parseOperatorArgs({ image: 'r.example/m:1', 'cert-validity': '48h', 'cert-renew-before': '12h' }, [], { OPERATOR_NAMESPACE: 'lb', FRRK8S_EXTERNAL_NAMESPACE: 'frr' });
  assert.equal(a.params.namespace, 'lb');
  assert.equal(a.params.image, 'r.example/m:1');
  assert.equal(a.params.frrk8sExternalNamespace, 'frr');
  assert.deepEqual(a.certs, { certValidityMs: 48 * 3600_000, certRenewBeforeMs: 12 * 3600_000 });
  assert.equal(parseOperatorArgs({}, [], { METALFRR_IMAGE: 'x/y:2' }).params.image, 'x/y:2');
  assert.throws(() => parseOperatorArgs({ 'cert-validity': '1h', 'cert-renew-before': '2h' }, [], {}), /--cert-renew-before must be shorter/);
  assert.throws(() => parseOperatorArgs({ 'image-pull-policy': 'Sometimes' }, [], {}), /--image-pull-policy/);
});

test('the operator process deploys from the MetalLB CR and exits on SIGTERM', { timeout: 60_000 }, async () => {
  api = new TestApiServer({ crds: projectPath('crds'), bookmarkIntervalMs: 200 });
  await api.start();
  const client = new KubeClient(api.kubeConfig());
  await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  api.writeKubeconfig(join(dir, 'kubeconfig'));
  child = spawn(process.execPath, [projectPath('dist', 'operator', 'cli', 'bin.js'), 'operator', '--kubeconfig', join(dir, 'kubeconfig'), '--health-port', '0', '--leader-elect'], {
    env: { ...process.env, OPERATOR_NAMESPACE: NS, METALFRR_IMAGE: 'registry.example/metalfrr:9.9.9', METALFRR_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout!.on('data', (d) => (logs += String(d)));
  child.stderr!.on('data', (d) => (logs += String(d)));
  await client.create(collectionPath('metallb.io/v1beta1', 'metallbs', NS), { apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name: 'metallb', namespace: NS }, spec: { bgpBackend: 'frr', logLevel: 'debug' } });
  await eventually(() => api!.get('apps/v1', 'DaemonSet', 'speaker', NS) !== undefined && api!.get('v1', 'Secret', 'metallb-webhook-cert', NS) !== undefined, `operands deployed (logs: ${logs.slice(-500)})`, 30_000);
  const ds = api.get('apps/v1', 'DaemonSet', 'speaker', NS) as KubeObject & Record<string, any>;
  const containers = ds.spec.template.spec.containers as { name: string; image: string; env?: { name: string; value?: string }[] }[];
  assert.deepEqual(containers.map((c) => c.name), ['speaker', 'frr', 'frr-agent']);
  assert.ok(containers.every((c) => c.image === 'registry.example/metalfrr:9.9.9'));
  assert.equal(containers[0]!.env!.find((e) => e.name === 'METALFRR_LOG_LEVEL')!.value, 'debug');
  assert.ok(api.get('coordination.k8s.io/v1', 'Lease', 'metalfrr-operator', NS), 'leader lease taken');
  await eventually(() => ((api!.get('metallb.io/v1beta1', 'MetalLB', 'metallb', NS) as MetalLB).status?.conditions ?? []).some((c) => c.type === 'Progressing' && c.status === 'True'), 'Progressing');
  assert.ok(logs.split('\n').filter(Boolean).every((l) => l.startsWith('{')), 'JSON log lines');
  const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  child = undefined;
});
