// Make before break against real FRR: when an allowed list crosses ALLOWED_CHUNK entries, half of its
// prefixes move to another list (and back). The apply script fills the new list before a route-map
// entry matches it and empties the old one after, and removes gone route-map entries late, so the
// router never loses a route that is advertised before and after — even though the script runs longer
// than `bgp route-map delay-timer` (bgpd then evaluates the filters mid-script). Before this order,
// going back from 513 to 512 prefixes withdrew 257 routes at the router for a moment (measured).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { frrSkip, requireFRR, Topology, waitFor } from '../../e2e/topology/index.js';
import { run } from '../util/exec.js';
import { prefixSet, scaledConfig } from './testconfigs.js';
import { ALLOWED_CHUNK } from './view.js';
import { FRRControl } from './vtysh.js';

const skip = frrSkip();
const TUNING = { routeMapDelayTimer: 1, coalesceTime: 100 };

describe('make before break with real FRR', { skip }, () => {
  let topo: Topology;
  let ctl: FRRControl;
  const routes = async (): Promise<number> => (await run(['ip', '-n', topo.ns('router'), 'route', 'show', 'proto', 'bgp'], { timeoutMs: 5000 })).stdout.split('\n').filter(Boolean).length;

  before(async () => {
    requireFRR();
    topo = await Topology.create({ hosts: ['router', 'node1'] });
    await topo.startFRR('router', { config: `bgp route-map delay-timer 1\nrouter bgp 64501\n coalesce-time 100\n no bgp ebgp-requires-policy\n neighbor ${topo.ip('node1')} remote-as 64500\n` });
    const node = await topo.startFRR('node1');
    ctl = new FRRControl({ socketDir: node.runDir, configDir: node.etcDir, tuning: TUNING, reuseRunning: true, timeoutMs: 300_000 });
  });
  after(async () => {
    await topo?.destroy();
  });

  test('an allowed list splitting in two and merging back: the router never loses a route', async (t) => {
    const at = prefixSet(ALLOWED_CHUNK);
    const over = [...at, '192.168.99.1/32'];
    const first = await ctl.apply(scaledConfig([topo.ip('router')], at));
    assert.equal(first.converged, true, first.output);
    await waitFor(async () => (await routes()) === at.length, { timeoutMs: 120_000, what: `${at.length} routes at the router` });
    for (const [label, prefixes] of [['split', over], ['merge', at]] as const) {
      let min = Infinity;
      let polls = 0;
      let stop = false;
      const poller = (async () => {
        while (!stop) {
          min = Math.min(min, await routes());
          polls++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const r = await ctl.apply(scaledConfig([topo.ip('router')], prefixes));
      // bgpd acts on filter changes after the delay timer: keep watching past it
      await new Promise((res) => setTimeout(res, 2500));
      stop = true;
      await poller;
      t.diagnostic(`${label}: apply ${r.ms} ms, ${polls} polls, fewest routes at the router ${min}`);
      assert.equal(r.converged, true, r.residual);
      assert.ok(r.ms > 1000, `${label}: the script outlasts the delay timer (${r.ms} ms), so the order is what is tested`);
      assert.ok(/-allowed-ipv4-c1/.test(r.script ?? ''), `${label}: the change moves entries between lists`);
      assert.equal(min, at.length, `${label}: no route advertised before and after was withdrawn`);
      assert.equal(await routes(), prefixes.length);
    }
  });
});
