// `npm run manifests`: writes deploy/metalfrr.yaml, deploy/metalfrr-prometheusrule.yaml (the alerts of
// deploy/chart/metalfrr/files/metalfrr.rules.yaml as a PrometheusRule) and the generated parts of the Helm
// chart (deploy/chart/metalfrr/crds/, copies of crds/). A test fails when the committed files differ.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleYAML, prometheusRuleYAML } from './bundle.js';
import { projectPath } from '../util/paths.js';

export const CHART_DIR = projectPath('deploy', 'chart', 'metalfrr');

/** Generated files: path (relative to the project root) → content. */
export function generatedFiles(): Map<string, string> {
  const out = new Map<string, string>();
  out.set(join('deploy', 'metalfrr.yaml'), bundleYAML());
  out.set(join('deploy', 'metalfrr-prometheusrule.yaml'), prometheusRuleYAML());
  const crdDir = projectPath('crds');
  for (const name of readdirSync(crdDir).filter((n) => n.endsWith('.yaml')).sort()) {
    out.set(join('deploy', 'chart', 'metalfrr', 'crds', name), readFileSync(join(crdDir, name), 'utf8'));
  }
  return out;
}

/** Writes the generated files (stale chart CRD copies are removed); returns the paths written. */
export function writeGenerated(): string[] {
  const files = generatedFiles();
  const chartCrds = join(CHART_DIR, 'crds');
  rmSync(chartCrds, { recursive: true, force: true });
  for (const [path, text] of files) {
    const abs = projectPath(path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  return [...files.keys()].map((p) => relative(projectPath(), projectPath(p)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const p of writeGenerated()) process.stdout.write(`wrote ${p}\n`);
}
