// `metalfrr render`: the frr.conf frr-k8s would write on one node, offline, from manifests.
import type { FRRConfiguration } from '../api/frrk8s.js';
import type { KubeObject, Secret } from '../api/meta.js';
import { DEFAULT_FRRK8S_NAMESPACE, FRRK8S_V1BETA1, LABEL_HOSTNAME } from '../api/constants.js';
import { ConversionError } from '../config/frrk8s/errors.js';
import { renderForNode } from '../frr/pipeline.js';
import type { PrefixListSharing, SeqNumbering, TimerDefaults } from '../frr/render.js';
import { PREFIX_LIST_SHARINGS, SEQ_NUMBERINGS } from '../frr/view.js';
import { parseCIDR } from '../util/ip.js';
import { loadManifests, objectRef } from '../util/manifests.js';
import { UsageError, type CommandIO } from './io.js';

export const FRRK8S_LOG_LEVELS = ['all', 'debug', 'info', 'warn', 'error', 'none'] as const;
const TIMER_DEFAULTS: readonly TimerDefaults[] = ['upstream', 'fixed'];

export const RENDER_USAGE = `usage: metalfrr render --node NAME [--node-labels k=v,...] [--hostname H] [--log-level info]
                      [--always-block CIDR,...] [--namespace frr-k8s-system] [--no-host-ipv4]
                      [--timer-defaults upstream|fixed] [--seq stable|upstream]
                      [--prefix-lists shared|per-neighbor] FILE|DIR...

Prints the frr.conf frr-k8s would write on node NAME: the FRRConfigurations of the namespace whose
nodeSelector matches the node, merged, with neighbor passwords read from the Secrets of that
namespace. Other objects (MetalLB resources, Services...) are ignored.

  --node-labels     labels of the node, added to kubernetes.io/hostname=NAME; when the input holds
                    the Node object NAME, its labels are used instead of kubernetes.io/hostname=NAME
  --hostname        the "hostname" line (default: NAME; frr-k8s runs on the host network)
  --log-level       frr-k8s level: all, debug, info (default), warn, error, none
  --always-block    CIDRs never accepted from any neighbor (the daemon's --always-block flag)
  --namespace, -n   the frr-k8s namespace (default frr-k8s-system); FRRConfigurations and Secrets
                    without a namespace count as in it
  --no-host-ipv4    the node has no IPv4 address: routers without router id get the fallback id
                    (CRC-32 of the hostname)
  --timer-defaults  upstream (default): neighbor timers exactly as frr-k8s renders them; fixed:
                    render what was asked even when it equals a default (docs/frr-rendering.md)
  --seq             stable (default): prefix-list seq and route-map numbers derived from each entry,
                    so adding a prefix changes no other line; upstream: 1..n like frr-k8s
  --prefix-lists    shared (default): a list equal to an earlier neighbor's list of the same role is
                    rendered once and matched by both; per-neighbor: a copy per neighbor like frr-k8s
                    (--seq upstream --prefix-lists per-neighbor prints exactly what frr-k8s writes)

Exit status: 0 rendered, 1 the configurations cannot be merged (the error on stderr),
2 unreadable input or bad usage.`;

export interface RenderArgs {
  node: string;
  labels: Record<string, string>;
  hostname: string;
  logLevel: string;
  alwaysBlock: string[];
  namespace: string;
  hostHasIPv4: boolean;
  timerDefaults: TimerDefaults;
  seqNumbering: SeqNumbering;
  prefixLists: PrefixListSharing;
  paths: string[];
}

/** `k=v,k2=v2` (empty values allowed). */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--node-labels: "${item}" is not key=value`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

export function parseRenderArgs(values: Record<string, unknown>, positionals: string[]): RenderArgs {
  const node = values.node === undefined ? '' : String(values.node);
  if (node === '') throw new UsageError('--node is required');
  if (positionals.length === 0) throw new UsageError('render needs at least one FILE or DIR');
  const logLevel = String(values['log-level'] ?? 'info');
  if (!(FRRK8S_LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new UsageError(`--log-level must be one of ${FRRK8S_LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  const timerDefaults = String(values['timer-defaults'] ?? 'upstream') as TimerDefaults;
  if (!TIMER_DEFAULTS.includes(timerDefaults))
    throw new UsageError(`--timer-defaults must be one of ${TIMER_DEFAULTS.join(', ')}, got "${timerDefaults}"`);
  const seqNumbering = String(values.seq ?? 'stable') as SeqNumbering;
  if (!SEQ_NUMBERINGS.includes(seqNumbering)) throw new UsageError(`--seq must be one of ${SEQ_NUMBERINGS.join(', ')}, got "${seqNumbering}"`);
  const prefixLists = String(values['prefix-lists'] ?? 'shared') as PrefixListSharing;
  if (!PREFIX_LIST_SHARINGS.includes(prefixLists)) throw new UsageError(`--prefix-lists must be one of ${PREFIX_LIST_SHARINGS.join(', ')}, got "${prefixLists}"`);
  const alwaysBlock = String(values['always-block'] ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  for (const c of alwaysBlock) if (!parseCIDR(c)) throw new UsageError(`--always-block: invalid CIDR "${c}"`);
  return {
    node,
    labels: parseLabels(String(values['node-labels'] ?? '')),
    hostname: values.hostname === undefined ? node : String(values.hostname),
    logLevel,
    alwaysBlock,
    namespace: String(values.namespace ?? DEFAULT_FRRK8S_NAMESPACE),
    hostHasIPv4: !values['no-host-ipv4'],
    timerDefaults,
    seqNumbering,
    prefixLists,
    paths: positionals,
  };
}

const inNamespace = (o: KubeObject, ns: string): boolean => (o.metadata?.namespace ?? '') === '' || o.metadata.namespace === ns;

export function runRender(args: RenderArgs, io: CommandIO): number {
  const loaded = loadManifests(args.paths);
  if (loaded.errors.length > 0) {
    for (const e of loaded.errors) io.err(`metalfrr render: ${e.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
    return 2;
  }
  const configs: FRRConfiguration[] = [];
  const secrets: Secret[] = [];
  let nodeLabels: Record<string, string> | undefined;
  for (const { object } of loaded.objects) {
    if (object.kind === 'FRRConfiguration' && object.apiVersion === FRRK8S_V1BETA1) {
      if (inNamespace(object, args.namespace)) configs.push(object as FRRConfiguration);
      else io.err(`metalfrr render: ignoring ${objectRef(object)}: frr-k8s reads FRRConfigurations of ${args.namespace} only`);
    } else if (object.kind === 'Secret' && object.apiVersion === 'v1') {
      if (inNamespace(object, args.namespace)) secrets.push(object as Secret);
    } else if (object.kind === 'Node' && object.apiVersion === 'v1' && object.metadata?.name === args.node) {
      nodeLabels = { ...(object.metadata.labels ?? {}) };
    }
  }
  const labels = { ...(nodeLabels ?? { [LABEL_HOSTNAME]: args.node }), ...args.labels };
  try {
    const r = renderForNode(configs, { name: args.node, labels }, {
      secrets,
      alwaysBlock: args.alwaysBlock,
      daemonNamespace: args.namespace,
      hostname: args.hostname,
      logLevel: args.logLevel,
      hostHasIPv4: args.hostHasIPv4,
      timerDefaults: args.timerDefaults,
      seqNumbering: args.seqNumbering,
      prefixLists: args.prefixLists,
    });
    io.out(r.config.replace(/\n$/, ''));
    return 0;
  } catch (e) {
    if (e instanceof ConversionError) {
      io.err(`metalfrr render: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
