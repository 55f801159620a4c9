// Validation of a whole set of manifests as the cluster would hold it: each object against its CRD
// schema (what the API server checks), the MetalLB objects together through the configuration parser
// (what the webhooks and speakers check), and the FRRConfigurations per node through the frr-k8s
// conversion (what the frr-k8s webhook and daemon check). Pure: the caller loads the files.
import type { KubeObject } from '../api/meta.js';
import type { BGPBackend } from '../api/constants.js';
import { DEFAULT_FRRK8S_NAMESPACE } from '../api/constants.js';
import type { LoadedObject } from '../util/manifests.js';
import { objectRef } from '../util/manifests.js';
import { CLUSTER_SCOPED_BUILTINS, METALLB_CONFIG_KINDS, isBuiltinKind } from './kinds.js';
import type { CRDSchemas } from './schema.js';
import { asStoredVersion } from './bgppeer-conversion.js';
import { parseConfig, type ClusterResources } from './metallb/parse.js';
import { validateConfigurationSet } from './frrk8s/webhook.js';
import type { FRRConfiguration } from '../api/frrk8s.js';

export interface Problem {
  file: string;
  line?: number;
  /** Kind/namespace/name of the object the problem belongs to */
  ref: string;
  message: string;
  /** unknown kinds are "unreadable input" (exit 2), the rest "invalid" (exit 1) */
  severity: 'invalid' | 'unknown-kind';
}

export interface Warning {
  file: string;
  ref: string;
  message: string;
}

export interface ValidateSetOptions {
  backend: BGPBackend;
  /** the MetalLB namespace */
  namespace: string;
  /** namespace given to FRRConfigurations that do not name one */
  frrk8sNamespace?: string;
}

export interface ValidateSetResult {
  problems: Problem[];
  warnings: Warning[];
  /** objects that passed their schema, after defaulting (what the cluster would store) */
  accepted: LoadedObject[];
}

const oneLine = (s: string): string =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('; ');

