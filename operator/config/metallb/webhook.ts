// The admission decision of MetalLB's validating webhooks (spec §2.1 and rules B1-B4), as a pure function.
//
//   kind              CREATE                        UPDATE            DELETE
//   IPAddressPool     namespace + parse(pools)      parse             allowed
//   L2Advertisement   namespace + parse(l2, pools)  parse             allowed
//   BGPAdvertisement  namespace + parse(bgp, pools, nodes)            allowed
//   Community         namespace + parse(communities)                  allowed
//   BGPPeer (v1beta2) disableMP -> allowed+warning, namespace + parse(peers, nodes)   allowed
//   BFDProfile        namespace only                allowed           denied while a BGPPeer references it
//
// For the parser the existing objects of the kind (MetalLB namespace only) are taken, the incoming object replaces
// the one with the same name or is appended, transient fields are stripped (peers' bfdProfile and passwordSecret,
// BGPAdvertisement communities without ':'), and the mode validation of the backend runs first. Any parser
// error denies the request; the message is upstream's error text.
import type { BGPBackend } from '../../api/constants.js';
import type { KubeObject } from '../../api/meta.js';
import type { BGPAdvertisement, BGPPeer } from '../../api/metallb.js';
import type { AdmissionDecision, AdmissionInput } from '../admission.js';
import { bool, nameOf, namespaceOf, peerAsV1beta2, sortByName, specOf, str } from './helpers.js';
import { parseConfig } from './parse.js';
import { emptyResources, type ClusterResources } from './types.js';

export type { AdmissionDecision, AdmissionInput };

export const DISABLE_MP_WARNING = "disable mp is deprecated and has no effect since it's the default behavior now";

const clone = <T>(o: T): T => structuredClone(o);

function withUpdate<T extends KubeObject>(existing: T[], obj: T): T[] {
  const out = existing.map(clone);
  const i = out.findIndex((x) => nameOf(x) === nameOf(obj));
  if (i >= 0) out[i] = clone(obj);
  else out.push(clone(obj));
  return out;
}

/** Upstream webhook behaviour: peers lose bfdProfile/passwordSecret, advertisements lose alias communities. */
export function stripTransientFields(res: ClusterResources): ClusterResources {
  return {
    ...res,
    peers: res.peers.map((p) => {
      const q = clone(p);
      const spec = { ...specOf(q) };
      delete spec.bfdProfile;
      delete spec.passwordSecret;
      (q as { spec: unknown }).spec = spec;
      return q;
    }),
    bgpAdvertisements: res.bgpAdvertisements.map((a) => {
      const q = clone(a);
      const spec = specOf(q);
      if (Array.isArray(spec.communities)) {
        (q as { spec: unknown }).spec = { ...spec, communities: (spec.communities as unknown[]).filter((c) => str(c).includes(':')) };
      }
      return q;
    }),
  };
}

const allow = (): AdmissionDecision => ({ allowed: true });
const deny = (message: string): AdmissionDecision => ({ allowed: false, message });

/** Decides an admission request for one of MetalLB's six validated kinds; other kinds are allowed. */
export function admitMetalLB(
  req: AdmissionInput,
  existing: ClusterResources,
  opts: { namespace: string; backend: BGPBackend },
): AdmissionDecision {
  const raw = req.operation === 'DELETE' ? (req.oldObject ?? req.object) : req.object;
  if (!raw) return allow();
  const obj = peerAsV1beta2(raw);
  const kind = obj.kind;
  // the webhook lists the kind in the MetalLB namespace (the API returns it sorted by name)
  const inNs = <T extends KubeObject>(l: T[] | undefined): T[] =>
    sortByName((l ?? []).filter((o) => namespaceOf(o) === '' || namespaceOf(o) === opts.namespace));
  const nsError = `resource must be created in ${opts.namespace} namespace`;

  if (kind === 'BFDProfile') {
    if (req.operation === 'CREATE') return namespaceOf(obj) !== opts.namespace ? deny(nsError) : allow();
    if (req.operation === 'DELETE') {
      for (const p of inNs(existing.peers).map(peerAsV1beta2)) {
        if (str(specOf(p).bfdProfile) === nameOf(obj)) return deny(`failed to delete BFDProfile ${nameOf(obj)}, used by BGPPeer ${nameOf(p)}`);
      }
    }
    return allow();
  }

  const kinds = ['IPAddressPool', 'L2Advertisement', 'BGPAdvertisement', 'Community', 'BGPPeer'];
  if (!kinds.includes(kind) || req.operation === 'DELETE') return allow();

  if (kind === 'BGPPeer' && req.operation === 'CREATE' && bool(specOf(obj).disableMP)) {
    return { allowed: true, warnings: [DISABLE_MP_WARNING] };
  }
  if (req.operation === 'CREATE' && namespaceOf(obj) !== opts.namespace) return deny(nsError);

  const res = emptyResources();
  switch (kind) {
    case 'IPAddressPool':
      res.pools = withUpdate(inNs(existing.pools), obj as never);
      break;
    case 'L2Advertisement':
      res.l2Advertisements = withUpdate(inNs(existing.l2Advertisements), obj as never);
      res.pools = inNs(existing.pools);
      break;
    case 'BGPAdvertisement':
      res.bgpAdvertisements = withUpdate(inNs(existing.bgpAdvertisements), obj as BGPAdvertisement);
      res.pools = inNs(existing.pools);
      res.nodes = [...(existing.nodes ?? [])];
      break;
    case 'Community':
      res.communities = withUpdate(inNs(existing.communities), obj as never);
      break;
    case 'BGPPeer':
      res.peers = withUpdate(inNs(existing.peers).map((p) => peerAsV1beta2(p) as BGPPeer), obj as BGPPeer);
      res.nodes = [...(existing.nodes ?? [])];
      break;
  }
  const result = parseConfig(stripTransientFields(res), { backend: opts.backend, namespace: opts.namespace, keepOrder: true });
  if (result.errors.length > 0) return deny(result.errors[0]!.message);
  return allow();
}
