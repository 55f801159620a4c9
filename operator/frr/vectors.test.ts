// Runs every render vector of the shared folder: vectors/frrk8s/render (YAML -> conversion -> frr.conf)
// and vectors/frrk8s/render-model (model.json -> frr.conf, renderer only), compared as the vectors'
// README says (trailing whitespace stripped, empty lines dropped, same lines in the same order, file
// ends with a newline). Every rendered file also goes through `vtysh -C -f` (FRR's dry-run parser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caseDirs, readMeta, renderModelCase, renderVector, VECTORS } from './vectorcases.js';
import { normalizedLines, requireVtysh, vtyshCheck, withoutNumbers } from './testutil.js';

function compare(got: string, expected: string, modNumbers: boolean): void {
  assert.ok(got.endsWith('\n'), 'the rendered file ends with a newline');
  const f = modNumbers ? withoutNumbers : (l: string[]): string[] => l;
  assert.deepEqual(f(normalizedLines(got)), f(normalizedLines(expected)));
}

const rendered: Record<string, string> = {};

for (const kind of ['render', 'render-model'] as const) {
  test(`vectors/frrk8s/${kind}: every case renders the expected frr.conf (upstream numbering exactly, stable numbering modulo numbers)`, async (t) => {
    const dirs = caseDirs(kind);
    let run = 0;
    let exact = 0;
    let renumbered = 0;
    for (const dir of dirs) {
      const name = dir.split('/').pop()!;
      await t.test(name, () => {
        const expected = readFileSync(join(dir, 'expected.conf'), 'utf8');
        // upstream numbering: the lines of the golden file, numbers included
        const upstream = renderVector(kind, dir, 'upstream');
        compare(upstream, expected, false);
        // stable numbering (the default): the same lines in the same order once prefix-list seq and
        // route-map entry numbers are blanked; seq.test.ts shows the numbers keep every list's answer
        const stable = renderVector(kind, dir, 'stable');
        compare(stable, expected, true);
        rendered[`${kind}-${name}`] = stable;
        rendered[`${kind}-${name}-upstream`] = upstream;
        run++;
        if (upstream === expected) exact++;
        if (stable !== upstream) renumbered++;
      });
    }
    assert.equal(run, dirs.length, 'every case directory was run and passed');
    assert.ok(renumbered > 0, 'the stable numbering differs from upstream somewhere');
    t.diagnostic(`${run}/${dirs.length} cases equal after normalisation, ${exact} byte for byte; ${renumbered} renumbered by the stable scheme`);
  });
}

test('the fallback router id of a host without IPv4 is used', () => {
  const dir = join(VECTORS, 'render-model', 'TestSingleSessionIPv6OnlyNode');
  const meta = readMeta(dir);
  assert.equal(meta.hostHasIPv4, false);
  assert.match(renderModelCase(dir, 'stable'), new RegExp(`bgp router-id ${meta.fallbackRouterID!.replace(/\./g, '\\.')}\n`));
});

test('vtysh -C -f accepts every rendered vector and rejects a broken file', (t) => {
  if (!requireVtysh(t)) return;
  const names = Object.keys(rendered);
  assert.equal(names.length, 2 * (caseDirs('render').length + caseDirs('render-model').length), 'all vectors were rendered first, in both numberings');
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
