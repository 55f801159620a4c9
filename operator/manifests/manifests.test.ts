// The operand manifests rendered from the MetalLB CR: every spec field of spec §1.1 lands where
// upstream puts it, each backend deploys what it needs and nothing else, and the spec rules refuse
// bad input naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import type { MetalLB, MetalLBSpec } from '../api/metallb.js';
import { operatorParams } from './params.js';
import { identityOf, renderOperands } from './render.js';
import { validateMetalLBSpec } from './spec.js';
import { conditionsFor, mergeConditions, notReady } from './status.js';

const params = operatorParams({ image: 'registry.example:5000/metalfrr:1.2.3', frrk8sExternalNamespace: 'frr-k8s-system' });
const cr = (spec: MetalLBSpec = {}, name = 'metallb'): MetalLB => ({ apiVersion: 'metallb.io/v1beta1', kind: 'MetalLB', metadata: { name, namespace: 'metallb-system' }, spec });
const find = (objs: KubeObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o as KubeObject & Record<string, any>;
};
const podSpec = (o: Record<string, any>) => o.spec.template.spec;
const container = (o: Record<string, any>, name: string) => {
  const c = podSpec(o).containers.find((x: { name: string }) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
};
const names = (objs: KubeObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);

test('each backend deploys what it needs: frr-k8s DaemonSet + webhook only in frr-k8s mode, FRR in the speaker pod for frr and native', () => {
  const k8s = renderOperands(cr({}), params);
  assert.ok(names(k8s).includes('DaemonSet/frr-k8s'));
  assert.ok(names(k8s).includes('ValidatingWebhookConfiguration/frr-k8s-validating-webhook-configuration'));
  assert.deepEqual(podSpec(find(k8s, 'DaemonSet', 'speaker')).containers.map((c: { name: string }) => c.name), ['speaker']);
  assert.deepEqual(podSpec(find(k8s, 'DaemonSet', 'frr-k8s')).containers.map((c: { name: string }) => c.name), ['frr', 'controller']);
  for (const b of ['frr', 'native']) {
    const objs = renderOperands(cr({ bgpBackend: b }), params);
    assert.ok(!names(objs).some((n) => n.includes('frr-k8s')), `${b}: no frr-k8s objects`);
    assert.deepEqual(podSpec(find(objs, 'DaemonSet', 'speaker')).containers.map((c: { name: string }) => c.name), ['speaker', 'frr', 'frr-agent']);
    assert.ok(names(objs).includes('ConfigMap/frr-startup'));
    const env = container(find(objs, 'DaemonSet', 'speaker'), 'speaker').env;
    assert.equal(env.find((e: { name: string }) => e.name === 'METALLB_BGP_TYPE').value, b);
    assert.ok(container(find(objs, 'Deployment', 'metallb-webhook-server'), 'webhook-server').args.includes(`--backend=${b}`));
  }
  const ext = renderOperands(cr({ bgpBackend: 'frr-k8s-external', frrk8sConfig: { namespace: 'frr-elsewhere', secretPassthrough: true } }), params);
  assert.ok(!names(ext).some((n) => n.includes('frr-k8s') || n === 'ConfigMap/frr-startup'));
  const speakerArgs = container(find(ext, 'DaemonSet', 'speaker'), 'speaker').args;
  assert.ok(speakerArgs.includes('--frrk8s-namespace=frr-elsewhere'));
  assert.ok(speakerArgs.includes('--frrk8s-secret-passthrough'));
  // the env default when the CR names no namespace
  const extEnv = renderOperands(cr({ bgpBackend: 'frr-k8s-external' }), params);
  assert.ok(container(find(extEnv, 'DaemonSet', 'speaker'), 'speaker').args.includes('--frrk8s-namespace=frr-k8s-system'));
  // every identity is unique
  for (const objs of [k8s, ext]) assert.equal(new Set(objs.map(identityOf)).size, objs.length);
});

test('every spec field of §1.1 takes effect where upstream puts it', () => {
  const affinityC = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }] } };
  const affinityS = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { x: 'y' } } }] } };
  const tolS = { key: 'dedicated', operator: 'Equal', value: 'lb', effect: 'NoSchedule' };
  const tolC = { key: 'infra', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 };
  const objs = renderOperands(
    cr({
      nodeSelector: { 'lb-node': 'true' },
      speakerTolerations: [tolS],
      controllerNodeSelector: { infra: 'yes' },
      controllerTolerations: [tolC],
      logLevel: 'all',
      loadBalancerClass: 'example.com/lb',
      controllerConfig: { priorityClassName: 'high', runtimeClassName: 'rc-c', affinity: affinityC, annotations: { 'prometheus.io/scrape': 'true' }, resources: { limits: { cpu: '200m' } } },
      speakerConfig: { priorityClassName: 'node-critical', runtimeClassName: 'rc-s', affinity: affinityS, annotations: { team: 'net' }, resources: { requests: { memory: '64Mi' } } },
      frrk8sConfig: { alwaysBlock: [' 10.9.0.0/16', '192.168.0.0/24 '] },
    }),
    params,
  );
  const ctl = find(objs, 'Deployment', 'controller');
  const spk = find(objs, 'DaemonSet', 'speaker');
  const frr = find(objs, 'DaemonSet', 'frr-k8s');
  assert.deepEqual(podSpec(ctl).nodeSelector, { 'kubernetes.io/os': 'linux', infra: 'yes' });
  assert.deepEqual(podSpec(ctl).tolerations, [tolC]);
  assert.equal(podSpec(ctl).priorityClassName, 'high');
  assert.equal(podSpec(ctl).runtimeClassName, 'rc-c');
  assert.deepEqual(podSpec(ctl).affinity, affinityC);
  assert.deepEqual(ctl.spec.template.metadata.annotations, { 'prometheus.io/scrape': 'true' });
  assert.deepEqual(container(ctl, 'controller').resources, { limits: { cpu: '200m' } });
  assert.ok(container(ctl, 'controller').args.includes('--lb-class=example.com/lb'));
  assert.equal(container(ctl, 'controller').env.find((e: { name: string }) => e.name === 'METALFRR_LOG_LEVEL').value, 'debug');
  assert.equal(container(ctl, 'controller').image, 'registry.example:5000/metalfrr:1.2.3');

  for (const ds of [spk, frr]) {
    assert.deepEqual(podSpec(ds).nodeSelector, { 'kubernetes.io/os': 'linux', 'lb-node': 'true' });
    assert.deepEqual(podSpec(ds).tolerations.at(-1), tolS);
    assert.equal(podSpec(ds).priorityClassName, 'node-critical');
    assert.equal(podSpec(ds).runtimeClassName, 'rc-s');
    assert.deepEqual(podSpec(ds).affinity, affinityS);
  }
  assert.deepEqual(spk.spec.template.metadata.annotations, { team: 'net' });
  assert.equal(frr.spec.template.metadata.annotations, undefined, 'speaker annotations stay on the speaker pods');
  assert.deepEqual(container(spk, 'speaker').resources, { requests: { memory: '64Mi' } });
  assert.deepEqual(container(frr, 'controller').resources, { requests: { memory: '64Mi' } }, 'frr-k8s container named controller gets speakerConfig.resources');
  assert.ok(container(spk, 'speaker').args.includes('--lb-class=example.com/lb'));
  assert.ok(container(frr, 'controller').args.includes('--always-block=10.9.0.0/16,192.168.0.0/24'));

  // without those fields nothing is set
  const plain = renderOperands(cr({}), params);
  const pc = find(plain, 'Deployment', 'controller');
  for (const f of ['affinity', 'priorityClassName', 'runtimeClassName', 'tolerations']) assert.equal(podSpec(pc)[f], undefined, f);
  assert.equal(container(pc, 'controller').resources, undefined);
  assert.equal(container(pc, 'controller').env.find((e: { name: string }) => e.name === 'METALFRR_LOG_LEVEL').value, 'info');
});

