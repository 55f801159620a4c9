// BGPPeer conversion between metallb.io/v1beta1 (deprecated) and metallb.io/v1beta2 (storage),
// as MetalLB's conversion webhook does it. Pure functions; the objects are JSON as the API server
// sends them.
//
// Faithful to the Go structs' JSON encoding:
// - v1beta1 holdTime/keepaliveTime are plain metav1.Duration values, so they are always present;
//   an unset timer converts to "0s" in v1beta2 (rendered by FRR as "timers 0 0").
// - durations are re-printed the Go way ("90s" becomes "1m30s"); an unparsable one fails the conversion.
// - v1beta1 myASN, peerASN and peerAddress have no omitempty: always written (0 / "" when unset).
// - legacy selectors with neither labels nor expressions become the empty selector (match all).
// - v1beta2 -> v1beta1 drops every field v1beta1 does not have.
import type { KubeObject, LabelSelector, LabelSelectorRequirement } from '../api/meta.js';
import type { BGPPeer, BGPPeerSpec, BGPPeerV1beta1, BGPPeerV1beta1Spec, LegacyNodeSelector } from '../api/metallb.js';
import { METALLB_V1BETA1, METALLB_V1BETA2 } from '../api/constants.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { isObject } from '../util/json.js';

export class ConversionError extends Error {}

/** A Go metav1.Duration round trip: parse, print. Missing becomes "0s". */
function goDuration(v: unknown): string {
  if (v === undefined || v === null) return '0s';
  if (typeof v !== 'string') throw new ConversionError(`time: invalid duration ${JSON.stringify(v)}`);
  const ns = parseDuration(v);
  if (ns === null) throw new ConversionError(`time: invalid duration ${JSON.stringify(v)}`);
  return formatDuration(ns);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function specOf(obj: KubeObject): Record<string, unknown> {
  if (!isObject(obj) || obj.kind !== 'BGPPeer') throw new ConversionError(`expected a BGPPeer, got ${isObject(obj) ? String(obj.kind) : typeof obj}`);
  return isObject(obj.spec) ? obj.spec : {};
}

function legacyToSelector(ns: LegacyNodeSelector): LabelSelector {
  const labels = isObject(ns.matchLabels) ? (ns.matchLabels as Record<string, string>) : {};
  const exprs = Array.isArray(ns.matchExpressions) ? ns.matchExpressions : [];
  if (Object.keys(labels).length + exprs.length === 0) return {};
  const sel: LabelSelector = {};
  if (Object.keys(labels).length > 0) sel.matchLabels = { ...labels };
  if (exprs.length > 0) {
    sel.matchExpressions = exprs.map((e) => {
      const r: LabelSelectorRequirement = { key: str(e.key), operator: str(e.operator) };
      const values = strings(e.values);
      if (values.length > 0) r.values = values;
      return r;
    });
  }
  return sel;
}

function selectorToLegacy(sel: LabelSelector): LegacyNodeSelector {
  const out: LegacyNodeSelector = {};
  const labels = isObject(sel?.matchLabels) ? (sel.matchLabels as Record<string, string>) : {};
  if (Object.keys(labels).length > 0) out.matchLabels = { ...labels };
  const exprs = Array.isArray(sel?.matchExpressions) ? sel.matchExpressions : [];
  if (exprs.length > 0) {
    out.matchExpressions = exprs.map((e) => ({ key: str(e.key), operator: str(e.operator), values: strings(e.values) }));
  }
  return out;
}

/** The spec fields both versions share, encoded the way both Go structs do. */
function sharedFields(s: Record<string, unknown>, selector: (sel: Record<string, unknown>) => object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (str(s.sourceAddress)) out.sourceAddress = str(s.sourceAddress);
  if (num(s.peerPort) !== 0) out.peerPort = num(s.peerPort);
  out.holdTime = goDuration(s.holdTime);
  out.keepaliveTime = goDuration(s.keepaliveTime);
  if (str(s.routerID)) out.routerID = str(s.routerID);
  if (Array.isArray(s.nodeSelectors) && s.nodeSelectors.length > 0) {
    out.nodeSelectors = s.nodeSelectors.map((sel) => selector(isObject(sel) ? sel : {}));
  }
  if (str(s.password)) out.password = str(s.password);
  if (str(s.bfdProfile)) out.bfdProfile = str(s.bfdProfile);
  if (s.ebgpMultiHop === true) out.ebgpMultiHop = true;
  return out;
}

function withSpec(peer: KubeObject, apiVersion: string, spec: object): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'BGPPeer', metadata: structuredClone(peer.metadata ?? {}), spec };
  if (peer.status !== undefined) out.status = structuredClone(peer.status);
  return out;
}

