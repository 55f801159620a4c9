// FRRConfiguration objects -> internal FRR model (upstream `internal/controller/api_to_config.go`):
// per-object conversion with its validation, self-merge, merge of routers per VRF, BFD profiles, raw
// configs, post-merge EVPN validation. Error texts are upstream's, byte for byte.
import type { FRRBFDProfile, FRRConfiguration, Neighbor as APINeighbor, Router as APIRouter } from '../../api/frrk8s.js';
import type { Secret } from '../../api/meta.js';
import { SECRET_TYPE_BASIC_AUTH } from '../../api/constants.js';
import { formatDuration, parseDuration, SECOND } from '../../util/duration.js';
import { goLess, goQuote, goQuotedSlice, goStringSlice } from '../../util/gofmt.js';
import { formatCIDR, parseCIDR, parseIP } from '../../util/ip.js';
import { selectorError, selectorMatches } from '../../util/selector.js';
import { communityCanonical, communityString, parseCommunity, CommunityError } from './community.js';
import { ConversionError, wrapError } from './errors.js';
import {
  communityListKey,
  localPrefListKey,
  mergeRouterConfigs,
  sortByKey,
  sortedSet,
  sortIncomingFilters,
} from './merge.js';
import {
  neighborHasEVPN,
  neighborHasFamily,
  neighborID,
  type AllowedInModel,
  type AllowedOutModel,
  type BFDProfileModel,
  type CommunityPrefixListModel,
  type EVPNModel,
  type FilterModel,
  type FRRListFamily,
  type FRRModelConfig,
  type LocalPrefPrefixListModel,
  type NeighborFamily,
  type NeighborModel,
  type PrefixFamily,
  type RouterModel,
} from './model.js';

export { ConversionError } from './errors.js';

export interface ConvertOptions {
  /** CIDRs of the daemon's `--always-block` flag */
  alwaysBlock?: string[];
  /** password Secrets, looked up by name (a Map is keyed by name) */
  secrets?: Secret[] | Map<string, Secret>;
  /** default true; false = webhook mode: secret references are blanked and not checked */
  resolvePasswords?: boolean;
  /** when set, only Secrets of this namespace (or without namespace) are used */
  daemonNamespace?: string;
  /**
   * Keep the given object order (upstream processes objects in list order). By default objects are
   * sorted by (namespace, name) first.
   */
  preserveOrder?: boolean;
  /**
   * Skip the post-merge EVPN validation (rule 14). For diagnostics only: lets a tool convert a subset of
   * the objects of a node without reporting EVPN requirements another object may satisfy.
   */
  skipEVPNValidation?: boolean;
}

const ALLOW_ALL = 'all';
const DYNAMIC_INTERNAL = 'internal';
const DYNAMIC_EXTERNAL = 'external';

// ---------------------------------------------------------------------------------------------
// small helpers

type Family = PrefixFamily | 'unknown';

/** ipfamily.ForCIDRString: the family of a CIDR text, or unknown. */
function familyForCIDR(p: unknown): Family {
  const c = typeof p === 'string' ? parseCIDR(p) : null;
  if (!c) return 'unknown';
  return c.family === 4 ? 'ipv4' : 'ipv6';
}

/** ipfamily.ForAddresses with a single address. */
function familyForAddress(addr: string): PrefixFamily {
  const ip = parseIP(addr);
  if (!ip) throw new ConversionError(`IPFamilyForAddresses: Invalid address ${goQuotedSlice([addr])}`);
  return ip.family === 4 ? 'ipv4' : 'ipv6';
}

function filterPrefixes(prefixes: readonly string[], family: PrefixFamily): string[] {
  return prefixes.filter((p) => familyForCIDR(p) === family);
}

const listFamily = (f: PrefixFamily): FRRListFamily => (f === 'ipv6' ? 'ipv6' : 'ip');

const arr = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);
const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const n0 = (v: unknown): number => (v === undefined || v === null ? 0 : Number(v));

function asnFor(n: APINeighbor): string {
  return s(n.dynamicASN) !== '' ? s(n.dynamicASN) : String(n0(n.asn));
}

