// Every metalfrr role's real /metrics, after it has done some work against the test API server, passes
// `promtool check metrics` and carries upstream's metric names and labels (spec metallb-core.md §6,
// frr-k8s.md §6). controller, speaker, operator and webhook run as `metalfrr` processes; the frr agent runs
// in-process on a fake FRR backend (no FRR here), once with frr-k8s's names and once with the speaker
// sidecar's metallb_bgp_* names.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRRAgent, type FRRBackend, type FRRMetricsPrefix } from '../../operator/controllers/frr-agent.js';
import type { FRRBFDPeer, FRRSession } from '../../operator/controllers/frr-status.js';
import { createMetalLBObject, readyEndpointOn } from '../../operator/controllers/speaker-fixtures.js';
import { KubeClient, Manager, collectionPath } from '../../operator/runtime/index.js';
import { createServingCertificates } from '../../operator/util/certs.js';
import { silentLogger } from '../../operator/util/log.js';
import { projectPath } from '../../operator/util/paths.js';
import { post } from '../../webhooks/testing.js';
import { TestApiServer } from '../apiserver/index.js';
import { assertMetricsLintClean, metricFamilies, promtoolAvailable, samplesOf } from './promtool.js';
import { freePort } from '../lab/prometheus.js';
import { httpGet as get } from '../http.js';

const NS = 'metallb-system';
const FRR_NS = 'frr-k8s-system';
const BIN = projectPath('dist', 'operator', 'cli', 'bin.js');
const onCI = process.env.CI === 'true';
const skip = !promtoolAvailable() && !onCI ? 'promtool not found (apt-get install prometheus)' : false;

