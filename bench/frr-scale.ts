// Scale benchmark against real FRR 8.4 (issue 8 §3): for 10, 500 and 5000 prefixes x 51 neighbors, side
// by side in one run: no-op, +1 prefix and -1 prefix with metalfrr's apply (FRRControl 'diff', must
// converge) and with frr-reload.py (FRRControl 'reload'); the cold load (empty FRR -> full config) with
// metalfrr's method; a bare `vtysh -f` of the same +1 script at 500 x 51; the vtysh calls of a no-op;
// and change -> route in the router's FIB (small config, p50/p95). Every measurement has a timeout.
//
//   sudo npm run bench            (= npm run build && node dist/bench/frr-scale.js)
//   sudo node dist/bench/frr-scale.js [--sizes 10,500,5000] [--budget-s 600]
//
// Needs root and FRR. Results: BENCHMARKS.md (by hand).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { frrMissing, Topology, waitFor, type FRRInstance } from '../e2e/topology/index.js';
import { run } from '../operator/util/exec.js';
import { prefixSet, scaledConfig } from '../operator/frr/testconfigs.js';
import { FRRControl, type ApplyMethod } from '../operator/frr/vtysh.js';
import { ALLOWED_CHUNK } from '../operator/frr/view.js';
import { FRRAgent } from '../operator/controllers/frr-agent.js';
import { frrControlBackend } from '../operator/controllers/frr-backend.js';
import { KubeClient, Manager, collectionPath, objectPath } from '../operator/runtime/index.js';
import type { KubeObject } from '../operator/api/meta.js';
import { silentLogger } from '../operator/util/log.js';
import { projectPath } from '../operator/util/paths.js';
import { TestApiServer } from '../e2e/apiserver/index.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10,500,5000' }, 'budget-s': { type: 'string', default: '600' } } });
const SIZES = values.sizes!.split(',').map(Number);
const NEIGHBORS = 51;
const TUNING = { routeMapDelayTimer: 1, coalesceTime: 100 };
const started = performance.now();
const BUDGET_MS = Number(values['budget-s']) * 1000;
const left = () => BUDGET_MS - (performance.now() - started);
const log = (s: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${s}\n`);

const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};
const fmt = (xs: number[]): string => (xs.length === 0 ? '-' : xs.length === 1 ? `${xs[0]!.toFixed(0)}` : `${q(xs, 0.5).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}, n=${xs.length})`);

/** vtysh wrapper that logs each invocation, so FRR calls can be counted (frr-reload's included via --bindir). */
function countingVtysh(dir: string): { path: string; count: () => number } {
  const logFile = join(dir, 'calls.log');
  writeFileSync(logFile, '');
  const path = join(dir, 'vtysh');
  writeFileSync(path, `#!/bin/sh\necho "$*" >> ${logFile}\nexec /usr/bin/vtysh "$@"\n`);
  chmodSync(path, 0o755);
  return { path, count: () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).length };
}

interface Cell {
  ms: number[];
  timeout?: number;
  notConverged: number;
  calls?: number;
  scriptLines?: number;
}
const results = new Map<string, Cell>(); // `${size}|${method}|${change}`
const cold = new Map<number, { ms?: number; timeout?: number; lines: number; scriptLines?: number }>();
const bare = new Map<number, { diff: number[]; applied: number[]; vtysh: number[] }>();
let fib: number[] = [];
const crFib: { total: number[]; toApply: number[] } = { total: [], toApply: [] };
/** +1 / -1 prefix across the chunk boundary of the allowed lists (ALLOWED_CHUNK -> ALLOWED_CHUNK + 1 -> back) */
const boundary: { up: number[]; down: number[] } = { up: [], down: [] };

async function main(): Promise<void> {
  const missing = frrMissing();
  if (missing) {
    process.stderr.write(`frr-scale bench needs root and FRR: ${missing}\n`);
    process.exit(1);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'metalfrr-scale-'));
  const counter = countingVtysh(tmp);
  const topo = await Topology.create({ hosts: ['router', 'node1'] });
  try {
    await fibLatency(topo);
    await crToFib(topo);
    for (const n of SIZES) {
      const host = `s${n}`;
      await topo.addHost(host);
      const inst = await topo.startFRR(host);
      await benchSize(n, inst, counter, tmp);
      if (n === 500 && left() > 60_000) await chunkBoundary(inst);
    }
  } finally {
    await topo.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
  print();
}