/** `<asn>@<address or interface>` */
export function apiNeighborName(n: APINeighbor): string {
  return s(n.address) === '' ? `${asnFor(n)}@${s(n.interface)}` : `${asnFor(n)}@${s(n.address)}`;
}

function parseDurationOrThrow(v: unknown): number {
  const text = s(v);
  const ns = parseDuration(text);
  if (ns === null) throw new ConversionError(`time: invalid duration ${goQuote(text)}`);
  return ns;
}

function objectKey(c: FRRConfiguration): [string, string] {
  return [s(c.metadata?.namespace), s(c.metadata?.name)];
}

/** Orders objects by (namespace, name). */
export function sortConfigurations(configs: readonly FRRConfiguration[]): FRRConfiguration[] {
  return [...configs].sort((a, b) => {
    const [na, ma] = objectKey(a);
    const [nb, mb] = objectKey(b);
    return goLess(na, nb) || goLess(ma, mb);
  });
}

// ---------------------------------------------------------------------------------------------
// selection

/**
 * The objects whose nodeSelector matches the node's labels (order kept). An unparsable selector on any
 * object fails the whole node.
 */
export function selectForNode(configs: FRRConfiguration[], nodeLabels: Record<string, string>): FRRConfiguration[] {
  const out: FRRConfiguration[] = [];
  for (const c of configs) {
    const sel = c.spec?.nodeSelector;
    const err = selectorError(sel);
    if (err !== null) {
      const [ns, name] = objectKey(c);
      throw new ConversionError(`could not parse nodeSelector for FRRConfiguration ${ns}/${name}, err: ${err}`);
    }
    if (selectorMatches(sel, nodeLabels)) out.push(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// secrets

type SecretLookup = (name: string) => Secret | undefined;

function secretLookup(opts: ConvertOptions): SecretLookup {
  const src = opts.secrets;
  if (src instanceof Map) return (name) => src.get(name);
  const byName = new Map<string, Secret>();
  for (const sec of arr(src)) {
    const ns = sec.metadata?.namespace;
    if (opts.daemonNamespace !== undefined && ns !== undefined && ns !== '' && ns !== opts.daemonNamespace) continue;
    const name = s(sec.metadata?.name);
    if (!byName.has(name)) byName.set(name, sec);
  }
  return (name) => byName.get(name);
}

function secretPassword(sec: Secret): string | undefined {
  const str = sec.stringData?.password;
  if (typeof str === 'string') return str;
  const b64 = sec.data?.password;
  if (b64 === undefined || b64 === null) return undefined;
  return Buffer.from(String(b64), 'base64').toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// conversion context

interface Ctx {
  alwaysBlock: FilterModel[];
  secrets: SecretLookup;
  resolvePasswords: boolean;
}

function alwaysBlockToModel(cidrs: readonly string[]): FilterModel[] {
  return cidrs.map((text) => {
    const c = parseCIDR(String(text).trim());
    if (!c) throw new ConversionError(`invalid CIDR ${text} in always-block list`);
    const family: PrefixFamily = c.family === 4 ? 'ipv4' : 'ipv6';
    return { ipFamily: family, prefix: formatCIDR(c), le: c.family === 4 ? 32 : 128, ge: 0 };
  });
}

function bfdProfileToModel(b: FRRBFDProfile): BFDProfileModel {
  const opt = (v: unknown): number | null => (v === undefined || v === null ? null : Number(v));
  return {
    name: s(b.name),
    receiveInterval: opt(b.receiveInterval),
    transmitInterval: opt(b.transmitInterval),
    detectMultiplier: opt(b.detectMultiplier),
    echoInterval: opt(b.echoInterval),
    echoMode: b.echoMode === true,
    passiveMode: b.passiveMode === true,
    minimumTTL: opt(b.minimumTtl),
  };
}

function bfdEqual(a: BFDProfileModel, b: BFDProfileModel): boolean {
  return (Object.keys(a) as (keyof BFDProfileModel)[]).every((k) => a[k] === b[k]);
}

// ---------------------------------------------------------------------------------------------
// per-router validation done before the neighbors are converted (errors not wrapped)

function validatePrefixes(prefixes: readonly string[]): void {
  for (const p of prefixes) if (familyForCIDR(p) === 'unknown') throw new ConversionError(`unknown ipfamily for ${p}`);
}

function validatePrefixesForFamily(prefixes: readonly string[], family: NeighborFamily | 'unknown'): void {
  for (const p of prefixes) {
    const f = familyForCIDR(p);
    if (f === 'unknown') throw new ConversionError(`unknown ipfamily for ${p}`);
    if (family !== 'dual' && family !== 'unknown' && f !== family)
      throw new ConversionError(`prefix ${p} is not compatible with the ipfamily ${family}`);
  }
}

function prefixesForVRFs(routers: readonly APIRouter[]): Map<string, string[]> {
  const res = new Map<string, string[]>();
  for (const r of routers) res.set(s(r.vrf), arr(r.prefixes).map(String));
  return res;
}

function validateImportVRFs(r: APIRouter, all: Map<string, string[]>): void {
  for (const i of arr(r.imports)) {
    const vrf = s(i?.vrf);
    if (vrf === 'default') continue;
    if (!all.has(vrf)) throw new ConversionError(`router ${n0(r.asn)}-${s(r.vrf)} imports vrf ${vrf} which is not defined`);
  }
}

function importedPrefixes(r: APIRouter, all: Map<string, string[]>): string[] {
  const res: string[] = [];
  for (const i of arr(r.imports)) {
    const vrf = s(i?.vrf) === 'default' ? '' : s(i?.vrf);
    const imported = all.get(vrf);
    if (!imported) throw new ConversionError(`vrf ${vrf} not found in prefixes in router`);
    res.push(...imported);
  }
  return res;
}

function wrapWith(prefix: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConversionError) throw new ConversionError(prefix + e.message, { transient: e.transient });
    throw e;
  }
}

function validateNeighborsBeforeConversion(prefixesInRouter: readonly string[], r: APIRouter): void {
  const known = new Set(prefixesInRouter);
  const vrf = s(r.vrf);
  for (const n of arr(r.neighbors)) {
    const nn = apiNeighborName(n);
    let family: NeighborFamily | 'unknown' = 'unknown';
    const address = s(n.address);
    if (address !== '') {
      try {
        family = familyForAddress(address);
      } catch (e) {
        wrapError(`failed to find ipfamily for neighbor ${nn}, err: failed to find ipfamily for ${address}, `, e);
      }
    }
    if (s(n.interface) !== '' || n.dualStackAddressFamily === true) family = 'dual';

    if (n0(n.localASN) !== 0 && n0(n.asn) !== 0 && n0(n.asn) === n0(r.asn))
      throw new ConversionError(
        `neighbor ${nn}: localASN is not supported for iBGP sessions (neighbor ASN ${n0(n.asn)} equals router ASN)`,
      );

    const adv = n.toAdvertise ?? {};
    if (adv.allowed?.mode !== ALLOW_ALL) {
      const allowed = arr(adv.allowed?.prefixes).map(String);
      wrapWith(`invalid allowed prefixes ${goStringSlice(allowed)} for neighbor ${nn}, err: `, () =>
        validatePrefixesForFamily(allowed, family),
      );
      for (const p of allowed) {
        if (!known.has(p)) throw new ConversionError(`trying to advertise non configured prefix ${p} to neighbor ${nn}, vrf ${vrf}`);
      }
    }

    const localPrefForPrefix = new Map<string, number>();
    for (const e of arr(adv.withLocalPref)) {
      const prefixes = arr(e.prefixes).map(String);
      const lp = n0(e.localPref);
      wrapWith(`invalid prefixes ${goStringSlice(prefixes)} for localpref ${lp} for neighbor ${nn}, err: `, () =>
        validatePrefixesForFamily(prefixes, family),
      );
      for (const p of prefixes) {
        const existing = localPrefForPrefix.get(p);
        if (existing !== undefined && existing !== lp)
          throw new ConversionError(`prefix ${goStringSlice(prefixes)} is configured with both local preference ${existing} and ${lp}`);
        localPrefForPrefix.set(p, lp);
      }
    }

    for (const e of arr(adv.withCommunity)) {
      const prefixes = arr(e.prefixes).map(String);
      wrapWith(`invalid prefixes ${goStringSlice(prefixes)} for community ${s(e.community)} for neighbor ${nn}, err: `, () =>
        validatePrefixesForFamily(prefixes, family),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// router and neighbor conversion

function evpnToModel(r: APIRouter): EVPNModel | null {
  const e = r.evpn;
  if (e === undefined || e === null) return null;
  const vni = (v: { vni?: number; rd?: string; importRTs?: string[]; exportRTs?: string[] }) => ({
    vni: n0(v.vni),
    rd: s(v.rd),
    importRTs: arr(v.importRTs).map(String),
    exportRTs: arr(v.exportRTs).map(String),
  });
  return {
    advertiseVNIs: e.advertiseVNIs === undefined || e.advertiseVNIs === null || e.advertiseVNIs === '' ? null : String(e.advertiseVNIs),
    advertiseSVI: e.advertiseSVI === true,
    l2VNIs: arr(e.l2vnis).map(vni),
    l3VNI: e.l3vni ? { ...vni(e.l3vni), advertisePrefixes: arr(e.l3vni.advertisePrefixes).map(String) } : null,
  };
}

function routerToModel(
  r: APIRouter,
  ctx: Ctx,
  bfdProfiles: Map<string, BFDProfileModel>,
  prefixesInRouter: readonly string[],
): RouterModel {
  const prefixes = arr(r.prefixes).map(String);
  const vrf = s(r.vrf);
  const res: RouterModel = {
    myASN: n0(r.asn),
    routerID: s(r.id),
    vrf,
    neighbors: [],
    ipv4Prefixes: filterPrefixes(prefixes, 'ipv4'),
    ipv6Prefixes: filterPrefixes(prefixes, 'ipv6'),
    importVRFs: [],
    evpn: null,
  };
  for (const n of arr(r.neighbors)) {
    try {
      res.neighbors.push(neighborToModel(n, prefixesInRouter, vrf, ctx, bfdProfiles));
    } catch (e) {
      wrapError(`failed to process neighbor ${apiNeighborName(n)} for router ${res.myASN}-${vrf}: `, e);
    }
  }
  for (const i of arr(r.imports)) res.importVRFs.push(s(i?.vrf));
  res.evpn = evpnToModel(r);
  return res;
}

function parseTimers(ht: unknown, ka: unknown): [number | null, number | null] {
  const hasHT = ht !== undefined && ht !== null;
  const hasKA = ka !== undefined && ka !== null;
  if (hasHT !== hasKA) throw new ConversionError('one of KeepaliveTime/HoldTime specified, both must be set or none');
  if (!hasHT) return [null, null];
  const hold = parseDurationOrThrow(ht);
  const keepalive = parseDurationOrThrow(ka);
  const rounded = Math.trunc(hold / SECOND) * SECOND;
  if (rounded !== 0 && rounded < 3 * SECOND)
    throw new ConversionError(`invalid hold time ${goQuote(formatDuration(hold))}: must be 0 or >=3s`);
  if (keepalive > hold)
    throw new ConversionError(
      `invalid keepaliveTime ${goQuote(formatDuration(keepalive))}, must be lower than holdTime ${goQuote(formatDuration(hold))}`,
    );
  return [Math.trunc(hold / SECOND), Math.trunc(keepalive / SECOND)];
}

function passwordForNeighbor(n: APINeighbor, ctx: Ctx): string {
  const nn = apiNeighborName(n);
  const secretName = ctx.resolvePasswords ? s(n.passwordSecret?.name) : '';
  const password = s(n.password);
  if (password !== '' && secretName !== '') throw new ConversionError(`neighbor ${nn} specifies both cleartext password and secret ref`);
  if (password !== '') return password;
  if (secretName === '') return '';
  const sec = ctx.secrets(secretName);
  if (!sec) throw new ConversionError(`secret ${secretName} not found for neighbor ${nn}`, { transient: true });
  const ns = s(sec.metadata?.namespace);
  const name = s(sec.metadata?.name);
  const type = s(sec.type) === '' ? 'Opaque' : s(sec.type);
  if (type !== SECRET_TYPE_BASIC_AUTH)
    throw new ConversionError(`secret type mismatch on ${goQuote(ns)}/${goQuote(name)}, type ${goQuote(SECRET_TYPE_BASIC_AUTH)} is expected `);
  const pw = secretPassword(sec);
  if (pw === undefined) throw new ConversionError(`password field not specified in the secret ${goQuote(ns)}/${goQuote(name)}`);
  return pw;
}

function neighborToModel(
  n: APINeighbor,
  prefixesInRouter: readonly string[],
  vrf: string,
  ctx: Ctx,
  bfdProfiles: Map<string, BFDProfileModel>,
): NeighborModel {
  const nn = apiNeighborName(n);
  const address = s(n.address);
  const iface = s(n.interface);
  if (address === '' && iface === '') throw new ConversionError(`neighbor with ASN ${asnFor(n)} has no address and no interface`);
  if (address !== '' && iface !== '') throw new ConversionError(`neighbor ${nn} has both Address and Interface specified`);

  let family: NeighborFamily = 'dual';
  if (address !== '') {
    try {
      family = familyForAddress(address);
    } catch (e) {
      wrapError(`failed to find ipfamily for ${address}, `, e);
    }
  }
  const bfd = s(n.bfdProfile);
  if (bfd !== '' && !bfdProfiles.has(bfd)) throw new ConversionError(`neighbor ${nn} referencing non existing BFDProfile ${bfd}`);

  const asn = n0(n.asn);
  const dyn = s(n.dynamicASN);
  if (asn === 0 && dyn === '') throw new ConversionError(`neighbor ${nn} has no ASN or DynamicASN specified`);
  if (asn !== 0 && dyn !== '') throw new ConversionError(`neighbor ${nn} has both ASN and DynamicASN specified`);
  if (dyn !== '' && dyn !== DYNAMIC_INTERNAL && dyn !== DYNAMIC_EXTERNAL)
    throw new ConversionError(
      `neighbor ${nn} has invalid DynamicASN ${dyn} specified, must be one of ${DYNAMIC_INTERNAL},${DYNAMIC_EXTERNAL}`,
    );
  if (iface !== '' || n.dualStackAddressFamily === true) family = 'dual';

  const res: NeighborModel = {
    ipFamily: family,
    name: nn,
    asn: asnFor(n),
    srcAddr: s(n.sourceaddress),
    addr: address,
    iface,
    port: n.port === undefined || n.port === null ? null : Number(n.port),
    holdTime: null,
    keepaliveTime: null,
    connectTime: null,
    password: '',
    bfdProfile: bfd,
    gracefulRestart: n.enableGracefulRestart === true,
    ebgpMultiHop: n.ebgpMultiHop === true,
    localASN: n0(n.localASN),
    vrfName: vrf,
    incoming: { all: false, prefixesV4: [], prefixesV6: [] },
    outgoing: emptyOutgoing(),
    alwaysBlock: ctx.alwaysBlock.map((f) => ({ ...f })),
    addressFamilies: arr(n.addressFamilies).map(String),
  };

  try {
    [res.holdTime, res.keepaliveTime] = parseTimers(n.holdTime, n.keepaliveTime);
  } catch (e) {
    wrapError(`invalid timers for neighbor ${nn}, err: `, e);
  }
  if (n.connectTime !== undefined && n.connectTime !== null) {
    res.connectTime = Math.trunc(parseDurationOrThrow(n.connectTime) / SECOND);
  }
  res.password = passwordForNeighbor(n, ctx);
  res.outgoing = toAdvertiseToModel(res, n, prefixesInRouter);
  res.incoming = toReceiveToModel(n);
  return res;
}

function emptyOutgoing(): AllowedOutModel {
  return { prefixesV4: [], prefixesV6: [], nextHopV4: '', nextHopV6: '', localPrefPrefixesModifiers: [], communityPrefixesModifiers: [] };
}

function validateNextHops(neigh: NeighborModel, n: APINeighbor): [string, string] {
  const v4 = s(n.toAdvertise?.nextHop?.ipv4);
  const v6 = s(n.toAdvertise?.nextHop?.ipv6);
  if (v4 !== '') {
    const ip = parseIP(v4);
    if (!ip || ip.family !== 4) throw new ConversionError(`invalid ipv4 next hop ${goQuote(v4)} for neighbor ${neigh.name}`);
    if (!neighborHasFamily(neigh, 'ipv4'))
      throw new ConversionError(`ipv4 next hop ${goQuote(v4)} set for neighbor ${neigh.name} without an ipv4 address family`);
  }
  if (v6 !== '') {
    const ip = parseIP(v6);
    if (!ip || ip.family !== 6) throw new ConversionError(`invalid ipv6 next hop ${goQuote(v6)} for neighbor ${neigh.name}`);
    if (!neighborHasFamily(neigh, 'ipv6'))
      throw new ConversionError(`ipv6 next hop ${goQuote(v6)} set for neighbor ${neigh.name} without an ipv6 address family`);
  }
  return [v4, v6];
}

function prefixesToAdvertiseForFamily(n: APINeighbor, prefixesInRouter: readonly string[], family: PrefixFamily): Set<string> {
  const allowed = n.toAdvertise?.allowed;
  if (allowed?.mode === ALLOW_ALL) return new Set(filterPrefixes(prefixesInRouter, family));
  return new Set(filterPrefixes(arr(allowed?.prefixes).map(String), family));
}

function toAdvertiseToModel(neigh: NeighborModel, n: APINeighbor, prefixesInRouter: readonly string[]): AllowedOutModel {
  const [nextHopV4, nextHopV6] = validateNextHops(neigh, n);
  const families: PrefixFamily[] = neigh.ipFamily === 'dual' ? ['ipv4', 'ipv6'] : [neigh.ipFamily];
  const advertised: Record<PrefixFamily, Set<string>> = {
    ipv4: prefixesToAdvertiseForFamily(n, prefixesInRouter, 'ipv4'),
    ipv6: prefixesToAdvertiseForFamily(n, prefixesInRouter, 'ipv6'),
  };
  const out = emptyOutgoing();
  out.nextHopV4 = nextHopV4;
  out.nextHopV6 = nextHopV6;
  if (neighborHasFamily(neigh, 'ipv4')) out.prefixesV4 = sortedSet(advertised.ipv4);
  if (neighborHasFamily(neigh, 'ipv6')) out.prefixesV6 = sortedSet(advertised.ipv6);

  const localPrefs = new Map<string, LocalPrefPrefixListModel>();
  const communities = new Map<string, CommunityPrefixListModel>();
  const id = neighborID(neigh);
  const wrap = `failed to process local pref for neighbor ${neigh.name}, err: `;
  for (const family of families) {
    wrapWith(wrap, () => addLocalPrefLists(localPrefs, id, n, family, advertised[family]));
    // upstream reuses the local pref text for community errors
    wrapWith(wrap, () => addCommunityLists(communities, id, n, family, advertised[family]));
  }
  out.localPrefPrefixesModifiers = sortByKey(localPrefs).filter((l) => l.prefixes.length > 0);
  out.communityPrefixesModifiers = sortByKey(communities).filter((l) => l.prefixes.length > 0);
  return out;
}

function addLocalPrefLists(
  toAdd: Map<string, LocalPrefPrefixListModel>,
  id: string,
  n: APINeighbor,
  family: PrefixFamily,
  advertised: Set<string>,
): void {
  const lf = listFamily(family);
  for (const e of arr(n.toAdvertise?.withLocalPref)) {
    const lp = n0(e.localPref);
    const key = localPrefListKey(lp, lf);
    if (toAdd.has(key)) throw new ConversionError(`local preference ${lp} is already defined`);
    const prefixes = modifierPrefixes(
      e.prefixes,
      family,
      advertised,
      (p) => `localPref ${lp} associated to non existing prefix ${p}`,
      (p) => `prefix ${p} is already defined for local preference ${lp}`,
    );
    toAdd.set(key, { name: `${id}-${lp}-${lf}-localpref-prefixes`, ipFamily: lf, prefixes, localPref: lp });
  }
}

function addCommunityLists(
  toAdd: Map<string, CommunityPrefixListModel>,
  id: string,
  n: APINeighbor,
  family: PrefixFamily,
  advertised: Set<string>,
): void {
  const lf = listFamily(family);
  for (const e of arr(n.toAdvertise?.withCommunity)) {
    const raw = s(e.community);
    let c;
    try {
      c = parseCommunity(raw);
    } catch (err) {
      if (err instanceof CommunityError) throw new ConversionError(`invalid community ${raw}, err: ${err.message}`);
      throw err;
    }
    const canonical = communityCanonical(c);
    const text = communityString(c);
    const key = communityListKey(canonical, lf);
    if (toAdd.has(key)) throw new ConversionError(`community ${raw} is already defined`);
    const prefixes = modifierPrefixes(
      e.prefixes,
      family,
      advertised,
      (p) => `prefix ${p} is advertised for community ${text} but it's not in the advertisement list of the neighbor`,
      (p) => `prefix ${p} is already defined for community ${text}`,
    );
    toAdd.set(key, { name: `${id}-${canonical}-${lf}-community-prefixes`, ipFamily: lf, prefixes, community: canonical });
  }
}

/**
 * The prefixes of one withLocalPref / withCommunity entry that belong to a family, sorted: each must be
 * advertised to the neighbor and listed once (the messages name the entry).
 */
function modifierPrefixes(
  entryPrefixes: string[] | null | undefined,
  family: PrefixFamily,
  advertised: Set<string>,
  notAdvertised: (prefix: string) => string,
  duplicate: (prefix: string) => string,
): string[] {
  const prefixes = new Set<string>();
  for (const p of filterPrefixes(arr(entryPrefixes).map(String), family)) {
    if (!advertised.has(p)) throw new ConversionError(notAdvertised(p));
    if (prefixes.has(p)) throw new ConversionError(duplicate(p));
    prefixes.add(p);
  }
  return sortedSet(prefixes);
}

function validateSelectorLengths(mask: number, le: number, ge: number): void {
  if (ge === 0 && le === 0) return;
  if (le > 0 && ge > le) throw new ConversionError(`invalid selector lengths: ge ${ge} is bigger than le ${le}`);
  if (le > 0 && mask > le) throw new ConversionError(`invalid selector lengths: cidr mask ${mask} is bigger than le ${le}`);
  if (ge > 0 && mask > ge) throw new ConversionError(`invalid selector lengths: cidr mask ${mask} is bigger than ge ${ge}`);
}

function toReceiveToModel(n: APINeighbor): AllowedInModel {
  const allowed = n.toReceive?.allowed;
  if (allowed?.mode === ALLOW_ALL) return { all: true, prefixesV4: [], prefixesV6: [] };
  const v4: FilterModel[] = [];
  const v6: FilterModel[] = [];
  for (const sel of arr(allowed?.prefixes)) {
    const prefix = s(sel?.prefix);
    const c = parseCIDR(prefix);
    if (!c) throw new ConversionError(`failed to parse prefix ${prefix}: invalid CIDR address: ${prefix}`);
    const le = n0(sel.le);
    const ge = n0(sel.ge);
    validateSelectorLengths(c.prefix, le, ge);
    const f: FilterModel = { ipFamily: c.family === 4 ? 'ipv4' : 'ipv6', prefix, le, ge };
    (c.family === 4 ? v4 : v6).push(f);
  }
  return { all: false, prefixesV4: sortIncomingFilters(v4), prefixesV6: sortIncomingFilters(v6) };
}

// ---------------------------------------------------------------------------------------------
// post-merge EVPN validation

function validateEVPN(routers: readonly RouterModel[]): void {
  const seen = new Map<number, { kind: string; vrf: string }>();
  const register = (vni: number, kind: string, vrf: string): void => {
    const prev = seen.get(vni);
    if (prev)
      throw new ConversionError(
        `duplicate VNI ${vni}: configured as ${prev.kind} in vrf ${goQuote(prev.vrf)} and as ${kind} in vrf ${goQuote(vrf)}`,
      );
    seen.set(vni, { kind, vrf });
  };
  for (const r of routers) {
    const e = r.evpn;
    if (!e) continue;
    if ((e.advertiseVNIs === 'All' || e.advertiseSVI || e.l2VNIs.length > 0) && !r.neighbors.some(neighborHasEVPN))
      throw new ConversionError(
        `invalid EVPN configuration for vrf ${goQuote(r.vrf)}: advertiseVNIs=All, advertiseSVI and l2vnis require at least one neighbor with evpn address family`,
      );
    if (e.l3VNI && r.neighbors.length > 0)
      throw new ConversionError(`invalid EVPN configuration for vrf ${goQuote(r.vrf)}: l3vni can only be configured on routers with no neighbors`);
    for (const v of e.l2VNIs) register(v.vni, 'l2vni', r.vrf);
    if (e.l3VNI) register(e.l3VNI.vni, 'l3vni', r.vrf);
  }
}

// ---------------------------------------------------------------------------------------------
// entry point

/**
 * Converts the FRRConfigurations that apply to one node into the internal model (what upstream's
 * apiToFRR does). Throws ConversionError with upstream's text.
 */
export function convertConfigurations(configs: FRRConfiguration[], opts: ConvertOptions = {}): FRRModelConfig {
  const list = opts.preserveOrder ? [...configs] : sortConfigurations(configs);
  const ctx: Ctx = {
    alwaysBlock: alwaysBlockToModel(opts.alwaysBlock ?? []),
    secrets: secretLookup(opts),
    resolvePasswords: opts.resolvePasswords ?? true,
  };

  const raws: { priority: number; name: string; config: string }[] = [];
  const routersForVRF = new Map<string, RouterModel>();
  const bfdAll = new Map<string, BFDProfileModel>();

  for (const cfg of list) {
    const name = s(cfg.metadata?.name);
    const spec = cfg.spec ?? {};
    const raw = s(spec.raw?.rawConfig);
    if (raw !== '') raws.push({ priority: n0(spec.raw?.priority), name, config: raw });

    const local = new Map<string, BFDProfileModel>();
    for (const b of arr(spec.bgp?.bfdProfiles)) {
      const p = bfdProfileToModel(b);
      if (local.has(p.name)) throw new ConversionError(`duplicate bfd profile name ${p.name} in config ${name}`);
      local.set(p.name, p);
      const old = bfdAll.get(p.name);
      if (old && !bfdEqual(old, p))
        throw new ConversionError(`duplicate bfd profile name ${p.name} with different values for config ${name}`);
      if (!old) bfdAll.set(p.name, p);
    }

    const routers = arr(spec.bgp?.routers);
    const routersPrefixes = prefixesForVRFs(routers);
    for (const r of routers) {
      validatePrefixes(arr(r.prefixes).map(String));
      validateImportVRFs(r, routersPrefixes);
      const allPrefixes = [...arr(r.prefixes).map(String), ...importedPrefixes(r, routersPrefixes)];
      validateNeighborsBeforeConversion(allPrefixes, r);

      const routerCfg = routerToModel(r, ctx, local, allPrefixes);
      mergeRouterConfigs(routerCfg, routerCfg); // self-merge: validates duplicates, sorts, normalises

      const cur = routersForVRF.get(routerCfg.vrf);
      if (!cur) routersForVRF.set(routerCfg.vrf, routerCfg);
      else routersForVRF.set(routerCfg.vrf, mergeRouterConfigs(cur, routerCfg));
    }
  }

  const routers = sortByKey(routersForVRF);
  if (!opts.skipEVPNValidation) validateEVPN(routers);

  raws.sort((a, b) => (a.priority === b.priority ? goLess(a.name, b.name) : a.priority - b.priority));
  return {
    logLevel: '',
    hostname: '',
    routers,
    bfdProfiles: sortByKey(bfdAll),
    extraConfig: raws.map((r) => `${r.config}\n`).join(''),
  };
}
