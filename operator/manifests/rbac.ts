// RBAC arithmetic: Kubernetes refuses to let the operator create a Role or ClusterRole granting a
// permission the operator does not hold itself (escalation prevention). `uncovered` lists what the
// operator's own rules miss among the rules it renders for the operands. Pure.

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const has = (list: string[] | undefined, v: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(v);

/** Whether one (group, resource, verb) is allowed by a set of rules (resourceNames-restricted rules do not count). */
export function allows(rules: PolicyRule[], group: string, resource: string, verb: string): boolean {
  return rules.some((r) => !r.resourceNames?.length && has(r.apiGroups, group) && has(r.resources, resource) && has(r.verbs, verb));
}

/** Every `group/resource verb` the needed rules ask for and the granted rules do not allow. */
export function uncovered(granted: PolicyRule[], needed: PolicyRule[]): string[] {
  const out = new Set<string>();
  for (const r of needed)
    for (const g of r.apiGroups ?? [''])
      for (const res of r.resources ?? [])
        for (const v of r.verbs) if (!allows(granted, g, res, v)) out.add(`${g || 'core'}/${res} ${v}`);
  return [...out].sort();
}
