// Every manifest in examples/ is valid against its CRD, and the set hangs together.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta.js';
import type { BGPAdvertisement, BGPPeer, Community, IPAddressPool, L2Advertisement } from '../api/metallb.js';
import type { FRRConfiguration } from '../api/frrk8s.js';
import { loadManifests, objectRef, type LoadedObject } from '../util/manifests.js';
import { parseCIDR, parseIP } from '../util/ip.js';
import { projectPath } from '../util/paths.js';
import { CRDSchemas } from './schema.js';

/** Built-in Kubernetes kinds used by the examples: they have no CRD, so no schema check here. */
const BUILTIN_KINDS = new Set(['Service', 'Secret', 'Deployment']);

const loaded = loadManifests([projectPath('examples')]);
const objects: LoadedObject[] = loaded.objects;
const all = objects.map((o) => o.object);
const ofKind = <T extends KubeObject>(kind: string): T[] => all.filter((o) => o.kind === kind) as T[];

function secretPassword(ns: string, name: string): string | undefined {
  const s = all.find((o) => o.kind === 'Secret' && o.metadata.namespace === ns && o.metadata.name === name);
  if (!s) return undefined;
  assert.equal(s.type, 'kubernetes.io/basic-auth', `${objectRef(s)} type`);
  const str = (s.stringData as Record<string, string> | undefined)?.password;
  const data = (s.data as Record<string, string> | undefined)?.password;
  return str ?? (data !== undefined ? Buffer.from(data, 'base64').toString('utf8') : undefined);
}

/** [first, last] address of every entry of a pool (CIDR or start-end range). */
function poolRanges(pool: IPAddressPool): { family: number; first: bigint; last: bigint; text: string }[] {
  return pool.spec.addresses.map((text) => {
    if (text.includes('/')) {
      const c = parseCIDR(text);
      assert.ok(c, `${text} is a CIDR`);
      const bits = c.family === 4 ? 32 : 128;
      return { family: c.family, first: c.network, last: c.network + (1n << BigInt(bits - c.prefix)) - 1n, text };
    }
    const [a, b] = text.split('-').map((s) => parseIP(s.trim()));
    assert.ok(a && b && a.family === b.family && a.value <= b.value, `${text} is a range`);
    return { family: a.family, first: a.value, last: b.value, text };
  });
}

