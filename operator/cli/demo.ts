// `metalfrr demo` (what `npm start` runs until the lab exists): validate the bundled examples and
// show what they configure, with no cluster and no FRR needed.
import { DEFAULT_METALLB_NAMESPACE } from '../api/constants.js';
import { loadManifests } from '../util/manifests.js';
import { projectPath } from '../util/paths.js';
import { CRDSchemas } from '../config/schema.js';
import { validateSet } from '../config/validate-set.js';
import { describeConfiguration } from '../config/describe.js';
import type { CommandIO } from './io.js';

export const DEMO_USAGE = `usage: metalfrr demo [DIR...]

Validates the manifests (default: the bundled examples/) with every webhook and configuration rule,
then prints what they configure: address pools, BGP peers and advertisements, L2 advertisements,
and, per node, the BGP routers and neighbors frr-k8s would configure.`;

export function runDemo(paths: string[], io: CommandIO): number {
  const dirs = paths.length > 0 ? paths : [projectPath('examples')];
  io.out(`metalfrr demo: validating ${dirs.join(', ')}`);
  const loaded = loadManifests(dirs);
  for (const e of loaded.errors) io.out(`  ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  const r = validateSet(loaded.objects, CRDSchemas.fromDirectory(), { backend: 'frr-k8s', namespace: DEFAULT_METALLB_NAMESPACE });
  for (const p of r.problems) io.out(`  ${p.file}: ${p.ref}: ${p.message}`);
  const ok = loaded.errors.length === 0 && r.problems.length === 0;
  io.out(`${loaded.objects.length} objects: ${ok ? 'valid' : 'INVALID'}\n`);
  for (const line of describeConfiguration(r.accepted.map((a) => a.object), DEFAULT_METALLB_NAMESPACE)) io.out(line);
  io.out('\nThe lab (real FRR in network namespaces) is not built yet; `npm test` runs every check.');
  return ok ? 0 : 1;
}
