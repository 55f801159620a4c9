// Runs every acceptance vector of /work/shared/vectors/metallb-validation (see its README) against the parser,
// the mode validation and the webhook decision. A missing vector folder is a failure, not a skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BGPBackend } from '../../api/constants.js';
import type { KubeObject } from '../../api/meta.js';
import { formatCIDR } from '../../util/ip.js';
import { parseManifests } from '../../util/manifests.js';
import { sharedDir } from '../../util/paths.js';
import { validateMode } from './mode.js';
import { parseConfig } from './parse.js';
import { emptyResources, type ClusterResources, type ParseBackend } from './types.js';
import { admitMetalLB } from './webhook.js';

const GROUPS = ['parse', 'service-selectors', 'validate-native', 'validate-frr', 'webhook-e2e'];
const NAMESPACE = 'metallb-system';

interface Expected {
  valid: boolean;
  errorContains: string | null;
  bgpBackend: ParseBackend;
  scope: 'full-parser' | 'mode-validation-only' | 'webhook';
  options?: { frrk8sSecretPassthrough?: boolean };
  operation?: 'CREATE' | 'UPDATE' | 'DELETE';
  parsed?: {
    pools: Record<string, { cidrs: string[]; autoAssign: boolean; avoidBuggyIPs: boolean }>;
    peers: Record<string, { holdTimeSeconds: number | null; keepaliveTimeSeconds: number | null }>;
    bfdProfiles: string[];
  };
}

function load(file: string): KubeObject[] {
  if (!existsSync(file)) return [];
  const r = parseManifests(readFileSync(file, 'utf8'), file);
  assert.deepEqual(r.errors, [], `cannot load ${file}`);
  return r.objects.map((o) => o.object);
}

export function toResources(objects: KubeObject[]): ClusterResources {
  const res = emptyResources();
  for (const o of objects) {
    switch (o.kind) {
      case 'IPAddressPool':
        res.pools.push(o as never);
        break;
      case 'BGPPeer':
        res.peers.push(o as never);
        break;
      case 'BFDProfile':
        res.bfdProfiles.push(o as never);
        break;
      case 'L2Advertisement':
        res.l2Advertisements.push(o as never);
        break;
      case 'BGPAdvertisement':
        res.bgpAdvertisements.push(o as never);
        break;
      case 'Community':
        res.communities.push(o as never);
        break;
      case 'Secret':
        res.secrets.push(o as never);
        break;
      case 'Node':
        res.nodes.push(o as never);
        break;
      case 'Namespace':
        res.namespaces.push(o as never);
        break;
      default:
        assert.fail(`unexpected kind ${o.kind}`);
    }
  }
  return res;
}

const root = join(sharedDir(), 'vectors', 'metallb-validation');
const caseDirs: { group: string; name: string; dir: string }[] = [];
for (const g of GROUPS) {
  const gdir = join(root, g);
  if (!existsSync(gdir)) continue;
  for (const name of readdirSync(gdir).sort()) {
    const dir = join(gdir, name);
    if (statSync(dir).isDirectory()) caseDirs.push({ group: g, name, dir });
  }
}

test('vector folders exist', () => {
  for (const g of GROUPS) assert.ok(existsSync(join(root, g)), `missing vector folder ${join(root, g)}`);
  assert.ok(caseDirs.length > 0, 'no vector cases found');
});

let ran = 0;
const outcome = { valid: 0, invalid: 0 };

for (const { group, name, dir } of caseDirs) {
  test(`${group}/${name}`, () => {
    const exp = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    let valid: boolean;
    let message = '';
    let parseResult: ReturnType<typeof parseConfig> | undefined;
    if (exp.scope === 'full-parser') {
      parseResult = parseConfig(toResources(load(join(dir, 'input.yaml'))), {
        backend: exp.bgpBackend,
        namespace: NAMESPACE,
        frrk8sSecretPassthrough: exp.options?.frrk8sSecretPassthrough ?? false,
      });
      valid = parseResult.errors.length === 0;
      message = parseResult.errors[0]?.message ?? '';
      if (!valid) for (const e of parseResult.errors) assert.ok(e.kind && e.message, 'every error is attributed');
    } else if (exp.scope === 'mode-validation-only') {
      const errs = validateMode(toResources(load(join(dir, 'input.yaml'))), exp.bgpBackend);
      valid = errs.length === 0;
      message = errs[0]?.message ?? '';
    } else if (exp.scope === 'webhook') {
      const applied = load(join(dir, 'applied.yaml'));
      assert.equal(applied.length, 1, 'applied.yaml holds one object');
      const op = exp.operation!;
      const d = admitMetalLB(
        op === 'DELETE' ? { operation: op, oldObject: applied[0] } : { operation: op, object: applied[0] },
        toResources(load(join(dir, 'existing.yaml'))),
        { namespace: NAMESPACE, backend: exp.bgpBackend as BGPBackend },
      );
      valid = d.allowed;
      message = d.message ?? '';
    } else {
      assert.fail(`unknown scope ${String(exp.scope)}`);
    }
    assert.equal(valid, exp.valid, `valid: got ${valid} (${message}), expected ${exp.valid}`);
    if (!exp.valid && exp.errorContains !== null) {
      assert.ok(message.includes(exp.errorContains), `error ${JSON.stringify(message)} does not contain ${JSON.stringify(exp.errorContains)}`);
    }
    if (exp.valid && exp.scope === 'full-parser' && exp.parsed) {
      const cfg = parseResult!.config!;
      const pools: NonNullable<Expected['parsed']>['pools'] = {};
      for (const p of cfg.pools.values()) {
        pools[p.name] = { cidrs: p.cidrs.map(formatCIDR), autoAssign: p.autoAssign, avoidBuggyIPs: p.avoidBuggyIPs };
      }
      assert.deepEqual(pools, exp.parsed.pools);
      const peers: Record<string, { holdTimeSeconds: number | null; keepaliveTimeSeconds: number | null }> = {};
      for (const p of cfg.peers.values()) peers[p.name] = { holdTimeSeconds: p.holdTime, keepaliveTimeSeconds: p.keepaliveTime };
      assert.deepEqual(peers, exp.parsed.peers);
      assert.deepEqual([...cfg.bfdProfiles.keys()].sort(), [...exp.parsed.bfdProfiles].sort());
    }
    ran++;
    outcome[valid ? 'valid' : 'invalid']++;
  });
}

test('every vector case ran', () => {
  assert.equal(ran, caseDirs.length, `ran ${ran} of ${caseDirs.length} cases`);
  assert.equal(caseDirs.length, 176);
  assert.deepEqual(outcome, { valid: 69, invalid: 107 });
});
