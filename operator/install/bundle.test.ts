import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/meta.js';
import { projectPath } from '../util/paths.js';
import { validateManifest } from '../../e2e/schemas/validate.js';
import { RULES_FILE, bundleYAML, loadCRDs, loadRuleGroups, packageVersion, prometheusRuleYAML, renderBundle, renderPrometheusRule } from './bundle.js';
import { generatedFiles } from './generate.js';

const objects = renderBundle();
const find = (kind: string, name: string): KubeObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} is in the bundle`);
  return o;
};

describe('install bundle', () => {
  it('puts the CRDs first, then Namespace, RBAC, the Deployment and the MetalLB CR last', () => {
    const crds = loadCRDs();
    assert.ok(crds.length >= 14);
    const kinds = objects.map((o) => o.kind);
    assert.deepEqual(kinds.slice(0, crds.length), crds.map(() => 'CustomResourceDefinition'));
    assert.deepEqual(kinds.slice(crds.length), ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'Deployment', 'MetalLB']);
  });

  it('runs the operator with the conventions the operator relies on', () => {
    const d = find('Deployment', 'metalfrr-operator') as any;
    assert.equal(d.metadata.namespace, 'metallb-system');
    const image = `ghcr.io/metalfrr/metalfrr:${packageVersion()}`;
    const pod = d.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'metalfrr-operator');
    assert.deepEqual(d.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'metalfrr', 'app.kubernetes.io/component': 'operator' });
    assert.deepEqual(d.spec.template.metadata.labels, d.spec.selector.matchLabels);
    const c = pod.containers.find((x: any) => x.name === 'operator');
    assert.equal(c.image, image);
    assert.deepEqual(c.args, ['operator', '--leader-elect']);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.deepEqual(env, {
      OPERATOR_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      METALFRR_IMAGE: image,
      FRRK8S_EXTERNAL_NAMESPACE: 'frr-k8s-system',
    });
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  });

  it('has the default MetalLB CR with an empty spec', () => {
    assert.deepEqual(find('MetalLB', 'metallb'), { apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name: 'metallb', namespace: 'metallb-system' }, spec: {} });
  });

  it('binds the ClusterRole and Role to the operator ServiceAccount', () => {
    for (const [kind, roleKind] of [['ClusterRoleBinding', 'ClusterRole'], ['RoleBinding', 'Role']] as const) {
      const b = find(kind, 'metalfrr-operator') as any;
      assert.deepEqual(b.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: 'metalfrr-operator' });
      assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'metalfrr-operator', namespace: 'metallb-system' }]);
    }
    const role = find('Role', 'metalfrr-operator') as any;
    assert.ok(role.rules.some((r: any) => r.apiGroups.includes('coordination.k8s.io') && r.resources.includes('leases') && r.verbs.includes('update')));
  });

  it('grants the operator the permissions of the brief (its own work and what its operands hold)', () => {
    const rules = (find('ClusterRole', 'metalfrr-operator') as any).rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const allows = (group: string, resource: string, verb: string): boolean =>
      rules.some((r) => r.apiGroups.includes(group) && (r.resources.includes(resource) || r.resources.includes('*')) && r.verbs.includes(verb));
    const need: [string, string[], string[]][] = [
      ['metallb.io', ['metallbs'], ['get', 'list', 'watch', 'update', 'patch']],
      ['metallb.io', ['metallbs/status'], ['get', 'update', 'patch']],
      ['metallb.io', ['metallbs/finalizers'], ['update']],
      ['apps', ['deployments', 'daemonsets'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']],
      ['', ['services', 'serviceaccounts', 'configmaps', 'secrets'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']],
      ['rbac.authorization.k8s.io', ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']],
      ['admissionregistration.k8s.io', ['validatingwebhookconfigurations'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']],
      ['apiextensions.k8s.io', ['customresourcedefinitions'], ['get', 'list', 'watch', 'patch', 'update']],
      ['', ['events'], ['create', 'patch', 'update', 'delete']],
      ['', ['nodes', 'namespaces', 'services', 'pods', 'secrets', 'configmaps'], ['get', 'list', 'watch']],
      ['discovery.k8s.io', ['endpointslices'], ['get', 'list', 'watch']],
      ['', ['services/status'], ['update', 'patch']],
      ['frrk8s.metallb.io', ['frrconfigurations', 'frrnodestates', 'frrnodestates/status', 'bgpsessionstates', 'bgpsessionstates/status'], ['create', 'update', 'patch', 'delete']],
      ['metallb.io', ['servicebgpstatuses', 'servicebgpstatuses/status', 'servicel2statuses', 'servicel2statuses/status', 'configurationstates', 'configurationstates/status', 'ipaddresspools/status'], ['create', 'update', 'patch', 'delete']],
      ['coordination.k8s.io', ['leases'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']],
    ];
    // every resource of our CRDs is readable
    for (const crd of loadCRDs() as any[]) need.push([crd.spec.group, [crd.spec.names.plural], ['get', 'list', 'watch']]);
    const missing: string[] = [];
    for (const [g, rs, vs] of need) for (const r of rs) for (const v of vs) if (!allows(g, r, v)) missing.push(`${v} ${g || 'core'}/${r}`);
    assert.deepEqual(missing, []);
  });

  it('validates: every object against its schema', () => {
    const problems = objects.flatMap((o) => validateManifest(o));
    assert.deepEqual(problems, []);
  });

  it('takes the namespace and image as options', () => {
    const o = renderBundle({ namespace: 'lb', image: 'example.com/m:dev', crds: [] });
    assert.equal(o[0]!.kind, 'Namespace');
    assert.equal(o[0]!.metadata.name, 'lb');
    const d = o.find((x) => x.kind === 'Deployment') as any;
    assert.equal(d.metadata.namespace, 'lb');
    assert.equal(d.spec.template.spec.containers[0].image, 'example.com/m:dev');
    assert.equal((o.find((x) => x.kind === 'ClusterRoleBinding') as any).subjects[0].namespace, 'lb');
  });

  it('writes multi-document YAML with a generated-file header that parses back to the same objects', () => {
    const text = bundleYAML();
    assert.match(text.split('\n')[0]!, /^# /);
    assert.match(text, /GENERATED by `npm run manifests`/);
    const back = parseAllDocuments(text).map((d) => d.toJS()).filter((x) => x !== null);
    assert.deepEqual(back, objects);
  });
});

describe('PrometheusRule of the bundle (deploy/metalfrr-prometheusrule.yaml)', () => {
  it('holds the groups of the one rule file, validates, and parses back', () => {
    const rule = renderPrometheusRule() as KubeObject & { spec: { groups: unknown[] } };
    const file = parseAllDocuments(readFileSync(RULES_FILE, 'utf8'))[0]!.toJS() as { groups: unknown[] };
    assert.deepEqual(rule.spec.groups, file.groups);
    assert.deepEqual(loadRuleGroups(), file.groups);
    assert.equal(rule.metadata.namespace, 'metallb-system');
    assert.deepEqual(validateManifest(rule), []);
    const text = prometheusRuleYAML();
    assert.match(text, /GENERATED by `npm run manifests`/);
    assert.deepEqual(parseAllDocuments(text).map((d) => d.toJS()).filter((x) => x !== null), [rule]);
    assert.equal((renderPrometheusRule({ namespace: 'lb' }) as KubeObject).metadata.namespace, 'lb');
  });
});

describe('generated files (deploy/)', () => {
  it('are up to date: run `npm run manifests` after changing crds/, templates/install/ or the rule file', () => {
    const files = generatedFiles();
    assert.ok(files.size >= 15);
    assert.ok(files.has('deploy/metalfrr.yaml'));
    assert.ok(files.has('deploy/metalfrr-prometheusrule.yaml'), 'the alerts are part of the generated install files');
    const stale: string[] = [];
    for (const [path, text] of files) {
      const abs = projectPath(path);
      if (!existsSync(abs) || readFileSync(abs, 'utf8') !== text) stale.push(path);
    }
    assert.deepEqual(stale, [], 'these files differ from what the generator produces now: run `npm run manifests`');
  });
});
