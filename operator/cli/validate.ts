// `metalfrr validate`: check manifests offline with the same rules as the API server and webhooks.
import { BGP_BACKENDS, DEFAULT_BGP_BACKEND, DEFAULT_FRRK8S_NAMESPACE, DEFAULT_METALLB_NAMESPACE, type BGPBackend } from '../api/constants.js';
import { loadManifests } from '../util/manifests.js';
import { CRDSchemas } from '../config/schema.js';
import { validateSet } from '../config/validate-set.js';
import { UsageError, type CommandIO } from './io.js';

export const VALIDATE_USAGE = `usage: metalfrr validate [--backend frr-k8s|frr|native] [--namespace metallb-system]
                        [--frrk8s-namespace frr-k8s-system] [--quiet] FILE|DIR...

Checks Kubernetes manifests (multi-document YAML) the way a cluster running metalfrr would:
each object against its CRD schema, then all MetalLB objects together with the webhook and
configuration rules, and the FRRConfigurations per node. Without Node objects in the input,
objects are validated as if they all selected one common node.

Output: one line per problem, "FILE: Kind/namespace/name: message".
Exit status: 0 valid, 1 invalid, 2 unreadable input (bad YAML, unknown kinds, missing files).`;

export interface ValidateArgs {
  backend: BGPBackend;
  namespace: string;
  frrk8sNamespace: string;
  quiet: boolean;
  paths: string[];
}

export function parseValidateArgs(values: Record<string, unknown>, positionals: string[]): ValidateArgs {
  const backend = String(values.backend ?? process.env.METALLB_BGP_TYPE ?? DEFAULT_BGP_BACKEND) as BGPBackend;
  if (!BGP_BACKENDS.includes(backend)) throw new UsageError(`--backend must be one of ${BGP_BACKENDS.join(', ')}, got "${backend}"`);
  if (positionals.length === 0) throw new UsageError('validate needs at least one FILE or DIR');
  return {
    backend,
    namespace: String(values.namespace ?? DEFAULT_METALLB_NAMESPACE),
    frrk8sNamespace: String(values['frrk8s-namespace'] ?? DEFAULT_FRRK8S_NAMESPACE),
    quiet: Boolean(values.quiet),
    paths: positionals,
  };
}

export function runValidate(args: ValidateArgs, io: CommandIO): number {
  const loaded = loadManifests(args.paths);
  for (const e of loaded.errors) io.out(`${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  const schemas = CRDSchemas.fromDirectory();
  const backend = args.backend === 'frr-k8s-external' ? 'frr-k8s' : args.backend;
  const r = validateSet(loaded.objects, schemas, { backend, namespace: args.namespace, frrk8sNamespace: args.frrk8sNamespace });
  for (const p of r.problems) io.out(`${p.file}: ${p.ref}: ${p.message}`);
  if (!args.quiet) for (const w of r.warnings) io.err(`warning: ${w.file}: ${w.ref}: ${w.message}`);
  const unreadable = loaded.errors.length > 0 || r.problems.some((p) => p.severity === 'unknown-kind');
  const invalid = r.problems.length > 0;
  if (!args.quiet) {
    const files = new Set(loaded.objects.map((o) => o.file)).size;
    const verdict = unreadable ? 'unreadable input' : invalid ? `${r.problems.length} problem(s)` : 'valid';
    io.err(`${loaded.objects.length} object(s) in ${files} file(s), backend ${backend}: ${verdict}`);
  }
  return unreadable ? 2 : invalid ? 1 : 0;
}