async function eventually<T>(f: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

class FakeFRR implements FRRBackend {
  async apply() {
    return { ok: true, output: '' };
  }
  async runningConfig() {
    return '';
  }
  async sessions(): Promise<FRRSession[]> {
    return [
      { vrf: 'default', peer: '10.0.0.1', bgpState: 'Established', sentPrefixes: 2, acceptedPrefixes: 1, messageStats: { opensSent: 1, opensRecv: 1, updatesSent: 3, updatesRecv: 2, keepalivesSent: 5, keepalivesRecv: 5, notificationsSent: 0, routeRefreshSent: 0, totalSent: 9, totalRecv: 8 } },
      { vrf: 'red', peer: '10.0.0.2', bgpState: 'Active' },
    ];
  }
  async bfdPeers(): Promise<FRRBFDPeer[]> {
    return [{ vrf: 'default', peer: '10.0.0.1', status: 'up', controlPacketInput: 7, controlPacketOutput: 6, echoPacketInput: 0, echoPacketOutput: 0, sessionUpEvents: 1, sessionDownEvents: 0, zebraNotifications: 2 }];
  }
}

describe('every role’s /metrics passes promtool check metrics', { skip, timeout: 120_000 }, () => {
  let api: TestApiServer;
  let client: KubeClient;
  let dir: string;
  const children: { name: string; child: ChildProcess; logs: string }[] = [];

  const start = (name: string, args: string[], env: Record<string, string> = {}): { name: string; child: ChildProcess; logs: string } => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, METALFRR_LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const c = { name, child, logs: '' };
    child.stdout!.on('data', (d: Buffer) => (c.logs += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (c.logs += d.toString()));
    children.push(c);
    return c;
  };

  /** /metrics of a process's health port once `ready` holds for the text. */
  const scrape = async (c: { name: string; logs: string }, port: number, ready: (text: string) => boolean): Promise<string> => {
    let last = '';
    try {
      return await eventually(async () => {
        const r = await get(port, '/metrics');
        last = r.body;
        return r.status === 200 && ready(r.body) ? r.body : undefined;
      }, `${c.name} metrics`);
    } catch (e) {
      throw new Error(`${(e as Error).message} (logs: ${c.logs.slice(-800)}; last scrape: ${last.split('\n').filter((l) => /^(metallb|frrk8s)_/.test(l)).join('\n')})`);
    }
  };

  before(async () => {
    if (onCI) assert.ok(promtoolAvailable(), 'promtool is installed on CI (.ci/run installs prometheus)');
    api = new TestApiServer({ crds: projectPath('crds') });
    await api.start();
    client = new KubeClient(api.kubeConfig());
    dir = mkdtempSync(join(tmpdir(), 'metalfrr-metrics-'));
    api.writeKubeconfig(join(dir, 'kubeconfig'));
    for (const ns of [NS, FRR_NS, 'default']) await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch(() => undefined);
    await client.create(collectionPath('v1', 'nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } } });
  });

  after(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('controller and speaker (frr-k8s backend): a pool, a BGP peer and a LoadBalancer Service', async () => {
    await createMetalLBObject(client, NS, 'IPAddressPool', 'ipaddresspools', 'pool1', { addresses: ['192.168.10.0/30', 'fc00:10::/126'] });
    await createMetalLBObject(client, NS, 'BGPAdvertisement', 'bgpadvertisements', 'adv', {});
    await createMetalLBObject(client, NS, 'BGPPeer', 'bgppeers', 'peer1', { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1' }, 'v1beta2');
    await client.create(collectionPath('v1', 'services', 'default'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } },
    });
    await readyEndpointOn(client, 'web', 'node1');
    const kc = join(dir, 'kubeconfig');
    const cport = await freePort();
    const controller = start('controller', ['controller', '--kubeconfig', kc, '--namespace', NS, '--health-port', String(cport)]);
    const text = await scrape(controller, cport, (t) => /^metallb_allocator_addresses_in_use_total\{pool="pool1"\} 1$/m.test(t));
    await assertMetricsLintClean(text, 'controller');
    for (const n of ['metallb_allocator_addresses_total', 'metallb_allocator_ipv4_addresses_total', 'metallb_allocator_ipv6_addresses_total', 'metallb_allocator_ipv4_addresses_in_use_total', 'metallb_allocator_ipv6_addresses_in_use_total'])
      assert.ok(samplesOf(text, n).some((l) => l.startsWith(`${n}{pool="pool1"} `)), `${n}{pool} sample`);
    assert.deepEqual(samplesOf(text, 'metallb_k8s_client_config_loaded_bool'), ['metallb_k8s_client_config_loaded_bool 1']);
    assert.deepEqual(samplesOf(text, 'metallb_k8s_client_config_stale_bool'), ['metallb_k8s_client_config_stale_bool 0']);
    assert.ok(samplesOf(text, 'metallb_k8s_client_updates_total').some((l) => !l.endsWith(' 0')));
    assert.ok(metricFamilies(text).has('controller_runtime_reconcile_total'));

    const sport = await freePort();
    const speaker = start('speaker', ['speaker', '--node', 'node1', '--kubeconfig', kc, '--namespace', NS, '--frrk8s-namespace', FRR_NS, '--health-port', String(sport), '--l2-responder', 'off'], {
      METALLB_BGP_TYPE: 'frr-k8s',
    });
    const stext = await scrape(speaker, sport, (t) => samplesOf(t, 'metallb_speaker_announced').length > 0);
    await assertMetricsLintClean(stext, 'speaker');
    const announced = samplesOf(stext, 'metallb_speaker_announced');
    assert.ok(announced.every((l) => /^metallb_speaker_announced\{service="default\/web",protocol="bgp",node="node1",ip="[^"]+"\} 1$/.test(l)), announced.join('\n'));
    assert.deepEqual(samplesOf(stext, 'metallb_k8s_client_config_loaded_bool'), ['metallb_k8s_client_config_loaded_bool 1']);
    assert.deepEqual(samplesOf(stext, 'metallb_k8s_client_config_stale_bool'), ['metallb_k8s_client_config_stale_bool 0']);
  });

  for (const prefix of ['frrk8s', 'metallb'] as FRRMetricsPrefix[]) {
    test(`frr agent (fake FRR, ${prefix}_bgp_* names)`, async () => {
      const mgr = new Manager({ client, name: `frr-k8s-${prefix}`, logger: silentLogger, healthPort: 0, healthHost: '127.0.0.1' });
      const agent = new FRRAgent(mgr, client, { node: 'node1', namespace: FRR_NS, hostname: 'node1', backend: new FakeFRR(), statusIntervalMs: 200, frrMetricsPrefix: prefix, fieldManager: `frr-k8s-${prefix}` });
      await mgr.start();
      agent.startPolling();
      try {
        await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', FRR_NS), {
          apiVersion: 'frrk8s.metallb.io/v1beta1',
          kind: 'FRRConfiguration',
          metadata: { name: `m-${prefix}`, namespace: FRR_NS },
          spec: { bgp: { routers: [{ asn: 64500, neighbors: [{ address: '10.0.0.1', asn: 64501 }] }] } },
        });
        const text = await scrape({ name: 'frr-agent', logs: '' }, mgr.port!, (t) => /^frrk8s_k8s_client_config_loaded_bool 1$/m.test(t));
        await assertMetricsLintClean(text, `frr agent (${prefix})`);
        assert.deepEqual(samplesOf(text, `${prefix}_bgp_session_up`), [`${prefix}_bgp_session_up{peer="10.0.0.1",vrf="default"} 1`, `${prefix}_bgp_session_up{peer="10.0.0.2",vrf="red"} 0`]);
        assert.deepEqual(samplesOf(text, `${prefix}_bgp_updates_total`), [`${prefix}_bgp_updates_total{peer="10.0.0.1",vrf="default"} 3`]);
        assert.deepEqual(samplesOf(text, `${prefix}_bfd_session_up`), [`${prefix}_bfd_session_up{peer="10.0.0.1",vrf="default"} 1`]);
        const other = prefix === 'frrk8s' ? 'metallb' : 'frrk8s';
        assert.ok(![...metricFamilies(text)].some((n) => n.startsWith(`${other}_bgp_`) || n.startsWith(`${other}_bfd_`)), `no ${other}_bgp_* / _bfd_* metrics`);
        assert.equal(metricFamilies(text).has('frrk8s_bgp_received_prefixes_total'), prefix === 'frrk8s', 'received prefixes: frr-k8s only');
        for (const n of ['frrk8s_k8s_client_updates_total', 'frrk8s_k8s_client_update_errors_total', 'frrk8s_k8s_client_config_stale_bool']) assert.ok(metricFamilies(text).has(n), n);
      } finally {
        agent.stop();
        await mgr.stop();
      }
    });
  }

  test('operator: deploys the operands from the MetalLB CR', async () => {
    const port = await freePort();
    const op = start('operator', ['operator', '--kubeconfig', join(dir, 'kubeconfig'), '--health-port', String(port)], { OPERATOR_NAMESPACE: NS });
    await client.create(collectionPath('metallb.io/v1beta1', 'metallbs', NS), { apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name: 'metallb', namespace: NS }, spec: {} });
    const text = await scrape(op, port, (t) => samplesOf(t, 'controller_runtime_reconcile_total').some((l) => /result="success"/.test(l) && !l.endsWith(' 0')));
    await assertMetricsLintClean(text, 'operator');
    for (const n of ['workqueue_adds_total', 'workqueue_depth', 'controller_runtime_reconcile_time_seconds']) assert.ok(metricFamilies(text).has(n), n);
  });

  test('webhook: /metrics on its HTTPS port, with request metrics after an admission review', async () => {
    const certs = createServingCertificates({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    writeFileSync(join(dir, 'tls.crt'), certs.cert);
    writeFileSync(join(dir, 'tls.key'), certs.key);
    const port = await freePort();
    const wh = start('webhook', ['webhook', '--port', String(port), '--host', '127.0.0.1', '--tls-cert-file', join(dir, 'tls.crt'), '--tls-private-key-file', join(dir, 'tls.key'), '--kubeconfig', join(dir, 'kubeconfig'), '--namespace', NS]);
    const path = '/validate-metallb-io-v1beta1-ipaddresspool';
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'u1',
        kind: { group: 'metallb.io', version: 'v1beta1', kind: 'IPAddressPool' },
        resource: { group: 'metallb.io', version: 'v1beta1', resource: 'ipaddresspools' },
        operation: 'CREATE',
        namespace: NS,
        name: 'pool2',
        object: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool2', namespace: NS }, spec: { addresses: ['192.168.20.0/30'] } },
      },
    };
    const answer = await eventually(async () => post(port, path, JSON.stringify(review), certs.caCert), `webhook up (logs: ${wh.logs.slice(-800)})`);
    assert.equal(answer.status, 200);
    const text = await eventually(async () => {
      const r = await post(port, '/metrics', '', certs.caCert, {}, 'GET');
      return r.status === 200 && samplesOf(r.body, 'controller_runtime_webhook_requests_total').length > 0 ? r.body : undefined;
    }, 'webhook metrics');
    await assertMetricsLintClean(text, 'webhook');
    assert.deepEqual(samplesOf(text, 'controller_runtime_webhook_requests_total'), [`controller_runtime_webhook_requests_total{code="200",webhook="${path}"} 1`]);
    assert.ok(samplesOf(text, 'controller_runtime_webhook_latency_seconds_count').some((l) => l.includes(`webhook="${path}"`)));
  });
});
