import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYAML, parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../operator/api/meta.js';
import { packageVersion } from '../../operator/install/bundle.js';
import { DEFAULT_PORTS } from '../../operator/manifests/params.js';
import { projectPath } from '../../operator/util/paths.js';
import { validateManifest } from '../schemas/validate.js';
import { loadChart, renderChartObjects, type RenderOptions } from './render.js';

const chart = loadChart(projectPath('deploy', 'chart', 'metalfrr'));
const render = (values: Record<string, unknown> = {}, opts: Partial<RenderOptions> = {}): KubeObject[] =>
  renderChartObjects(chart, { releaseName: 'metalfrr', namespace: 'metallb-system', values, ...opts });
const key = (o: KubeObject): string => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objs: KubeObject[]): Map<string, KubeObject> => new Map(objs.map((o) => [key(o), o]));
const get = (objs: KubeObject[], kind: string, name: string): any => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o;
};

const deployObjects = parseAllDocuments(readFileSync(projectPath('deploy', 'metalfrr.yaml'), 'utf8'))
  .map((d) => d.toJS() as KubeObject | null)
  .filter((o): o is KubeObject => o !== null);

const ALL_ENABLED = {
  createNamespace: true,
  loadBalancerClass: 'metalfrr',
  imagePullSecrets: [{ name: 'regcred' }],
  prometheus: {
    scrapeAnnotations: true,
    serviceMonitor: { enabled: true, interval: '30s', relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }], controller: { additionalLabels: { team: 'net' } } },
    prometheusRule: { enabled: true, additionalLabels: { release: 'prom' }, extraAlerts: [{ alert: 'Extra', expr: 'vector(1)', labels: { severity: 'info' } }] },
  },
  controller: { logLevel: 'debug', nodeSelector: { 'node-role.kubernetes.io/control-plane': '' }, tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }], priorityClassName: 'system-cluster-critical', resources: { limits: { cpu: '500m', memory: '256Mi' } }, podAnnotations: { a: 'b' } },
  speaker: { nodeSelector: { bgp: 'yes' }, tolerations: [{ operator: 'Exists' }], runtimeClassName: 'runc', affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } }] } } },
};

