// FRRConfigurations of the cluster -> frr.conf of one node: select by nodeSelector, convert and merge
// (passwords resolved from Secrets), render. Pure; throws ConversionError (RenderError is one).
import type { FRRConfiguration } from '../api/frrk8s.js';
import type { Secret } from '../api/meta.js';
import { convertConfigurations, selectForNode } from '../config/frrk8s/convert.js';
import type { FRRModelConfig } from '../config/frrk8s/model.js';
import { prepareModel, renderFRRConfig, type RenderOptions } from './render.js';

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
}

export interface RenderForNodeOptions extends RenderOptions {
  /** password Secrets, looked up by name */
  secrets?: Secret[];
  /** CIDRs of the daemon's `--always-block` flag */
  alwaysBlock?: string[];
  /** when set, only Secrets of this namespace (or without namespace) are used */
  daemonNamespace?: string;
}

export interface RenderResult {
  config: string;
  /** the model as rendered: merged, with hostname, FRR log level and fallback router ids filled in */
  model: FRRModelConfig;
}

/** The frr.conf of one node. An empty selection renders the empty configuration (header only). */
export function renderForNode(configs: FRRConfiguration[], node: NodeInfo, opts: RenderForNodeOptions): RenderResult {
  const selected = selectForNode(configs, node.labels);
  const converted = convertConfigurations(selected, {
    secrets: opts.secrets ?? [],
    alwaysBlock: opts.alwaysBlock ?? [],
    resolvePasswords: true,
    ...(opts.daemonNamespace !== undefined ? { daemonNamespace: opts.daemonNamespace } : {}),
  });
  return { config: renderFRRConfig(converted, opts), model: prepareModel(converted, opts) };
}
