// The MetalLB CR's rules (upstream's operator webhook, spec §1.3) and the backend it selects. Pure.
import { BGP_BACKENDS, DEFAULT_BGP_BACKEND, type BGPBackend } from '../api/constants.js';
import type { MetalLB, MetalLBSpec } from '../api/metallb.js';
import { parseCIDR } from '../util/ip.js';
import type { OperatorParams } from './params.js';

export interface SpecProblem {
  field: string;
  message: string;
}

export function backendOf(spec: MetalLBSpec | undefined): BGPBackend {
  const b = spec?.bgpBackend ?? '';
  return b === '' ? DEFAULT_BGP_BACKEND : (b as BGPBackend);
}

/** Where the speaker writes its FRRConfigurations: the operator namespace, or the external frr-k8s one. */
export function frrk8sNamespaceOf(cr: MetalLB, params: OperatorParams): string | undefined {
  if (backendOf(cr.spec) !== 'frr-k8s-external') return params.namespace;
  return cr.spec?.frrk8sConfig?.namespace || params.frrk8sExternalNamespace || undefined;
}

function tolerationProblems(field: string, list: Record<string, unknown>[] | undefined): SpecProblem[] {
  const out: SpecProblem[] = [];
  (list ?? []).forEach((t, i) => {
    const secs = t.tolerationSeconds;
    if (typeof secs === 'number' && secs > 0 && t.effect !== 'NoExecute')
      out.push({ field: `${field}[${i}].tolerationSeconds`, message: `tolerationSeconds is only allowed with effect NoExecute, the effect is ${JSON.stringify(t.effect ?? '')}` });
  });
  return out;
}

function weightProblems(field: string, affinity: Record<string, unknown> | undefined): SpecProblem[] {
  const out: SpecProblem[] = [];
  for (const kind of ['nodeAffinity', 'podAffinity'] as const) {
    const terms = (affinity?.[kind] as { preferredDuringSchedulingIgnoredDuringExecution?: { weight?: number }[] } | undefined)?.preferredDuringSchedulingIgnoredDuringExecution;
    (terms ?? []).forEach((t, i) => {
      const w = t.weight;
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 100)
        out.push({ field: `${field}.affinity.${kind}.preferredDuringSchedulingIgnoredDuringExecution[${i}].weight`, message: `weight must be in the range 1-100, got ${JSON.stringify(w)}` });
    });
  }
  return out;
}

/** Every problem of the CR's spec, each naming its field; empty when the operator can deploy it. */
export function validateMetalLBSpec(cr: MetalLB, params: OperatorParams): SpecProblem[] {
  const s = cr.spec ?? {};
  const out: SpecProblem[] = [
    ...tolerationProblems('spec.controllerTolerations', s.controllerTolerations),
    ...tolerationProblems('spec.speakerTolerations', s.speakerTolerations),
    ...weightProblems('spec.controllerConfig', s.controllerConfig?.affinity),
    ...weightProblems('spec.speakerConfig', s.speakerConfig?.affinity),
  ];
  const b = s.bgpBackend ?? '';
  if (b !== '' && !BGP_BACKENDS.includes(b as BGPBackend))
    out.push({ field: 'spec.bgpBackend', message: `invalid BGP backend ${JSON.stringify(b)}, must be one of ${BGP_BACKENDS.join(', ')} (or empty for ${DEFAULT_BGP_BACKEND})` });
  else if (backendOf(s) === 'frr-k8s-external' && !frrk8sNamespaceOf(cr, params))
    out.push({ field: 'spec.frrk8sConfig.namespace', message: 'the frr-k8s-external backend needs the namespace of the external frr-k8s (spec.frrk8sConfig.namespace or the operator env FRRK8S_EXTERNAL_NAMESPACE)' });
  (s.frrk8sConfig?.alwaysBlock ?? []).forEach((c, i) => {
    if (!parseCIDR(String(c).trim())) out.push({ field: `spec.frrk8sConfig.alwaysBlock[${i}]`, message: `invalid CIDR ${JSON.stringify(c)}` });
  });
  return out;
}

export function describeProblems(problems: SpecProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join('; ');
}
