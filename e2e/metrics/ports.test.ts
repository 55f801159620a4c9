// Every role's /metrics is on the port its manifest declares: for every Deployment and DaemonSet the
// operator renders (each backend's golden objects, kept equal to the renderer by e2e/operator) and the
// operator's own Deployment in the install bundle, the container port named `monitoring`, `frrmetrics`,
// `webhook` or `http` is the port the container's arguments make the role listen on (`--health-port`,
// the webhook's `--port`, or the CLI's default when the argument is absent). promtool.test.ts scrapes
// those servers and lints what they serve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { projectPath } from '../../operator/util/paths.js';

interface Container {
  name: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
}
interface Workload {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec?: { containers?: Container[] } } };
}

const METRICS_PORTS = new Set(['monitoring', 'frrmetrics', 'webhook', 'http']);
/** What a role listens on without the argument (operator/cli/*.ts defaults). */
const DEFAULTS: Record<string, number> = { operator: 8080 };

function listenPort(c: Container): number | undefined {
  const args = c.args ?? [];
  const role = args[0] ?? '';
  const flag = role === 'webhook' ? '--port' : '--health-port';
  const a = args.find((x) => x.startsWith(`${flag}=`));
  if (a) return Number(a.slice(flag.length + 1));
  const i = args.indexOf(flag);
  if (i >= 0) return Number(args[i + 1]);
  return DEFAULTS[role];
}

function workloads(file: string): Workload[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Workload | null)
    .filter((o): o is Workload => !!o && (o.kind === 'Deployment' || o.kind === 'DaemonSet'));
}

test('every metrics or webhook container port is the port the role is told to listen on', () => {
  const dir = projectPath('e2e', 'operator', 'golden');
  const files = [...readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f)), projectPath('deploy', 'metalfrr.yaml')];
  const seen = new Map<string, number>();
  for (const f of files) {
    for (const w of workloads(f)) {
      for (const c of w.spec?.template?.spec?.containers ?? []) {
        for (const p of c.ports ?? []) {
          if (!p.name || !METRICS_PORTS.has(p.name)) continue;
          const listens = listenPort(c);
          assert.equal(listens, p.containerPort, `${f}: ${w.kind} ${w.metadata.name} container ${c.name}: port ${p.name}=${p.containerPort}, args ${JSON.stringify(c.args)}`);
          seen.set(`${c.args?.[0]}:${p.name}`, p.containerPort);
        }
      }
    }
  }
  // every role is covered: controller, speaker, the speaker's FRR agent sidecar, frr-k8s, webhook, operator
  const roles = new Set([...seen.keys()].map((k) => k.split(':')[0]));
  for (const r of ['controller', 'speaker', 'frr-agent', 'webhook', 'operator']) assert.ok(roles.has(r), `${r} in ${[...seen.keys()].join(', ')}`);
  assert.equal(seen.get('controller:monitoring'), 7472);
  assert.equal(seen.get('frr-agent:frrmetrics'), 7573);
});
