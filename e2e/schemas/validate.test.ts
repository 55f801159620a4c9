import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderBundle } from '../../operator/install/bundle.js';
import { MODELS, validateManifest } from './validate.js';

describe('validateManifest', () => {
  const objects = renderBundle();
  const one = (kind: string): any => structuredClone(objects.find((o) => o.kind === kind)!);

  it('accepts every object of the install bundle', () => {
    assert.ok(objects.length > 15);
    for (const o of objects) assert.deepEqual(validateManifest(o), [], `${o.kind}/${o.metadata.name}`);
  });

  it('reports built-in kinds that break the Kubernetes schema', () => {
    const d = one('Deployment');
    d.spec.replicas = 'two';
    d.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    const p = validateManifest(d);
    assert.ok(p.some((x) => /\/spec\/replicas must be integer/.test(x)), p.join('\n'));
  });

  it('reports custom resources that break their CRD schema, unknown fields included', () => {
    const m = one('MetalLB');
    m.spec = { logLevel: 'chatty', bogus: true };
    const p = validateManifest(m);
    assert.ok(p.some((x) => /spec\.logLevel: Unsupported value: "chatty"/.test(x)), p.join('\n'));
    assert.ok(p.some((x) => /unknown field "spec\.bogus"/.test(x)), p.join('\n'));
  });

  it('reports broken CRDs and Prometheus Operator kinds', () => {
    const crd = one('CustomResourceDefinition');
    crd.spec.scope = 7;
    assert.notDeepEqual(validateManifest(crd), []);
    const pm = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'x' }, spec: { selector: {}, podMetricsEndpoints: [{ port: 7472 }] } };
    assert.ok(validateManifest(pm as any).some((x) => /port must be string/.test(x)));
    assert.ok(MODELS.has('monitoring.coreos.com/v1/PrometheusRule'));
  });

  it('an unknown kind or a bad name is a problem, not a pass', () => {
    assert.deepEqual(validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), ['Widget/w: unknown apiVersion/kind example.com/v1 Widget: no schema to validate it against']);
    const sa = one('ServiceAccount');
    sa.metadata.name = 'Not_Valid';
    assert.deepEqual(validateManifest(sa), ['ServiceAccount/metallb-system/Not_Valid: metadata.name "Not_Valid" is not a valid DNS subdomain name']);
  });
});
