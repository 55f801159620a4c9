import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { projectPath } from '../util/paths.js';
import { main } from './main.js';

const td = (f: string): string => projectPath('operator', 'cli', 'testdata', f);

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('examples/ are valid', async () => {
  const r = await run('validate', projectPath('examples'));
  assert.deepEqual(r.out, []);
  assert.equal(r.code, 0);
  assert.match(r.err.at(-1)!, /: valid$/);
});

test('overlapping pools: exit 1, the overlap message names both pools', async () => {
  const r = await run('validate', td('overlapping-pools.yaml'));
  assert.equal(r.code, 1);
  const line = r.out.find((l) => l.includes('overlaps with already defined CIDR'));
  assert.ok(line, r.out.join('\n'));
  assert.ok(line.startsWith(`${td('overlapping-pools.yaml')}: IPAddressPool/metallb-system/`), line);
  assert.match(line, /"first"/);
  assert.match(line, /"second"/);
});

test('bad YAML is reported with file and line, exit 2', async () => {
  const r = await run('validate', td('bad-yaml.yaml'));
  assert.equal(r.code, 2);
  assert.match(r.out.join('\n'), new RegExp(`${td('bad-yaml.yaml')}:1[3-5]: invalid YAML`));
});

test('unknown kinds are reported, not ignored: exit 2', async () => {
  const r = await run('validate', td('unknown-kind.yaml'));
  assert.equal(r.code, 2);
  assert.match(r.out.join('\n'), /AddressPool\/metallb-system\/legacy: unknown kind metallb.io\/v1beta1\/AddressPool/);
});

test('schema errors name the field', async () => {
  const r = await run('validate', td('schema-errors.yaml'));
  assert.equal(r.code, 1);
  const text = r.out.join('\n');
  assert.match(text, /BGPPeer\/metallb-system\/bad-port: spec\.peerPort: Invalid value: 20000/);
  assert.match(text, /spec\.dynamicASN: Unsupported value: "sideways"/);
});

test('configuration rules: hold time, namespace', async () => {
  const hold = await run('validate', td('hold-time.yaml'));
  assert.equal(hold.code, 1);
  assert.match(hold.out.join('\n'), /BGPPeer\/metallb-system\/short-hold: .*invalid hold time "2s": must be 0 or >=3s/);
  const ns = await run('validate', td('wrong-namespace.yaml'));
  assert.equal(ns.code, 1);
  assert.match(ns.out.join('\n'), /IPAddressPool\/default\/elsewhere: resource must be created in metallb-system namespace/);
  const otherNs = await run('validate', '--namespace', 'default', td('wrong-namespace.yaml'));
  assert.equal(otherNs.code, 0, otherNs.out.join('\n'));
});

test('without Node objects peers are checked as if they shared one node; with nodes, selectors decide', async () => {
  const alone = await run('validate', '--backend', 'frr-k8s', td('peers-disjoint-nodes.yaml'));
  assert.equal(alone.code, 1);
  assert.match(alone.out.join('\n'), /already exists, FRR mode doesn't support duplicate BGPPeers selecting the same node/);
  const withNodes = await run('validate', '--backend', 'frr-k8s', td('peers-disjoint-nodes.yaml'), td('nodes.yaml'));
  assert.equal(withNodes.code, 0, withNodes.out.join('\n'));
  // native mode has no such rule
  const native = await run('validate', '--backend', 'native', td('peers-disjoint-nodes.yaml'));
  assert.equal(native.code, 0, native.out.join('\n'));
});

test('FRRConfigurations are merged per node and conflicts reported per object', async () => {
  const r = await run('validate', td('frr-conflict.yaml'));
  assert.equal(r.code, 1);
  const text = r.out.join('\n');
  assert.match(text, /FRRConfiguration\/frr-k8s-system\/team-[ab]: .*different asns \(64512 != 64999\) specified for same vrf/);
});

test('usage errors exit 2', async () => {
  assert.equal((await run('validate')).code, 2);
  assert.equal((await run('validate', '--backend', 'bird', 'x')).code, 2);
  assert.equal((await run('nope')).code, 2);
  assert.equal((await run('validate', '--help')).code, 0);
});

test('the installed bin runs end to end', () => {
  const bin = projectPath('dist', 'operator', 'cli', 'bin.js');
  const ok = spawnSync(process.execPath, [bin, 'validate', projectPath('examples')], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  const bad = spawnSync(process.execPath, [bin, 'validate', td('overlapping-pools.yaml')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /overlaps with already defined CIDR/);
});
