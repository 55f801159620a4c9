// The admission decision of frr-k8s's FRRConfiguration validating webhook (upstream
// `internal/webhooks/frrconfiguration_webhook.go` + `internal/controller/validate.go`), as a pure function,
// and a whole-set validator for command line tools.
import type { FRRConfiguration, Neighbor as APINeighbor } from '../../api/frrk8s.js';
import type { KubeObject, Node } from '../../api/meta.js';
import { selectorError, selectorMatches } from '../../util/selector.js';
import type { AdmissionDecision, AdmissionInput } from '../admission.js';
import { ConversionError, convertConfigurations, sortConfigurations, type ConvertOptions } from './convert.js';

export type { AdmissionDecision, AdmissionInput };

export const WARNING_DISABLE_MP = 'disableMP is deprecated, is ignored and will be removed in a future release';
export const WARNING_GRACEFUL_RESTART = 'Graceful restart configuration changed, it will be available on the next restart';

/** Options of the conversion the webhook runs: secret references blanked, no always-block list, list order kept. */
const WEBHOOK_CONVERT: ConvertOptions = { resolvePasswords: false, alwaysBlock: [], preserveOrder: true };

function ref(c: KubeObject): string {
  return `${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function containsDisableMP(c: FRRConfiguration): boolean {
  return (c.spec?.bgp?.routers ?? []).some((r) => (r.neighbors ?? []).some((n) => n.disableMP === true));
}

/** Upstream's comparison of the stored object with the new one: same VRF, same ASN and address. */
function gracefulRestartChanged(oldCfg: FRRConfiguration, newCfg: FRRConfiguration): boolean {
  for (const rold of oldCfg.spec?.bgp?.routers ?? []) {
    for (const rnew of newCfg.spec?.bgp?.routers ?? []) {
      if ((rold.vrf ?? '') !== (rnew.vrf ?? '')) continue;
      for (const nold of rold.neighbors ?? []) {
        for (const nnew of rnew.neighbors ?? []) {
          const same = (nold.asn ?? 0) === (nnew.asn ?? 0) && (nold.address ?? '') === (nnew.address ?? '');
          if (same && gr(nold) !== gr(nnew)) return true;
        }
      }
    }
  }
  return false;
}

const gr = (n: APINeighbor): boolean => n.enableGracefulRestart === true;

/**
 * The admission decision for a create/update/delete of FRRConfiguration `object`.
 * `existing`: the FRRConfigurations stored in the cluster (all namespaces); `nodes`: all Nodes.
 * A denial carries no warnings (as upstream: admission.Denied drops them).
 */
export function admitFRRConfiguration(req: AdmissionInput, existing: FRRConfiguration[], nodes: Node[]): AdmissionDecision {
  if (req.operation === 'DELETE') return { allowed: true, warnings: [] };
  const x = req.object as FRRConfiguration | undefined;
  if (!x) return { allowed: false, message: 'the admission request carries no object' };

  const selErr = selectorError(x.spec?.nodeSelector);
  if (selErr !== null) return { allowed: false, message: `${selErr}\nresource contains an invalid NodeSelector` };

  const warnings: string[] = [];
  const warn = (w: string): void => {
    if (!warnings.includes(w)) warnings.push(w);
  };
  if (containsDisableMP(x)) warn(WARNING_DISABLE_MP);

  const name = x.metadata?.name ?? '';
  // the API server lists objects ordered by namespace, then name
  const stored = sortConfigurations(existing);
  const matching = nodes.filter((n) => selectorMatches(x.spec?.nodeSelector, n.metadata?.labels ?? {}));

  const perNode: { node: string; cfgs: FRRConfiguration[] }[] = [];
  for (const node of matching) {
    const cfgs: FRRConfiguration[] = [];
    let sameNameSeen = false;
    for (const cfg of stored) {
      if (selectorError(cfg.spec?.nodeSelector) !== null) continue; // cannot be stored; skipped like upstream
      if ((cfg.metadata?.name ?? '') === name) {
        // QUIRK (upstream): any object with the same name, in any namespace, is replaced by the new one
        sameNameSeen = true;
        if (gracefulRestartChanged(cfg, x)) warn(WARNING_GRACEFUL_RESTART);
        continue;
      }
      if (selectorMatches(cfg.spec?.nodeSelector, node.metadata?.labels ?? {})) cfgs.push(cfg);
    }
    // not upstream: when the caller gives the old object but not the stored list entry, compare with it
    if (!sameNameSeen && req.oldObject && gracefulRestartChanged(req.oldObject as FRRConfiguration, x)) warn(WARNING_GRACEFUL_RESTART);
    cfgs.push(x);
    perNode.push({ node: node.metadata?.name ?? '', cfgs });
  }

  for (const { node, cfgs } of perNode) {
    try {
      convertConfigurations(cfgs, WEBHOOK_CONVERT);
    } catch (e) {
      return { allowed: false, message: `${errorText(e)}\nresource is invalid for node ${node}` };
    }
  }
  return { allowed: true, warnings };
}

// ---------------------------------------------------------------------------------------------
// whole-set validation for tools

export interface ConfigurationSetError {
  /** node name, or VIRTUAL_NODE */
  node: string;
  error: string;
  /** `namespace/name` of the objects involved */
  objects: string[];
}

export interface ValidateSetOptions {
  /** with no Node objects: check one virtual node that every object selects */
  assumeCommonNode?: boolean;
  /** conversion options; default: webhook mode (secret references not checked) */
  convert?: ConvertOptions;
}

/** Name used for the virtual node of `assumeCommonNode`. */
export const VIRTUAL_NODE = '*';

/**
 * Validates a set of FRRConfigurations as the cluster would hold it: for every node, the objects selecting
 * it are converted together, as the daemon would. Each error names the objects that caused it when it can
 * tell: objects failing on their own are reported alone, then objects are added one at a time and a new
 * error is attributed to the object just added plus the earlier objects it conflicts with pairwise.
 */
export function validateConfigurationSet(
  configs: FRRConfiguration[],
  nodes: Node[],
  opts: ValidateSetOptions = {},
): ConfigurationSetError[] {
  const base: ConvertOptions = { resolvePasswords: false, ...(opts.convert ?? {}), preserveOrder: false };
  const partial: ConvertOptions = { ...base, skipEVPNValidation: true };
  const fails = (cfgs: FRRConfiguration[], o: ConvertOptions): string | null => {
    try {
      convertConfigurations(cfgs, o);
      return null;
    } catch (e) {
      if (e instanceof ConversionError) return e.message;
      throw e;
    }
  };

  const targets: { name: string; labels: Record<string, string> | null }[] =
    nodes.length > 0
      ? nodes.map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels ?? {} }))
      : opts.assumeCommonNode
        ? [{ name: VIRTUAL_NODE, labels: null }]
        : [];

  const sorted = sortConfigurations(configs);
  const out: ConfigurationSetError[] = [];
  for (const node of targets) {
    const selected: FRRConfiguration[] = [];
    for (const c of sorted) {
      const err = selectorError(c.spec?.nodeSelector);
      if (err !== null) {
        out.push({
          node: node.name,
          error: `could not parse nodeSelector for FRRConfiguration ${ref(c)}, err: ${err}`,
          objects: [ref(c)],
        });
        continue;
      }
      if (node.labels === null || selectorMatches(c.spec?.nodeSelector, node.labels)) selected.push(c);
    }

    // objects invalid on their own
    const good: FRRConfiguration[] = [];
    for (const c of selected) {
      const err = fails([c], partial);
      if (err !== null) out.push({ node: node.name, error: err, objects: [ref(c)] });
      else good.push(c);
    }

    // conflicts between objects
    const accepted: FRRConfiguration[] = [];
    for (const c of good) {
      const err = fails([...accepted, c], partial);
      if (err === null) {
        accepted.push(c);
        continue;
      }
      const partners = accepted.filter((j) => fails([j, c], partial) !== null);
      const involved = partners.length > 0 ? [...partners, c] : [...accepted, c];
      out.push({ node: node.name, error: err, objects: involved.map(ref) });
    }

    // requirements checked on the merged result (EVPN)
    const err = fails(accepted, base);
    if (err !== null) {
      const vrfs = new Set([...err.matchAll(/vrf "([^"]*)"/g)].map((m) => m[1]!));
      const involved = accepted.filter((c) => (c.spec?.bgp?.routers ?? []).some((r) => r.evpn && vrfs.has(r.vrf ?? '')));
      out.push({ node: node.name, error: err, objects: (involved.length > 0 ? involved : accepted).map(ref) });
    }
  }
  return out;
}
