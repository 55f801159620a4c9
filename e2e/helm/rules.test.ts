// Every metric an alert of the chart's rule file uses is exported by some metalfrr role.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { parse as parseYAML } from 'yaml';
import { projectPath } from '../../operator/util/paths.js';
import { RULES_FILE } from '../../operator/install/bundle.js';

/** Metric names registered in operator/ (string literals "metallb_..." / "frrk8s_..." outside tests). */
function exportedMetricNames(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && !n.endsWith('.test.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/(?<=name: |[[(,]\s*)['"`]((?:metallb|frrk8s)_[a-z0-9_]+)['"`]/g)) names.add(m[1]!);
      }
    }
  };
  walk(projectPath('operator'));
  return names;
}

it('the alert expressions only use metric names metalfrr exports', () => {
  const exported = exportedMetricNames();
  for (const n of ['metallb_allocator_addresses_in_use_total', 'metallb_k8s_client_config_stale_bool', 'frrk8s_bgp_session_up', 'metallb_bgp_session_up']) assert.ok(exported.has(n), `${n} found by the scan`);
  assert.ok(!exported.has('metallb_bgp_pending_prefixes_total'), 'the scan finds only registered names (no native BGP speaker metric)');
  const file = parseYAML(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const rules = file.groups.flatMap((g) => g.rules);
  assert.ok(rules.length >= 7);
  const unknown: string[] = [];
  for (const r of rules) {
    const used = [...r.expr.matchAll(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?=\s*(\{|==|>=|<=|!=|>|<|\)|$|\s+(or|and|unless)\b|\s*[/*+-]))/g)]
      .map((m) => m[0])
      .filter((n) => !['on', 'by', 'or', 'and', 'unless', 'ignoring', 'without'].includes(n));
    const metrics = used.filter((n) => /_/.test(n));
    assert.ok(metrics.length > 0, `${r.alert} references a metric`);
    for (const n of metrics) if (!exported.has(n)) unknown.push(`${r.alert}: ${n}`);
  }
  assert.deepEqual(unknown, []);
});