/**
 * The router's kernel FIB has `prefix` via `via` (`ip -n <router ns> route show <prefix>`: a netlink dump,
 * a few ms, so the 5 ms poll is what it says; a vtysh poll costs a process start of ~30 ms).
 */
async function kernelHasRoute(topo: Topology, prefix: string, via: string): Promise<boolean> {
  const r = await run(['ip', '-n', topo.ns('router'), 'route', 'show', prefix], { timeoutMs: 5000 });
  return r.code === 0 && r.stdout.includes(`via ${via} `);
}

/** Change -> route in the router's FIB: node1 peers with the router, 10 prefixes, one added (appended). */
async function fibLatency(topo: Topology): Promise<void> {
  const n1 = topo.ip('node1');
  const router = await topo.startFRR('router', { config: `bgp route-map delay-timer 1\nrouter bgp 64501\n coalesce-time 100\n no bgp ebgp-requires-policy\n neighbor ${n1} remote-as 64500\n` });
  const node = await topo.startFRR('node1');
  const ctl = new FRRControl({ socketDir: node.runDir, configDir: node.etcDir, tuning: TUNING });
  const base = prefixSet(10);
  const add = '192.168.99.1/32';
  const inFIB = (p: string): Promise<boolean> => kernelHasRoute(topo, p, n1);
  const r0 = await ctl.apply(scaledConfig([topo.ip('router')], base));
  if (!r0.ok) throw new Error(r0.output);
  await waitFor(() => inFIB(base[0]!), { what: 'router FIB has the base prefixes', timeoutMs: 30_000 });
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    const r = await ctl.apply(scaledConfig([topo.ip('router')], [...base, add]));
    if (!r.ok || !r.converged) throw new Error(`fib add: ${r.output}`);
    await waitFor(() => inFIB(add), { intervalMs: 5, what: 'router FIB has the added prefix', timeoutMs: 10_000 });
    fib.push(performance.now() - t0);
    await ctl.apply(scaledConfig([topo.ip('router')], base));
    await waitFor(async () => !(await inFIB(add)), { intervalMs: 5, what: 'router FIB drops it', timeoutMs: 10_000 });
  }
  log(`FIB: p50 ${q(fib, 0.5).toFixed(0)} ms p95 ${q(fib, 0.95).toFixed(0)} ms`);
}

/**
 * CR change -> route in the router's FIB, end to end: the frr agent (in process) watches the test API
 * server; the clock starts before the FRRConfiguration update is sent and stops when the router's
 * router's kernel FIB has the route via node2 (polled every 5 ms). Same router and tuning as above.
 */
