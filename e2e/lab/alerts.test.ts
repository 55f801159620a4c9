// Issue 9 §3-4: `metalfrr lab up --prometheus` starts a real Prometheus scraping every role of the lab
// with the one alert rule file loaded. A pool is exhausted and a BGP session is taken down at the router:
// MetalLBAddressPoolExhausted and MetalLBBGPSessionDown become `firing` in /api/v1/alerts (after their
// `for: 1m`), `metalfrr lab status` shows the same facts read from the roles' metrics, and once the faults
// are removed both alerts resolve. Needs root, FRR and Prometheus (all installed by .ci/run; under
// CI=true a missing one fails the test).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../operator/cli/main.js';
import { KubeClient, loadKubeConfig, objectPath } from '../../operator/runtime/index.js';
import { projectPath } from '../../operator/util/paths.js';
import type { LabState } from './lab.js';
import { PrometheusAPI, prometheusMissing, RULES_FILE, type PrometheusAlert } from './prometheus.js';
import { frrSkip, waitFor } from '../topology/index.js';

const frrReason = frrSkip();
const promReason = prometheusMissing();
const skip = frrReason || promReason || false;
if (skip && process.env.CI === 'true') throw new Error(`the lab alert test must run in CI: ${skip}`);

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  return { code, out: lines.join('\n') };
}

const TINY = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: tiny, namespace: metallb-system}
spec:
  addresses: [10.0.200.1/32]
  autoAssign: false
---
apiVersion: v1
kind: Service
metadata:
  name: takes-the-last-address
  namespace: default
  annotations: {metallb.io/address-pool: tiny}
spec:
  type: LoadBalancer
  selector: {app: nginx}
  ports: [{name: http, port: 80, targetPort: http}]
