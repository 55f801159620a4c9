// `metalfrr lab up|run|apply|status|exec|down`: the local lab (e2e/lab/lab.ts) as a background process
// that later commands talk to through its state directory (kubeconfig, namespaces, vty sockets, PID).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/meta.js';
import { createLogger } from '../util/log.js';
import { loadManifests } from '../util/manifests.js';
import { projectPath } from '../util/paths.js';
import { KubeClient, loadKubeConfig } from '../runtime/client.js';
import { UsageError, type CommandIO } from './io.js';
import { parseSamples, samples, type Sample } from '../util/promtext.js';
import { runDemo } from './demo.js';
import type { LabState } from '../../e2e/lab/lab.js';

export const LAB_USAGE = `usage: metalfrr lab up [--apply DIR]... [--prometheus [--prometheus-port P]] | apply FILE|DIR... | status | exec HOST -- CMD... | down   [--state-dir DIR]

The lab: the test API server with metalfrr's CRDs and webhooks, network namespaces with a real FRR
router (AS ${64501}, 10.0.0.1), FRR nodes (AS ${64500}, 10.0.0.11, 10.0.0.12) and a client behind the
router, and one frr agent per node, all in one background process.
  up       start it (needs root and Debian's frr package; without them, says what is missing and
           runs the offline demo instead); --apply DIR applies manifests and waits until every
           LoadBalancer Service has an address that the router routes; --prometheus also starts
           Prometheus (Debian's prometheus package) scraping every role, with the alert rules of
           deploy/ loaded, and prints its address (--prometheus-port, default any free port)
  apply    create or update manifests through the lab's API server (webhooks included)
  status   what a user checks: FRRNodeStates, pool usage and BGP sessions from the roles' metrics,
           sessions and routes at the router, firing alerts when Prometheus runs
  exec     run a command in a lab namespace (router, client, node1, ...); vtysh talks to that host's FRR
  down     stop it and remove every namespace, process and file it made
State: --state-dir, default $METALFRR_LAB_DIR or <tmp>/metalfrr-lab.`;


