import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizedLines, requireVtysh, vtyshCheck } from '../frr/testutil.js';
import { projectPath } from '../util/paths.js';
import { fnv1a32, MAX_SEQ } from '../frr/view.js';
import { main } from './main.js';

const td = (f: string): string => projectPath('operator', 'cli', 'testdata', f);

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.map((l) => `${l}\n`).join(''), err };
}

const examples = projectPath('examples');
/** The stable seq of an entry with le/ge (docs/frr-rendering.md): FNV-1a of its text. */
const hashed = (match: string): number => 1 + (fnv1a32(match) % (MAX_SEQ - 1));

test('render --node worker-1 examples/: the frr-k8s objects that select the node, MetalLB objects ignored', async (t) => {
  const r = await run('render', '--node', 'worker-1', examples);
  assert.deepEqual(r.err, []);
  assert.equal(r.code, 0);
  const lines = normalizedLines(r.out);
  assert.equal(lines[0], 'log stdout informational');
  assert.ok(lines.includes('hostname worker-1'));
  assert.ok(lines.includes('router bgp 64500'));
  assert.ok(lines.includes('  neighbor 10.0.0.1 password change-me-bgp-secret'), 'password from the Secret of frr-k8s-system');
  // receive-all-on-edge-nodes does not select worker-1: the filtered list of receive-from-router applies
  assert.ok(lines.includes(`ip prefix-list 10.0.0.1-inpl-ipv4 seq ${hashed('172.16.0.0/16 le 24')} permit 172.16.0.0/16 le 24`));
  assert.ok(!r.out.includes('permit any'));
  // --seq upstream: frr-k8s' 1..n numbering
  const up = await run('render', '--node', 'worker-1', '--seq', 'upstream', examples);
  assert.equal(up.code, 0);
  assert.ok(normalizedLines(up.out).includes('ip prefix-list 10.0.0.1-inpl-ipv4 seq 1 permit 172.16.0.0/16 le 24'));
  assert.deepEqual(
    normalizedLines(up.out).map((l) => l.replace(/ seq \d+ /, ' seq N ').replace(/^(route-map \S+ \S+) \d+$/, '$1 N')),
    lines.map((l) => l.replace(/ seq \d+ /, ' seq N ').replace(/^(route-map \S+ \S+) \d+$/, '$1 N')),
    'only the numbers differ',
  );
  // --prefix-lists per-neighbor: a copy per neighbor; the default renders the lists both neighbors
  // of worker-1 have alike once
  const copies = await run('render', '--node', 'worker-1', '--prefix-lists', 'per-neighbor', examples);
  assert.equal(copies.code, 0);
  const listNames = (t: string): Set<string> => new Set(normalizedLines(t).filter((l) => / prefix-list /.test(l)).map((l) => l.split(' ').slice(0, 3).join(' ')));
  assert.ok(listNames(copies.out).size >= listNames(r.out).size, 'sharing never adds lists');
  const badLists = await run('render', '--node', 'worker-1', '--prefix-lists', 'pooled', examples);
  assert.equal(badLists.code, 2);
  assert.match(badLists.err.join('\n'), /--prefix-lists must be one of shared, per-neighbor/);
  const bad = await run('render', '--node', 'worker-1', '--seq', 'sorted', examples);
  assert.equal(bad.code, 2);
  assert.match(bad.err.join('\n'), /--seq must be one of stable, upstream/);

  if (!requireVtysh(t)) return;
  const edge = await run('render', '--node', 'worker-1', '--node-labels', 'bgp-edge=true', '--log-level', 'debug', '--always-block', '192.168.0.0/16,fc00::/7', examples);
  assert.equal(edge.code, 0);
  for (const [name, v] of Object.entries(vtyshCheck({ worker: r.out, edge: edge.out }))) {
    assert.ok(v.ran, v.reason);
    assert.equal(v.status, 0, `${name}: vtysh -C -f failed:\n${v.output}`);
  }
});

test('render: --node-labels, --log-level, --hostname, --always-block, --no-host-ipv4, --timer-defaults', async () => {
  const r = await run(
    'render',
    '--node', 'worker-1',
    '--node-labels', 'bgp-edge=true,zone=a',
    '--log-level', 'warn',
    '--hostname', 'w1.example',
    '--always-block', '192.168.1.7/24',
    '--no-host-ipv4',
    '--timer-defaults', 'fixed',
    examples,
  );
  assert.equal(r.code, 0, r.err.join('\n'));
  const lines = normalizedLines(r.out);
  assert.equal(lines[0], 'log stdout warnings');
  assert.ok(lines.includes('hostname w1.example'));
  assert.ok(lines.includes('ip prefix-list 10.0.0.1-inpl-ipv4 seq 4294967295 permit any'), 'mode all of the edge object wins');
  assert.ok(lines.includes(`ip prefix-list 10.0.0.1-denied-inpl-ipv4 seq ${hashed('192.168.1.0/24 le 32')} permit 192.168.1.0/24 le 32`));
  assert.ok(lines.some((l) => /^ {2}bgp router-id \d+\.\d+\.\d+\.\d+$/.test(l)));
  assert.ok(lines.includes('  neighbor 10.0.0.1 timers connect 60'));
});

test('render: labels of the Node object; FRRConfigurations of other namespaces ignored with a note', async () => {
  const r = await run('render', '--node', 'edge-1', td('render-node.yaml'));
  assert.equal(r.code, 0);
  assert.ok(r.out.includes('ip prefix-list 10.0.0.1-inpl-ipv4 seq 4294967295 permit any\n'));
  assert.ok(!r.out.includes('64999'));
  assert.deepEqual(r.err, ['metalfrr render: ignoring FRRConfiguration/default/elsewhere: frr-k8s reads FRRConfigurations of frr-k8s-system only']);
  const other = await run('render', '--node', 'other', td('render-node.yaml'));
  assert.equal(other.code, 0);
  assert.ok(!other.out.includes('router bgp'), 'edge-only does not select a node without the label');
  const ns = await run('render', '--node', 'other', '-n', 'default', td('render-node.yaml'));
  assert.ok(ns.out.includes('router bgp 64999\n'));
});

test('render: configurations that cannot be merged exit 1 with the error', async () => {
  const r = await run('render', '--node', 'node1', td('frr-conflict.yaml'));
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.equal(r.err.length, 1);
  assert.match(r.err[0]!, /^metalfrr render: different asns \(64512 != 64999\) specified for same vrf/);
});

test('render: usage errors and unreadable input exit 2', async () => {
  for (const argv of [
    ['render', examples],
    ['render', '--node', 'n'],
    ['render', '--node', 'n', '--log-level', 'loud', examples],
    ['render', '--node', 'n', '--always-block', '10.0.0.0/33', examples],
    ['render', '--node', 'n', '--node-labels', 'novalue', examples],
    ['render', '--node', 'n', '--timer-defaults', 'sometimes', examples],
    ['render', '--node', 'n', '--bogus', examples],
  ]) {
    const r = await run(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err.join('\n'), /^metalfrr render: /, argv.join(' '));
  }
  const bad = await run('render', '--node', 'n', td('bad-yaml.yaml'));
  assert.equal(bad.code, 2);
  assert.match(bad.err.join('\n'), /metalfrr render: .*bad-yaml\.yaml:\d+: invalid YAML/);
  const missing = await run('render', '--node', 'n', td('does-not-exist.yaml'));
  assert.equal(missing.code, 2);
  assert.match(missing.err.join('\n'), /cannot read: ENOENT/);
});

test('render --help', async () => {
  const r = await run('render', '--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /^usage: metalfrr render --node NAME/);
});
