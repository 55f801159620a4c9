// The one alert rule file (deploy/chart/metalfrr/files/metalfrr.rules.yaml) passes `promtool check rules`, and
// its promtool unit tests (deploy/prometheus-tests/) pass and show every alert both firing and quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYAML, parseAllDocuments, stringify } from 'yaml';
import { projectPath } from '../../operator/util/paths.js';
import { requirePromtool, runPromtool } from './promtool.js';
import { RULES_FILE } from '../../operator/install/bundle.js';

export const RULE_TESTS_DIR = projectPath('deploy', 'prometheus-tests');

const ruleTestFiles = (): string[] => readdirSync(RULE_TESTS_DIR).filter((n) => n.endsWith('.test.yaml')).map((n) => join(RULE_TESTS_DIR, n));

interface RuleTestFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: unknown[] }[] }[];
}

test('promtool check rules: the rule file', async (t) => {
  if (!requirePromtool(t)) return;
  const r = await runPromtool(['check', 'rules', RULES_FILE]);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /SUCCESS: \d+ rules found/);
});

test('promtool check rules: the groups of the bundle’s PrometheusRule (deploy/metalfrr-prometheusrule.yaml)', async (t) => {
  if (!requirePromtool(t)) return;
  const rule = parseAllDocuments(readFileSync(projectPath('deploy', 'metalfrr-prometheusrule.yaml'), 'utf8')).map((d) => d.toJS()).filter((x) => x !== null) as { kind: string; spec: { groups: unknown[] } }[];
  assert.deepEqual(rule.map((r) => r.kind), ['PrometheusRule']);
  const dir = mkdtempSync(join(tmpdir(), 'metalfrr-rules-'));
  try {
    const f = join(dir, 'rules.yaml');
    writeFileSync(f, stringify({ groups: rule[0]!.spec.groups }));
    const r = await runPromtool(['check', 'rules', f]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the unit tests use the one rule file and show every alert firing and quiet', () => {
  const alerts = (parseYAML(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { alert?: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert!));
  const files = ruleTestFiles();
  assert.ok(files.length > 0, 'promtool rule test files');
  const firing = new Set<string>();
  const quiet = new Set<string>();
  for (const f of files) {
    const doc = parseYAML(readFileSync(f, 'utf8')) as RuleTestFile;
    assert.deepEqual(doc.rule_files.map((p) => resolve(dirname(f), p)), [RULES_FILE], `${f}: rule_files`);
    for (const tc of doc.tests)
      for (const a of tc.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? firing : quiet).add(a.alertname);
  }
  for (const a of alerts) {
    assert.ok(firing.has(a), `${a} is shown firing`);
    assert.ok(quiet.has(a), `${a} is shown quiet`);
  }
});

test('promtool test rules: the alert unit tests pass', async (t) => {
  if (!requirePromtool(t)) return;
  for (const f of ruleTestFiles()) {
    const r = await runPromtool(['test', 'rules', f]);
    assert.equal(r.code, 0, `${f}:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /FAILED/);
  }
});