describe('Helm chart deploy/chart/metalfrr', () => {
  it('Chart.yaml carries the package version', () => {
    assert.equal(chart.metadata.name, 'metalfrr');
    assert.equal(chart.metadata.version, packageVersion());
    assert.equal(chart.metadata.appVersion, packageVersion());
  });

  it('crds/ holds exactly the project CRDs (generated copies)', () => {
    const names = readdirSync(projectPath('crds')).filter((n) => n.endsWith('.yaml')).sort();
    assert.deepEqual([...chart.crds.keys()], names.map((n) => `crds/${n}`));
    for (const n of names) assert.equal(chart.crds.get(`crds/${n}`), readFileSync(join(projectPath('crds'), n), 'utf8'));
  });

  it('default values render the same objects as deploy/metalfrr.yaml (Namespace: with createNamespace)', () => {
    const withoutNs = deployObjects.filter((o) => o.kind !== 'Namespace');
    const rendered = render();
    assert.deepEqual([...byKey(rendered).keys()].sort(), [...byKey(withoutNs).keys()].sort());
    const want = byKey(withoutNs);
    for (const [k, o] of byKey(rendered)) assert.deepEqual(o, want.get(k), k);
    assert.deepEqual(byKey(render({ createNamespace: true })), byKey(deployObjects));
  });

  it('names objects after the release and puts them in the release namespace', () => {
    const objs = render({}, { releaseName: 'lb', namespace: 'lb-system' });
    const d = get(objs, 'Deployment', 'lb-metalfrr-operator');
    assert.equal(d.metadata.namespace, 'lb-system');
    assert.equal(d.spec.template.spec.serviceAccountName, 'lb-metalfrr-operator');
    assert.equal(get(objs, 'ClusterRoleBinding', 'lb-metalfrr-operator').subjects[0].namespace, 'lb-system');
    assert.equal(get(objs, 'MetalLB', 'metallb').metadata.namespace, 'lb-system');
    assert.equal(get(render({ fullnameOverride: 'x' }), 'Deployment', 'x-operator').metadata.name, 'x-operator');
  });

  it('maps speaker, controller and backend values onto the MetalLB resource', () => {
    const m = get(render(ALL_ENABLED), 'MetalLB', 'metallb');
    assert.deepEqual(m.spec, {
      logLevel: 'debug',
      loadBalancerClass: 'metalfrr',
      controllerNodeSelector: ALL_ENABLED.controller.nodeSelector,
      controllerTolerations: ALL_ENABLED.controller.tolerations,
      controllerConfig: { priorityClassName: 'system-cluster-critical', resources: ALL_ENABLED.controller.resources, annotations: { a: 'b', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '7472' } },
      nodeSelector: { bgp: 'yes' },
      speakerTolerations: [{ operator: 'Exists' }],
      speakerConfig: { runtimeClassName: 'runc', affinity: ALL_ENABLED.speaker.affinity, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '7472' } },
    });
    const backend = (v: Record<string, unknown>): unknown => get(render(v), 'MetalLB', 'metallb').spec.bgpBackend;
    assert.equal(backend({}), undefined);
    assert.equal(backend({ frrk8s: { external: true } }), 'frr-k8s-external');
    assert.equal(backend({ frrk8s: { enabled: false } }), 'native');
    assert.equal(backend({ speaker: { frr: { enabled: true } } }), 'frr');
    assert.equal(backend({ bgpBackend: 'frr-k8s' }), 'frr-k8s');
  });

  it('frrk8s.alwaysBlock and secretPassthrough become spec.frrk8sConfig', () => {
    const m = get(render({ frrk8s: { external: true, alwaysBlock: ['10.0.0.0/8'], secretPassthrough: true } }), 'MetalLB', 'metallb');
    assert.deepEqual(m.spec.frrk8sConfig, { alwaysBlock: ['10.0.0.0/8'], secretPassthrough: true });
    assert.equal(get(render({}), 'MetalLB', 'metallb').spec.frrk8sConfig, undefined);
  });

  it('frrk8s.external with a namespace: the operator is told where frr-k8s runs, no frr-k8s monitor', () => {
    const objs = render({ frrk8s: { external: true, namespace: 'frr' }, prometheus: { podMonitor: { enabled: true } } });
    const env = get(objs, 'Deployment', 'metalfrr-operator').spec.template.spec.containers[0].env;
    assert.deepEqual(env.find((e: any) => e.name === 'FRRK8S_EXTERNAL_NAMESPACE'), { name: 'FRRK8S_EXTERNAL_NAMESPACE', value: 'frr' });
    assert.deepEqual(objs.filter((o) => o.kind === 'PodMonitor').map((o) => o.metadata.name), ['metalfrr-controller', 'metalfrr-speaker']);
  });

  it('prometheus.podMonitor.enabled: PodMonitors for the controller, speakers and frr-k8s on the `monitoring` ports', () => {
    const objs = render({ prometheus: { podMonitor: { enabled: true, interval: '15s', additionalLabels: { release: 'prom' } } } });
    const pms = objs.filter((o) => o.kind === 'PodMonitor') as any[];
    assert.deepEqual(pms.map((p) => [p.metadata.name, p.spec.selector.matchLabels]), [
      ['metalfrr-controller', { 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': 'controller' }],
      ['metalfrr-speaker', { 'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': 'speaker' }],
      ['metalfrr-frr-k8s', { 'app.kubernetes.io/name': 'frr-k8s', 'app.kubernetes.io/component': 'frr-k8s' }],
    ]);
    for (const p of pms) {
      assert.deepEqual(p.spec.podMetricsEndpoints, [{ port: 'monitoring', path: '/metrics', scheme: 'http', honorLabels: true, interval: '15s' }]);
      assert.equal(p.metadata.labels.release, 'prom');
      assert.deepEqual(p.spec.namespaceSelector, { matchNames: ['metallb-system'] });
    }
    assert.equal(objs.length, render().length + 3);
    assert.throws(() => render({ prometheus: { podMonitor: { enabled: true }, serviceMonitor: { enabled: true } } }), /cannot both be set/);
  });

  it('frr/native mode: the speaker monitors also scrape the frr-agent sidecar port (frrmetrics, the operator’s speakerAgent port)', () => {
    for (const values of [{ speaker: { frr: { enabled: true } } }, { bgpBackend: 'native' }]) {
      const pm = get(render({ ...values, prometheus: { podMonitor: { enabled: true } } }), 'PodMonitor', 'metalfrr-speaker') as any;
      assert.deepEqual(pm.spec.podMetricsEndpoints.map((e: any) => e.port), ['monitoring', 'frrmetrics']);
      assert.deepEqual(get(render({ ...values, prometheus: { podMonitor: { enabled: true } } }), 'PodMonitor', 'metalfrr-controller').spec.podMetricsEndpoints.map((e: any) => e.port), ['monitoring']);
      const objs = render({ ...values, prometheus: { serviceMonitor: { enabled: true } } });
      assert.deepEqual(get(objs, 'Service', 'metalfrr-speaker-monitor-service').spec.ports, [
        { name: 'monitoring', port: 7472, targetPort: 'monitoring', protocol: 'TCP' },
        { name: 'frrmetrics', port: DEFAULT_PORTS.speakerAgent, targetPort: 'frrmetrics', protocol: 'TCP' },
      ]);
      assert.deepEqual(get(objs, 'ServiceMonitor', 'metalfrr-speaker-monitor').spec.endpoints.map((e: any) => e.port), ['monitoring', 'frrmetrics']);
    }
    const speakerTemplate = readFileSync(projectPath('templates', 'manifests', '20-speaker.yaml.hbs'), 'utf8');
    assert.match(speakerTemplate, /- name: frrmetrics\n\s+containerPort: \{\{ports\.speakerAgent\}\}/, 'the sidecar container port is named frrmetrics');
  });

  it('prometheus.serviceMonitor.enabled: headless metrics Services and ServiceMonitors', () => {
    const objs = render(ALL_ENABLED);
    const svc = get(objs, 'Service', 'metalfrr-frr-k8s-monitor-service');
    assert.equal(svc.spec.clusterIP, 'None');
    assert.deepEqual(svc.spec.ports, [{ name: 'monitoring', port: 7572, targetPort: 'monitoring', protocol: 'TCP' }]);
    assert.equal(get(objs, 'Service', 'metalfrr-controller-monitor-service').spec.ports[0].port, 7472);
    const sm = get(objs, 'ServiceMonitor', 'metalfrr-controller-monitor');
    assert.equal(sm.metadata.labels.team, 'net');
    assert.deepEqual(sm.spec.selector.matchLabels, get(objs, 'Service', 'metalfrr-controller-monitor-service').metadata.labels);
    assert.equal(sm.spec.endpoints[0].interval, '30s');
    assert.equal(objs.filter((o) => o.kind === 'ServiceMonitor').length, 3);
  });

  it('prometheusRule: the rules of files/metalfrr.rules.yaml, per-alert flags and labels honoured', () => {
    const file = parseYAML(chart.files.get('files/metalfrr.rules.yaml')!) as { groups: { rules: { alert: string; labels: Record<string, string> }[] }[] };
    const fileRules = file.groups.flatMap((g) => g.rules);
    const rulesOf = (v: Record<string, unknown>): any[] => get(render({ prometheus: { prometheusRule: { enabled: true, ...v } } }), 'PrometheusRule', 'metalfrr').spec.groups[0].rules;
    const all = rulesOf({});
    assert.deepEqual(all.map((r) => r.alert), ['MetalLBStaleConfig', 'MetalLBConfigNotLoaded', 'MetalLBAddressPoolExhausted', 'MetalLBAddressPoolUsage75Percent', 'MetalLBAddressPoolUsage85Percent', 'MetalLBAddressPoolUsage95Percent', 'MetalLBBGPSessionDown']);
    assert.deepEqual(all, fileRules, 'with default values, the rules are the file’s');
    assert.deepEqual(all.map((r) => r.labels.severity), ['warning', 'warning', 'critical', 'warning', 'warning', 'critical', 'critical']);
    const some = rulesOf({ staleConfig: { enabled: false }, bgpSessionDown: { labels: { severity: 'page' } }, addressPoolUsage: { thresholds: [{ percent: 85, labels: { severity: 'critical' } }] } });
    assert.deepEqual(some.map((r) => [r.alert, r.labels.severity]), [
      ['MetalLBConfigNotLoaded', 'warning'],
      ['MetalLBAddressPoolExhausted', 'critical'],
      ['MetalLBAddressPoolUsage85Percent', 'critical'],
      ['MetalLBBGPSessionDown', 'page'],
    ]);
    assert.deepEqual(rulesOf({ addressPoolUsage: { enabled: false }, extraAlerts: [{ alert: 'X', expr: 'vector(1)' }] }).map((r) => r.alert).slice(-2), ['MetalLBBGPSessionDown', 'X']);
    assert.throws(() => rulesOf({ addressPoolUsage: { thresholds: [{ percent: 80, labels: {} }] } }), /no rule MetalLBAddressPoolUsage80Percent/);
    assert.equal(render().filter((o) => o.kind === 'PrometheusRule').length, 0);
  });

  it('every rendered object validates (defaults and everything enabled)', () => {
    for (const objs of [render(), render(ALL_ENABLED), render({ prometheus: { podMonitor: { enabled: true }, prometheusRule: { enabled: true } } })]) {
      assert.ok(objs.length > 20);
      assert.deepEqual(objs.flatMap((o) => validateManifest(o)), []);
    }
  });
});
