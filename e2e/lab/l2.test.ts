// Issue 7 on the lab (in-process roles, real network namespaces): the L2 walk-through of the seeds —
// pool + L2Advertisement + LoadBalancer Service, curl from a host on the nodes' LAN; one elected node
// answers ARP (the client's neighbour entry holds its MAC); killing the owner's speaker moves the
// entry to the new owner and HTTP answers again from it; ownership never splits across speaker kills
// and restarts. Needs root, FRR and libpcap (runs in CI).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifests } from '../../operator/util/manifests.js';
import { silentLogger } from '../../operator/util/log.js';
import { projectPath } from '../../operator/util/paths.js';
import { capMissing } from '../../operator/l2/cap.js';
import { frrSkip, requireFRR, waitFor } from '../topology/index.js';
import { LAB_LAN_CLIENT, Lab } from './lab.js';
import { Prober } from './prober.js';

const skip = frrSkip() || (capMissing() && process.env.CI !== 'true' ? `L2 responder unavailable: ${capMissing()}` : false);

describe('lab: L2 mode', { skip }, () => {
  let lab: Lab;
  let dir: string;
  let ip = '';
  const sampler = { on: false, split: 0, samples: 0 };

  const ingress = (): string | undefined =>
    (lab.api.get('v1', 'Service', 'nginx-l2', 'default') as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } } | undefined)?.status?.loadBalancer?.ingress?.[0]?.ip;
  /** nodes whose speaker currently has the IP on the wire */
  const holders = (): string[] => lab.nodes.filter((n) => !n.speakerKilled && n.speaker.l2Announced().some((a) => a.ip === ip)).map((n) => n.name);
  const statusOwners = (): string[] =>
    lab.api.list('metallb.io/v1beta1', 'ServiceL2Status', 'metallb-system').filter((o) => (o as { status?: { serviceName?: string } }).status?.serviceName === 'nginx-l2').map((o) => (o as { status?: { node?: string } }).status?.node ?? '');
  const mac = (node: string): string => spawnSync('ip', ['-n', lab.topo.ns(node), '-j', 'link', 'show', 'eth0'], { encoding: 'utf8' }).stdout.match(/"address":"([0-9a-f:]{17})"/)![1]!;
  const neighbour = (): string | undefined => {
    const out = spawnSync('ip', ['-n', lab.topo.ns(LAB_LAN_CLIENT), '-j', 'neigh', 'show', ip], { encoding: 'utf8' }).stdout;
    return (JSON.parse(out || '[]') as { lladdr?: string }[])[0]?.lladdr;
  };

  before(async () => {
    requireFRR();
    const missing = capMissing();
    if (missing) assert.fail(`the L2 lab needs the cap module and libpcap: ${missing}`);
    dir = mkdtempSync(join(tmpdir(), 'metalfrr-lab-l2-'));
    lab = await Lab.start({ stateDir: dir, logger: silentLogger });
    const lines = await lab.apply(loadManifests([projectPath('examples', 'lab')]).objects.map((o) => o.object));
    assert.ok(lines.every((l) => l.endsWith(' applied')), lines.join('\n'));
    await waitFor(() => (ip = ingress() ?? '') !== '' && holders().length === 1, { what: 'nginx-l2 has an address and an owner', timeoutMs: 60_000 });
    // from here on, sample who holds the IP every 5 ms: never two nodes at once
    sampler.on = true;
    void (async () => {
      while (sampler.on) {
        sampler.samples++;
        if (holders().length > 1) sampler.split++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
  });

  after(async () => {
    sampler.on = false;
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the walk-through: an address from the L2 pool, one owner answering ARP, HTTP from the LAN', async () => {
    assert.match(ip, /^10\.0\.0\.(24\d|250)$/);
    const [owner] = holders();
    assert.deepEqual(statusOwners(), [owner], 'one ServiceL2Status, naming the owner');
    const probe = new Prober(lab.topo.ns(LAB_LAN_CLIENT), ip, 80);
    try {
      await waitFor(() => probe.firstAnswer(0, new RegExp(`hello from ${owner}`)) !== undefined, { what: `HTTP answer from ${owner}`, timeoutMs: 10_000 });
    } finally {
      probe.stop();
    }
    assert.equal(neighbour(), mac(owner!), "lanclient's neighbour entry holds the owner's MAC");
  });

  test("killing the owner's speaker moves the neighbour entry to the new owner and HTTP answers from it", async () => {
    const [owner] = holders();
    const other = lab.nodes.map((n) => n.name).find((n) => n !== owner)!;
    const probe = new Prober(lab.topo.ns(LAB_LAN_CLIENT), ip, 80);
    try {
      await waitFor(() => probe.firstAnswer(0, /hello from/) !== undefined, { what: 'answers before the kill' });
      const t0 = Date.now();
      await lab.killSpeaker(owner!);
      const answer = await waitFor(() => probe.firstAnswer(t0, new RegExp(`hello from ${other}`)), { what: `HTTP answer from ${other}`, timeoutMs: 10_000 });
      const failoverMs = answer.t - t0;
      console.log(`# L2 failover (kill -> first HTTP answer from ${other}): ${failoverMs} ms`);
      assert.ok(failoverMs < 5000, `failover took ${failoverMs} ms`);
      assert.equal(neighbour(), mac(other), "the neighbour entry moved to the new owner's MAC");
      assert.deepEqual(holders(), [other]);
      await waitFor(() => statusOwners().length === 1 && statusOwners()[0] === other, { what: 'ServiceL2Status names the new owner' });
      // the killed speaker comes back: ownership goes where the election says, without a split
      await lab.startSpeaker(owner!, silentLogger);
      await waitFor(() => holders().length === 1 && statusOwners().length === 1 && statusOwners()[0] === holders()[0], { what: 'one owner after the restart', timeoutMs: 10_000 });
      const finalOwner = holders()[0]!;
      const t1 = Date.now();
      await waitFor(() => probe.firstAnswer(t1, new RegExp(`hello from ${finalOwner}`)), { what: `HTTP answer from ${finalOwner}` });
      assert.equal(neighbour(), mac(finalOwner));
    } finally {
      probe.stop();
    }
  });

  test('ownership never split: at no sample did two nodes answer for the IP', () => {
    assert.ok(sampler.samples > 100, `${sampler.samples} samples`);
    assert.equal(sampler.split, 0);
  });
});
