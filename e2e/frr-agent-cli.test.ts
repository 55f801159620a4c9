// The `metalfrr frr-agent` process end to end: kubeconfig of the test API server, a real FRR instance in
// a network namespace, health/metrics port, SIGTERM. Needs root and FRR (runs in CI).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, collectionPath } from '../operator/runtime/index.js';
import { projectPath } from '../operator/util/paths.js';
import { TestApiServer } from './apiserver/index.js';
import { frrSkip, requireFRR, Topology, waitFor, type FRRInstance } from './topology/index.js';
import { httpGet as get } from './http.js';

const skip = frrSkip();
const NS = 'frr-k8s-system';

describe('metalfrr frr-agent process', { skip }, () => {
  let topo: Topology;
  let frr: FRRInstance;
  let api: TestApiServer;
  let child: ChildProcess | undefined;
  let dir: string;
  let stderr = '';
  const healthPort = 20000 + Math.floor(Math.random() * 20000);

  before(async () => {
    requireFRR();
    topo = await Topology.create({ hosts: ['node1'] });
    frr = await topo.startFRR('node1');
    api = new TestApiServer({ crds: projectPath('crds') });
    await api.start();
    const client = new KubeClient(api.kubeConfig());
    await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await client.create(collectionPath('v1', 'nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } } });
    await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS), {
      apiVersion: 'frrk8s.metallb.io/v1beta1',
      kind: 'FRRConfiguration',
      metadata: { name: 'cli', namespace: NS },
      spec: { bgp: { routers: [{ asn: 64500, prefixes: ['192.168.77.0/24'], neighbors: [{ address: '10.255.0.1', asn: 64501, password: 'cli-secret' }] }] } },
    });
    dir = mkdtempSync(join(tmpdir(), 'metalfrr-agent-cli-'));
    api.writeKubeconfig(join(dir, 'kubeconfig'));
    child = spawn(
      process.execPath,
      [projectPath('dist', 'operator', 'cli', 'bin.js'), 'frr-agent', '--node', 'node1', '--kubeconfig', join(dir, 'kubeconfig'), '--hostname', 'node1',
        '--vty-socket', frr.runDir, '--config-dir', frr.etcDir, '--health-port', String(healthPort), '--status-interval-ms', '300'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  });

  after(async () => {
    child?.kill('SIGKILL');
    await api?.stop();
    await topo?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('applies the node config, reports status and metrics, logs JSON without the password, stops on SIGTERM', async () => {
    await waitFor(() => /router bgp 64500/.test((api.get('frrk8s.metallb.io/v1beta1', 'FRRNodeState', 'node1') as { status?: { runningConfig?: string } })?.status?.runningConfig ?? ''), {
      what: `FRRNodeState with the applied config (agent log: ${stderr.slice(-500)})`,
    });
    const running = await frr.runningConfig();
    assert.match(running, /network 192\.168\.77\.0\/24/);
    assert.match(running, /bgp route-map delay-timer 1/, 'fast-convergence tuning applied by default');
    const ready = await waitFor(async () => {
      const r = await get(healthPort, '/readyz').catch(() => undefined);
      return r?.status === 200 && r;
    }, { what: 'readyz 200' });
    assert.equal(ready.status, 200);
    const metrics = await get(healthPort, '/metrics');
    assert.match(metrics.body, /frrk8s_k8s_client_config_loaded_bool 1/);
    assert.match(metrics.body, /frrk8s_bgp_session_up\{peer="10.255.0.1",vrf="default"\} 0/);
    const lines = stderr.split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length > 0 && lines.every((l) => JSON.parse(l).component === 'frr-agent'), 'JSON log lines');
    assert.ok(!stderr.includes('cli-secret'), 'the password is not logged');
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
