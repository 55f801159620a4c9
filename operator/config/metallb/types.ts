// Inputs and error records shared by the MetalLB configuration parser, the mode validation and the
// webhook decision (see parse.ts for the parsed model).
import type { BGPBackend } from '../../api/constants.js';
import type { Namespace, Node, Secret } from '../../api/meta.js';
import type {
  BFDProfile,
  BGPAdvertisement,
  BGPPeer,
  Community,
  IPAddressPool,
  L2Advertisement,
} from '../../api/metallb.js';

/** Everything the parser looks at (upstream `config.ClusterResources`). */
export interface ClusterResources {
  pools: IPAddressPool[];
  peers: BGPPeer[];
  bfdProfiles: BFDProfile[];
  l2Advertisements: L2Advertisement[];
  bgpAdvertisements: BGPAdvertisement[];
  communities: Community[];
  /** Secrets; only those in the MetalLB namespace (or without a namespace) are used for peer passwords. */
  secrets: Secret[];
  nodes: Node[];
  namespaces: Namespace[];
  /** Content of the `bgpextras` ConfigMap key `extras` (FRR mode only). */
  bgpExtras?: string;
}

/** The BGP backend whose mode validation runs first; 'none' skips it (as the Go unit tests do). */
export type ParseBackend = BGPBackend | 'none';

export interface ObjectRef {
  kind: string;
  name: string;
}

export interface ConfigError {
  /** Kind of the object the problem belongs to (IPAddressPool, BGPPeer, ...). */
  kind: string;
  /** Name of that object ('' when the object has no name). */
  name: string;
  /** MetalLB's error text (for errors[0]: exactly what upstream `config.For` returns). */
  message: string;
  /** Caused by a missing referenced object (BFD profile, secret, community alias): upstream TransientError. */
  transient?: boolean;
  /** For cross-object problems: the other object involved (e.g. the pool whose CIDR is overlapped). */
  related?: ObjectRef;
}

export const emptyResources = (): ClusterResources => ({
  pools: [],
  peers: [],
  bfdProfiles: [],
  l2Advertisements: [],
  bgpAdvertisements: [],
  communities: [],
  secrets: [],
  nodes: [],
  namespaces: [],
});

/**
 * Collects errors in order. Later stages can be told that a problem was already reported by an earlier
 * stage (the mode validation re-parses pool addresses and node selectors) so that one problem yields one line.
 */
export class ErrorCollector {
  readonly errors: ConfigError[] = [];
  private readonly reported = new Set<string>();

  add(err: ConfigError, tag?: string): void {
    if (tag !== undefined && this.reported.has(`${err.kind}\u0000${err.name}\u0000${tag}`)) return;
    if (this.errors.some((e) => e.kind === err.kind && e.name === err.name && e.message === err.message)) return;
    this.errors.push(err);
    if (tag !== undefined) this.markReported(err.kind, err.name, tag);
  }

  markReported(kind: string, name: string, tag: string): void {
    this.reported.add(`${kind}\u0000${name}\u0000${tag}`);
  }

  wasReported(kind: string, name: string, tag: string): boolean {
    return this.reported.has(`${kind}\u0000${name}\u0000${tag}`);
  }
}
