// Builders for unit tests of the MetalLB config parser (compact objects in the metallb-system namespace).
import type { KubeObject } from '../../api/meta.js';
import { emptyResources, type ClusterResources } from './types.js';

export const NS = 'metallb-system';

type Spec = Record<string, unknown>;
const meta = (name: string, labels?: Record<string, string>, namespace: string | undefined = NS) => ({
  name,
  ...(namespace !== undefined ? { namespace } : {}),
  ...(labels ? { labels } : {}),
});

export const pool = (name: string, spec: Spec, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: meta(name, labels),
  spec,
});
export const peer = (name: string, spec: Spec, apiVersion = 'metallb.io/v1beta2'): KubeObject => ({
  apiVersion,
  kind: 'BGPPeer',
  metadata: meta(name),
  spec,
});
export const bfd = (name: string, spec: Spec = {}): KubeObject => ({ apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: meta(name), spec });
export const bgpAdv = (name: string, spec: Spec = {}): KubeObject => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPAdvertisement',
  metadata: meta(name),
  spec,
});
export const l2Adv = (name: string, spec: Spec = {}): KubeObject => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'L2Advertisement',
  metadata: meta(name),
  spec,
});
export const community = (name: string, aliases: { name: string; value: string }[]): KubeObject => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'Community',
  metadata: meta(name),
  spec: { communities: aliases },
});
export const secret = (name: string, type: string | undefined, data: Record<string, string> = {}, namespace = NS): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: meta(name, undefined, namespace),
  ...(type !== undefined ? { type } : {}),
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
export const node = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: meta(name, { 'kubernetes.io/hostname': name, ...labels }, undefined),
});
export const namespace = (name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: meta(name, labels, undefined),
});

/** Groups objects by kind, keeping their order. */
export function resources(...objects: KubeObject[]): ClusterResources {
  const r = emptyResources();
  const by: Record<string, KubeObject[]> = {
    IPAddressPool: r.pools,
    BGPPeer: r.peers,
    BFDProfile: r.bfdProfiles,
    L2Advertisement: r.l2Advertisements,
    BGPAdvertisement: r.bgpAdvertisements,
    Community: r.communities,
    Secret: r.secrets,
    Node: r.nodes,
    Namespace: r.namespaces,
  };
  for (const o of objects) {
    const list = by[o.kind];
    if (!list) throw new Error(`unexpected kind ${o.kind}`);
    list.push(o);
  }
  return r;
}

/** A valid minimal peer spec. */
export const peerSpec = (extra: Spec = {}): Spec => ({ myASN: 64500, peerASN: 64501, peerAddress: '192.0.2.1', ...extra });