async function crToFib(topo: Topology): Promise<void> {
  await topo.addHost('node2');
  const node = await topo.startFRR('node2');
  const router = topo.frr('router');
  await router.configure(`router bgp 64501\n neighbor ${topo.ip('node2')} remote-as 64500\n`);
  const api = new TestApiServer({ crds: projectPath('crds') });
  await api.start();
  const client = new KubeClient(api.kubeConfig());
  const NS = 'frr-k8s-system';
  await client.create(collectionPath('v1', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await client.create(collectionPath('v1', 'nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node2', labels: { 'kubernetes.io/hostname': 'node2' } } });
  const mgr = new Manager({ client: new KubeClient(api.kubeConfig()), name: 'frr-k8s', logger: silentLogger });
  const ctl = new FRRControl({ socketDir: node.runDir, configDir: node.etcDir, tuning: TUNING, reuseRunning: true });
  let applyStart = 0;
  const backend = frrControlBackend(ctl);
  const timed = { ...backend, apply: (text: string) => ((applyStart = performance.now()), backend.apply(text)) } as typeof backend;
  const agent = new FRRAgent(mgr, client, { node: 'node2', namespace: NS, hostname: 'node2', statusIntervalMs: 1000, backend: timed });
  await mgr.start();
  agent.startPolling();
  const base = prefixSet(10);
  const add = '192.168.98.1/32';
  const cfg = (prefixes: string[]): KubeObject => ({
    apiVersion: 'frrk8s.metallb.io/v1beta1',
    kind: 'FRRConfiguration',
    metadata: { name: 'bench', namespace: NS },
    spec: { bgp: { routers: [{ asn: 64500, prefixes, neighbors: [{ address: topo.ip('router'), asn: 64501, toAdvertise: { allowed: { prefixes } } }] }] } },
  });
  const path = objectPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS, 'bench');
  const write = async (prefixes: string[]): Promise<void> => {
    const cur = await client.get<KubeObject>(path).catch(() => undefined);
    if (cur) await client.replace(path, { ...cfg(prefixes), metadata: { ...cfg(prefixes).metadata, resourceVersion: cur.metadata.resourceVersion } });
    else await client.create(collectionPath('frrk8s.metallb.io/v1beta1', 'frrconfigurations', NS), cfg(prefixes));
  };
  const inFIB = (p: string): Promise<boolean> => kernelHasRoute(topo, p, topo.ip('node2'));
  try {
    await write(base);
    await waitFor(() => inFIB(base[0]!), { what: 'router FIB has node2 base prefixes', timeoutMs: 30_000 });
    // the CR objects are already resolved (an update, not a create): read them once so the client is warm
    await client.get(path);
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await write([...base, add]);
      await waitFor(() => inFIB(add), { intervalMs: 5, what: 'router FIB has the added prefix', timeoutMs: 10_000 });
      crFib.total.push(performance.now() - t0);
      crFib.toApply.push(applyStart - t0);
      await write(base);
      await waitFor(async () => !(await inFIB(add)), { intervalMs: 5, what: 'router FIB drops it', timeoutMs: 10_000 });
    }
  } finally {
    agent.stop();
    await mgr.stop();
    await api.stop();
    node.stop();
  }
  log(`CR -> FIB: p50 ${q(crFib.total, 0.5).toFixed(0)} ms p95 ${q(crFib.total, 0.95).toFixed(0)} ms; CR write -> agent apply start p50 ${q(crFib.toApply, 0.5).toFixed(0)} ms`);
}