export function labStateDir(v: Record<string, unknown>): string {
  return String(v['state-dir'] ?? process.env.METALFRR_LAB_DIR ?? join(tmpdir(), 'metalfrr-lab'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(dir: string): LabState | undefined {
  const f = join(dir, 'state.json');
  if (!existsSync(f)) return undefined;
  const s = JSON.parse(readFileSync(f, 'utf8')) as LabState;
  return alive(s.pid) ? s : undefined;
}

/** What the lab needs that this machine lacks, with how to get it. */
export function labMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces and FRR need it): run as root');
  const need: [string, string][] = [
    ['/usr/lib/frr/bgpd', 'frr'],
    ['/usr/bin/vtysh', 'frr'],
    ['/usr/lib/frr/frr-reload.py', 'frr-pythontools'],
  ];
  const pkgs = new Set<string>();
  for (const [file, pkg] of need) if (!existsSync(file)) pkgs.add(pkg);
  if (spawnSync('ip', ['-V']).status !== 0) pkgs.add('iproute2');
  if (pkgs.size > 0) missing.push(`${[...pkgs].join(', ')}: apt-get update && apt-get install -y ${[...pkgs].join(' ')}`);
  return missing;
}

function vtyshArgs(state: LabState, host: string): string[] {
  return ['--vty_socket', state.vtySockets[host]!];
}

export async function runLab(v: Record<string, unknown>, positionals: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = positionals;
  const dir = labStateDir(v);
  switch (sub) {
    case 'up': {
      const missing = labMissing();
      if (missing.length > 0) {
        io.out('The lab needs real FRR in network namespaces, and this machine lacks:');
        for (const m of missing) io.out(`  - ${m}`);
        io.out('Running the offline part instead.\n');
        return runDemo([], io);
      }
      const running = readState(dir);
      if (running) {
        io.out(`The lab is already running (pid ${running.pid}).`);
        return labStatus(running, io);
      }
      mkdirSync(dir, { recursive: true });
      rmSync(join(dir, 'state.json'), { force: true });
      if (v.prometheus) {
        const { prometheusMissing } = await import('../../e2e/lab/prometheus.js');
        const why = prometheusMissing();
        if (why) throw new UsageError(`--prometheus: ${why}`);
      }
      const promArgs = v.prometheus ? ['--prometheus', ...(v['prometheus-port'] ? ['--prometheus-port', String(v['prometheus-port'])] : [])] : [];
      const logFd = openSync(join(dir, 'lab.log'), 'a');
      const child = spawn(process.execPath, [projectPath('dist', 'operator', 'cli', 'bin.js'), 'lab', 'run', '--state-dir', dir, ...promArgs], {
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      child.unref();
      const deadline = Date.now() + 90_000;
      for (;;) {
        const s = readState(dir);
        if (s?.ready) {
          io.out(`lab up (pid ${s.pid}); API server ${s.apiUrl}; kubeconfig ${s.kubeconfig}; logs ${join(dir, 'lab.log')}`);
          if (s.prometheus) io.out(`Prometheus ${s.prometheus.url} (alerts: ${s.prometheus.url}/alerts, API ${s.prometheus.url}/api/v1/alerts)`);
          const toApply = (v.apply as string[] | undefined) ?? [];
          if (toApply.length > 0) {
            const code = await applyFiles(s, toApply, io);
            if (code !== 0) return code;
            await waitForServices(s, io);
          }
          return labStatus(s, io);
        }
        if (child.exitCode !== null || (child.pid && !alive(child.pid)) || Date.now() > deadline) {
          io.err(`metalfrr lab: the lab did not start; see ${join(dir, 'lab.log')}`);
          return 1;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    case 'run': {
      const { Lab } = await import('../../e2e/lab/lab.js');
      const log = createLogger('lab');
      const port = v['prometheus-port'] === undefined ? 0 : Number(v['prometheus-port']);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--prometheus-port must be a port number, got "${String(v['prometheus-port'])}"`);
      const lab = await Lab.start({ stateDir: dir, logger: log, ...(v.prometheus ? { prometheus: { port } } : {}) });
      log.info('lab ready', { api: lab.state.apiUrl });
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      await lab.stop();
      rmSync(join(dir, 'state.json'), { force: true });
      return 0;
    }
    case 'apply': {
      const s = readState(dir);
      if (!s) throw new UsageError('the lab is not running: metalfrr lab up');
      if (rest.length === 0) throw new UsageError('lab apply needs FILE or DIR');
      return applyFiles(s, rest, io);
    }
    case 'status': {
      const s = readState(dir);
      if (!s) {
        io.out('The lab is not running: metalfrr lab up');
        return 1;
      }
      return labStatus(s, io);
    }
    case 'exec': {
      const s = readState(dir);
      if (!s) throw new UsageError('the lab is not running: metalfrr lab up');
      const [host, ...cmd] = rest;
      if (!host || !s.namespaces[host]) throw new UsageError(`lab exec needs a host: ${Object.keys(s.namespaces).join(', ')}`);
      if (cmd.length === 0) throw new UsageError('lab exec HOST -- CMD...');
      const argv = cmd[0] === 'vtysh' && s.vtySockets[host] ? ['vtysh', ...vtyshArgs(s, host), ...cmd.slice(1)] : cmd;
      const r = spawnSync('ip', ['netns', 'exec', s.namespaces[host]!, ...argv], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    case 'down': {
      const s = readState(dir);
      if (!s) {
        io.out('The lab is not running.');
        return 0;
      }
      process.kill(s.pid, 'SIGTERM');
      const deadline = Date.now() + 20_000;
      while (alive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive(s.pid)) process.kill(s.pid, 'SIGKILL');
      const { sweepStale } = await import('../../e2e/topology/index.js');
      sweepStale();
      rmSync(dir, { recursive: true, force: true });
      io.out('lab down: namespaces, FRR daemons, the API server and the state directory are gone');
      return 0;
    }
    default:
      throw new UsageError(`unknown lab command "${sub ?? ''}"`);
  }
}

async function applyFiles(s: LabState, paths: string[], io: CommandIO): Promise<number> {
  const loaded = loadManifests(paths);
  for (const e of loaded.errors) io.out(`${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  if (loaded.errors.length > 0) return 2;
  const { applyAll } = await import('../../e2e/lab/lab.js');
  const lines = await applyAll(new KubeClient(loadKubeConfig(s.kubeconfig)), loaded.objects.map((o) => o.object));
  for (const l of lines) io.out(l);
  return lines.some((l) => l.includes(' refused: ')) ? 1 : 0;
}

type LBService = KubeObject & { spec?: { type?: string; ports?: { port: number; protocol?: string }[] }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };

async function lbServices(s: LabState): Promise<LBService[]> {
  const client = new KubeClient(loadKubeConfig(s.kubeconfig));
  return (await client.list<LBService>('/api/v1/services')).items.filter((svc) => svc.spec?.type === 'LoadBalancer');
}

function routerRoutes(s: LabState): string {
  const r = spawnSync('vtysh', [...vtyshArgs(s, 'router'), '-c', 'show ip route bgp'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
}

/** Whether an address is on the lab's LAN (announced in L2 mode) rather than routed over BGP. */
function onLAN(ip: string): boolean {
  return ip.startsWith('10.0.0.');
}

type L2Status = KubeObject & { status?: { node?: string; serviceName?: string; serviceNamespace?: string } };

async function l2Owners(s: LabState): Promise<Map<string, string>> {
  const client = new KubeClient(loadKubeConfig(s.kubeconfig));
  const items = (await client.list<L2Status>('/apis/metallb.io/v1beta1/namespaces/metallb-system/servicel2statuses').catch(() => ({ items: [] as L2Status[] }))).items;
  return new Map(items.map((o) => [`${o.status?.serviceNamespace}/${o.status?.serviceName}`, o.status?.node ?? '?']));
}

/**
 * Waits (up to 60 s) until every LoadBalancer Service has an address, the router has a route to each
 * BGP address and every LAN (L2) address has an owner node.
 */
async function waitForServices(s: LabState, io: CommandIO): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const svcs = await lbServices(s);
    const routes = routerRoutes(s);
    const owners = await l2Owners(s);
    const done = svcs.every((svc) => {
      const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
      if (ips.length === 0) return false;
      return ips.every((ip) => (onLAN(ip) ? owners.has(`${svc.metadata.namespace}/${svc.metadata.name}`) : routes.includes(`${ip}/32`)));
    });
    if (done) return;
    if (Date.now() > deadline) {
      io.out('(not every Service has an address routed by the router or announced on the LAN yet; `metalfrr lab status` shows the current state)');
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface LabMetrics {
  pools: { pool: string; inUse: number; total: number }[];
  sessions: { node: string; peer: string; vrf: string; up: boolean }[];
  /** per target (controller, or node name) that could not be read */
  error: Record<string, string>;
}

/** Pool usage (controller) and BGP sessions (each node's frr agent), read from the roles' /metrics. */
export async function readLabMetrics(s: Pick<LabState, 'metrics'>): Promise<LabMetrics> {
  const out: LabMetrics = { pools: [], sessions: [], error: {} };
  const read = async (url: string): Promise<Sample[]> => {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return parseSamples(await r.text());
  };
  for (const t of s.metrics ?? []) {
    if (t.job !== 'controller' && t.job !== 'frr-k8s') continue;
    const key = t.job === 'controller' ? 'controller' : t.node ?? t.url;
    let all: Sample[];
    try {
      all = await read(t.url);
    } catch (e) {
      out.error[key] = (e as Error).message;
      continue;
    }
    if (t.job === 'controller') {
      for (const total of samples(all, 'metallb_allocator_addresses_total')) {
        const pool = total.labels.pool ?? '';
        const inUse = samples(all, 'metallb_allocator_addresses_in_use_total', { pool })[0]?.value ?? 0;
        out.pools.push({ pool, inUse, total: total.value });
      }
    } else {
      for (const b of samples(all, 'frrk8s_bgp_session_up')) out.sessions.push({ node: t.node ?? '?', peer: b.labels.peer ?? '?', vrf: b.labels.vrf ?? '', up: b.value === 1 });
    }
  }
  out.pools.sort((a, b) => a.pool.localeCompare(b.pool));
  return out;
}

/** An HTTP GET from a lab host (default: the client behind the router), as a user's curl would do. */
function httpFromClient(s: LabState, ip: string, port: number, host = 'client'): string {
  const script = `require('node:http').get({host:${JSON.stringify(ip)},port:${port},timeout:3000},(r)=>{let b='';r.on('data',(d)=>b+=d);r.on('end',()=>{process.stdout.write(b);process.exit(0)})}).on('error',(e)=>{process.stdout.write('error: '+e.message);process.exit(1)}).on('timeout',function(){this.destroy(new Error('timeout'))})`;
  const r = spawnSync('ip', ['netns', 'exec', s.namespaces[host]!, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout || r.stderr || '').trim();
}

async function labStatus(s: LabState, io: CommandIO): Promise<number> {
  const client = new KubeClient(loadKubeConfig(s.kubeconfig));
  const services = await client.list<KubeObject & { spec?: { type?: string; ports?: { port: number; protocol?: string }[] }; status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>('/api/v1/services');
  const lbs = services.items.filter((svc) => svc.spec?.type === 'LoadBalancer');
  io.out('\nServices (type LoadBalancer):');
  io.out(`  ${'NAMESPACE'.padEnd(16)}${'NAME'.padEnd(20)}${'EXTERNAL-IP'.padEnd(18)}PORT(S)`);
  for (const svc of lbs) {
    const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(Boolean).join(',') || '<pending>';
    const ports = (svc.spec?.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',');
    io.out(`  ${(svc.metadata.namespace ?? '').padEnd(16)}${(svc.metadata.name ?? '').padEnd(20)}${ips.padEnd(18)}${ports}`);
  }
  if (lbs.length === 0) io.out('  (none)');
  const m = await readLabMetrics(s);
  io.out('\nAddress pools (controller metrics):');
  if (m.error.controller) io.out(`  (metrics unreadable: ${m.error.controller})`);
  for (const p of m.pools) io.out(`  ${p.pool.padEnd(20)}${`${p.inUse}/${p.total} in use`.padEnd(18)}${p.total > 0 ? `${((p.inUse / p.total) * 100).toFixed(0)}%` : '-'}${p.inUse >= p.total && p.total > 0 ? '  EXHAUSTED' : ''}`);
  if (m.pools.length === 0 && !m.error.controller) io.out('  (none)');
  io.out('\nBGP sessions (frr agents\' metrics, frrk8s_bgp_session_up):');
  for (const b of m.sessions) io.out(`  ${b.node.padEnd(8)}${`${b.peer} (vrf ${b.vrf || 'default'})`.padEnd(30)}${b.up ? 'up' : 'DOWN'}`);
  for (const [n, e] of Object.entries(m.error)) if (n !== 'controller') io.out(`  ${n}: metrics unreadable: ${e}`);
  if (m.sessions.length === 0) io.out('  (none)');
  if (s.prometheus) {
    const { PrometheusAPI } = await import('../../e2e/lab/prometheus.js');
    const alerts = await new PrometheusAPI(s.prometheus.url).alerts().catch((e: Error) => e);
    io.out(`\nAlerts (Prometheus ${s.prometheus.url}):`);
    if (alerts instanceof Error) io.out(`  (unreachable: ${alerts.message})`);
    else if (alerts.length === 0) io.out('  (none)');
    else for (const a of alerts) io.out(`  ${a.labels.alertname} ${a.state}${a.labels.pool ? ` pool=${a.labels.pool}` : ''}${a.labels.peer ? ` peer=${a.labels.peer}` : ''}${a.labels.node ? ` node=${a.labels.node}` : ''}`);
  }
  io.out('\nfrr agents (FRRNodeState):');
  for (const n of s.nodes) {
    const st = await client.get<{ status?: Record<string, string> }>(`/apis/frrk8s.metallb.io/v1beta1/frrnodestates/${n}`).catch(() => undefined);
    io.out(`  ${n}: reload ${st?.status?.lastReloadResult ?? '-'}, conversion ${st?.status?.lastConversionResult ?? '-'}`);
  }
  const vtysh = (cmd: string): string => {
    const r = spawnSync('vtysh', [...vtyshArgs(s, 'router'), '-c', cmd], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : `(vtysh failed: ${r.stderr.trim()})`;
  };
  io.out('\nRouter BGP sessions:');
  io.out(vtysh('show bgp ipv4 unicast summary').trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
  io.out('\nRouter BGP routes:');
  io.out(vtysh('show ip route bgp').trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
  const targets = lbs.flatMap((svc) => (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (svc.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => ({ svc, ip: i.ip!, port: p.port }))));
  const l2 = targets.filter((t) => onLAN(t.ip));
  const routed = targets.filter((t) => !onLAN(t.ip));
  if (routed.length > 0) io.out('\nHTTP from the client (behind the router):');
  for (const t of routed) io.out(`  http://${t.ip}:${t.port}/ (${t.svc.metadata.namespace}/${t.svc.metadata.name}) -> ${httpFromClient(s, t.ip, t.port)}`);
  if (l2.length > 0 && s.namespaces.lanclient) io.out('\nHTTP from lanclient (10.0.0.100, on the nodes\' LAN):');
  for (const t of l2) if (s.namespaces.lanclient) io.out(`  http://${t.ip}:${t.port}/ (${t.svc.metadata.namespace}/${t.svc.metadata.name}) -> ${httpFromClient(s, t.ip, t.port, 'lanclient')}`);
  const owners = await l2Owners(s);
  if (l2.length > 0) {
    io.out('\nL2 (ARP on the nodes\' LAN):');
    for (const t of l2) {
      const owner = owners.get(`${t.svc.metadata.namespace}/${t.svc.metadata.name}`) ?? '(no owner yet)';
      const neigh = s.namespaces.lanclient ? spawnSync('ip', ['-n', s.namespaces.lanclient, 'neigh', 'show', t.ip], { encoding: 'utf8' }).stdout.trim() : '';
      io.out(`  ${t.ip} (${t.svc.metadata.namespace}/${t.svc.metadata.name}) answered by ${owner}${neigh ? `; lanclient: ${neigh}` : ''}`);
    }
  }
  return 0;
}
