// L2 failover on the lab: the owner of an L2 Service IP loses its speaker; how long until the client on
// the LAN gets an HTTP answer from the new owner? Two ways to lose it, in the same run:
//   kill      the speaker dies without cleanup (SIGKILL): the others notice when its Lease expires
//   graceful  the speaker is stopped (SIGTERM): it withdraws and releases its Lease (the baseline)
// A prober in the LAN client sends a GET every 20 ms (200 ms timeout); the figure is the send time of the
// first answer from the new owner minus the moment of the kill/stop. Goal (issue 7): kill ≤ 2 s.
//
//   sudo node dist/bench/l2-failover.js [--reps 5]
//
// Needs root, FRR and libpcap.
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests } from '../operator/util/manifests.js';
import { silentLogger } from '../operator/util/log.js';
import { projectPath } from '../operator/util/paths.js';
import { frrMissing, waitFor } from '../e2e/topology/index.js';
import { LAB_LAN_CLIENT, Lab } from '../e2e/lab/lab.js';
import { Prober } from '../e2e/lab/prober.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const REPS = Number(values.reps);

const missing = frrMissing();
if (missing) {
  console.error(`l2-failover: ${missing}`);
  process.exit(2);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

const dir = mkdtempSync(join(tmpdir(), 'metalfrr-bench-l2-'));
const lab = await Lab.start({ stateDir: dir, logger: silentLogger });
try {
  await lab.apply(loadManifests([projectPath('examples', 'lab')]).objects.map((o) => o.object));
  const ip = await waitFor(() => (lab.api.get('v1', 'Service', 'nginx-l2', 'default') as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined)?.status?.loadBalancer?.ingress?.[0]?.ip, { what: 'nginx-l2 address', timeoutMs: 60_000 });
  const holders = (): string[] => lab.nodes.filter((n) => !n.speakerKilled && n.speaker.l2Announced().some((a) => a.ip === ip)).map((n) => n.name);
  const results: Record<'kill' | 'graceful', number[]> = { kill: [], graceful: [] };
  const probe = new Prober(lab.topo.ns(LAB_LAN_CLIENT), ip, 80, { intervalMs: 20, timeoutMs: 200 });
  try {
    for (let r = 0; r < REPS; r++) {
      for (const mode of ['kill', 'graceful'] as const) {
        const [owner] = await waitFor(() => (holders().length === 1 ? holders() : undefined), { what: 'one owner', timeoutMs: 20_000 });
        const other = lab.nodes.map((n) => n.name).find((n) => n !== owner)!;
        await waitFor(() => probe.firstAnswer(Date.now() - 200, new RegExp(`hello from ${owner}`)), { what: `answers from ${owner}` });
        const t0 = Date.now();
        if (mode === 'kill') await lab.killSpeaker(owner!);
        else await lab.stopSpeaker(owner!);
        const answer = await waitFor(() => probe.firstAnswer(t0, new RegExp(`hello from ${other}`)), { what: `answer from ${other}`, timeoutMs: 20_000 });
        results[mode].push(answer.t - t0);
        await lab.startSpeaker(owner!, silentLogger);
        await new Promise((res) => setTimeout(res, 1500));
      }
    }
  } finally {
    probe.stop();
  }
  const row = (name: string, xs: number[]) => `${name.padEnd(10)} ${String(median(xs)).padStart(7)} ${String(pct(xs, 95)).padStart(7)} ${String(Math.min(...xs)).padStart(7)} ${String(Math.max(...xs)).padStart(7)}`;
  console.log(`L2 failover, ${REPS} reps each (ms, stop of the owner's speaker -> first HTTP answer from the new owner at the LAN client)`);
  console.log(`${'mode'.padEnd(10)} ${'median'.padStart(7)} ${'p95'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}`);
  console.log(row('kill', results.kill));
  console.log(row('graceful', results.graceful));
  console.log(`kill/graceful ratio (medians): ${(median(results.kill) / Math.max(1, median(results.graceful))).toFixed(1)}; goal kill <= 2000 ms: ${pct(results.kill, 95) <= 2000 ? 'met' : 'NOT met'} (p95 ${pct(results.kill, 95)} ms)`);
} finally {
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
}