async function benchSize(n: number, inst: FRRInstance, counter: { path: string; count: () => number }, tmp: string): Promise<void> {
  const neighbors = Array.from({ length: NEIGHBORS }, (_, i) => `10.9.1.${i + 1}`);
  const base = prefixSet(n);
  // the added prefix sorts after every other one (appended: no renumbering with frr-k8s' seq numbers);
  // the removed one is the last, for the same reason
  const texts: Record<string, string> = {
    base: scaledConfig(neighbors, base),
    '+1 prefix': scaledConfig(neighbors, [...base, '192.168.99.1/32']),
    '-1 prefix': scaledConfig(neighbors, base.slice(0, -1)),
  };
  const lines = texts.base!.split('\n').length;
  const reps = n <= 10 ? 5 : n <= 500 ? 3 : 1;
  // cold: generous but bounded
  const coldTimeout = Math.max(10_000, Math.min(n <= 10 ? 60_000 : n <= 500 ? 300_000 : 900_000, left() - 120_000));
  log(`${n} x ${NEIGHBORS}: ${lines} lines; cold load (timeout ${(coldTimeout / 1000).toFixed(0)} s)`);
  const ctlCold = new FRRControl({ socketDir: inst.runDir, configDir: inst.etcDir, tuning: TUNING, method: 'diff', timeoutMs: coldTimeout });
  const t0 = performance.now();
  const c = await ctlCold.apply(texts.base!);
  const coldMs = performance.now() - t0;
  if (!c.ok || !c.converged) {
    cold.set(n, { timeout: coldTimeout, lines });
    log(`  cold load did not finish: ${c.output.slice(0, 200)}`);
    return;
  }
  cold.set(n, { ms: coldMs, lines, scriptLines: c.script?.split('\n').length ?? 0 });
  log(`  cold ${coldMs.toFixed(0)} ms`);
  for (const method of ['diff', 'reload'] as ApplyMethod[]) {
    for (const change of ['no-op', '+1 prefix', '-1 prefix']) {
      const timeout = Math.max(10_000, Math.min(n >= 5000 ? 120_000 : 60_000, left() - 10_000));
      const cell: Cell = { ms: [], notConverged: 0 };
      results.set(`${n}|${method}|${change}`, cell);
      const ctl = new FRRControl({ socketDir: inst.runDir, configDir: inst.etcDir, tuning: TUNING, method, timeoutMs: timeout, vtyshPath: counter.path, reuseRunning: true });
      for (let i = 0; i < reps; i++) {
        if (left() < 15_000) {
          cell.timeout = cell.timeout ?? -1; // budget exhausted
          break;
        }
        const calls0 = counter.count();
        const t = performance.now();
        const r = await ctl.apply(change === 'no-op' ? texts.base! : texts[change]!);
        const ms = performance.now() - t;
        if (!r.ok) {
          cell.timeout = timeout;
          log(`  ${method} ${change}: failed after ${ms.toFixed(0)} ms: ${r.output.slice(0, 200)}`);
          break;
        }
        cell.ms.push(ms);
        if (r.converged === false) cell.notConverged++;
        if (change === 'no-op') cell.calls = counter.count() - calls0;
        if (r.script !== undefined) cell.scriptLines = r.script.split('\n').filter(Boolean).length;
        if (change !== 'no-op') {
          // bare `vtysh -f` of the same +1 script (500 x 51): the floor for any apply
          if (method === 'diff' && change === '+1 prefix' && n === 500 && r.script) {
            const b = bare.get(n) ?? { diff: [], applied: [], vtysh: [] };
            bare.set(n, b);
            b.diff.push(ms);
            if (r.appliedMs !== undefined) b.applied.push(r.appliedMs);
            await ctl.apply(texts.base!, { method: 'diff' });
            const f = join(tmp, 'plus1.vtysh');
            writeFileSync(f, r.script);
            const tb = performance.now();
            const rr = await run(['/usr/bin/vtysh', '--vty_socket', inst.runDir, '--config_dir', inst.etcDir, '-f', f], { timeoutMs: timeout });
            b.vtysh.push(performance.now() - tb);
            if (rr.code !== 0) log(`  bare vtysh -f exit ${rr.code}: ${rr.stderr.slice(0, 200)}`);
          }
          const back = await ctl.apply(texts.base!, { method: 'diff' });
          if (!back.ok) throw new Error(`revert failed: ${back.output}`);
        }
      }
      log(`  ${method.padEnd(6)} ${change.padEnd(10)} ${fmt(cell.ms)}${cell.calls !== undefined ? `, ${cell.calls} vtysh calls` : ''}${cell.timeout ? ` timeout ${cell.timeout}` : ''}`);
    }
  }
}

/** The one change that reorganises lists: an allowed list growing past ALLOWED_CHUNK entries splits in two. */
async function chunkBoundary(inst: FRRInstance): Promise<void> {
  const neighbors = Array.from({ length: NEIGHBORS }, (_, i) => `10.9.1.${i + 1}`);
  const at = prefixSet(ALLOWED_CHUNK);
  const over = [...at, '192.168.99.1/32'];
  const ctl = new FRRControl({ socketDir: inst.runDir, configDir: inst.etcDir, tuning: TUNING, reuseRunning: true, timeoutMs: 120_000 });
  const first = await ctl.apply(scaledConfig(neighbors, at));
  if (!first.ok || !first.converged) throw new Error(`boundary base: ${first.output}`);
  for (let i = 0; i < 3 && left() > 30_000; i++) {
    const up = await ctl.apply(scaledConfig(neighbors, over));
    if (!up.ok || !up.converged) throw new Error(`boundary up: ${up.output}`);
    boundary.up.push(up.ms);
    const down = await ctl.apply(scaledConfig(neighbors, at));
    if (!down.ok || !down.converged) throw new Error(`boundary down: ${down.output}`);
    boundary.down.push(down.ms);
  }
  log(`  chunk boundary ${ALLOWED_CHUNK} -> ${ALLOWED_CHUNK + 1}: ${fmt(boundary.up)} ms, back ${fmt(boundary.down)} ms`);
}

