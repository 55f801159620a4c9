// Rendered frr.conf texts for the FRR tests and bench/frr-apply.ts: a feature-rich node config with
// variants (every context of the templates changes at least once), and scalable configs
// (N neighbors x M prefixes) for timing. Built from FRRConfigurations through the real pipeline.
import type { FRRConfiguration } from '../api/frrk8s.js';
import { renderForNode } from './pipeline.js';
import type { PrefixListSharing, SeqNumbering } from './render.js';

type Spec = NonNullable<FRRConfiguration['spec']>;
type Router = NonNullable<NonNullable<Spec['bgp']>['routers']>[number];
type Neighbor = NonNullable<Router['neighbors']>[number];

export function render(spec: Spec, opts: { alwaysBlock?: string[]; hostname?: string; logLevel?: string; seqNumbering?: SeqNumbering; prefixLists?: PrefixListSharing } = {}): string {
  const cfg = { apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'FRRConfiguration', metadata: { name: 'test', namespace: 'frr-k8s-system' }, spec } as FRRConfiguration;
  return renderForNode([cfg], { name: 'node1', labels: {} }, {
    hostname: opts.hostname ?? 'node1',
    ...(opts.alwaysBlock ? { alwaysBlock: opts.alwaysBlock } : {}),
    ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
    ...(opts.seqNumbering ? { seqNumbering: opts.seqNumbering } : {}),
    ...(opts.prefixLists ? { prefixLists: opts.prefixLists } : {}),
  }).config;
}

interface RichOptions {
  asn?: number;
  prefixes?: string[];
  community?: string;
  localPref?: number;
  /** neighbor 10.9.0.1 */
  first?: Partial<Neighbor>;
  /** replace neighbor 10.9.0.2 by 10.9.0.5 */
  swapSecond?: boolean;
  fastProfile?: Record<string, unknown>;
  slowProfile?: boolean;
  /** frr-k8s log level (`debug` renders the 13 debug lines) */
  logLevel?: string;
  /** default stable */
  seqNumbering?: SeqNumbering;
}

/** One router, three neighbors (v4 with everything, v4 with local-as/port, v6), two BFD profiles, always-block. */
export function richConfig(o: RichOptions = {}): string {
  const prefixes = o.prefixes ?? ['192.168.10.1/32', '192.168.10.2/32', '2001:db8::1/128'];
  const v4 = prefixes.filter((p) => !p.includes(':'));
  const first: Neighbor = {
    address: '10.9.0.1',
    asn: 64501,
    holdTime: '3s',
    keepaliveTime: '1s',
    password: 'sekret',
    bfdProfile: 'fast',
    ebgpMultiHop: true,
    connectTime: '5s',
    enableGracefulRestart: true,
    toAdvertise: {
      allowed: { mode: 'all' },
      withCommunity: [
        { community: o.community ?? '65000:100', prefixes: v4.slice(0, 1) },
        { community: 'large:1:2:3', prefixes: v4.slice(0, 1) },
      ],
      withLocalPref: [{ localPref: o.localPref ?? 200, prefixes: v4.slice(0, 1) }],
    },
    toReceive: { allowed: { prefixes: [{ prefix: '10.0.0.0/8', le: 24 }] } },
    ...o.first,
  };
  const second: Neighbor = o.swapSecond
    ? { address: '10.9.0.5', asn: 64505, ebgpMultiHop: true, holdTime: '9s', keepaliveTime: '3s', toAdvertise: { allowed: { prefixes: v4.slice(-1) } } }
    : { address: '10.9.0.2', asn: 64502, localASN: 64999, port: 1790 };
  const v6: Neighbor = { address: 'fc00::1', asn: 64501, sourceaddress: 'fc00::11', toAdvertise: { allowed: { prefixes: prefixes.filter((p) => p.includes(':')) } } };
  return render(
    {
      bgp: {
        routers: [{ asn: o.asn ?? 64500, id: '10.9.0.11', prefixes, neighbors: [first, second, v6] }],
        bfdProfiles: [
          { name: 'fast', receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3, echoMode: true, echoInterval: 50, passiveMode: true, minimumTtl: 254, ...o.fastProfile },
          ...(o.slowProfile === false ? [] : [{ name: 'slow', receiveInterval: 1000 }]),
        ],
      },
    },
    { alwaysBlock: ['192.168.100.0/24'], ...(o.logLevel ? { logLevel: o.logLevel } : {}), ...(o.seqNumbering ? { seqNumbering: o.seqNumbering } : {}) },
  );
}

