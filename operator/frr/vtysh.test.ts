// FRRControl against real FRR in network namespaces: a router and a node peering over eBGP (with a
// password and BFD), a spare node for convergence checks. Needs root and FRR (runs in CI, skips
// elsewhere only when they are missing).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FRRConfiguration } from '../api/frrk8s.js';
import { frrSkip, requireFRR, Topology, waitFor, type FRRInstance } from '../../e2e/topology/index.js';
import { renderForNode } from './pipeline.js';
import { changeSequence } from './testconfigs.js';
import { FRRControl, type ApplyMethod } from './vtysh.js';

const skip = frrSkip();
const PASSWORD = 'n0t-in-any-output';
const TUNING = { routeMapDelayTimer: 1, coalesceTime: 100 };

function nodeConfig(router: string, prefixes: string[], extra: Record<string, unknown> = {}): string {
  const cfg = {
    apiVersion: 'frrk8s.metallb.io/v1beta1',
    kind: 'FRRConfiguration',
    metadata: { name: 'test', namespace: 'frr-k8s-system' },
    spec: {
      bgp: {
        routers: [
          {
            asn: 64500,
            prefixes,
            neighbors: [{ address: router, asn: 64501, password: PASSWORD, bfdProfile: 'fast', toAdvertise: { allowed: { prefixes } }, ...extra }],
          },
        ],
        bfdProfiles: [{ name: 'fast', receiveInterval: 100, transmitInterval: 100 }],
      },
    },
  } as FRRConfiguration;
  return renderForNode([cfg], { name: 'node1', labels: {} }, { hostname: 'node1' }).config;
}

