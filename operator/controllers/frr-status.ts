// Pure helpers of the frr agent's status: what FRRNodeState and the BGPSessionState objects should say.
import { isIP } from 'node:net';
import type { KubeObject } from '../api/meta.js';
import { FRRK8S_V1BETA1, LABEL_FRRK8S_NODE, LABEL_FRRK8S_PEER, LABEL_FRRK8S_VRF } from '../api/constants.js';
import { maskPasswords } from '../util/log.js';
import { parseIP } from '../util/ip.js';

/** One BGP session as FRR reports it (`show bgp vrf <vrf> neighbors json`). */
export interface FRRSession {
  /** FRR VRF name; "default" for the default VRF */
  vrf: string;
  /** neighbor key: IP address, or interface name for unnumbered peers */
  peer: string;
  bgpState: string;
  remoteAs?: number;
  /** FRR's peerBfdInfo.status ("Up", "Down", ...) or undefined without BFD */
  bfdStatus?: string;
  messageStats?: Partial<Record<'opensSent' | 'opensRecv' | 'notificationsSent' | 'updatesSent' | 'updatesRecv' | 'keepalivesSent' | 'keepalivesRecv' | 'routeRefreshSent' | 'totalSent' | 'totalRecv', number>>;
  sentPrefixes?: number;
  acceptedPrefixes?: number;
}

/** One BFD peer (`show bfd peers json` + counters). */
export interface FRRBFDPeer {
  vrf: string;
  peer: string;
  status: string;
  controlPacketInput?: number;
  controlPacketOutput?: number;
  echoPacketInput?: number;
  echoPacketOutput?: number;
  sessionUpEvents?: number;
  sessionDownEvents?: number;
  zebraNotifications?: number;
}

/** frr-k8s writes IPv6 peers fully expanded with ':' replaced by '-' so that they fit label values. */
export function peerLabelValue(peer: string): string {
  if (isIP(peer) !== 6) return peer;
  const ip = parseIP(peer);
  if (!ip || ip.family !== 6) return peer.replace(/:/g, '-');
  const hex = ip.value.toString(16).padStart(32, '0');
  return hex.match(/.{4}/g)!.join('-');
}

/** The VRF as stored in BGPSessionState: FRR's "default" becomes "". */
export const storedVRF = (vrf: string): string => (vrf === 'default' ? '' : vrf);

export interface SessionStateStatus {
  node: string;
  peer: string;
  vrf: string;
  bgpStatus: string;
  bfdStatus: string;
}

export function sessionStatus(node: string, s: FRRSession): SessionStateStatus {
  return {
    node,
    peer: peerLabelValue(s.peer),
    vrf: storedVRF(s.vrf),
    bgpStatus: s.bgpState,
    bfdStatus: s.bfdStatus ? s.bfdStatus : 'N/A',
  };
}

export function sessionLabels(node: string, s: FRRSession): Record<string, string> {
  return { [LABEL_FRRK8S_NODE]: node, [LABEL_FRRK8S_PEER]: peerLabelValue(s.peer), [LABEL_FRRK8S_VRF]: storedVRF(s.vrf) };
}

export interface SessionStatePlan {
  create: { labels: Record<string, string>; status: SessionStateStatus }[];
  update: { name: string; status: SessionStateStatus }[];
  delete: string[];
}

/**
 * What to do with the node's BGPSessionState objects so that there is exactly one per (vrf, peer)
 * FRR reports, with up-to-date status; duplicates and vanished peers are deleted.
 */
export function planSessionStates(node: string, sessions: FRRSession[], existing: KubeObject[]): SessionStatePlan {
  const plan: SessionStatePlan = { create: [], update: [], delete: [] };
  const byKey = new Map<string, KubeObject[]>();
  for (const o of existing) {
    const l = o.metadata.labels ?? {};
    if (l[LABEL_FRRK8S_NODE] !== node) continue;
    const key = `${l[LABEL_FRRK8S_VRF] ?? ''}/${l[LABEL_FRRK8S_PEER] ?? ''}`;
    byKey.set(key, [...(byKey.get(key) ?? []), o]);
  }
  const wanted = new Set<string>();
  for (const s of sessions) {
    const status = sessionStatus(node, s);
    const key = `${status.vrf}/${status.peer}`;
    if (wanted.has(key)) continue;
    wanted.add(key);
    const objs = (byKey.get(key) ?? []).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    const [keep, ...dups] = objs;
    plan.delete.push(...dups.map((d) => d.metadata.name!));
    if (!keep) plan.create.push({ labels: sessionLabels(node, s), status });
    else if (JSON.stringify((keep as { status?: unknown }).status ?? {}) !== JSON.stringify(status)) plan.update.push({ name: keep.metadata.name!, status });
  }
  for (const [key, objs] of byKey) if (!wanted.has(key)) plan.delete.push(...objs.map((o) => o.metadata.name!));
  return plan;
}

export function bgpSessionStateObject(node: string, namespace: string, labels: Record<string, string>): KubeObject {
  return { apiVersion: FRRK8S_V1BETA1, kind: 'BGPSessionState', metadata: { generateName: `${node}-`, namespace, labels } };
}

export interface NodeStateStatus {
  runningConfig?: string;
  lastReloadResult?: string;
  lastConversionResult?: string;
}

/** FRRNodeState status with every password retracted. */
export function nodeStateStatus(s: NodeStateStatus): NodeStateStatus {
  const out: NodeStateStatus = {};
  if (s.runningConfig !== undefined) out.runningConfig = retractPasswords(s.runningConfig);
  if (s.lastReloadResult !== undefined) out.lastReloadResult = retractPasswords(s.lastReloadResult);
  if (s.lastConversionResult !== undefined) out.lastConversionResult = retractPasswords(s.lastConversionResult);
  return out;
}

/** frr-k8s replaces every `password...` to the end of the line by `password <retracted>`. */
export function retractPasswords(text: string): string {
  return maskPasswords(text).replace(/password <retracted>.*$/gm, 'password <retracted>');
}
