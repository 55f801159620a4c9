// `metalfrr operator` against the test API server (issue 6): per backend the MetalLB CR yields exactly
// the golden objects; switching backend removes what the new one does not need; a wrongly named CR
// degrades; status follows the operands' readiness and is written only on change; an invalid spec
// keeps what runs; deleting the CR removes the cluster-scoped objects through the finalizer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../operator/api/meta.js';
import type { MetalLB } from '../../operator/api/metallb.js';
import type { CertPlanner } from '../../operator/controllers/operator.js';
import { FINALIZER } from '../../operator/manifests/params.js';
import { objectPath } from '../../operator/runtime/client.js';
import { createServingCertificates } from '../../operator/util/certs.js';
import { NS, deployed, eventually, readGolden, startOperator, updatingGolden, writeGolden, type OperatorHarness } from './harness.js';

let fixed: ReturnType<typeof createServingCertificates> | undefined;
/** a planner that creates one certificate and keeps it (rotation has its own test) */
export const keepOneCert: CertPlanner = (current, now) => {
  fixed ??= createServingCertificates({ dnsNames: [`metallb-webhook-service.${NS}.svc`] });
  const data = { 'ca.crt': fixed.caCert, 'ca.key': fixed.caKey, 'tls.crt': fixed.cert, 'tls.key': fixed.key };
  return { data, caBundle: fixed.caCert, changed: current?.['tls.crt'] !== fixed.cert, nextCheck: new Date(now.getTime() + 3600_000) };
};

const MLB = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name, namespace: NS }, spec });
const crPath = (name: string, sub?: string) => objectPath('metallb.io/v1beta1', 'metallbs', NS, name, sub);

let h: OperatorHarness;
before(async () => {
  h = await startOperator({ certPlanner: keepOneCert });
});
after(() => h.stop());

const cr = (name = 'metallb') => h.api.get('metallb.io/v1beta1', 'MetalLB', name, NS) as MetalLB | undefined;
const cond = (name: string, type: string) => cr(name)?.status?.conditions?.find((c) => c.type === type);

async function expectGolden(name: string): Promise<void> {
  if (updatingGolden()) {
    await new Promise((r) => setTimeout(r, 1500));
    writeGolden(name, deployed(h.api));
  }
  const expected = JSON.stringify(readGolden(name));
  // wait for the deployment to settle on the golden set, then compare (a mismatch shows the diff)
  await eventually(() => JSON.stringify(deployed(h.api)) === expected, `the ${name} objects`, 10_000).catch(() => undefined);
  assert.deepEqual(deployed(h.api), readGolden(name));
}

async function setBackend(spec: Record<string, unknown>): Promise<void> {
  // a JSON patch replaces the whole spec (the operator's status writes make a read-modify-replace race)
  await h.client.patch(crPath('metallb'), [{ op: 'replace', path: '/spec', value: spec }], 'json');
}

/** Marks the workloads ready until the CR reports Available (workloads may still be appearing). */
async function becomesAvailable(what: string): Promise<void> {
  await eventually(async () => {
    await markReady();
    return cond('metallb', 'Available')?.status === 'True';
  }, what);
}

/** What the Deployment and DaemonSet controllers and kubelets would report. */
async function markReady(): Promise<void> {
  for (const [plural, name, ds] of [['deployments', 'controller', false], ['deployments', 'metallb-webhook-server', false], ['daemonsets', 'speaker', true], ['daemonsets', 'frr-k8s', true]] as const) {
    const o = h.api.get('apps/v1', ds ? 'DaemonSet' : 'Deployment', name, NS);
    if (!o) continue;
    const status = ds
      ? { observedGeneration: o.metadata.generation, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 }
      : { observedGeneration: o.metadata.generation, replicas: 1, readyReplicas: 1, updatedReplicas: 1 };
    await h.client.mergePatch(objectPath('apps/v1', plural, NS, name, 'status'), { status });
  }
}