describe('examples/', () => {
  const schemas = CRDSchemas.fromDirectory();

  it('loads without errors and covers every directory', () => {
    assert.deepEqual(loaded.errors, []);
    for (const dir of ['l2', 'bgp', 'frr-k8s']) {
      assert.ok(objects.some((o) => o.file.includes(`/examples/${dir}/`)), `examples/${dir} has manifests`);
    }
    for (const kind of ['IPAddressPool', 'L2Advertisement', 'BGPPeer', 'BGPAdvertisement', 'BFDProfile', 'Community', 'FRRConfiguration', 'Service', 'Secret']) {
      assert.ok(all.some((o) => o.kind === kind), `an example ${kind}`);
    }
  });

  it('every custom resource validates against its CRD with no errors and no dropped fields', () => {
    let checked = 0;
    for (const { file, object } of objects) {
      if (BUILTIN_KINDS.has(object.kind)) continue;
      const info = schemas.lookup(object.apiVersion, object.kind);
      assert.ok(info, `${file}: ${object.apiVersion} ${object.kind} is served by a CRD`);
      assert.equal(info.storage, true, `${file}: ${objectRef(object)} uses the storage version`);
      const r = schemas.validate(object);
      assert.deepEqual(r.errors, [], `${file}: ${objectRef(object)}`);
      assert.deepEqual(r.warnings, [], `${file}: ${objectRef(object)}`);
      checked++;
    }
    assert.ok(checked >= 10, `checked ${checked} custom resources`);
  });

  it('MetalLB objects live in metallb-system, FRRConfigurations in frr-k8s-system', () => {
    for (const o of all) {
      if (o.apiVersion.startsWith('metallb.io/')) assert.equal(o.metadata.namespace, 'metallb-system', objectRef(o));
      if (o.apiVersion.startsWith('frrk8s.metallb.io/')) assert.equal(o.metadata.namespace, 'frr-k8s-system', objectRef(o));
    }
  });

  it('pools do not overlap and the walk-through pools are there', () => {
    const pools = ofKind<IPAddressPool>('IPAddressPool');
    assert.deepEqual(
      pools.map((p) => [p.metadata.name, p.spec.addresses]).sort(),
      [
        ['bgp-pool', ['10.0.100.0/24']],
        ['first-pool', ['192.168.1.240-192.168.1.250']],
        ['lab-l2-pool', ['10.0.0.240-10.0.0.250']],
      ],
    );
    const ranges = pools.flatMap((p) => poolRanges(p).map((r) => ({ ...r, pool: p.metadata.name })));
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length; j++) {
        const a = ranges[i]!;
        const b = ranges[j]!;
        assert.ok(a.family !== b.family || a.last < b.first || b.last < a.first, `${a.text} (${a.pool}) overlaps ${b.text} (${b.pool})`);
      }
    }
  });

  it('references resolve: pools, BFD profile, password Secret, community aliases', () => {
    const poolNames = new Set(ofKind<IPAddressPool>('IPAddressPool').map((p) => p.metadata.name));
    for (const ad of [...ofKind<L2Advertisement>('L2Advertisement'), ...ofKind<BGPAdvertisement>('BGPAdvertisement')]) {
      for (const p of ad.spec?.ipAddressPools ?? []) assert.ok(poolNames.has(p), `${objectRef(ad)} pool ${p}`);
    }
    const bfd = new Set(ofKind('BFDProfile').map((b) => b.metadata.name));
    const aliases = new Set(ofKind<Community>('Community').flatMap((c) => (c.spec?.communities ?? []).map((a) => a.name)));
    for (const ad of ofKind<BGPAdvertisement>('BGPAdvertisement')) {
      for (const c of ad.spec?.communities ?? []) assert.ok(aliases.has(c) || c.includes(':'), `${objectRef(ad)} community ${c}`);
    }
    const peers = ofKind<BGPPeer>('BGPPeer');
    assert.equal(peers.length, 1);
    const peer = peers[0]!;
    assert.deepEqual([peer.spec.myASN, peer.spec.peerASN, peer.spec.peerAddress], [64500, 64501, '10.0.0.1']);
    assert.ok(!peer.spec.bfdProfile || bfd.has(peer.spec.bfdProfile), 'BFD profile exists');
    assert.equal(peer.spec.password, undefined, 'password and passwordSecret are exclusive');
    assert.ok(peer.spec.passwordSecret?.name);
    assert.ok(secretPassword('metallb-system', peer.spec.passwordSecret.name), 'the peer password Secret has a password');
    for (const svc of ofKind('Service')) {
      const spec = svc.spec as { type?: string; selector?: Record<string, string> };
      assert.equal(spec.type, 'LoadBalancer');
      const pool = svc.metadata.annotations?.['metallb.io/address-pool'];
      assert.ok(pool && poolNames.has(pool), `${objectRef(svc)} requests an existing pool`);
      const deployments = ofKind('Deployment').filter((d) => {
        const labels = (d.spec as any).template.metadata.labels as Record<string, string>;
        return Object.entries(spec.selector ?? {}).every(([k, v]) => labels[k] === v);
      });
      assert.equal(deployments.length, 1, `${objectRef(svc)} selects the nginx pods`);
    }
  });

  it('FRRConfigurations agree with the BGPPeer on AS numbers and password for the same router', () => {
    const peer = ofKind<BGPPeer>('BGPPeer')[0]!;
    const metallbPassword = secretPassword('metallb-system', peer.spec.passwordSecret!.name!);
    const configs = ofKind<FRRConfiguration>('FRRConfiguration');
    assert.equal(configs.length, 2);
    assert.ok(configs.some((c) => c.spec?.nodeSelector?.matchLabels), 'one configuration has a nodeSelector');
    for (const c of configs) {
      for (const router of c.spec?.bgp?.routers ?? []) {
        assert.equal(router.asn, peer.spec.myASN, `${objectRef(c)} router AS`);
        assert.equal(router.id, undefined, `${objectRef(c)} leaves the router ID to MetalLB's (none)`);
        for (const n of router.neighbors ?? []) {
          assert.equal(n.address, peer.spec.peerAddress);
          assert.equal(n.asn, peer.spec.peerASN);
          assert.equal(n.port ?? 179, peer.spec.peerPort ?? 179);
          assert.ok(n.toReceive?.allowed, `${objectRef(c)} receives routes`);
          assert.equal(n.password, undefined);
          assert.equal(secretPassword('frr-k8s-system', n.passwordSecret!.name!), metallbPassword, `${objectRef(c)} password`);
          assert.ok(!n.ebgpMultiHop && !n.dualStackAddressFamily && !n.bfdProfile, `${objectRef(c)} does not conflict with MetalLB's neighbor`);
        }
      }
    }
  });
});