export function validateSet(loaded: LoadedObject[], schemas: CRDSchemas, opts: ValidateSetOptions): ValidateSetResult {
  const problems: Problem[] = [];
  const warnings: Warning[] = [];
  const accepted: LoadedObject[] = [];
  const seen = new Map<string, LoadedObject>();
  const frrNs = opts.frrk8sNamespace ?? DEFAULT_FRRK8S_NAMESPACE;

  for (const item of loaded) {
    let obj: KubeObject = structuredClone(item.object);
    const info = schemas.lookup(obj.apiVersion, obj.kind);
    const builtin = isBuiltinKind(obj);
    if (!info && !builtin) {
      const sameKind = schemas.kinds().find((k) => k.kind === obj.kind);
      const hint = sameKind ? ` (served versions of ${obj.kind}: ${schemas.kinds().filter((k) => k.kind === obj.kind && k.served).map((k) => `${k.group}/${k.version}`).join(', ')})` : '';
      problems.push({ file: item.file, line: item.line, ref: objectRef(obj), severity: 'unknown-kind', message: `unknown kind ${obj.apiVersion}/${obj.kind}${hint}` });
      continue;
    }
    const namespaced = info ? info.namespaced : !CLUSTER_SCOPED_BUILTINS.has(obj.kind);
    if (namespaced && !obj.metadata.namespace) {
      obj.metadata.namespace = obj.kind === 'FRRConfiguration' ? frrNs : opts.namespace;
    }
    if (!namespaced) delete obj.metadata.namespace;
    const ref = objectRef(obj);
    if (!obj.metadata.name) {
      problems.push({ file: item.file, line: item.line, ref, severity: 'invalid', message: 'metadata.name: Required value: name is required' });
      continue;
    }
    if (info) {
      const r = schemas.validate(obj);
      for (const w of r.warnings) warnings.push({ file: item.file, ref, message: w });
      if (r.errors.length > 0) {
        for (const e of r.errors) problems.push({ file: item.file, line: item.line, ref, severity: 'invalid', message: e.message });
        continue; // the API server would refuse it: it takes no part in the cross-object checks
      }
      obj = r.object;
      obj = asStoredVersion(obj);
    }
    const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const prev = seen.get(key);
    if (prev) {
      problems.push({
        file: item.file,
        line: item.line,
        ref,
        severity: 'invalid',
        message: `defined twice: also in ${prev.file}:${prev.line} (the cluster keeps only one object of that name)`,
      });
      continue;
    }
    const entry = { file: item.file, line: item.line, object: obj };
    seen.set(key, entry);
    accepted.push(entry);
  }

  const where = new Map<string, LoadedObject>();
  for (const a of accepted) where.set(`${a.object.kind}/${a.object.metadata.name}`, a);
  const byKind = (kind: string, ns?: string): KubeObject[] =>
    accepted.filter((a) => a.object.kind === kind && (ns === undefined || a.object.metadata.namespace === ns)).map((a) => a.object);

  // MetalLB objects outside the MetalLB namespace: refused by the webhooks, ignored by MetalLB.
  for (const a of accepted) {
    if ((METALLB_CONFIG_KINDS as readonly string[]).includes(a.object.kind) && a.object.metadata.namespace !== opts.namespace) {
      problems.push({
        file: a.file,
        line: a.line,
        ref: objectRef(a.object),
        severity: 'invalid',
        message: `resource must be created in ${opts.namespace} namespace`,
      });
    }
  }

  const nodes = byKind('Node');
  const resources: ClusterResources = {
    pools: byKind('IPAddressPool', opts.namespace) as ClusterResources['pools'],
    peers: byKind('BGPPeer', opts.namespace) as ClusterResources['peers'],
    bfdProfiles: byKind('BFDProfile', opts.namespace) as ClusterResources['bfdProfiles'],
    l2Advertisements: byKind('L2Advertisement', opts.namespace) as ClusterResources['l2Advertisements'],
    bgpAdvertisements: byKind('BGPAdvertisement', opts.namespace) as ClusterResources['bgpAdvertisements'],
    communities: byKind('Community', opts.namespace) as ClusterResources['communities'],
    secrets: byKind('Secret', opts.namespace) as ClusterResources['secrets'],
    nodes: nodes as ClusterResources['nodes'],
    namespaces: byKind('Namespace') as ClusterResources['namespaces'],
  };
  const extras = accepted.find((a) => a.object.kind === 'ConfigMap' && a.object.metadata.name === 'bgpextras' && a.object.metadata.namespace === opts.namespace);
  if (extras) resources.bgpExtras = String((extras.object as { data?: Record<string, string> }).data?.extras ?? '');

  const relatedNote = (r: { kind: string; name: string } | undefined): string => {
    if (!r) return '';
    const src = where.get(`${r.kind}/${r.name}`);
    return ` (conflicts with ${r.kind} "${r.name}"${src ? ` in ${src.file}:${src.line}` : ''})`;
  };
  const parsed = parseConfig(resources, { backend: opts.backend, namespace: opts.namespace, assumeCommonNode: nodes.length === 0 });
  for (const e of parsed.errors) {
    const src = where.get(`${e.kind}/${e.name}`);
    problems.push({
      file: src?.file ?? '<input>',
      line: src?.line,
      ref: src ? objectRef(src.object) : `${e.kind}/${opts.namespace}/${e.name}`,
      severity: 'invalid',
      message: oneLine(e.message) + relatedNote(e.related),
    });
  }

  const frrConfigs = byKind('FRRConfiguration') as FRRConfiguration[];
  if (frrConfigs.length > 0) {
    const reported = new Set<string>();
    for (const r of validateConfigurationSet(frrConfigs, nodes as never, { assumeCommonNode: nodes.length === 0 })) {
      const targets = r.objects.length > 0 ? r.objects : frrConfigs.map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
      for (const t of targets) {
        const [ns, name] = t.split('/');
        const src = accepted.find((a) => a.object.kind === 'FRRConfiguration' && a.object.metadata.namespace === ns && a.object.metadata.name === name);
        const msg = `${oneLine(r.error)}${r.node ? ` (for node ${r.node})` : ''}`;
        const key = `${t}\n${oneLine(r.error)}`;
        if (reported.has(key)) continue;
        reported.add(key);
        problems.push({ file: src?.file ?? '<input>', line: src?.line, ref: `FRRConfiguration/${t}`, severity: 'invalid', message: msg });
      }
    }
  }
  return { problems, warnings, accepted };
}
