// A real Prometheus (Debian's prometheus package) for the lab: scrapes every role the lab runs, loads the
// one alert rule file (deploy/chart/metalfrr/files/metalfrr.rules.yaml) and serves its HTTP API on
// 127.0.0.1. Started by `metalfrr lab up --prometheus` and by the alert e2e test; stopped by PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { RULES_FILE } from '../../operator/install/bundle.js';

export { RULES_FILE };
export const PROMETHEUS = process.env.METALFRR_PROMETHEUS ?? 'prometheus';

/** One /metrics endpoint of a lab role. */
export interface MetricsTarget {
  /** Prometheus job: the role (controller, speaker, frr-k8s, webhook) */
  job: string;
  /** http(s)://127.0.0.1:PORT/metrics */
  url: string;
  /** the node a per-node role runs on */
  node?: string;
}

/** Why Prometheus cannot run here, or null. */
export function prometheusMissing(): string | null {
  const r = spawnSync(PROMETHEUS, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0 ? null : `${PROMETHEUS} not found (apt-get install prometheus)`;
}

/** A free TCP port on 127.0.0.1 (released before it is returned; the caller binds it right away). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * prometheus.yml for the targets (pure): one job per role, one static config per target with its node
 * label, 1 s scrape and rule evaluation (the lab wants alerts within seconds of their `for:`), the rule
 * file, TLS trusting `caFile` for https targets.
 */
export function prometheusConfig(targets: MetricsTarget[], opts: { rulesFile: string; caFile?: string; intervalS?: number }): string {
  const interval = `${opts.intervalS ?? 1}s`;
  const jobs = new Map<string, MetricsTarget[]>();
  for (const t of targets) jobs.set(t.job, [...(jobs.get(t.job) ?? []), t]);
  const scrape_configs = [...jobs].map(([job, ts]) => {
    const u = new URL(ts[0]!.url);
    return {
      job_name: job,
      scheme: u.protocol.replace(':', ''),
      metrics_path: u.pathname,
      ...(u.protocol === 'https:' && opts.caFile ? { tls_config: { ca_file: opts.caFile } } : {}),
      static_configs: ts.map((t) => ({ targets: [new URL(t.url).host], ...(t.node ? { labels: { node: t.node } } : {}) })),
    };
  });
  return stringify({ global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval }, rule_files: [opts.rulesFile], scrape_configs });
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | string;
  activeAt?: string;
}

export interface PrometheusTarget {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

/** The HTTP API of a Prometheus at `url` (what the tests and `lab status` read). */
export class PrometheusAPI {
  constructor(readonly url: string) {}

  private async get<T>(path: string): Promise<T> {
    const r = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(5000) });
    const body = (await r.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? r.status}`);
    return body.data;
  }

  /** Active alerts (pending and firing), from /api/v1/alerts. */
  async alerts(): Promise<PrometheusAlert[]> {
    return (await this.get<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts;
  }

  /** Scrape targets and their health, from /api/v1/targets. */
  async targets(): Promise<PrometheusTarget[]> {
    return (await this.get<{ activeTargets: PrometheusTarget[] }>('/api/v1/targets')).activeTargets;
  }

  /** Rule groups as loaded (file and rule names), from /api/v1/rules. */
  async ruleGroups(): Promise<{ file: string; rules: { name: string }[] }[]> {
    return (await this.get<{ groups: { file: string; rules: { name: string }[] }[] }>('/api/v1/rules')).groups;
  }

  /** An instant query, from /api/v1/query. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    return (await this.get<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result;
  }
}

export class PrometheusServer {
  readonly api: PrometheusAPI;

  private constructor(
    readonly url: string,
    readonly pid: number,
    private readonly child: ChildProcess,
  ) {
    this.api = new PrometheusAPI(url);
  }

  /** Writes the config into `dir`, starts Prometheus on `port` (default: a free one) and waits until it is ready. */
  static async start(opts: { dir: string; targets: MetricsTarget[]; caFile?: string; port?: number; rulesFile?: string }): Promise<PrometheusServer> {
    mkdirSync(opts.dir, { recursive: true });
    const config = join(opts.dir, 'prometheus.yml');
    writeFileSync(config, prometheusConfig(opts.targets, { rulesFile: opts.rulesFile ?? RULES_FILE, ...(opts.caFile ? { caFile: opts.caFile } : {}) }));
    const port = opts.port || (await freePort());
    const log = openSync(join(opts.dir, 'prometheus.log'), 'a');
    const child = spawn(PROMETHEUS, [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', log, log] });
    closeSync(log);
    const url = `http://127.0.0.1:${port}`;
    const server = new PrometheusServer(url, child.pid!, child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}; see ${join(opts.dir, 'prometheus.log')}`);
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return server;
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`prometheus not ready after 30 s; see ${join(opts.dir, 'prometheus.log')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then SIGKILL after 5 s, of our own child (by PID). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