test('the webhook configurations point at the webhook Service and carry the caBundle', () => {
  const objs = renderOperands(cr({}), params, 'Q0FCVU5ETEU=');
  const vwc = find(objs, 'ValidatingWebhookConfiguration', 'metallb-webhook-configuration');
  assert.equal(vwc.webhooks.length, 6);
  for (const w of [...vwc.webhooks, ...find(objs, 'ValidatingWebhookConfiguration', 'frr-k8s-validating-webhook-configuration').webhooks]) {
    assert.equal(w.clientConfig.caBundle, 'Q0FCVU5ETEU=');
    assert.deepEqual({ ...w.clientConfig.service, path: undefined }, { name: 'metallb-webhook-service', namespace: 'metallb-system', path: undefined, port: 443 });
    assert.equal(w.failurePolicy, 'Fail');
  }
  const bfd = vwc.webhooks.find((w: { name: string }) => w.name === 'bfdprofilevalidationwebhook.metallb.io');
  assert.deepEqual(bfd.rules[0].operations, ['CREATE', 'DELETE']);
  const peer = vwc.webhooks.find((w: { name: string }) => w.name === 'bgppeervalidationwebhook.metallb.io');
  assert.deepEqual(peer.rules[0].apiVersions, ['v1beta2']);
  const dep = find(objs, 'Deployment', 'metallb-webhook-server');
  assert.equal(podSpec(dep).volumes[0].secret.secretName, 'metallb-webhook-cert');
  // another operator namespace moves every namespaced reference
  const other = renderOperands({ ...cr({}), metadata: { name: 'metallb', namespace: 'lb' } }, operatorParams({ namespace: 'lb' }));
  for (const o of other) if (o.metadata.namespace !== undefined) assert.equal(o.metadata.namespace, 'lb', identityOf(o));
  assert.equal(find(other, 'ClusterRoleBinding', 'lb:speaker').subjects[0].namespace, 'lb');
});

