// The MetalLB CR's status: upstream's four conditions (Available, Progressing, Degraded, Upgradeable)
// with SetStatusCondition semantics: lastTransitionTime moves only when a condition's status flips,
// observedGeneration is set, and an unchanged list means no write. Reasons are CamelCase so the CRD's
// reason pattern accepts them (upstream writes "internal error", which the pattern rejects). Pure.
import type { Condition } from '../api/meta.js';

export type Outcome =
  | { kind: 'Available' }
  | { kind: 'Progressing'; reason: string; message: string }
  | { kind: 'Degraded'; reason: string; message: string };

export const REASON = {
  IncorrectName: 'IncorrectMetalLBResourceName',
  InvalidSpec: 'InvalidMetalLBSpec',
  SyncFailed: 'FailedToSyncMetalLBResources',
  NotReady: 'OperandsNotReady',
} as const;

const TYPES = ['Available', 'Progressing', 'Degraded', 'Upgradeable'] as const;
type CondType = (typeof TYPES)[number];

/** The four conditions an outcome stands for (without timestamps). */
export function conditionsFor(o: Outcome): Array<Pick<Condition, 'type' | 'status' | 'reason' | 'message'>> {
  const on = (t: CondType): boolean => (t === 'Upgradeable' ? o.kind === 'Available' : t === o.kind);
  return TYPES.map((type) => {
    const status = on(type) ? 'True' : 'False';
    const detail = o.kind !== 'Available' && type === o.kind ? { reason: o.reason, message: o.message } : { reason: type, message: '' };
    return { type, status, ...detail };
  });
}

/**
 * Merges the outcome into the existing conditions. Returns the new list and whether anything a user
 * could see changed (status, reason, message or observedGeneration); when not, the caller skips the write.
 */
export function mergeConditions(existing: Condition[] | undefined, o: Outcome, generation: number | undefined, now: Date): { conditions: Condition[]; changed: boolean } {
  const old = new Map((existing ?? []).map((c) => [c.type, c]));
  let changed = (existing ?? []).length !== TYPES.length || (existing ?? []).some((c, i) => c.type !== TYPES[i]);
  const conditions = conditionsFor(o).map((c): Condition => {
    const prev = old.get(c.type);
    const same = prev && prev.status === c.status;
    if (!prev || prev.status !== c.status || prev.reason !== c.reason || prev.message !== c.message || prev.observedGeneration !== generation) changed = true;
    return {
      ...c,
      lastTransitionTime: same ? prev.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z'),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
  return { conditions, changed };
}

interface Workload {
  kind?: string;
  metadata: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: Record<string, number | undefined>;
}

/** Why a Deployment or DaemonSet is not ready yet (upstream's readiness rules), or undefined when it is. */
export function notReady(w: Workload | undefined, kind: 'Deployment' | 'DaemonSet', name: string): string | undefined {
  if (!w) return `${kind} ${name} does not exist yet`;
  const st = w.status ?? {};
  if (w.metadata.generation !== undefined && st.observedGeneration !== w.metadata.generation) return `${kind} ${name}: generation ${w.metadata.generation} not observed yet`;
  if (kind === 'DaemonSet') {
    const desired = st.desiredNumberScheduled ?? 0;
    const parts: Array<[string, number | undefined]> = [
      ['current', st.currentNumberScheduled],
      ['ready', st.numberReady],
      ['updated', st.updatedNumberScheduled],
    ];
    const bad = parts.filter(([, v]) => (v ?? 0) !== desired);
    return bad.length === 0 ? undefined : `${kind} ${name}: ${bad.map(([k, v]) => `${v ?? 0} ${k}`).join(', ')} of ${desired} desired`;
  }
  const want = w.spec?.replicas ?? 1;
  const ready = st.readyReplicas ?? 0;
  const updated = st.updatedReplicas ?? 0;
  return ready === want && updated === want ? undefined : `${kind} ${name}: ${ready} ready, ${updated} updated of ${want} replicas`;
}
