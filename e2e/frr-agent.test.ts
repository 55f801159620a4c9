// Issue 4 scenarios with real FRR: a "router" and two "nodes" in network namespaces, one frr agent per
// node (in this process) against the test API server. Needs root and FRR: runs in CI (fails there when
// they are missing), skips elsewhere only when they are missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../operator/api/meta.js';
import { FRRControl } from '../operator/frr/vtysh.js';
import { FRRAgent } from '../operator/controllers/frr-agent.js';
import { frrControlBackend } from '../operator/controllers/frr-backend.js';
import { KubeClient, Manager, collectionPath, objectPath } from '../operator/runtime/index.js';
import { createLogger } from '../operator/util/log.js';
import { projectPath } from '../operator/util/paths.js';
import { TestApiServer } from './apiserver/index.js';
import { frrSkip, requireFRR, Topology, waitFor, type FRRInstance } from './topology/index.js';

const skip = frrSkip();
const NS = 'frr-k8s-system';
const ASN = 64500;
const VIP = '192.168.10.100/32';
const RIGHT = 'right-password';
const TUNING = { routeMapDelayTimer: 1, coalesceTime: 100 };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('frr agent with real FRR', { skip }, () => {
  let topo: Topology;
  let router: FRRInstance;
  let api: TestApiServer;
  let client: KubeClient;
  const nodes: { name: string; frr: FRRInstance; mgr: Manager; agent: FRRAgent }[] = [];
  // every log line of the agents and FRRControl, at debug level: passwords must never appear
  const logs: string[] = [];
  const logger = createLogger('frr-agent', { level: 'debug', write: (l) => logs.push(l) });

  const routerPaths = async (prefix: string): Promise<string[]> => {
    const j = await router.json<{ routes?: Record<string, { nexthops?: { ip: string }[]; valid?: boolean }[]> }>(`show bgp ipv4 unicast json`);
    return (j.routes?.[prefix] ?? []).filter((p) => p.valid !== false).map((p) => p.nexthops?.[0]?.ip ?? '?').sort();
  };
  const nodeConfig = (node: string, extraNeighbor: Record<string, unknown> = {}, extraSpec: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: 'frrk8s.metallb.io/v1beta1',
    kind: 'FRRConfiguration',
    metadata: { name: `lb-${node}`, namespace: NS },
    spec: {
      nodeSelector: { matchLabels: { 'kubernetes.io/hostname': node } },
      bgp: {
        routers: [
          {
            asn: ASN,
            prefixes: [VIP],
            neighbors: [
              {
                address: topo.ip('router'),
                asn: ASN,
                bfdProfile: 'fast',
                toAdvertise: {
                  allowed: { prefixes: [VIP] },
                  withCommunity: [
                    { community: '65000:100', prefixes: [VIP] },
                    { community: 'large:65000:1:2', prefixes: [VIP] },
                  ],
                  withLocalPref: [{ localPref: 150, prefixes: [VIP] }],
                },
                toReceive: { allowed: { prefixes: [{ prefix: '172.16.1.0/24' }] } },
                ...extraNeighbor,
              },
            ],
          },
        ],
        bfdProfiles: [{ name: 'fast', receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3 }],
      },
      ...extraSpec,
    },
  });
  const put = async (obj: KubeObject): Promise<void> => {
    const k = obj.kind === 'Secret' ? { v: 'v1', p: 'secrets' } : { v: 'frrk8s.metallb.io/v1beta1', p: 'frrconfigurations' };
    const path = objectPath(k.v, k.p, NS, obj.metadata.name!);
    const cur = await client.get<KubeObject>(path).catch(() => undefined);
    if (cur) await client.replace(path, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
    else await client.create(collectionPath(k.v, k.p, NS), obj);
  };
  const nodeState = (n: string) => api.get('frrk8s.metallb.io/v1beta1', 'FRRNodeState', n) as { status?: Record<string, string> } | undefined;
  const sessionState = (n: string) =>
    (api.list('frrk8s.metallb.io/v1beta1', 'BGPSessionState', NS) as { status?: Record<string, string> }[]).find((s) => s.status?.node === n)?.status;

  before(async () => {
    requireFRR();
    topo = await Topology.create({ hosts: ['router', 'node1', 'node2'] });
    const [n1, n2] = [topo.ip('node1'), topo.ip('node2')];
    router = await topo.startFRR('router', {
      config: [
        'bgp route-map delay-timer 1',
        `router bgp ${ASN}`,
        ' coalesce-time 100',
        ` bgp router-id ${topo.ip('router')}`,
        ' no bgp ebgp-requires-policy',
        ' no bgp network import-check',
        ` neighbor ${n1} remote-as ${ASN}`,
        ` neighbor ${n1} bfd`,
        ` neighbor ${n2} remote-as ${ASN}`,
        ` neighbor ${n2} password ${RIGHT}`,
        ` neighbor ${n2} bfd`,
        ' address-family ipv4 unicast',
        '  network 172.16.1.0/24',
        '  network 172.16.2.0/24',
        '  maximum-paths ibgp 4',
        ' exit-address-family',
        '',
      ].join('\n'),
    });
    api = new TestApiServer({ crds: projectPath('crds') });
    await api.start();
    client = new KubeClient(api.kubeConfig());
    await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const name of ['node1', 'node2']) {
      await client.create(collectionPath('v1', 'nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
      const frr = await topo.startFRR(name);
      const mgr = new Manager({ client: new KubeClient(api.kubeConfig()), name: 'frr-k8s', logger });
      const agent = new FRRAgent(mgr, client, {
        node: name,
        namespace: NS,
        hostname: name,
        statusIntervalMs: 200,
        backend: frrControlBackend(new FRRControl({ socketDir: frr.runDir, configDir: frr.etcDir, tuning: TUNING, reuseRunning: true, logger })),
      });
      await mgr.start();
      agent.startPolling();
      nodes.push({ name, frr, mgr, agent });
    }
  });

  after(async () => {
    for (const n of nodes) {
      n.agent.stop();
      await n.mgr.stop();
    }
    await api?.stop();
    await topo?.destroy();
  });

  test('d. a password mismatch keeps the session down and BGPSessionState says so; fixing it brings it up', async () => {
    await put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'router-password', namespace: NS }, type: 'kubernetes.io/basic-auth', data: { password: b64('wrong-password') } } as KubeObject);
    await put(nodeConfig('node1'));
    await put(nodeConfig('node2', { passwordSecret: { name: 'router-password', namespace: NS } }));
    await waitFor(() => sessionState('node1')?.bgpStatus === 'Established' && sessionState('node2'), { what: 'session states of both nodes' });
    // node1 comes up; node2 must stay down for a while with the wrong password
    await new Promise((r) => setTimeout(r, 3000));
    assert.notEqual(sessionState('node2')?.bgpStatus, 'Established');
    assert.deepEqual(await routerPaths(VIP), [topo.ip('node1')]);
    assert.doesNotMatch(JSON.stringify(nodeState('node2')), /wrong-password/, 'passwords never reach FRRNodeState');
    await put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'router-password', namespace: NS }, type: 'kubernetes.io/basic-auth', data: { password: b64(RIGHT) } } as KubeObject);
    await waitFor(() => sessionState('node2')?.bgpStatus === 'Established', { what: 'node2 Established after the password fix' });
  });

  test('a. the router learns the prefix from both nodes as two ECMP paths', async () => {
    await waitFor(async () => (await routerPaths(VIP)).length === 2, { what: 'two paths at the router' });
    assert.deepEqual(await routerPaths(VIP), [topo.ip('node1'), topo.ip('node2')].sort());
    const fib = await router.json<Record<string, { nexthops?: { ip?: string; fib?: boolean }[] }[]>>(`show ip route ${VIP} json`);
    const hops = (fib[VIP]?.[0]?.nexthops ?? []).filter((h) => h.fib).map((h) => h.ip).sort();
    assert.deepEqual(hops, [topo.ip('node1'), topo.ip('node2')].sort());
  });

  test('b. communities (standard and large) and local-pref arrive at the router', async () => {
    const j = await router.json<{ paths?: { community?: { string: string }; largeCommunity?: { string: string }; locPrf?: number }[] }>(`show bgp ipv4 unicast ${VIP} json`);
    assert.ok((j.paths ?? []).length >= 1);
    for (const p of j.paths ?? []) {
      assert.match(p.community?.string ?? '', /65000:100/);
      assert.match(p.largeCommunity?.string ?? '', /65000:1:2/);
      assert.equal(p.locPrf, 150);
    }
  });

  test('c. a toReceive filter admits only the allowed prefixes sent by the router', async () => {
    const frr = nodes[0]!.frr;
    await waitFor(async () => {
      const r = await frr.json<{ routes?: Record<string, unknown> }>('show bgp ipv4 unicast json');
      return Object.keys(r.routes ?? {}).includes('172.16.1.0/24');
    }, { what: 'node1 accepts 172.16.1.0/24' });
    const routes = Object.keys((await frr.json<{ routes?: Record<string, unknown> }>('show bgp ipv4 unicast json')).routes ?? {});
    assert.ok(!routes.includes('172.16.2.0/24'), `172.16.2.0/24 must be filtered: ${routes.join(', ')}`);
    const kernel = await topo.exec('node1', ['ip', 'route', 'show', '172.16.1.0/24']);
    assert.match(kernel.stdout, /172\.16\.1\.0\/24 .*proto bgp/);
  });

  test('f. an invalid raw config is refused; the previous config stays in effect and FRRNodeState carries the error', async () => {
    const good = nodeState('node1')?.status?.runningConfig;
    await put(nodeConfig('node1', {}, { raw: { rawConfig: 'router bgp 64500\n  this is not an frr command\n' } }));
    await waitFor(() => (nodeState('node1')?.status?.lastReloadResult ?? 'success') !== 'success', { what: 'reload error in FRRNodeState' });
    assert.match(nodeState('node1')!.status!.lastReloadResult!, /this is not an frr command|Unknown command/);
    assert.equal(nodeState('node1')!.status!.runningConfig, good, 'the running config is the previous one');
    assert.deepEqual(await routerPaths(VIP), [topo.ip('node1'), topo.ip('node2')].sort(), 'routes still at the router');
    await put(nodeConfig('node1'));
    await waitFor(() => nodeState('node1')?.status?.lastReloadResult === 'success', { what: 'good again' });
  });

  test('e. with BFD the router withdraws a node path within 1 s of killing its bgpd; a restarted FRR gets the config again', async (t) => {
    const node2 = nodes[1]!;
    await waitFor(async () => (await routerPaths(VIP)).length === 2, { what: 'two paths' });
    const killed = Date.now();
    node2.frr.kill('bgpd');
    await waitFor(async () => (await routerPaths(VIP)).length === 1, { what: 'path withdrawn', intervalMs: 5, timeoutMs: 5000 });
    const ms = Date.now() - killed;
    t.diagnostic(`router withdrew node2's path ${ms} ms after bgpd was killed`);
    assert.ok(ms < 1000, `withdrawn after ${ms} ms`);
    await node2.frr.restart('bgpd');
    await waitFor(async () => (await routerPaths(VIP)).length === 2, { what: 'the agent re-applies after the restart and the path is back' });
  });

  test('g. deleting the FRRConfiguration withdraws its prefixes from the router', async () => {
    await client.delete(objectPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS, 'lb-node1'));
    await waitFor(async () => {
      const p = await routerPaths(VIP);
      return p.length === 1 && p[0] === topo.ip('node2');
    }, { what: 'node1 path withdrawn' });
    await client.delete(objectPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS, 'lb-node2'));
    await waitFor(async () => (await routerPaths(VIP)).length === 0, { what: 'all paths withdrawn' });
    await waitFor(() => !/router bgp/.test(nodeState('node2')?.status?.runningConfig ?? 'router bgp'), { what: 'node2 runs the empty config' });
  });

  test('passwords never appear in logs, events or status', () => {
    assert.ok(logs.length > 10, `${logs.length} log lines captured`);
    for (const secret of [RIGHT, 'wrong-password']) {
      assert.ok(!logs.some((l) => l.includes(secret)), `a log line carries ${secret}`);
      const objects = JSON.stringify([...api.list('v1', 'Event', 'default'), ...api.list('frrk8s.metallb.io/v1beta1', 'FRRNodeState')]);
      assert.ok(!objects.includes(secret), `an event or FRRNodeState carries ${secret}`);
    }
    for (const l of logs) JSON.parse(l); // structured JSON lines
  });
});
