// Prometheus's promtool, for tests: lint a /metrics text (`promtool check metrics`), check and unit-test rule
// files (`promtool check rules`, `promtool test rules`). Reusable by lab tests (issue 9 parts 3-4).
import { spawn, spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';

export const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

/** Is promtool on PATH (or at $PROMTOOL)? */
export function promtoolAvailable(): boolean {
  const r = spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/**
 * For a test that needs promtool: true when it is there. When it is not, the test fails under CI=true
 * (the CI image installs the prometheus package) and is skipped, with the reason, elsewhere.
 */
export function requirePromtool(t: TestContext): boolean {
  if (promtoolAvailable()) return true;
  const reason = `${PROMTOOL} not found (apt-get install prometheus)`;
  if (process.env.CI === 'true') assert.fail(reason);
  t.skip(reason);
  return false;
}

export interface PromtoolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runPromtool(args: string[], stdin?: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(PROMTOOL, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin ?? '');
  });
}

/** One lint finding of `promtool check metrics`: the metric family and promlint's text. */
export interface LintProblem {
  metric: string;
  text: string;
}

/**
 * promlint findings that are upstream's metric names (spec metallb-core.md §6, frr-k8s.md §6), kept for
 * compatibility with upstream dashboards and alerts: gauges whose names end in _total and counters whose
 * names do not. Each is listed by name, so a new metric with a lint problem is still caught.
 */
export const UPSTREAM_NAME_LINT: Readonly<Record<string, string>> = Object.fromEntries([
  ...[
    'metallb_allocator_addresses_total',
    'metallb_allocator_ipv4_addresses_total',
    'metallb_allocator_ipv6_addresses_total',
    'metallb_allocator_addresses_in_use_total',
    'metallb_allocator_ipv4_addresses_in_use_total',
    'metallb_allocator_ipv6_addresses_in_use_total',
    'metallb_bgp_announced_prefixes_total',
    'frrk8s_bgp_announced_prefixes_total',
    'frrk8s_bgp_received_prefixes_total',
  ].map((m) => [m, 'non-counter metrics should not have "_total" suffix']),
  ...[
    'metallb_layer2_requests_received',
    'metallb_layer2_responses_sent',
    'metallb_layer2_gratuitous_sent',
    ...['opens_sent', 'opens_received', 'notifications_sent', 'updates_total_received', 'keepalives_sent', 'keepalives_received', 'route_refresh_sent', 'total_sent', 'total_received'].flatMap((n) => [`metallb_bgp_${n}`, `frrk8s_bgp_${n}`]),
    ...['control_packet_input', 'control_packet_output', 'echo_packet_input', 'echo_packet_output', 'session_up_events', 'session_down_events', 'zebra_notifications'].flatMap((n) => [`metallb_bfd_${n}`, `frrk8s_bfd_${n}`]),
  ].map((m) => [m, 'counter metrics should have "_total" suffix']),
]);

export interface CheckMetricsResult extends PromtoolResult {
  /** every lint finding */
  problems: LintProblem[];
  /** the findings that are not upstream names listed in UPSTREAM_NAME_LINT */
  unexpected: LintProblem[];
  /** parse errors ("error while linting: ..."), which make promtool exit 1 */
  errors: string[];
}

/** Pipes a /metrics text into `promtool check metrics` and sorts what it prints. */
export async function checkMetrics(text: string): Promise<CheckMetricsResult> {
  const r = await runPromtool(['check', 'metrics'], text);
  const problems: LintProblem[] = [];
  const errors: string[] = [];
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m && !line.startsWith('error')) problems.push({ metric: m[1]!, text: m[2]! });
    else errors.push(line);
  }
  const unexpected = problems.filter((p) => UPSTREAM_NAME_LINT[p.metric] !== p.text);
  return { ...r, problems, unexpected, errors };
}

/**
 * Asserts a /metrics text is valid and lint-clean: promtool exits 0, or exits 3 (lint findings) with only
 * findings on upstream names (UPSTREAM_NAME_LINT); no parse errors.
 */
export async function assertMetricsLintClean(text: string, what: string): Promise<CheckMetricsResult> {
  const r = await checkMetrics(text);
  assert.deepEqual(r.errors, [], `${what}: promtool check metrics errors`);
  assert.deepEqual(r.unexpected, [], `${what}: promtool check metrics lint problems`);
  assert.equal(r.code, r.problems.length === 0 ? 0 : 3, `${what}: promtool exit code (stdout ${r.stdout}, stderr ${r.stderr})`);
  return r;
}

/** Metric family names (# TYPE lines) of a /metrics text. */
export function metricFamilies(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
}

/** Sample lines (not comments) of a /metrics text whose metric name is `name` (labels included). */
export function samplesOf(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}
