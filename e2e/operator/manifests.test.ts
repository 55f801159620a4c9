// The operator's rendered manifests against the outside world: every object of every backend passes
// the Kubernetes OpenAPI schema (kubernetes-models) or its CRD schema, and the operator's own
// ClusterRole from deploy/ holds every permission the operator grants its operands (Kubernetes refuses
// to let it create a Role with a permission it does not hold).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../operator/api/meta.js';
import type { MetalLB } from '../../operator/api/metallb.js';
import { renderBundle } from '../../operator/install/bundle.js';
import { operatorParams } from '../../operator/manifests/params.js';
import { uncovered, type PolicyRule } from '../../operator/manifests/rbac.js';
import { renderOperands } from '../../operator/manifests/render.js';
import { validateManifests } from '../schemas/validate.js';

const params = operatorParams({ image: 'ghcr.io/metalfrr/metalfrr:test', frrk8sExternalNamespace: 'frr-k8s-system' });
const cr = (spec: MetalLB['spec']): MetalLB => ({ apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name: 'metallb', namespace: 'metallb-system' }, spec });
const FULL: MetalLB['spec'] = {
  nodeSelector: { a: 'b' },
  speakerTolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }],
  controllerTolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }],
  logLevel: 'debug',
  loadBalancerClass: 'x/y',
  controllerConfig: { priorityClassName: 'p', runtimeClassName: 'r', annotations: { a: 'b' }, resources: { limits: { cpu: '1' } }, affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: 'z', operator: 'Exists' }] } }] } } },
  speakerConfig: { priorityClassName: 'p', resources: { requests: { memory: '10Mi' } } },
  frrk8sConfig: { alwaysBlock: ['10.0.0.0/8'] },
};
const BACKENDS = ['frr-k8s', 'frr', 'native', 'frr-k8s-external'];

test('every operand object of every backend validates against its schema', () => {
  for (const b of BACKENDS)
    for (const spec of [{ bgpBackend: b }, { ...FULL, bgpBackend: b }]) {
      const objs = renderOperands(cr(spec), params, Buffer.from('ca').toString('base64'));
      assert.ok(objs.length >= 20);
      assert.deepEqual(validateManifests(objs), [], `${b}: ${JSON.stringify(spec).slice(0, 60)}`);
    }
});

test("the operator's ClusterRole in deploy/ covers every rule it renders for its operands", () => {
  const bundle = renderBundle({ crds: [] });
  const role = bundle.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'metalfrr-operator') as KubeObject & { rules: PolicyRule[] };
  assert.ok(role, 'operator ClusterRole in the bundle');
  let checked = 0;
  for (const b of BACKENDS) {
    const needed = renderOperands(cr({ bgpBackend: b }), params)
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .flatMap((o) => (o as KubeObject & { rules: PolicyRule[] }).rules);
    checked += needed.length;
    assert.deepEqual(uncovered(role.rules, needed), [], b);
  }
  assert.ok(checked > 20);
  // and what the operator itself writes: the operands' kinds, the webhook Secret, CRD caBundles, its CR
  const own: PolicyRule[] = [
    { apiGroups: ['apps'], resources: ['deployments', 'daemonsets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['services', 'serviceaccounts', 'configmaps', 'secrets'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: ['metallb.io'], resources: ['metallbs'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: ['metallb.io'], resources: ['metallbs/status'], verbs: ['patch'] },
  ];
  assert.deepEqual(uncovered(role.rules, own), []);
});