function print(): void {
  const out: string[] = [];
  out.push(`FRRControl.apply (ms: median (min-max, n)), ${NEIGHBORS} neighbors; whole apply() incl. reading the running config, check, apply, verification`);
  out.push('');
  out.push('| prefixes x neighbors | lines | cold load (diff) | change | metalfrr diff | frr-reload.py | diff / reload | vtysh calls (diff / reload) |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const n of SIZES) {
    const c = cold.get(n);
    const coldText = !c ? 'not run' : c.ms !== undefined ? `${(c.ms / 1000).toFixed(1)} s` : `> ${(c.timeout! / 1000).toFixed(0)} s (timeout)`;
    for (const change of ['no-op', '+1 prefix', '-1 prefix']) {
      const d = results.get(`${n}|diff|${change}`);
      const r = results.get(`${n}|reload|${change}`);
      const cellText = (x: Cell | undefined) => (!x ? 'n/a (not loaded)' : x.ms.length ? `${fmt(x.ms)}${x.notConverged ? ` [${x.notConverged} not converged]` : ''}` : x.timeout && x.timeout > 0 ? `> ${(x.timeout / 1000).toFixed(0)} s (timeout)` : 'n/a (time budget)');
      const ratio = d?.ms.length && r?.ms.length ? (q(d.ms, 0.5) / q(r.ms, 0.5)).toFixed(2) : '-';
      const calls = change === 'no-op' ? `${d?.calls ?? '-'} / ${r?.calls ?? '-'}` : '';
      out.push(`| ${n} x ${NEIGHBORS} | ${c?.lines ?? '-'} | ${change === 'no-op' ? coldText : ''} | ${change} | ${cellText(d)} | ${cellText(r)} | ${ratio} | ${calls} |`);
    }
  }
  for (const [n, b] of bare) {
    const ratio = b.vtysh.length ? (q(b.diff, 0.5) / q(b.vtysh, 0.5)).toFixed(2) : '-';
    const ratioApplied = b.vtysh.length && b.applied.length ? (q(b.applied, 0.5) / q(b.vtysh, 0.5)).toFixed(2) : '-';
    out.push('');
    out.push(`Bare \`vtysh -f\` of the diff's +1 script at ${n} x ${NEIGHBORS}: ${fmt(b.vtysh)} ms; metalfrr until FRR has the change (diff, check of the script, send) ${fmt(b.applied)} ms, ratio ${ratioApplied}x; whole apply incl. the verification read ${fmt(b.diff)} ms, ratio ${ratio}x`);
  }
  out.push('');
  out.push(`Change -> route in the router's FIB (10 prefixes x 1 neighbor, FRRControl diff apply start -> router kernel FIB via \`ip route show\`, polled every 5 ms, n=${fib.length}): p50 ${q(fib, 0.5).toFixed(0)} ms, p95 ${q(fib, 0.95).toFixed(0)} ms`);
  if (crFib.total.length) out.push(`CR change -> route in the router's FIB (FRRConfiguration update written to the API server -> frr agent -> FRR -> router kernel FIB via \`ip route show\`, polled every 5 ms, n=${crFib.total.length}): p50 ${q(crFib.total, 0.5).toFixed(0)} ms, p95 ${q(crFib.total, 0.95).toFixed(0)} ms (CR write -> agent apply start p50 ${q(crFib.toApply, 0.5).toFixed(0)} ms)`);
  if (boundary.up.length) out.push(`Allowed list crossing the chunk size at ${NEIGHBORS} neighbors (${ALLOWED_CHUNK} -> ${ALLOWED_CHUNK + 1} prefixes: one list becomes two, half the entries move): ${fmt(boundary.up)} ms; back to one list ${fmt(boundary.down)} ms`);
  out.push(`Total bench time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  process.stdout.write(out.join('\n') + '\n');
}

await main();
