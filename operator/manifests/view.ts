// MetalLB CR + operator params → the view the templates in templates/manifests/ render. Pure: every
// decision about what the operands look like (arguments, labels, which backend deploys what) is here.
import type { BGPBackend } from '../api/constants.js';
import type { MetalLB, MetalLBComponentConfig } from '../api/metallb.js';
import { FRRK8S_WEBHOOK_PATH, METALLB_WEBHOOK_PATHS } from '../../webhooks/routes.js';
import {
  LABEL_MANAGED_BY,
  LABEL_OWNER_NAMESPACE,
  MANAGED_BY,
  WEBHOOK_CERT_DIR,
  WEBHOOK_SECRET,
  WEBHOOK_SERVICE,
  type OperandPorts,
  type OperatorParams,
} from './params.js';
import { backendOf, frrk8sNamespaceOf } from './spec.js';

type Obj = Record<string, unknown>;

export interface PodView {
  nodeSelector: Record<string, string>;
  tolerations: Obj[];
  affinity?: Obj;
  priorityClassName?: string;
  runtimeClassName?: string;
  podAnnotations?: Record<string, string>;
  resources?: Obj;
}

export interface WebhookHookView {
  name: string;
  path: string;
  version: string;
  resource: string;
  operations: string[];
}

export interface ManifestView {
  ns: string;
  image: string;
  imagePullPolicy: string;
  backend: BGPBackend;
  /** METALLB_BGP_TYPE of the operands */
  bgpType: BGPBackend;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** FRR runs inside the speaker pod (frr, native) */
  frrPod: boolean;
  /** the frr-k8s DaemonSet and its webhook are deployed (frr-k8s) */
  frrk8s: boolean;
  /** the frr-startup ConfigMap (daemons, vtysh.conf, frr.conf) is needed by an FRR container */
  frrStartup: boolean;
  ports: OperandPorts;
  labels: Record<'controller' | 'speaker' | 'frr' | 'frrk8s' | 'webhook', Record<string, string>>;
  selectors: Record<'controller' | 'speaker' | 'frrk8s' | 'webhook', Record<string, string>>;
  args: { controller: string[]; speaker: string[]; speakerAgent: string[]; frrk8s: string[]; webhook: string[] };
  frrCommand: string[];
  controller: PodView;
  speaker: PodView;
  frrk8sDaemon: PodView;
  webhook: { service: string; secret: string; caBundle: string; hooks: WebhookHookView[]; paths: { FRRConfiguration: string } };
}

/** MetalLB's logLevel → metalfrr's (JSON logs have no "all"/"none": all = debug, none = error). */
export function logLevelOf(l: string | undefined): ManifestView['logLevel'] {
  switch (l) {
    case 'all':
    case 'debug':
      return 'debug';
    case 'warn':
      return 'warn';
    case 'error':
    case 'none':
      return 'error';
    default:
      return 'info';
  }
}