describe('FRRControl with real FRR', { skip }, () => {
  let topo: Topology;
  let router: FRRInstance;
  let node: FRRInstance;
  let ctl: FRRControl;

  before(async () => {
    requireFRR();
    topo = await Topology.create({ hosts: ['router', 'node1', 'node2'] });
    const n1 = topo.ip('node1');
    router = await topo.startFRR('router', {
      config: [
        'bgp route-map delay-timer 1',
        'router bgp 64501',
        ' coalesce-time 100',
        ' no bgp ebgp-requires-policy',
        ` neighbor ${n1} remote-as 64500`,
        ` neighbor ${n1} password ${PASSWORD}`,
        ` neighbor ${n1} bfd`,
        '',
      ].join('\n'),
    });
    node = await topo.startFRR('node1');
    ctl = new FRRControl({ socketDir: node.runDir, configDir: node.etcDir, tuning: TUNING });
  });

  after(async () => {
    await topo?.destroy();
  });

  const routerRoutes = async (): Promise<string[]> => Object.keys((await router.json<{ routes?: Record<string, unknown> }>('show bgp ipv4 unicast json')).routes ?? {}).sort();

  test('a rendered config: session Established with BFD up, the router learns the prefix', async (t) => {
    const t0 = performance.now();
    const res = await ctl.apply(nodeConfig(topo.ip('router'), ['192.168.10.1/32']));
    assert.equal(res.ok, true, res.output);
    assert.equal(res.method, 'diff');
    assert.equal(res.converged, true, res.residual);
    assert.equal(res.changed, true);
    const sessions = await waitFor(async () => {
      const s = await ctl.neighbors();
      return s.length === 1 && s[0]!.established && s[0]!.bfdStatus === 'Up' && s;
    }, { what: 'BGP Established with BFD Up' });
    assert.equal(sessions[0]!.peer, topo.ip('router'));
    assert.equal(sessions[0]!.vrf, 'default');
    assert.equal(sessions[0]!.remoteAs, 64501);
    await waitFor(async () => (await routerRoutes()).includes('192.168.10.1/32'), { what: 'router has 192.168.10.1/32' });
    t.diagnostic(`first apply ${res.ms} ms, prefix at the router ${(performance.now() - t0).toFixed(0)} ms`);
    const s = (await ctl.neighbors())[0]!;
    assert.equal(s.sentPrefixes, 1);
    assert.ok(s.messageStats.opensSent >= 1 && s.messageStats.updatesSent >= 1);
    const bfd = await waitFor(async () => {
      const p = await ctl.bfdPeers();
      return p.length === 1 && p[0]!.up && p;
    }, { what: 'BFD peer up' });
    assert.equal(bfd[0]!.peer, topo.ip('router'));
    assert.equal(bfd[0]!.receiveInterval, 100);
    assert.ok(bfd[0]!.counters && bfd[0]!.counters.controlPacketOutput > 0);
    assert.deepEqual(await ctl.daemonsAlive(), { alive: true, daemons: ['zebra', 'bgpd', 'bfdd'], missing: [] });
    assert.deepEqual((await ctl.daemonsAlive(['zebra', 'bgpd', 'bfdd', 'staticd'])).missing, ['staticd']);
  });

  test('a change (one more prefix) reaches the router; applying it again changes nothing', async (t) => {
    const t0 = performance.now();
    const conf = nodeConfig(topo.ip('router'), ['192.168.10.1/32', '192.168.10.2/32']);
    const res = await ctl.apply(conf);
    assert.equal(res.ok, true, res.output);
    assert.equal(res.converged, true, res.residual);
    assert.match(res.script ?? '', /network 192\.168\.10\.2\/32/);
    // stable numbering: the new entry's seq is its address (192.168.10.2 = 3232238082), the old entry is untouched
    assert.match(res.script ?? '', /ip prefix-list [\d.]+-allowed-ipv4 seq 3232238082 permit 192\.168\.10\.2\/32/);
    assert.ok(!/prefix-list \S+ seq \d+ permit 192\.168\.10\.1\/32/.test(res.script ?? ''), 'the existing entry keeps its seq');
    assert.ok(!/neighbor .* remote-as/.test(res.script ?? ''), 'only the difference is sent');
    await waitFor(async () => {
      const r = await routerRoutes();
      return r.includes('192.168.10.1/32') && r.includes('192.168.10.2/32');
    }, { what: 'router has both prefixes' });
    t.diagnostic(`add-prefix apply ${res.ms} ms, both prefixes at the router ${(performance.now() - t0).toFixed(0)} ms`);
    const again = await ctl.apply(conf);
    assert.equal(again.ok, true);
    assert.equal(again.changed, false);
    assert.equal(again.converged, true);
    t.diagnostic(`no-op apply ${again.ms} ms`);
    // frr-reload agrees that nothing is left to do
    assert.equal((await ctl.reloadTest(conf)).diff, '');
    // the applied text was persisted like frr-reload's `write` (hostname of the host, not the rendered one)
    const saved = readFileSync(`${node.etcDir}/frr.conf`, 'utf8');
    assert.match(saved, /network 192\.168\.10\.2\/32/);
    assert.ok(!saved.includes('hostname node1'));
  });

  test('a broken config is refused by apply and the running config stays as it was', async () => {
    const before = await ctl.runningConfig();
    const broken = nodeConfig(topo.ip('router'), ['192.168.10.1/32']) + '\nrouter bgp 64500\n neighbor 10.0.0.99 remote-as 65000\n this is not frr\n';
    for (const method of ['diff', 'reload'] as ApplyMethod[]) {
      const res = await ctl.apply(broken, { method });
      assert.equal(res.ok, false);
      assert.equal(res.rejected, true);
      assert.match(res.output, /Unknown command.*this is not frr/);
      assert.equal(await ctl.runningConfig(), before);
    }
    const chk = await ctl.check(broken);
    assert.equal(chk.ok, false);
    assert.equal((await ctl.check(nodeConfig(topo.ip('router'), ['192.168.10.1/32']))).ok, true);
  });

  test('passwords are retracted in everything that leaves FRRControl', async () => {
    const running = await ctl.runningConfig();
    assert.match(running, new RegExp(`neighbor ${topo.ip('router').replace(/\./g, '\\.')} password <retracted>`));
    assert.ok(!running.includes(PASSWORD));
    // a change of the password itself: script, output, running config, residual
    const conf = nodeConfig(topo.ip('router'), ['192.168.10.1/32', '192.168.10.2/32']).replace(PASSWORD, `${PASSWORD}-2`);
    const res = await ctl.apply(conf);
    assert.equal(res.ok, true);
    const everything = JSON.stringify(res);
    assert.ok(!everything.includes(PASSWORD), everything);
    assert.match(res.script ?? '', /password <retracted>/);
    const bad = await ctl.check(`router bgp 64500\n neighbor 10.0.0.1 password ${PASSWORD} extra\n`);
    assert.equal(bad.ok, false);
    assert.ok(!bad.output.includes(PASSWORD), bad.output);
    const test = await ctl.reloadTest(nodeConfig(topo.ip('router'), ['192.168.10.1/32']));
    assert.ok(!JSON.stringify(test).includes(PASSWORD));
    assert.match(test.diff, /password <retracted>/);
    // back to the password the router knows
    assert.equal((await ctl.apply(nodeConfig(topo.ip('router'), ['192.168.10.1/32', '192.168.10.2/32']))).ok, true);
  });

  test('diff method: a sequence of changes in every context converges; frr-reload --test agrees at each step', async () => {
    const spare = await topo.startFRR('node2');
    const c = new FRRControl({ socketDir: spare.runDir, configDir: spare.etcDir, tuning: TUNING });
    for (const [i, text] of changeSequence().entries()) {
      const res = await c.apply(text);
      assert.equal(res.ok, true, `step ${i}: ${res.output}`);
      assert.equal(res.method, 'diff');
      assert.equal(res.converged, true, `step ${i}: ${res.residual}`);
      assert.equal((await c.reloadTest(text)).diff, '', `step ${i}`);
    }
  });

  test('reuseRunning: the next diff starts from the last read; a stale base (FRR changed behind us) is repaired by the next apply', async () => {
    await topo.addHost('node5');
    const spare = await topo.startFRR('node5');
    const c = new FRRControl({ socketDir: spare.runDir, configDir: spare.etcDir, tuning: TUNING, reuseRunning: true });
    const a = nodeConfig(topo.ip('router'), ['192.168.40.1/32']);
    const b = nodeConfig(topo.ip('router'), ['192.168.40.1/32', '192.168.40.2/32']);
    const first = await c.apply(a);
    assert.equal(first.converged, true, first.residual);
    // what the agent does on every change: the base comes from the verification, no read before the diff
    const second = await c.apply(b);
    assert.equal(second.converged, true, second.residual);
    assert.deepEqual(second.script?.split('\n').filter((l) => / prefix-list |network /.test(l)).map((l) => l.trim()).sort(), [
      'ip prefix-list 10.200.1.1-allowed-ipv4 seq 3232245762 permit 192.168.40.2/32'.replace('10.200.1.1', topo.ip('router')),
      'network 192.168.40.2/32',
    ].sort());
    // someone removes a network behind our back: the cached base still has it, so the next apply of
    // the same text sends nothing and reports what it last saw; a real change is diffed against the
    // stale base, verified, found incomplete, and the retry (fresh base) converges
    await spare.configure('router bgp 64500\n address-family ipv4 unicast\n  no network 192.168.40.1/32\n exit-address-family\n');
    const c2 = nodeConfig(topo.ip('router'), ['192.168.40.1/32', '192.168.40.2/32', '192.168.40.3/32']);
    const stale = await c.apply(c2);
    assert.equal(stale.ok, true, stale.output);
    assert.equal(stale.converged, false, 'the verification sees the missing network');
    assert.match(stale.residual ?? '', /network 192\.168\.40\.1\/32/);
    const retry = await c.apply(c2);
    assert.equal(retry.converged, true, retry.residual);
    assert.equal((await c.reloadTest(c2)).diff, '');
  });

  test('reload method (frr-reload.py): converges on a first load and an emptying; its BFD defect is caught by the verification', async (t) => {
    await topo.addHost('node3');
    const spare = await topo.startFRR('node3');
    const c = new FRRControl({ socketDir: spare.runDir, configDir: spare.etcDir, tuning: TUNING, method: 'reload' });
    const seq = changeSequence();
    // first load: frr-reload exits 1 (its second pass repeats `neighbor P graceful-restart`, which
    // bgpd refuses while the first is pending) although everything is applied: converged, so ok
    const first = await c.apply(seq[0]!);
    t.diagnostic(`reload first load: ${first.ms} ms`);
    assert.equal(first.ok, true, first.output);
    assert.match(first.output, /The Graceful Restart command used is not valid at this moment/);
    assert.equal(first.converged, true, first.residual);
    // BFD off for the neighbor and profile options back to defaults: the explicit default lines added
    // by prepareDesired make the options converge, but frr-reload runs `no neighbor P bfd` before
    // `no neighbor P bfd profile fast`, which switches BFD back on. FRRControl reports it.
    const bfdOff = await c.apply(seq[7]!);
    t.diagnostic(`reload BFD change: ${bfdOff.ms} ms`);
    assert.equal(bfdOff.ok, true, bfdOff.output);
    assert.equal(bfdOff.converged, false);
    assert.equal(bfdOff.residual, 'router bgp 64500\n no neighbor 10.9.0.1 bfd\nexit\n');
    assert.match(await c.runningConfig(), /neighbor 10\.9\.0\.1 bfd\n/);
    // the diff method repairs it
    const repaired = await c.apply(seq[7]!, { method: 'diff' });
    assert.equal(repaired.converged, true);
    assert.equal(repaired.script, 'router bgp 64500\n no neighbor 10.9.0.1 bfd\nexit\n');
    // emptying
    const empty = await c.apply(seq[9]!);
    t.diagnostic(`reload emptying: ${empty.ms} ms`);
    assert.equal(empty.ok, true, empty.output);
    assert.equal(empty.converged, true, empty.residual);
  });

  test('configurations outside the diff grammar fall back to frr-reload', async () => {
    await topo.addHost('node4');
    const spare = await topo.startFRR('node4');
    const c = new FRRControl({ socketDir: spare.runDir, configDir: spare.etcDir });
    const res = await c.apply('router bgp 64500\n neighbor 10.0.0.1 remote-as 65000\n bgp bestpath as-path multipath-relax\n');
    assert.equal(res.ok, true, res.output);
    assert.equal(res.method, 'reload');
    assert.match(res.fallbackReason ?? '', /not a line metalfrr renders: bgp bestpath as-path multipath-relax/);
    assert.equal(res.converged, null);
    assert.match(await c.runningConfig(), /bgp bestpath as-path multipath-relax/);
  });
});

test('apply reports (does not throw) when FRR cannot be reached; reads fail with the reason', { skip }, async () => {
  const empty = mkdtempSync(join(tmpdir(), 'metalfrr-nofrr-'));
  try {
    const c = new FRRControl({ socketDir: empty });
    const res = await c.apply('router bgp 64500\n');
    assert.equal(res.ok, false);
    assert.equal(res.rejected, false);
    assert.match(res.output, /failed to connect|show running-config/);
    await assert.rejects(c.neighbors(), /vtysh -c "show bgp vrfs json" failed/);
    assert.deepEqual(await c.daemonsAlive(), { alive: false, daemons: [], missing: ['zebra', 'bgpd', 'bfdd'] });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