/** metallb.io/v1beta1 BGPPeer -> metallb.io/v1beta2. */
export function bgpPeerToV1beta2(peer: KubeObject): BGPPeer {
  const s = specOf(peer);
  const spec: BGPPeerSpec = { myASN: num(s.myASN) };
  if (num(s.peerASN) !== 0) spec.peerASN = num(s.peerASN);
  if (str(s.peerAddress)) spec.peerAddress = str(s.peerAddress);
  Object.assign(spec, sharedFields(s, (sel) => legacyToSelector(sel as LegacyNodeSelector)));
  return withSpec(peer, METALLB_V1BETA2, spec) as BGPPeer;
}

/** An object as the API server stores it: a metallb.io/v1beta1 BGPPeer converted to v1beta2, any other object as is. */
export function asStoredVersion(obj: KubeObject): KubeObject {
  return obj.kind === 'BGPPeer' && obj.apiVersion === METALLB_V1BETA1 ? bgpPeerToV1beta2(obj) : obj;
}

/** metallb.io/v1beta2 BGPPeer -> metallb.io/v1beta1 (fields v1beta1 lacks are dropped). */
export function bgpPeerToV1beta1(peer: KubeObject): BGPPeerV1beta1 {
  const s = specOf(peer);
  const spec: BGPPeerV1beta1Spec = { myASN: num(s.myASN), peerASN: num(s.peerASN), peerAddress: str(s.peerAddress) };
  Object.assign(spec, sharedFields(s, (sel) => selectorToLegacy(sel as LabelSelector)));
  return withSpec(peer, METALLB_V1BETA1, spec) as BGPPeerV1beta1;
}

/** Converts a BGPPeer to the given apiVersion (a copy when it already has it). Throws ConversionError. */
export function convertBGPPeer(obj: KubeObject, desiredAPIVersion: string): KubeObject {
  if (desiredAPIVersion !== METALLB_V1BETA1 && desiredAPIVersion !== METALLB_V1BETA2) {
    throw new ConversionError(`unsupported BGPPeer version ${desiredAPIVersion}`);
  }
  if (obj.apiVersion === desiredAPIVersion) {
    specOf(obj);
    return structuredClone(obj);
  }
  if (obj.apiVersion === METALLB_V1BETA1) return bgpPeerToV1beta2(obj);
  if (obj.apiVersion === METALLB_V1BETA2) return bgpPeerToV1beta1(obj);
  throw new ConversionError(`unsupported BGPPeer version ${String(obj.apiVersion)}`);
}

/** apiextensions.k8s.io/v1 ConversionReview (the parts a converter uses). */
export interface ConversionReview {
  apiVersion: string;
  kind: 'ConversionReview';
  request?: { uid: string; desiredAPIVersion: string; objects: KubeObject[] };
  response?: {
    uid: string;
    convertedObjects: KubeObject[];
    result: { status: 'Success' | 'Failure'; message?: string };
  };
}

/** Answers a ConversionReview for BGPPeers; any failure fails the whole review, like controller-runtime. */
export function reviewBGPPeerConversion(review: ConversionReview): ConversionReview {
  const req = review.request;
  const uid = req?.uid ?? '';
  const answer = (response: NonNullable<ConversionReview['response']>): ConversionReview => ({
    apiVersion: review.apiVersion ?? 'apiextensions.k8s.io/v1',
    kind: 'ConversionReview',
    response,
  });
  if (!req) return answer({ uid, convertedObjects: [], result: { status: 'Failure', message: 'conversion request is missing' } });
  try {
    const convertedObjects = (req.objects ?? []).map((o) => convertBGPPeer(o, req.desiredAPIVersion));
    return answer({ uid, convertedObjects, result: { status: 'Success' } });
  } catch (e) {
    return answer({ uid, convertedObjects: [], result: { status: 'Failure', message: (e as Error).message } });
  }
}