test('spec rules name the field and the problem', () => {
  const problems = validateMetalLBSpec(
    cr({
      bgpBackend: 'bird',
      speakerTolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }],
      controllerConfig: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } } },
      frrk8sConfig: { alwaysBlock: ['10.0.0.0/33'] },
    }),
    params,
  );
  assert.deepEqual(problems.map((p) => p.field), [
    'spec.speakerTolerations[0].tolerationSeconds',
    'spec.controllerConfig.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
    'spec.bgpBackend',
    'spec.frrk8sConfig.alwaysBlock[0]',
  ]);
  assert.match(problems[2]!.message, /invalid BGP backend "bird"/);
  const ext = validateMetalLBSpec(cr({ bgpBackend: 'frr-k8s-external' }), operatorParams());
  assert.deepEqual(ext.map((p) => p.field), ['spec.frrk8sConfig.namespace']);
  assert.deepEqual(validateMetalLBSpec(cr({ bgpBackend: 'frr-k8s-external', frrk8sConfig: { namespace: 'x' } }), operatorParams()), []);
  assert.deepEqual(validateMetalLBSpec(cr({ speakerTolerations: [{ key: 'a', effect: 'NoExecute', tolerationSeconds: 5 }] }), params), []);
});

test('conditions: four in upstream order, transition time moves only on a status flip, no change means no write', () => {
  assert.deepEqual(conditionsFor({ kind: 'Available' }).map((c) => `${c.type}=${c.status}`), ['Available=True', 'Progressing=False', 'Degraded=False', 'Upgradeable=True']);
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:05:00Z');
  const a = mergeConditions(undefined, { kind: 'Progressing', reason: 'OperandsNotReady', message: 'wait' }, 1, t0);
  assert.equal(a.changed, true);
  assert.deepEqual(a.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Available=False/Available', 'Progressing=True/OperandsNotReady', 'Degraded=False/Degraded', 'Upgradeable=False/Upgradeable']);
  const same = mergeConditions(a.conditions, { kind: 'Progressing', reason: 'OperandsNotReady', message: 'wait' }, 1, t1);
  assert.equal(same.changed, false);
  const msg = mergeConditions(a.conditions, { kind: 'Progressing', reason: 'OperandsNotReady', message: 'still waiting' }, 1, t1);
  assert.equal(msg.changed, true);
  assert.equal(msg.conditions[1]!.lastTransitionTime, '2026-01-01T00:00:00Z', 'no flip, same transition time');
  const avail = mergeConditions(a.conditions, { kind: 'Available' }, 2, t1);
  assert.equal(avail.conditions[0]!.lastTransitionTime, '2026-01-01T00:05:00Z');
  assert.equal(avail.conditions[2]!.lastTransitionTime, '2026-01-01T00:00:00Z', 'Degraded stayed False');
  assert.ok(avail.conditions.every((c) => c.observedGeneration === 2 && /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/.test(c.reason)));
});

test('readiness follows upstream: observed generation and every replica/scheduled count', () => {
  assert.match(notReady(undefined, 'Deployment', 'controller')!, /does not exist/);
  assert.equal(notReady({ metadata: { generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 } }, 'Deployment', 'c'), undefined);
  assert.match(notReady({ metadata: { generation: 3 }, status: { observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 } }, 'Deployment', 'c')!, /generation 3/);
  assert.match(notReady({ metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3 } }, 'DaemonSet', 's')!, /2 ready/);
  assert.equal(notReady({ metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 } }, 'DaemonSet', 's'), undefined);
});
