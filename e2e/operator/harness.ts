// Runs `MetalLBOperator` in-process against the test API server, and reads back what it deployed
// in a stable, comparable form (the golden manifests under e2e/operator/golden/).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../../operator/api/meta.js';
import { MANAGED_KINDS, MetalLBOperator, type CertPlanner } from '../../operator/controllers/operator.js';
import { operatorParams, type OperatorParams } from '../../operator/manifests/params.js';
import { identityOf } from '../../operator/manifests/render.js';
import { KubeClient } from '../../operator/runtime/client.js';
import { Manager } from '../../operator/runtime/manager.js';
import { silentLogger, type Logger } from '../../operator/util/log.js';
import { projectPath } from '../../operator/util/paths.js';
import { TestApiServer } from '../apiserver/index.js';

export const NS = 'metallb-system';

export interface OperatorHarness {
  api: TestApiServer;
  client: KubeClient;
  mgr: Manager;
  operator: MetalLBOperator;
  stop(): Promise<void>;
}

export async function startOperator(opts: { certPlanner: CertPlanner; params?: Partial<OperatorParams>; now?: () => Date; logger?: Logger; api?: TestApiServer }): Promise<OperatorHarness> {
  const api = opts.api ?? new TestApiServer({ crds: projectPath('crds'), bookmarkIntervalMs: 200 });
  if (!opts.api) await api.start();
  const client = new KubeClient(api.kubeConfig());
  if (!api.get('v1', 'Namespace', NS)) await client.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const mgr = new Manager({ client, name: 'metalfrr-operator', logger: opts.logger ?? silentLogger });
  const params = operatorParams({ namespace: NS, image: 'ghcr.io/metalfrr/metalfrr:test', frrk8sExternalNamespace: 'frr-k8s-system', ...(opts.params ?? {}) });
  const operator = new MetalLBOperator(mgr, client, { params, certPlanner: opts.certPlanner, ...(opts.now ? { now: opts.now } : {}) });
  await mgr.start();
  return {
    api,
    client,
    mgr,
    operator,
    async stop() {
      await mgr.stop();
      if (!opts.api) await api.stop();
    },
  };
}

const SERVER_FIELDS = ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** An object as stored, minus what the server or randomness decides (uids, versions, certificates). */
export function normalize(o: KubeObject): KubeObject {
  const c = JSON.parse(JSON.stringify(o)) as KubeObject & Record<string, any>;
  for (const f of SERVER_FIELDS) delete (c.metadata as Record<string, unknown>)[f];
  for (const r of c.metadata.ownerReferences ?? []) r.uid = '<uid of the MetalLB CR>';
  delete c.status;
  for (const w of c.webhooks ?? []) if (w.clientConfig?.caBundle) w.clientConfig.caBundle = '<caBundle>';
  if (c.kind === 'Secret') c.data = Object.fromEntries(Object.keys(c.data ?? {}).sort().map((k) => [k, '<generated>']));
  return c;
}

/** Everything the operator owns in the API server now, normalized, in a stable order. */
export function deployed(api: TestApiServer, ns = NS): KubeObject[] {
  const out: KubeObject[] = [];
  for (const k of [...MANAGED_KINDS, { apiVersion: 'v1', kind: 'Secret', namespaced: true }]) {
    for (const o of api.list(k.apiVersion, k.kind, k.namespaced ? ns : undefined)) {
      const labels = o.metadata.labels ?? {};
      if (labels['app.kubernetes.io/managed-by'] !== 'metalfrr-operator' || labels['operator.metalfrr.io/namespace'] !== ns) continue;
      out.push(normalize({ ...o, apiVersion: k.apiVersion, kind: k.kind }));
    }
  }
  return out.sort((a, b) => identityOf(a).localeCompare(identityOf(b)));
}

export const updatingGolden = (): boolean => process.env.METALFRR_UPDATE_GOLDEN === '1';

function goldenFile(name: string): string {
  return projectPath('e2e', 'operator', 'golden', `${name}.yaml`);
}

/** Writes a golden file (METALFRR_UPDATE_GOLDEN=1; review the diff before committing). */
export function writeGolden(name: string, objs: KubeObject[]): void {
  const file = goldenFile(name);
  mkdirSync(dirname(file), { recursive: true });
  const text = objs.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  writeFileSync(file, `# golden: what the operator deploys (normalized by e2e/operator/harness.ts); METALFRR_UPDATE_GOLDEN=1 rewrites\n${text}`);
}

export function readGolden(name: string): KubeObject[] {
  const file = goldenFile(name);
  if (!existsSync(file)) throw new Error(`golden file ${file} is missing (run the test once with METALFRR_UPDATE_GOLDEN=1 and review it)`);
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as KubeObject);
}

export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
