// Per-service convergence of MetalLB's controller (controller/service.go convergeBalancer, allocateIPs;
// internal/allocator/k8salloc). Pure: mutates only the Allocator, returns the desired status/annotation and the
// events to emit. Spec: shared/spec/metallb-core.md §3.1–3.3, §3.9.
import {
  ANNOTATION_ADDRESS_POOL,
  ANNOTATION_ADDRESS_POOL_DEPRECATED,
  ANNOTATION_ALLOW_SHARED_IP,
  ANNOTATION_ALLOW_SHARED_IP_DEPRECATED,
  ANNOTATION_IP_ALLOCATED_FROM_POOL,
  ANNOTATION_LB_IPS,
  ANNOTATION_LB_IPS_DEPRECATED,
} from '../api/constants.js';
import { goLess, goQuote } from '../util/gofmt.js';
import { parseIP } from '../util/ip.js';
import { Allocator, canonicalIP, familyForAddresses, goQuoteIPs, type IPFamily, type Port, type ServiceInfo } from './allocator.js';

/** The parts of a core/v1 Service the controller reads. */
export interface ServiceLike {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilyPolicy?: string;
    ipFamilies?: string[];
    loadBalancerIP?: string;
    loadBalancerClass?: string;
    externalTrafficPolicy?: string;
    selector?: Record<string, string>;
    ports?: { protocol?: string; port?: number }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface ServiceEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ConvergeResult {
  /** Desired `status.loadBalancer.ingress` IPs (empty = cleared). */
  ingress: string[];
  /** Desired value of `metallb.io/ip-allocated-from-pool` (null = annotation absent). */
  pool: string | null;
  events: ServiceEvent[];
  /** Deprecated annotation keys the service uses (Warning `deprecatedAnnotation` when written). */
  deprecatedAnnotations: string[];
}

const annot = (svc: ServiceLike, stable: string, deprecated: string): string => {
  const a = svc.metadata.annotations ?? {};
  return a[stable] !== undefined && a[stable] !== '' ? a[stable]! : (a[deprecated] ?? '');
};

/** k8salloc.Ports */
export function servicePorts(svc: ServiceLike): Port[] {
  return (svc.spec?.ports ?? []).map((p) => ({ protocol: p.protocol || 'TCP', port: p.port ?? 0 }));
}

/** k8salloc.SharingKey */
export const sharingKey = (svc: ServiceLike): string => annot(svc, ANNOTATION_ALLOW_SHARED_IP, ANNOTATION_ALLOW_SHARED_IP_DEPRECATED);

/** k8salloc.BackendKey: the selector as a label string for Local policy, '' otherwise. */
export function backendKey(svc: ServiceLike): string {
  if (svc.spec?.externalTrafficPolicy !== 'Local') return '';
  const sel = svc.spec.selector ?? {};
  return Object.keys(sel)
    .sort(goLess)
    .map((k) => `${k}=${sel[k]}`)
    .join(',');
}

export const serviceKey = (svc: ServiceLike): string => `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;

export const requestedPool = (svc: ServiceLike): string => annot(svc, ANNOTATION_ADDRESS_POOL, ANNOTATION_ADDRESS_POOL_DEPRECATED);

/** Family of the service's clusterIPs (ipfamily.ForService). */
export function serviceFamily(svc: ServiceLike): IPFamily {
  let ips = svc.spec?.clusterIPs ?? [];
  if (ips.length === 0 && svc.spec?.clusterIP) ips = [svc.spec.clusterIP];
  return familyForAddresses(ips);
}

const isPreferDualStack = (svc: ServiceLike) => svc.spec?.ipFamilyPolicy === 'PreferDualStack';

export function serviceInfo(svc: ServiceLike): ServiceInfo {
  const primary = svc.spec?.ipFamilies?.[0] === 'IPv6' ? 'ipv6' : 'ipv4';
  return {
    namespace: svc.metadata.namespace ?? '',
    labels: svc.metadata.labels ?? {},
    ports: servicePorts(svc),
    sharingKey: sharingKey(svc),
    backendKey: backendKey(svc),
    preferDualStack: isPreferDualStack(svc),
    primaryFamily: primary,
  };
}

/** getDesiredLbIPs: requested IPs (canonical text) and their family; throws upstream's texts. */
export function requestedIPs(svc: ServiceLike): { ips: string[]; family: IPFamily | null } {
  const ann = annot(svc, ANNOTATION_LB_IPS, ANNOTATION_LB_IPS_DEPRECATED);
  const spec = svc.spec?.loadBalancerIP ?? '';
  if (ann === '' && spec === '') return { ips: [], family: null };
  if (ann !== '' && spec !== '') throw new Error('service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP');
  if (ann !== '') {
    const ips: string[] = [];
    for (const part of ann.split(',')) {
      const c = canonicalIP(part);
      if (c === null) throw new Error(`invalid ${ANNOTATION_LB_IPS}: ${goQuote(ann)}`);
      ips.push(c);
    }
    return { ips, family: familyForAddresses(ips) };
  }
  const c = parseIP(spec) ? canonicalIP(spec) : null;
  if (c === null) throw new Error(`invalid spec.loadBalancerIP ${goQuote(spec)}`);
  return { ips: [c], family: familyForAddresses([c]) };
}

/** The deprecated `metallb.universe.tf/*` annotation keys present, sorted. */
export function deprecatedAnnotations(svc: ServiceLike): string[] {
  return Object.keys(svc.metadata.annotations ?? {})
    .filter((k) => k.startsWith('metallb.universe.tf/'))
    .sort(goLess);
}

/** The current ingress IPs (entries without a parseable ip are ignored). */
export function currentIngress(svc: ServiceLike): string[] {
  const out: string[] = [];
  for (const i of svc.status?.loadBalancer?.ingress ?? []) {
    const c = i.ip ? canonicalIP(i.ip) : null;
    if (c) out.push(c);
  }
  return out;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** allocateIPs (step 5 of §3.3). */
function allocateIPs(alloc: Allocator, key: string, svc: ServiceLike, info: ServiceInfo): string[] {
  const family = serviceFamily(svc);
  const req = requestedIPs(svc);
  const pool = requestedPool(svc);
  if (req.ips.length > 0) {
    if (req.family !== family) throw new Error(`requested loadBalancer IP(s) ${goQuoteIPs(req.ips)} does not match the ipFamily of the service`);
    alloc.assign(key, info, req.ips);
    if (pool !== '' && alloc.poolOf(key) !== pool) {
      alloc.unassign(key);
      throw new Error(`requested loadBalancer IP(s) ${goQuoteIPs(req.ips)} is not compatible with requested address pool ${pool}`);
    }
    return req.ips;
  }
  if (pool !== '') return alloc.allocateFromPool(key, info, family, pool);
  return alloc.allocate(key, info, family);
}

/**
 * Converges one service against the allocator (§3.3). Call only once a pool config is loaded
 * (`alloc.hasConfig()`); with zero pools every LB service ends up cleared. Services not handled by this
 * controller (other type) are cleared too; the loadBalancerClass filter is the caller's.
 */
export function convergeService(alloc: Allocator, svc: ServiceLike): ConvergeResult {
  const key = serviceKey(svc);
  const events: ServiceEvent[] = [];
  const deprecated = deprecatedAnnotations(svc);
  const cleared = (): ConvergeResult => {
    alloc.unassign(key);
    return { ingress: [], pool: null, events, deprecatedAnnotations: deprecated };
  };
  /** Leave the service as it is (error paths that stop without clearing). */
  const unchanged = (): ConvergeResult => ({
    ingress: currentIngress(svc),
    pool: svc.metadata.annotations?.[ANNOTATION_IP_ALLOCATED_FROM_POOL] ?? null,
    events,
    deprecatedAnnotations: deprecated,
  });
  const warn = (reason: string, message: string) => events.push({ type: 'Warning', reason, message });
  const info_ = (reason: string, message: string) => events.push({ type: 'Normal', reason, message });

  if (svc.spec?.type !== 'LoadBalancer') return cleared();
  const clusterIPs = svc.spec.clusterIPs ?? (svc.spec.clusterIP ? [svc.spec.clusterIP] : []);
  if (svc.spec.ipFamilyPolicy === 'RequireDualStack' && clusterIPs.length < 2) {
    warn('not enough clusterips', `Service requires dual stack but not enough clusterips [${clusterIPs.join(' ')}]`);
    return cleared();
  }
  const info = serviceInfo(svc);
  let family: IPFamily;
  try {
    family = serviceFamily(svc);
  } catch {
    // §3.1: clusterIPs missing or invalid → state cleared, convergence error
    warn('noclusterIPsIPFamily', 'Failed to retrieve clusterIPs family');
    return cleared();
  }
  let lbIPs = currentIngress(svc);
  if (lbIPs.length > 0) {
    let lbFamily: IPFamily;
    try {
      lbFamily = familyForAddresses(lbIPs);
    } catch {
      warn('nolbIPsIPFamily', 'Failed to retrieve lbIPs family');
      return unchanged();
    }
    if (lbFamily !== family && !(family === 'dual' && isPreferDualStack(svc))) lbIPs = [];
  }
  if (lbIPs.length > 0) {
    try {
      alloc.assign(key, info, lbIPs);
    } catch (e) {
      info_('ClearAssignment', `current IP for ${goQuote(key)} not allowed by config, will attempt for new IP assignment: ${(e as Error).message}`);
      alloc.unassign(key);
      lbIPs = [];
    }
    const desiredPool = requestedPool(svc);
    if (lbIPs.length > 0 && desiredPool !== '' && alloc.poolOf(key) !== desiredPool) {
      alloc.unassign(key);
      lbIPs = [];
    }
    let req: string[];
    try {
      req = requestedIPs(svc).ips;
    } catch (e) {
      warn('LoadBalancerFailed', `invalid requested loadbalancer IPs: ${(e as Error).message}`);
      // upstream already cleared the status when the current IPs were refused above
      return lbIPs.length === 0 ? cleared() : unchanged();
    }
    if (req.length > 0 && !sameSet(lbIPs, req)) {
      alloc.unassign(key);
      lbIPs = [];
    }
  }

  if (lbIPs.length === 1 && isPreferDualStack(svc) && family === 'dual') {
    try {
      const added = alloc.addMissingFamily(key, info);
      if (added) {
        info_('IPAllocated', `Assigned additional IP ${goQuoteIPs([added])}`);
        lbIPs = alloc.ipsOf(key);
      }
    } catch (e) {
      info_('AdditionalAssignFailed', `cannot assign additional IP in PreferDualStack: ${(e as Error).message}`);
    }
  }

  if (lbIPs.length === 0) {
    try {
      lbIPs = allocateIPs(alloc, key, svc, info);
    } catch (e) {
      warn('AllocationFailed', `Failed to allocate IP for ${goQuote(key)}: ${(e as Error).message}`);
      return cleared();
    }
    info_('IPAllocated', `Assigned IP ${goQuoteIPs(lbIPs)}`);
  }
  const pool = alloc.poolOf(key);
  if (pool === '' || !alloc.pools.has(pool)) {
    warn('InternalError', 'allocated an IP that has no pool');
    return cleared();
  }
  return { ingress: lbIPs, pool, events, deprecatedAnnotations: deprecated };
}

/**
 * Start-up order (§3.1): services with the most ingress entries first (ties by key) so existing assignments are
 * re-registered before anything new is allocated.
 */
export function startupOrder<T extends ServiceLike>(svcs: readonly T[]): T[] {
  return [...svcs].sort((a, b) => {
    const d = (b.status?.loadBalancer?.ingress?.length ?? 0) - (a.status?.loadBalancer?.ingress?.length ?? 0);
    return d !== 0 ? d : goLess(serviceKey(a), serviceKey(b));
  });
}
