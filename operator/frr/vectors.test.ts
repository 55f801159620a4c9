// Runs every render vector of the shared folder: vectors/frrk8s/render (YAML -> conversion -> frr.conf)
// and vectors/frrk8s/render-model (model.json -> frr.conf, renderer only), compared as the vectors'
// README says (trailing whitespace stripped, empty lines dropped, same lines in the same order, file
// ends with a newline). Every rendered file also goes through `vtysh -C -f` (FRR's dry-run parser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadVectorInput } from '../config/frrk8s/testing.js';
import { modelFromJSON } from '../config/frrk8s/model.js';
import { sharedDir } from '../util/paths.js';
import { renderForNode } from './pipeline.js';
import { renderFRRConfig } from './render.js';
import { normalizedLines, vtyshAvailability, vtyshCheck } from './testutil.js';

const VECTORS = join(sharedDir(), 'vectors', 'frrk8s');

interface Meta {
  hostname: string;
  hostHasIPv4?: boolean;
  logLevel?: string;
  alwaysBlock?: string[];
  fallbackRouterID?: string;
}

function caseDirs(kind: 'render' | 'render-model'): string[] {
  const root = join(VECTORS, kind);
  assert.ok(existsSync(root), `vectors folder ${root} is missing (set METALFRR_SHARED to the shared folder)`);
  const dirs = readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .sort();
  assert.ok(dirs.length > 0, `no cases in ${root}`);
  return dirs.map((d) => join(root, d));
}

const readMeta = (dir: string): Meta => JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;

function renderCase(dir: string): string {
  const meta = readMeta(dir);
  const { configs, secrets } = loadVectorInput(dir);
  const r = renderForNode(configs, { name: 'node', labels: { 'kubernetes.io/hostname': 'node' } }, {
    secrets,
    alwaysBlock: meta.alwaysBlock ?? [],
    hostname: meta.hostname,
    ...(meta.logLevel !== undefined ? { logLevel: meta.logLevel } : {}),
    hostHasIPv4: meta.hostHasIPv4 ?? true,
  });
  return r.config;
}

function renderModelCase(dir: string): string {
  const meta = readMeta(dir);
  const model = modelFromJSON(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')));
  return renderFRRConfig(model, { hostname: meta.hostname, hostHasIPv4: meta.hostHasIPv4 ?? true });
}

function compare(got: string, expected: string): void {
  assert.ok(got.endsWith('\n'), 'the rendered file ends with a newline');
  assert.deepEqual(normalizedLines(got), normalizedLines(expected));
}

const rendered: Record<string, string> = {};

for (const kind of ['render', 'render-model'] as const) {
  test(`vectors/frrk8s/${kind}: every case renders the expected frr.conf`, async (t) => {
    const dirs = caseDirs(kind);
    let run = 0;
    let exact = 0;
    for (const dir of dirs) {
      const name = dir.split('/').pop()!;
      await t.test(name, () => {
        const got = kind === 'render' ? renderCase(dir) : renderModelCase(dir);
        const expected = readFileSync(join(dir, 'expected.conf'), 'utf8');
        compare(got, expected);
        rendered[`${kind}-${name}`] = got;
        run++;
        if (got === expected) exact++;
      });
    }
    assert.equal(run, dirs.length, 'every case directory was run and passed');
    t.diagnostic(`${run}/${dirs.length} cases equal after normalisation, ${exact} byte for byte`);
  });
}

test('the fallback router id of a host without IPv4 is used', () => {
  const dir = join(VECTORS, 'render-model', 'TestSingleSessionIPv6OnlyNode');
  const meta = readMeta(dir);
  assert.equal(meta.hostHasIPv4, false);
  assert.match(renderModelCase(dir), new RegExp(`bgp router-id ${meta.fallbackRouterID!.replace(/\./g, '\\.')}\n`));
});

test('vtysh -C -f accepts every rendered vector and rejects a broken file', (t) => {
  const avail = vtyshAvailability();
  if (!avail.available) {
    if (process.env.CI === 'true') assert.fail(`vtysh is required in CI: ${avail.reason}`);
    t.skip(avail.reason);
    return;
  }
  const names = Object.keys(rendered);
  assert.equal(names.length, caseDirs('render').length + caseDirs('render-model').length, 'all vectors were rendered first');
  // the oracle must be able to say no: an unknown command inside router bgp (like upstream's
  // TestDockerTestfails golden) is refused
  const broken = 'hostname x\nrouter bgp 65000\n  neighbor 192.168.1.2 remote-as 65001\n  this is not a command\n';
  const results = vtyshCheck({ ...rendered, __broken: broken });
  const bad = results.__broken!;
  assert.ok(bad.ran);
  assert.notEqual(bad.status, 0, 'vtysh -C accepted a broken configuration');
  assert.match(bad.output, /Unknown command/);
  for (const n of names) {
    const r = results[n]!;
    assert.ok(r.ran, `${n}: ${r.reason}`);
    assert.equal(r.status, 0, `${n}: vtysh -C -f failed:\n${r.output}\n${rendered[n]}`);
  }
  t.diagnostic(`vtysh -C -f accepted ${names.length} rendered files`);
});
