// Speaker membership for L2 leader election (replaces upstream's memberlist): each speaker holds a
// coordination.k8s.io/v1 Lease `metallb-speaker-<node>` in the MetalLB namespace, renewed every `renewMs`
// (default 300 ms) with `leaseDurationSeconds` (default 1). A speaker is live while renewTime +
// leaseDurationSeconds is in the future. The Lease is deleted on graceful stop (the others re-elect at once)
// and left behind when the speaker dies (the others re-elect when it expires).
//
// Liveness compares another speaker's renewTime with the local clock, so node clocks must agree to well
// under the lease duration (NTP), as for Kubernetes' own node heartbeats.
import { LABEL_METALLB_NODE } from '../api/constants.js';
import { microTime, realClock, type Clock, type Timer } from '../runtime/clock.js';
import { collectionPath, isNotFound, objectPath, type KubeClient } from '../runtime/client.js';
import type { Lease } from '../runtime/leader.js';
import type { Logger } from '../util/log.js';

export const SPEAKER_LEASE_PREFIX = 'metallb-speaker-';
/** Label carried by every speaker membership Lease (the speakers watch Leases with it). */
export const LABEL_SPEAKER_MEMBERSHIP = 'metallb.io/speaker-membership';
export const speakerLeaseName = (node: string): string => `${SPEAKER_LEASE_PREFIX}${node}`;
export const LEASES = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true } as const;

export interface MembershipOptions {
  node: string;
  namespace: string;
  /** renewal period (ms, default 300) */
  renewMs?: number;
  /** leaseDurationSeconds written in the Lease (default 1) */
  leaseDurationSeconds?: number;
  clock?: Clock;
  log: Logger;
}

/** The node of a speaker Lease, or undefined for any other Lease. */
export function leaseNode(l: { metadata: { name?: string; labels?: Record<string, string> } }): string | undefined {
  const name = l.metadata.name ?? '';
  if (!name.startsWith(SPEAKER_LEASE_PREFIX)) return undefined;
  return l.metadata.labels?.[LABEL_METALLB_NODE] ?? name.slice(SPEAKER_LEASE_PREFIX.length);
}

/** When a speaker Lease stops being live (ms since the epoch); undefined when it was never renewed. */
export function leaseExpiry(l: Pick<Lease, 'spec'>): number | undefined {
  const renew = l.spec?.renewTime ? Date.parse(l.spec.renewTime) : NaN;
  if (Number.isNaN(renew)) return undefined;
  return renew + (l.spec.leaseDurationSeconds ?? 0) * 1000;
}

export const leaseLive = (l: Pick<Lease, 'spec'>, now: number): boolean => (leaseExpiry(l) ?? 0) > now;

/** Nodes with a live speaker Lease (sorted) and the earliest time one of them expires. */
export function liveSpeakers(leases: readonly Lease[], now: number): { nodes: string[]; nextExpiry: number | undefined } {
  const nodes = new Set<string>();
  let next: number | undefined;
  for (const l of leases) {
    const node = leaseNode(l);
    const exp = leaseExpiry(l);
    if (node === undefined || exp === undefined || exp <= now) continue;
    nodes.add(node);
    if (next === undefined || exp < next) next = exp;
  }
  return { nodes: [...nodes].sort(), nextExpiry: next };
}

/** Holds this speaker's Lease. */
export class SpeakerMembership {
  private timer: Timer | undefined;
  private running = false;
  private inflight: Promise<void> = Promise.resolve();
  private readonly clock: Clock;
  readonly name: string;
  /** successful renewals (tests, diagnostics) */
  renewals = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: MembershipOptions,
  ) {
    this.clock = opts.clock ?? realClock;
    this.name = speakerLeaseName(opts.node);
  }

  get leaseDurationSeconds(): number {
    return this.opts.leaseDurationSeconds ?? 1;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  private tick(): void {
    if (!this.running) return;
    this.inflight = this.renew()
      .catch((e) => this.opts.log.warn('cannot renew the speaker lease', { lease: this.name, error: (e as Error).message }))
      .finally(() => {
        if (this.running) this.timer = this.clock.setTimeout(() => this.tick(), this.opts.renewMs ?? 300);
      });
  }

  private async renew(): Promise<void> {
    const now = this.clock.now();
    const spec = { holderIdentity: this.opts.node, leaseDurationSeconds: this.leaseDurationSeconds, renewTime: microTime(now) };
    const path = objectPath(LEASES.apiVersion, LEASES.plural, this.opts.namespace, this.name);
    try {
      await this.client.mergePatch(path, { spec });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (!this.running) return;
      await this.client.create(collectionPath(LEASES.apiVersion, LEASES.plural, this.opts.namespace), {
        apiVersion: LEASES.apiVersion,
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.opts.namespace, labels: { [LABEL_SPEAKER_MEMBERSHIP]: 'true', [LABEL_METALLB_NODE]: this.opts.node } },
        spec: { ...spec, acquireTime: microTime(now) },
      });
    }
    this.renewals++;
  }

  /** Stops renewing; with `release`, deletes the Lease (graceful stop). */
  async stop(release: boolean): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    await this.inflight;
    if (!release) return;
    await this.client
      .delete(objectPath(LEASES.apiVersion, LEASES.plural, this.opts.namespace, this.name))
      .catch((e) => (isNotFound(e) ? undefined : this.opts.log.warn('cannot release the speaker lease', { lease: this.name, error: (e as Error).message })));
  }

  /** Stops renewing at once without waiting or releasing (a killed speaker: its Lease just expires). */
  crash(): void {
    this.running = false;
    this.timer?.cancel();
  }
}
