// Human-readable summary of what a valid set of objects configures (used by `metalfrr demo`).
import type { KubeObject } from '../api/meta.js';
import type { FRRConfiguration } from '../api/frrk8s.js';
import { formatCIDR, cidrSize } from '../util/ip.js';
import { selectorMatches } from '../util/selector.js';
import { parseConfig, type ClusterResources } from './metallb/parse.js';
import { communityLiteral } from './metallb/community.js';
import { convertConfigurations } from './frrk8s/convert.js';

function of(objects: KubeObject[], kind: string, ns?: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind && (ns === undefined || o.metadata.namespace === ns));
}

export function describeConfiguration(objects: KubeObject[], namespace: string): string[] {
  const out: string[] = [];
  const res = {
    pools: of(objects, 'IPAddressPool', namespace),
    peers: of(objects, 'BGPPeer', namespace),
    bfdProfiles: of(objects, 'BFDProfile', namespace),
    l2Advertisements: of(objects, 'L2Advertisement', namespace),
    bgpAdvertisements: of(objects, 'BGPAdvertisement', namespace),
    communities: of(objects, 'Community', namespace),
    secrets: of(objects, 'Secret', namespace),
    nodes: of(objects, 'Node'),
    namespaces: of(objects, 'Namespace'),
  } as unknown as ClusterResources;
  const parsed = parseConfig(res, { backend: 'frr-k8s', namespace, assumeCommonNode: res.nodes.length === 0 });
  const cfg = parsed.config;
  if (!cfg) {
    out.push(`MetalLB configuration is invalid: ${parsed.errors[0]?.message ?? 'unknown error'}`);
    return out;
  }
  out.push('Address pools:');
  for (const p of cfg.pools.values()) {
    const size = p.cidrs.reduce((n, c) => n + cidrSize(c), 0n);
    const ads = [
      ...p.l2Advertisements.map((a) => `L2Advertisement/${a.name}`),
      ...p.bgpAdvertisements.map((a) => `BGPAdvertisement/${a.name}`),
    ];
    out.push(
      `  ${p.name}: ${p.cidrs.map(formatCIDR).join(', ')} (${size} addresses${p.autoAssign ? '' : ', manual only'}${p.avoidBuggyIPs ? ', avoids .0/.255' : ''})`,
    );
    out.push(`    announced by: ${ads.length > 0 ? ads.join(', ') : 'nothing (services get an IP that nobody announces!)'}`);
  }
  if (cfg.peers.size > 0) out.push('BGP peers:');
  for (const p of cfg.peers.values()) {
    const remote = p.dynamicASN || String(p.asn);
    const timers = p.holdTime !== null ? `, hold ${p.holdTime}s keepalive ${p.keepaliveTime}s` : '';
    const auth = p.password || p.passwordSecret ? ', TCP MD5 password' : '';
    const bfd = p.bfdProfile ? `, BFD profile ${p.bfdProfile}` : '';
    out.push(`  ${p.name}: AS ${p.myASN} -> ${p.address || `interface ${p.iface}`} AS ${remote}${p.port ? ` port ${p.port}` : ''}${timers}${auth}${bfd}`);
  }
  for (const a of cfg.bgpAdvertisements) {
    const attrs = [
      a.localPref ? `localPref ${a.localPref}` : '',
      a.communities.length > 0 ? `communities ${a.communities.map(communityLiteral).join(' ')}` : '',
      `/${a.aggregationLength} (v6 /${a.aggregationLengthV6})`,
    ].filter(Boolean);
    out.push(`BGPAdvertisement ${a.name}: pools ${a.pools.join(', ') || '(none)'} to ${a.peers.length > 0 ? a.peers.join(', ') : 'every peer'}, ${attrs.join(', ')}`);
  }
  for (const a of cfg.l2Advertisements) {
    out.push(`L2Advertisement ${a.name}: pools ${a.pools.join(', ') || '(none)'} on ${a.allInterfaces ? 'all interfaces' : a.interfaces.join(', ')}`);
  }
  const frr = of(objects, 'FRRConfiguration') as FRRConfiguration[];
  if (frr.length > 0) {
    const nodes = res.nodes.length > 0 ? res.nodes.map((n) => ({ name: n.metadata.name!, labels: n.metadata.labels ?? {} })) : [{ name: 'any node', labels: null }];
    for (const n of nodes) {
      const selected = n.labels === null ? frr : frr.filter((c) => selectorMatches(c.spec?.nodeSelector, n.labels!));
      out.push(`frr-k8s on ${n.name}: ${selected.length} FRRConfiguration(s)`);
      try {
        const model = convertConfigurations(selected, { resolvePasswords: false });
        for (const r of model.routers) {
          out.push(`  router bgp ${r.myASN}${r.vrf ? ` vrf ${r.vrf}` : ''}${r.routerID ? ` id ${r.routerID}` : ''}: prefixes ${[...r.ipv4Prefixes, ...r.ipv6Prefixes].join(', ') || '(none)'}`);
          for (const nb of r.neighbors) {
            const recv = nb.incoming.all ? 'accepts all' : `accepts ${nb.incoming.prefixesV4.length + nb.incoming.prefixesV6.length} prefix filter(s)`;
            out.push(`    neighbor ${nb.addr || nb.iface} AS ${nb.asn}: advertises ${[...nb.outgoing.prefixesV4, ...nb.outgoing.prefixesV6].join(', ') || 'nothing'}; ${recv}`);
          }
        }
      } catch (e) {
        out.push(`  conversion error: ${(e as Error).message}`);
      }
    }
  }
  return out;
}