describe('operator', () => {
  test('frr-k8s (the default): exactly the golden objects, a finalizer, Progressing until the workloads are ready, then Available', async () => {
    await h.client.create(objectPath('metallb.io/v1beta1', 'metallbs', NS, '').replace(/\/$/, ''), MLB('metallb'));
    await expectGolden('frr-k8s');
    await eventually(() => cond('metallb', 'Progressing')?.status === 'True', 'Progressing');
    assert.ok(cr()!.metadata.finalizers?.includes(FINALIZER));
    assert.equal(cond('metallb', 'Progressing')!.reason, 'OperandsNotReady');
    assert.match(cond('metallb', 'Progressing')!.message, /Deployment controller/);
    await becomesAvailable('Available');
    assert.deepEqual(cr()!.status!.conditions!.map((c) => `${c.type}=${c.status}`), ['Available=True', 'Progressing=False', 'Degraded=False', 'Upgradeable=True']);
    // nothing changes → no status write: the resourceVersion stays put across further reconciles
    const rv = cr()!.metadata.resourceVersion;
    await markReady();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cr()!.metadata.resourceVersion, rv);
  });

  test('the webhook Secret and caBundles: the CA the Secret holds is in every webhook configuration and the BGPPeer conversion', async () => {
    const secret = h.api.get('v1', 'Secret', 'metallb-webhook-cert', NS) as KubeObject & { data: Record<string, string> };
    const ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString();
    for (const name of ['metallb-webhook-configuration', 'frr-k8s-validating-webhook-configuration']) {
      const vwc = h.api.get('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', name) as KubeObject & { webhooks: { clientConfig: { caBundle: string } }[] };
      for (const w of vwc.webhooks) assert.ok(Buffer.from(w.clientConfig.caBundle, 'base64').toString().includes(ca.trim()));
    }
    const crd = h.api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'bgppeers.metallb.io') as KubeObject & Record<string, any>;
    const cc = crd.spec.conversion.webhook.clientConfig;
    assert.ok(Buffer.from(cc.caBundle, 'base64').toString().includes(ca.trim()));
    assert.deepEqual(cc.service, { name: 'metallb-webhook-service', namespace: NS, path: '/convert', port: 443 });
  });

  test('switching bgpBackend deploys what the new backend needs and removes the rest', async () => {
    await setBackend({ bgpBackend: 'frr' });
    await expectGolden('frr');
    assert.equal(h.api.get('apps/v1', 'DaemonSet', 'frr-k8s', NS), undefined);
    assert.equal(h.api.get('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'frr-k8s-validating-webhook-configuration'), undefined);
    await setBackend({ bgpBackend: 'native' });
    await expectGolden('native');
    await setBackend({ bgpBackend: 'frr-k8s-external', frrk8sConfig: { namespace: 'frr-k8s-system' } });
    await expectGolden('frr-k8s-external');
    assert.equal(h.api.get('v1', 'ConfigMap', 'frr-startup', NS), undefined);
    await setBackend({});
    await expectGolden('frr-k8s');
  });

  test('drift is corrected at once: a deleted or edited operand comes back', async () => {
    await h.client.delete(objectPath('apps/v1', 'daemonsets', NS, 'speaker'));
    await eventually(() => h.api.get('apps/v1', 'DaemonSet', 'speaker', NS) !== undefined, 'speaker DaemonSet re-created');
    await h.client.mergePatch(objectPath('apps/v1', 'deployments', NS, 'controller'), { spec: { replicas: 3 } });
    await eventually(() => (h.api.get('apps/v1', 'Deployment', 'controller', NS) as KubeObject & { spec: { replicas: number } }).spec.replicas === 1, 'replicas back to 1');
  });

  test('an invalid spec degrades naming the field and keeps what runs', async () => {
    const before = JSON.stringify(deployed(h.api));
    await setBackend({ frrk8sConfig: { alwaysBlock: ['10.0.0.0/8', 'not-a-cidr'] } });
    await eventually(() => cond('metallb', 'Degraded')?.status === 'True', 'Degraded');
    assert.equal(cond('metallb', 'Degraded')!.reason, 'InvalidMetalLBSpec');
    assert.match(cond('metallb', 'Degraded')!.message, /spec\.frrk8sConfig\.alwaysBlock\[1\]: invalid CIDR "not-a-cidr"/);
    assert.equal(JSON.stringify(deployed(h.api)), before);
    await setBackend({});
    await becomesAvailable('Available again');
  });

  test('a MetalLB with another name is Degraded with IncorrectMetalLBResourceName and deploys nothing; the right one keeps working', async () => {
    const before = JSON.stringify(deployed(h.api));
    await h.client.create(objectPath('metallb.io/v1beta1', 'metallbs', NS, '').replace(/\/$/, ''), MLB('other', { bgpBackend: 'native' }));
    await eventually(() => cond('other', 'Degraded')?.status === 'True', 'other Degraded');
    assert.equal(cond('other', 'Degraded')!.reason, 'IncorrectMetalLBResourceName');
    assert.equal(cond('other', 'Degraded')!.message, 'Incorrect MetalLB resource name: other');
    assert.equal(cr('other')!.metadata.finalizers, undefined);
    assert.equal(JSON.stringify(deployed(h.api)), before);
    assert.equal(cond('metallb', 'Available')!.status, 'True');
    await h.client.delete(crPath('other'));
  });

  test('deleting the CR removes the cluster-scoped objects (finalizer) and garbage collection takes the rest', async () => {
    assert.ok(h.api.list('rbac.authorization.k8s.io/v1', 'ClusterRole').some((o) => o.metadata.name === `${NS}:speaker`));
    await h.client.delete(crPath('metallb'));
    await eventually(() => cr() === undefined, 'CR gone');
    for (const kind of ['ClusterRole', 'ClusterRoleBinding']) assert.equal(h.api.list('rbac.authorization.k8s.io/v1', kind).filter((o) => o.metadata.name?.startsWith(`${NS}:`)).length, 0, kind);
    assert.equal(h.api.list('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration').length, 0);
    await h.api.gcIdle();
    await eventually(() => deployed(h.api).length === 0, 'namespaced operands collected');
  });
});
