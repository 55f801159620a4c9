// The webhook paths metalfrr serves (upstream's paths) and what each one validates against.
import type { BGPBackend } from '../operator/api/constants.js';
import type { FRRConfiguration } from '../operator/api/frrk8s.js';
import type { Node } from '../operator/api/meta.js';
import { admitMetalLB } from '../operator/config/metallb/webhook.js';
import type { ClusterResources } from '../operator/config/metallb/parse.js';
import type { AdmissionInput } from '../operator/config/admission.js';
import { admitFRRConfiguration } from '../operator/config/frrk8s/webhook.js';
import { convertBGPPeer } from '../operator/config/bgppeer-conversion.js';
import type { AdmissionDecision, AdmissionHandler, AdmissionRequest, ConversionHandler } from './server.js';
import type { ObjectSource } from './sources.js';

export const METALLB_WEBHOOK_PATHS = {
  IPAddressPool: '/validate-metallb-io-v1beta1-ipaddresspool',
  L2Advertisement: '/validate-metallb-io-v1beta1-l2advertisement',
  BGPAdvertisement: '/validate-metallb-io-v1beta1-bgpadvertisement',
  Community: '/validate-metallb-io-v1beta1-community',
  BFDProfile: '/validate-metallb-io-v1beta1-bfdprofile',
  BGPPeer: '/validate-metallb-io-v1beta2-bgppeer',
} as const;

export const FRRK8S_WEBHOOK_PATH = '/validate-frrk8s-metallb-io-v1beta1-frrconfiguration';

/** The BGPPeer CRD's conversion webhook path (spec.conversion.webhook.clientConfig.service.path). */
export const CONVERSION_PATH = '/convert';

/**
 * The conversion webhooks: BGPPeer metallb.io/v1beta1 <-> v1beta2 (operator/config/bgppeer-conversion.ts).
 * metadata is passed through as the API server sent it; any object that does not convert (another
 * kind, an unknown version, an unparsable duration) fails the whole review, like controller-runtime.
 */
export function conversionRoutes(): Record<string, ConversionHandler> {
  return {
    [CONVERSION_PATH]: (req) =>
      req.objects.map((o) => {
        const out = convertBGPPeer(o, req.desiredAPIVersion);
        out.metadata = structuredClone(o.metadata);
        return out;
      }),
  };
}

export interface RouteOptions {
  /** the MetalLB namespace */
  namespace: string;
  backend: BGPBackend;
}

/** Reads what the MetalLB parser needs from the source (the webhook logic picks its subset). */
export async function loadClusterResources(source: ObjectSource, namespace: string): Promise<ClusterResources> {
  const [pools, peers, bfdProfiles, l2Advertisements, bgpAdvertisements, communities, nodes] = await Promise.all([
    source.list('IPAddressPool', namespace),
    source.list('BGPPeer', namespace),
    source.list('BFDProfile', namespace),
    source.list('L2Advertisement', namespace),
    source.list('BGPAdvertisement', namespace),
    source.list('Community', namespace),
    source.list('Node'),
  ]);
  return {
    pools,
    peers,
    bfdProfiles,
    l2Advertisements,
    bgpAdvertisements,
    communities,
    nodes,
    secrets: [],
    namespaces: [],
  } as unknown as ClusterResources;
}

/** The parts of an AdmissionReview request the decisions look at. */
function admissionInput(req: AdmissionRequest): AdmissionInput {
  return { operation: req.operation as AdmissionInput['operation'], object: req.object ?? undefined, oldObject: req.oldObject ?? undefined };
}

function kindGuard(expected: string, req: AdmissionRequest): AdmissionDecision | undefined {
  const obj = req.object ?? req.oldObject;
  const kind = obj?.kind ?? req.kind.kind;
  if (kind !== expected) return { allowed: false, message: `this webhook validates ${expected} objects, got ${kind}` };
  return undefined;
}

export function webhookRoutes(source: ObjectSource, opts: RouteOptions): Record<string, AdmissionHandler> {
  const routes: Record<string, AdmissionHandler> = {};
  for (const [kind, path] of Object.entries(METALLB_WEBHOOK_PATHS)) {
    routes[path] = async (req) => {
      const wrong = kindGuard(kind, req);
      if (wrong) return wrong;
      const existing = await loadClusterResources(source, opts.namespace);
      return admitMetalLB(admissionInput(req), existing, { namespace: opts.namespace, backend: opts.backend });
    };
  }
  routes[FRRK8S_WEBHOOK_PATH] = async (req) => {
    const wrong = kindGuard('FRRConfiguration', req);
    if (wrong) return wrong;
    const [configs, nodes] = await Promise.all([source.list('FRRConfiguration'), source.list('Node')]);
    return admitFRRConfiguration(admissionInput(req), configs as FRRConfiguration[], nodes as Node[]);
  };
  return routes;
}