const LINUX = { 'kubernetes.io/os': 'linux' };
/** upstream's speaker tolerations: run on control-plane nodes too */
const CONTROL_PLANE_TOLERATIONS: Obj[] = [
  { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule', operator: 'Exists' },
  { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule', operator: 'Exists' },
];

function pod(nodeSelector: Record<string, string> | undefined, tolerations: Obj[], cfg: MetalLBComponentConfig | undefined, withResources = true): PodView {
  return {
    nodeSelector: { ...LINUX, ...(nodeSelector ?? {}) },
    tolerations,
    ...(cfg?.affinity && Object.keys(cfg.affinity).length > 0 ? { affinity: cfg.affinity } : {}),
    ...(cfg?.priorityClassName ? { priorityClassName: cfg.priorityClassName } : {}),
    ...(cfg?.runtimeClassName ? { runtimeClassName: cfg.runtimeClassName } : {}),
    ...(cfg?.annotations && Object.keys(cfg.annotations).length > 0 ? { podAnnotations: cfg.annotations } : {}),
    ...(withResources && cfg?.resources && Object.keys(cfg.resources).length > 0 ? { resources: cfg.resources } : {}),
  };
}

const WEBHOOKS: WebhookHookView[] = [
  { name: 'bgppeervalidationwebhook.metallb.io', path: METALLB_WEBHOOK_PATHS.BGPPeer, version: 'v1beta2', resource: 'bgppeers', operations: ['CREATE', 'UPDATE'] },
  { name: 'bfdprofilevalidationwebhook.metallb.io', path: METALLB_WEBHOOK_PATHS.BFDProfile, version: 'v1beta1', resource: 'bfdprofiles', operations: ['CREATE', 'DELETE'] },
  { name: 'bgpadvertisementvalidationwebhook.metallb.io', path: METALLB_WEBHOOK_PATHS.BGPAdvertisement, version: 'v1beta1', resource: 'bgpadvertisements', operations: ['CREATE', 'UPDATE'] },
  { name: 'communityvalidationwebhook.metallb.io', path: METALLB_WEBHOOK_PATHS.Community, version: 'v1beta1', resource: 'communities', operations: ['CREATE', 'UPDATE'] },
  { name: 'ipaddresspoolvalidationwebhook.metallb.io', path: METALLB_WEBHOOK_PATHS.IPAddressPool, version: 'v1beta1', resource: 'ipaddresspools', operations: ['CREATE', 'UPDATE'] },
  { name: 'l2advertisementvalidationwebhook.metallb.io', path: METALLB_WEBHOOK_PATHS.L2Advertisement, version: 'v1beta1', resource: 'l2advertisements', operations: ['CREATE', 'UPDATE'] },
];

/** The FRR container: copy the startup files into the shared /etc/frr, start the daemons under watchfrr, stay up. */
const FRR_COMMAND = [
  '/bin/sh',
  '-c',
  'cp /etc/frr-startup/* /etc/frr/ && chown -R frr:frr /etc/frr /var/run/frr && /usr/lib/frr/frrinit.sh start && exec sleep infinity',
];

/**
 * Builds the template view. The CR must have passed validateMetalLBSpec (an unknown backend or a
 * missing external namespace throws here).
 */
export function manifestView(cr: MetalLB, params: OperatorParams, caBundle = ''): ManifestView {
  const s = cr.spec ?? {};
  const ns = params.namespace;
  const backend = backendOf(s);
  const frrNs = frrk8sNamespaceOf(cr, params);
  if (!frrNs) throw new Error('frr-k8s-external backend without a namespace');
  const frrPod = backend === 'frr' || backend === 'native';
  const frrk8s = backend === 'frr-k8s';
  const common = { 'app.kubernetes.io/part-of': 'metalfrr', [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_OWNER_NAMESPACE]: ns };
  const sel = (name: string, component: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component });
  const selectors = {
    controller: sel('metallb', 'controller'),
    speaker: sel('metallb', 'speaker'),
    frrk8s: sel('frr-k8s', 'frr-k8s'),
    webhook: sel('metallb', 'webhook-server'),
  };
  const labels = {
    controller: { ...selectors.controller, ...common },
    speaker: { ...selectors.speaker, ...common },
    frr: { ...sel('metallb', 'frr'), ...common },
    frrk8s: { ...selectors.frrk8s, ...common },
    webhook: { ...selectors.webhook, ...common },
  };
  const p = params.ports;
  const lbClass = s.loadBalancerClass ? [`--lb-class=${s.loadBalancerClass}`] : [];
  const alwaysBlock = (s.frrk8sConfig?.alwaysBlock ?? []).map((c) => String(c).trim()).sort();
  const speakerTolerations = [...CONTROL_PLANE_TOLERATIONS, ...(s.speakerTolerations ?? [])];
  return {
    ns,
    image: params.image,
    imagePullPolicy: params.imagePullPolicy,
    backend,
    bgpType: backend,
    logLevel: logLevelOf(s.logLevel),
    frrPod,
    frrk8s,
    frrStartup: frrPod || frrk8s,
    ports: p,
    labels,
    selectors,
    args: {
      controller: ['controller', `--namespace=${ns}`, `--health-port=${p.controller}`, '--leader-elect', ...lbClass],
      speaker: [
        'speaker',
        '--node=$(METALLB_NODE_NAME)',
        `--namespace=${ns}`,
        `--frrk8s-namespace=${frrNs}`,
        `--health-port=${p.speaker}`,
        ...lbClass,
        ...(backend === 'frr-k8s-external' && s.frrk8sConfig?.secretPassthrough ? ['--frrk8s-secret-passthrough'] : []),
      ],
      speakerAgent: ['frr-agent', '--node=$(NODE_NAME)', `--namespace=${ns}`, `--health-port=${p.speakerAgent}`, '--frr-metrics-prefix=metallb'],
      frrk8s: [
        'frr-agent',
        '--node=$(NODE_NAME)',
        `--namespace=${ns}`,
        `--health-port=${p.frrk8s}`,
        ...(alwaysBlock.length > 0 ? [`--always-block=${alwaysBlock.join(',')}`] : []),
      ],
      webhook: [
        'webhook',
        `--port=${p.webhook}`,
        `--tls-cert-file=${WEBHOOK_CERT_DIR}/tls.crt`,
        `--tls-private-key-file=${WEBHOOK_CERT_DIR}/tls.key`,
        `--namespace=${ns}`,
        `--backend=${backend}`,
      ],
    },
    frrCommand: FRR_COMMAND,
    controller: pod(s.controllerNodeSelector, s.controllerTolerations ?? [], s.controllerConfig),
    speaker: pod(s.nodeSelector, speakerTolerations, s.speakerConfig),
    // frr-k8s pods land where speakers do; speakerConfig's scheduling and resources flow to them (upstream)
    frrk8sDaemon: pod(s.nodeSelector, speakerTolerations, { ...s.speakerConfig, annotations: undefined }),
    webhook: { service: WEBHOOK_SERVICE, secret: WEBHOOK_SECRET, caBundle, hooks: WEBHOOKS, paths: { FRRConfiguration: FRRK8S_WEBHOOK_PATH } },
  };
}