`;

describe('lab with Prometheus: alerts fire on real faults and resolve', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'metalfrr-lab-alerts-'));
  const state = ['--state-dir', join(dir, 'state')];
  let s: LabState;
  let prom: PrometheusAPI;
  const alerts = (): Promise<PrometheusAlert[]> => prom.alerts();
  const active = async (name: string, state: string, labels: Record<string, string> = {}): Promise<PrometheusAlert | undefined> =>
    (await alerts()).find((a) => a.labels.alertname === name && a.state === state && Object.entries(labels).every(([k, v]) => a.labels[k] === v));
  const routerVtysh = (...cmds: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', s.namespaces.router!, 'vtysh', '--vty_socket', s.vtySockets.router!, ...cmds.flatMap((c) => ['-c', c])], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };

  after(async () => {
    await run('lab', 'down', ...state);
    rmSync(dir, { recursive: true, force: true });
  });

  test('lab up --prometheus: every role is scraped, the rule file is loaded, nothing fires on a healthy lab', async () => {
    const up = await run('lab', 'up', '--prometheus', '--apply', projectPath('examples', 'lab'), ...state);
    assert.equal(up.code, 0, up.out);
    const m = /Prometheus (http:\/\/127\.0\.0\.1:\d+)/.exec(up.out);
    assert.ok(m, up.out);
    s = JSON.parse(readFileSync(join(dir, 'state', 'state.json'), 'utf8')) as LabState;
    assert.equal(s.prometheus?.url, m[1]);
    prom = new PrometheusAPI(m[1]!);
    // every role the lab runs: controller, a speaker and an frr agent per node, the webhook (HTTPS)
    await waitFor(async () => {
      const t = await prom.targets();
      return t.length === 1 + 2 * s.nodes.length + 1 && t.every((x) => x.health === 'up');
    }, { what: 'all lab targets up in Prometheus', timeoutMs: 30_000 });
    const rules = await prom.ruleGroups();
    assert.ok(rules.every((g) => g.file === RULES_FILE), 'the one rule file');
    const names = rules.flatMap((g) => g.rules.map((r) => r.name));
    for (const a of ['MetalLBAddressPoolExhausted', 'MetalLBBGPSessionDown', 'MetalLBStaleConfig', 'MetalLBConfigNotLoaded', 'MetalLBAddressPoolUsage75Percent']) assert.ok(names.includes(a), `${a} loaded: ${names.join(', ')}`);
    // the metrics the alerts read are there: the pools and both nodes' sessions
    await waitFor(async () => (await prom.query('frrk8s_bgp_session_up == 1')).length === s.nodes.length && (await prom.query('metallb_allocator_addresses_total{pool="bgp-pool"}')).length === 1, { what: 'sessions up and pools scraped', timeoutMs: 30_000 });
    // a healthy lab raises no alert (a pending one at start-up, before the first config load, goes away)
    await waitFor(async () => (await alerts()).length === 0, { what: 'no active alert on the healthy lab', timeoutMs: 30_000, intervalMs: 500 }).catch(async () => assert.fail(`alerts on a healthy lab: ${JSON.stringify(await alerts())}`));
  });

  test('an exhausted pool and a BGP session shut down at the router fire their alerts; lab status shows both from the metrics', async () => {
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, TINY);
    const applied = await run('lab', 'apply', file, ...state);
    assert.equal(applied.code, 0, applied.out);
    const node1IP = '10.0.0.11';
    routerVtysh('configure terminal', 'router bgp 64501', `neighbor ${node1IP} shutdown`);
    const t0 = Date.now();
    // pending first (the rules' `for: 1m`), then firing
    await waitFor(() => active('MetalLBAddressPoolExhausted', 'pending', { pool: 'tiny' }), { what: 'pool alert pending', timeoutMs: 20_000 });
    await waitFor(() => active('MetalLBBGPSessionDown', 'pending', { node: 'node1' }), { what: 'BGP alert pending', timeoutMs: 20_000 });
    const status = await run('lab', 'status', ...state);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /tiny\s+1\/1 in use\s+100%\s+EXHAUSTED/);
    assert.match(status.out, /node1\s+10\.0\.0\.1 \(vrf default\)\s+DOWN/);
    assert.match(status.out, /node2\s+10\.0\.0\.1 \(vrf default\)\s+up/);
    const pool = await waitFor(() => active('MetalLBAddressPoolExhausted', 'firing', { pool: 'tiny' }), { what: 'MetalLBAddressPoolExhausted firing', timeoutMs: 120_000, intervalMs: 1000 });
    const bgp = await waitFor(() => active('MetalLBBGPSessionDown', 'firing', { node: 'node1', peer: '10.0.0.1' }), { what: 'MetalLBBGPSessionDown firing', timeoutMs: 120_000, intervalMs: 1000 });
    const firedAfter = Date.now() - t0;
    assert.ok(firedAfter >= 55_000, `fired after the rules' for: 1m, not before (${firedAfter} ms)`);
    assert.equal(pool.labels.severity, 'critical');
    assert.equal(bgp.labels.severity, 'critical');
    // only the faults fire: node2's session and the other pools stay quiet
    assert.equal(await active('MetalLBBGPSessionDown', 'firing', { node: 'node2' }), undefined);
    assert.equal(await active('MetalLBAddressPoolExhausted', 'firing', { pool: 'bgp-pool' }), undefined);
    const status2 = await run('lab', 'status', ...state);
    assert.match(status2.out, /MetalLBAddressPoolExhausted firing pool=tiny/);
    assert.match(status2.out, /MetalLBBGPSessionDown firing peer=10\.0\.0\.1 node=node1/);
  });

  test('removing the faults resolves both alerts', async () => {
    const client = new KubeClient(loadKubeConfig(s.kubeconfig));
    await client.delete(objectPath('v1', 'services', 'default', 'takes-the-last-address'));
    routerVtysh('configure terminal', 'router bgp 64501', 'no neighbor 10.0.0.11 shutdown');
    await waitFor(async () => (await alerts()).length === 0, { what: 'no active alert', timeoutMs: 90_000, intervalMs: 500 });
    const status = await run('lab', 'status', ...state);
    assert.match(status.out, /tiny\s+0\/1 in use\s+0%/);
    assert.doesNotMatch(status.out, /DOWN/);
    assert.match(status.out, /Alerts \(Prometheus [^)]+\):\n {2}\(none\)/);
  });
});