/** Changes in every context, in an order that also exercises renumbered prefix-lists, ASN changes and emptying. */
export function changeSequence(): string[] {
  return [
    richConfig(),
    // a prefix inserted in the middle and one removed; the insertion rendered with upstream's 1..n
    // numbering, so that every prefix-list and route-map entry is renumbered (stable -> upstream ->
    // stable): the diff's renumbering path stays exercised against FRR
    richConfig({ prefixes: ['192.168.10.1/32', '192.168.10.15/32', '192.168.10.2/32', '192.168.10.3/32'], seqNumbering: 'upstream' }),
    richConfig({ prefixes: ['192.168.10.15/32', '192.168.10.3/32', '2001:db8::2/128'] }),
    // log level debug: `log stdout` and the 13 debug lines, then back
    richConfig({ prefixes: ['192.168.10.15/32', '192.168.10.3/32', '2001:db8::2/128'], logLevel: 'debug' }),
    // communities and local preference
    richConfig({ community: '65000:200', localPref: 300 }),
    richConfig({ community: '65535:65281', localPref: 300 }),
    // a neighbor replaced by another; session settings of the first changed
    richConfig({ swapSecond: true, first: { asn: 64511, password: 'other', bfdProfile: 'slow', holdTime: '6s', keepaliveTime: '2s', connectTime: '7s', ebgpMultiHop: false } }),
    // BFD off for the neighbor, profile options back to defaults, one profile gone
    richConfig({ first: { bfdProfile: undefined }, fastProfile: { receiveInterval: 300, transmitInterval: 300, echoMode: false, passiveMode: false, echoInterval: undefined }, slowProfile: false }),
    // another AS: the whole instance is replaced
    richConfig({ asn: 64600 }),
    // shared prefix-lists: three neighbors on one list; the first (whose name the list has) diverges,
    // so the others move to a list of their own and the old one is dropped last; then they agree again
    sharedTrio(false),
    sharedTrio(true),
    sharedTrio(false),
    // long allowed lists spread over several lists (chunkAllowedLists): 600 prefixes, then one more,
    // then back to a single list
    scaledConfig(2, prefixSet(600)),
    scaledConfig(2, [...prefixSet(600), '192.168.99.1/32']),
    scaledConfig(2, prefixSet(20)),
    // no FRRConfiguration at all
    render({}),
    richConfig(),
  ];
}

/** Three eBGP neighbors advertising the same prefixes (one shared allowed list); `diverge`: the first advertises one more. */
export function sharedTrio(diverge: boolean): string {
  const prefixes = ['192.168.30.1/32', '192.168.30.2/32', '192.168.30.3/32'];
  const extra = '192.168.30.9/32';
  return render({
    bgp: {
      routers: [
        {
          asn: 64500,
          prefixes: [...prefixes, extra],
          neighbors: ['10.9.2.1', '10.9.2.2', '10.9.2.3'].map((address, i) => ({
            address,
            asn: 64501,
            toAdvertise: { allowed: { prefixes: diverge && i === 0 ? [...prefixes, extra] : prefixes } },
          })),
        },
      ],
    },
  });
}

/**
 * A config with `neighbors` eBGP neighbors (addresses given, or 10.9.1.N) advertising all `prefixes`,
 * with one community modifier per neighbor on the first prefix.
 */
export function scaledConfig(neighbors: number | string[], prefixes: string[], community = '65000:100', seqNumbering?: SeqNumbering, prefixLists?: PrefixListSharing): string {
  const addresses = typeof neighbors === 'number' ? Array.from({ length: neighbors }, (_, i) => `10.9.1.${i + 1}`) : neighbors;
  return render({
    bgp: {
      routers: [
        {
          asn: 64500,
          prefixes,
          neighbors: addresses.map((address) => ({
            address,
            asn: 64501,
            toAdvertise: { allowed: { prefixes }, withCommunity: [{ community, prefixes: prefixes.slice(0, 1) }] },
          })),
        },
      ],
    },
  }, { ...(seqNumbering ? { seqNumbering } : {}), ...(prefixLists ? { prefixLists } : {}) });
}

/** n distinct /32s (192.168.20.1/32, ...). */
export function prefixSet(n: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) => `192.168.${Math.floor((i + offset) / 250) + 20}.${((i + offset) % 250) + 1}/32`);
}
