// Apply-method benchmark against real FRR: FRRControl.apply with 'diff' (own minimal vtysh script)
// versus 'reload' (frr-reload.py) on a small and a medium node config, for three changes (add one
// prefix, remove one, change a community), plus a no-op. Also the time until the router has an
// added prefix, and upstream's reloader sequence (`frr-reload --test` then `--reload`) for reference.
// Every apply must converge (verified by FRRControl against the running config).
//
//   sudo node dist/bench/frr-apply.js [--reps 7] [--sizes small,medium]
//
// Needs root and FRR; results go to docs/frr-apply.md by hand.
import { parseArgs } from 'node:util';
import { frrMissing, Topology, waitFor, type FRRInstance } from '../e2e/topology/index.js';
import { prefixSet, scaledConfig } from '../operator/frr/testconfigs.js';
import { FRRControl, type ApplyMethod } from '../operator/frr/vtysh.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '7' }, sizes: { type: 'string', default: 'small,medium' } } });
const REPS = Number(values.reps);
const TUNING = { routeMapDelayTimer: 1, coalesceTime: 100 };

interface Size {
  name: string;
  neighbors: number;
  prefixes: number;
  /** inserted in the middle of the sorted list (renumbers the following prefix-list entries) */
  add: string;
  /** removed from the middle */
  remove: string;
}

const SIZES: Size[] = [
  { name: 'small', neighbors: 1, prefixes: 2, add: '192.168.20.150/32', remove: '192.168.20.2/32' },
  { name: 'medium', neighbors: 10, prefixes: 50, add: '192.168.20.250/32', remove: '192.168.20.30/32' },
];

type Variant = 'reload' | 'diff' | 'reload+test';
const VARIANTS: Variant[] = ['reload', 'diff', 'reload+test'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  size: string;
  change: string;
  variant: Variant;
  apply: number[];
  toRouter: number[];
  notConverged: number;
}

async function main(): Promise<void> {
  const missing = frrMissing();
  if (missing) {
    process.stderr.write(`frr-apply bench needs root and FRR: ${missing}\n`);
    process.exit(1);
  }
  const topo = await Topology.create({ hosts: ['router', 'node1'] });
  const rows: Row[] = [];
  try {
    const n1 = topo.ip('node1');
    const router = await topo.startFRR('router', {
      config: `bgp route-map delay-timer 1\nrouter bgp 64501\n coalesce-time 100\n no bgp ebgp-requires-policy\n neighbor ${n1} remote-as 64500\n`,
    });
    // one node FRR for everything: every variant starts by applying `base`, whatever ran before
    const node = await topo.startFRR('node1');
    for (const size of SIZES.filter((s) => values.sizes!.split(',').includes(s.name))) {
      const neighbors = [topo.ip('router'), ...Array.from({ length: size.neighbors - 1 }, (_, i) => `10.9.1.${i + 2}`)];
      const base = prefixSet(size.prefixes);
      const texts = {
        base: scaledConfig(neighbors, base),
        'add prefix': scaledConfig(neighbors, [...base, size.add]),
        'remove prefix': scaledConfig(neighbors, base.filter((p) => p !== size.remove)),
        'change community': scaledConfig(neighbors, base, '65000:200'),
      };
      process.stderr.write(`${size.name}: ${size.neighbors} neighbors x ${size.prefixes} prefixes, ${texts.base.split('\n').length} lines\n`);
      await benchSize(size, texts, node, router, rows);
    }
  } finally {
    await topo.destroy();
  }
  print(rows);
}

async function benchSize(size: Size, texts: Record<string, string>, node: FRRInstance, router: FRRInstance, rows: Row[]): Promise<void> {
  const routerHas = async (prefix: string): Promise<boolean> => {
    const j = await router.json<{ paths?: unknown[] }>(`show ip bgp ${prefix} json`);
    return Array.isArray(j.paths) && j.paths.length > 0;
  };
  for (const variant of VARIANTS) {
    const method: ApplyMethod = variant === 'diff' ? 'diff' : 'reload';
    const ctl = new FRRControl({ socketDir: node.runDir, configDir: node.etcDir, tuning: TUNING, method });
    const first = await ctl.apply(texts.base!);
    if (!first.ok) throw new Error(`${variant}: base config failed: ${first.output}`);
    if (size.name === 'small') await waitFor(async () => routerHas('192.168.20.1/32'), { what: 'router learns the base prefixes' });
    for (const change of ['add prefix', 'remove prefix', 'change community', 'no-op']) {
      const row: Row = { size: size.name, change, variant, apply: [], toRouter: [], notConverged: 0 };
      for (let i = 0; i < REPS; i++) {
        const text = change === 'no-op' ? texts.base! : texts[change]!;
        const t0 = performance.now();
        if (variant === 'reload+test') await ctl.reloadTest(text);
        const r = await ctl.apply(text);
        row.apply.push(performance.now() - t0);
        if (!r.ok) throw new Error(`${variant} ${change}: ${r.output}`);
        if (r.converged === false) row.notConverged++;
        if (change === 'add prefix' && size.name === 'small') {
          await waitFor(() => routerHas(size.add), { intervalMs: 5, what: 'router learns the added prefix' });
          row.toRouter.push(performance.now() - t0);
        }
        if (change !== 'no-op') {
          const back = await ctl.apply(texts.base!);
          if (!back.ok) throw new Error(`${variant} revert ${change}: ${back.output}`);
          if (change === 'add prefix' && size.name === 'small') await waitFor(async () => !(await routerHas(size.add)), { intervalMs: 5, what: 'router drops the added prefix' });
        }
      }
      rows.push(row);
      process.stderr.write(`  ${variant.padEnd(12)} ${change.padEnd(17)} median ${median(row.apply).toFixed(0)} ms\n`);
    }
  }
}

function print(rows: Row[]): void {
  const out: string[] = [];
  out.push(`FRRControl.apply, medians of ${REPS} runs (ms; min-max), ratio to frr-reload in the same process`);
  out.push('');
  out.push('| config | change | reload (baseline) | diff | diff / reload | reload+test (upstream steps) |');
  out.push('|---|---|---|---|---|---|');
  const keyed = new Map(rows.map((r) => [`${r.size}|${r.change}|${r.variant}`, r]));
  const fmt = (r: Row | undefined): string => (r ? `${median(r.apply).toFixed(0)} (${Math.min(...r.apply).toFixed(0)}-${Math.max(...r.apply).toFixed(0)})${r.notConverged ? ` [${r.notConverged} not converged]` : ''}` : '-');
  for (const r of rows.filter((x) => x.variant === 'reload')) {
    const d = keyed.get(`${r.size}|${r.change}|diff`);
    const t = keyed.get(`${r.size}|${r.change}|reload+test`);
    const ratio = d ? (median(d.apply) / median(r.apply)).toFixed(2) : '-';
    out.push(`| ${r.size} | ${r.change} | ${fmt(r)} | ${fmt(d)} | ${ratio} | ${fmt(t)} |`);
  }
  const router = rows.filter((r) => r.toRouter.length > 0);
  if (router.length) {
    out.push('');
    out.push('Added prefix in the router\'s BGP table (small config; from the start of apply, polled every ~20 ms):');
    for (const r of router) out.push(`- ${r.variant}: median ${median(r.toRouter).toFixed(0)} ms (${Math.min(...r.toRouter).toFixed(0)}-${Math.max(...r.toRouter).toFixed(0)})`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

await main();
