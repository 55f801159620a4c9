// Issue 5 scenarios on the lab (in-process): restarting the controller and every speaker/agent changes
// no address and the router never loses the route meanwhile; changing a pool reassigns addresses and the
// router follows. Needs root and FRR (runs in CI).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../operator/api/meta.js';
import { objectPath } from '../../operator/runtime/index.js';
import { loadManifests } from '../../operator/util/manifests.js';
import { silentLogger } from '../../operator/util/log.js';
import { projectPath } from '../../operator/util/paths.js';
import { frrSkip, requireFRR, waitFor } from '../topology/index.js';
import { Lab } from './lab.js';

const skip = frrSkip();

describe('lab scenarios', { skip }, () => {
  let lab: Lab;
  let dir: string;

  const ingress = (name: string): string | undefined =>
    (lab.api.get('v1', 'Service', name, 'default') as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined)?.status?.loadBalancer?.ingress?.[0]?.ip;
  const paths = async (prefix: string): Promise<number> => {
    const j = await lab.router.json<Record<string, { nexthops?: { fib?: boolean }[] }[]>>(`show ip route ${prefix} json`).catch(() => ({}) as Record<string, { nexthops?: { fib?: boolean }[] }[]>);
    return (j[prefix]?.[0]?.nexthops ?? []).filter((h) => h.fib).length;
  };

  before(async () => {
    requireFRR();
    dir = mkdtempSync(join(tmpdir(), 'metalfrr-lab-scen-'));
    lab = await Lab.start({ stateDir: dir, logger: silentLogger });
    const lines = await lab.apply(loadManifests([projectPath('examples', 'lab')]).objects.map((o) => o.object));
    assert.ok(lines.every((l) => l.endsWith(' applied')), lines.join('\n'));
    await waitFor(async () => {
      const ip = ingress('nginx-bgp');
      return ip !== undefined && (await paths(`${ip}/32`)) === 2;
    }, { what: 'nginx-bgp has an address with two paths at the router', timeoutMs: 60_000 });
  });

  after(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('restarting the controller, speakers and agents changes no address and the router keeps the route', async () => {
    const before = { nginx: ingress('nginx-bgp')!, local: ingress('web-local')! };
    let lost = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        if ((await paths(`${before.nginx}/32`)) === 0) lost++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await lab.restartRoles(silentLogger);
    // give the new roles time to converge (and to do any damage)
    await new Promise((r) => setTimeout(r, 4000));
    polling = false;
    await poller;
    assert.equal(lost, 0, 'the router lost the route during the restart');
    assert.deepEqual({ nginx: ingress('nginx-bgp'), local: ingress('web-local') }, before);
    assert.equal(await paths(`${before.nginx}/32`), 2);
  });

  test('changing the pool reassigns addresses as upstream does, and the router follows', async () => {
    const old = ingress('nginx-bgp')!;
    const path = objectPath('metallb.io/v1beta1', 'ipaddresspools', 'metallb-system', 'bgp-pool');
    const pool = await lab.client.get<KubeObject & { spec: { addresses: string[] } }>(path);
    await lab.client.replace(path, { ...pool, spec: { ...pool.spec, addresses: ['10.0.102.0/24'] } });
    const moved = await waitFor(async () => {
      const ip = ingress('nginx-bgp');
      return ip?.startsWith('10.0.102.') && (await paths(`${ip}/32`)) === 2 && ip;
    }, { what: 'nginx-bgp moved into the new range with two paths', timeoutMs: 60_000 });
    assert.notEqual(moved, old);
    await waitFor(async () => (await paths(`${old}/32`)) === 0, { what: 'the old address withdrawn' });
  });
});
