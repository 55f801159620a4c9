// The hand-written API types (metallb.ts, frrk8s.ts) cannot drift from the CRDs:
// 1. generated.ts must equal what gen.ts derives from crds/ right now (runtime test below);
// 2. at compile time (tsc fails, so `npm test` fails), for every CRD version:
//    - the hand-written spec/status types and the generated ones have exactly the same field names,
//      recursively (maps and loosely typed Record<string, unknown> fields excepted);
//    - CRD values fit the hand-written types (strict: enums, types, optionality);
//    - hand-written values are valid CRD values (types, structure, optionality), with enum fields
//      the hand-written types deliberately widen to `string` compared as strings;
//    - the few fields whose optionality differs are listed by path below, so a new difference fails.
// 3. every CRD version is in the checked list (runtime test), so a new CRD needs a new check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type * as G from './generated.js';
import type * as F from './frrk8s.js';
import type * as M from './metallb.js';
import { GENERATED_FILE, generateFromProject } from './gen.js';
import { loadManifests } from '../util/manifests.js';
import { projectPath } from '../util/paths.js';

// ------------------------------------------------------------------------------ type machinery

type Primitive = string | number | boolean | bigint | symbol | null | undefined;

/** Field paths present on one side only ('' when none); recursive through objects and arrays. */
type KeyDiff<H, C, P extends string = ''> = H extends Primitive
  ? never
  : C extends Primitive
    ? never
    : H extends readonly (infer HI)[]
      ? C extends readonly (infer CI)[]
        ? KeyDiff<NonNullable<HI>, NonNullable<CI>, `${P}[]`>
        : never
      : string extends keyof H
        ? never // a map or a deliberately loose Record: nothing to compare
        : string extends keyof C
          ? never
          :
              | `${P}.${Exclude<keyof H, keyof C> & string} is only in the hand-written type`
              | `${P}.${Exclude<keyof C, keyof H> & string} is only in the CRD`
              | { [K in keyof H & keyof C & string]-?: KeyDiff<NonNullable<H[K]>, NonNullable<C[K]>, `${P}.${K}`> }[keyof H & keyof C & string];

type NoDiff<D> = [D] extends [never] ? true : D;
type Ok<T extends true> = T;
type HandToCrd<H, C> = [H] extends [C] ? true : 'hand-written type is not assignable to the CRD type';
type CrdToHand<H, C> = [C] extends [H] ? true : 'CRD type is not assignable to the hand-written type';

/** String literal unions become string (the hand-written types often write `'a' | 'b' | string`). */
type Widen<T> = T extends string
  ? string
  : T extends Primitive
    ? T
    : T extends readonly (infer I)[]
      ? Widen<I>[]
      : { [K in keyof T]: Widen<T[K]> };

/**
 * Makes the fields at the given paths (".a.b[].c") required (Req) or optional (Opt), to state the
 * known optionality differences explicitly.
 */
type Patch<T, Req extends string, Opt extends string, P extends string = ''> = T extends Primitive
  ? T
  : T extends readonly (infer I)[]
    ? Patch<I, Req, Opt, `${P}[]`>[]
    : string extends keyof T
      ? T
      : Flatten<
          { [K in keyof T as `${P}.${K & string}` extends Req ? K : never]-?: Patch<NonNullable<T[K]>, Req, Opt, `${P}.${K & string}`> } & {
            [K in keyof T as `${P}.${K & string}` extends Opt ? K : never]?: Patch<T[K], Req, Opt, `${P}.${K & string}`>;
          } & {
            [K in keyof T as `${P}.${K & string}` extends Req | Opt ? never : K]: Patch<T[K], Req, Opt, `${P}.${K & string}`>;
          }
        >;
type Flatten<T> = { [K in keyof T]: T[K] };

/**
 * Same field names, and assignable both ways.
 * HandRequired: paths the hand-written type requires although the CRD does not (Go value fields
 * with omitempty: an absent field reads as the zero value; code using these types must not rely on
 * presence when the object comes from the API). HandOptional: paths the CRD requires but the
 * hand-written type leaves optional.
 */
type Same<H, C, HandRequired extends string = never, HandOptional extends string = never> = [
  NoDiff<KeyDiff<H, C>>,
  HandToCrd<H, Widen<Patch<C, never, HandOptional>>>,
  CrdToHand<H, Patch<C, HandRequired, never>>,
];
type AllOk<T extends true[]> = T;

type Spec<T extends { spec?: unknown }> = NonNullable<T['spec']>;
type Status<T extends { status?: unknown }> = NonNullable<T['status']>;

// ------------------------------------------------------------------------------ metallb.io

export type MetalLBChecks = [
  AllOk<Same<M.IPAddressPoolSpec, Spec<G.CrdIPAddressPoolV1beta1>>>,
  AllOk<Same<M.IPAddressPoolStatus, Status<G.CrdIPAddressPoolV1beta1>>>,
  Ok<M.IPAddressPool['kind'] extends G.CrdIPAddressPoolV1beta1['kind'] ? true : false>,
  AllOk<Same<M.L2AdvertisementSpec, Spec<G.CrdL2AdvertisementV1beta1>>>,
  AllOk<Same<M.BGPAdvertisementSpec, Spec<G.CrdBGPAdvertisementV1beta1>>>,
  AllOk<Same<M.BGPPeerSpec, Spec<G.CrdBGPPeerV1beta2>>>,
  AllOk<Same<M.BGPPeerV1beta1Spec, Spec<G.CrdBGPPeerV1beta1>>>,
  AllOk<Same<M.BFDProfileSpec, Spec<G.CrdBFDProfileV1beta1>>>,
  AllOk<Same<NonNullable<M.Community['spec']>, Spec<G.CrdCommunityV1beta1>>>,
  AllOk<Same<NonNullable<M.ServiceL2Status['status']>, Status<G.CrdServiceL2StatusV1beta1>, '.interfaces[].name'>>,
  AllOk<Same<NonNullable<M.ServiceBGPStatus['status']>, Status<G.CrdServiceBGPStatusV1beta1>>>,
  AllOk<Same<NonNullable<M.ConfigurationState['status']>, Status<G.CrdConfigurationStateV1beta1>>>,
  AllOk<Same<NonNullable<M.MetalLB['status']>, Status<G.CrdMetalLBV1beta1>>>,
  // MetalLBSpec keeps affinity/resources/tolerations as Record<string, unknown> on purpose (they are
  // copied into pod specs untouched): CRD values fit them, and the field names match elsewhere.
  Ok<NoDiff<KeyDiff<M.MetalLBSpec, Spec<G.CrdMetalLBV1beta1>>>>,
  Ok<CrdToHand<M.MetalLBSpec, Spec<G.CrdMetalLBV1beta1>>>,
];

// ------------------------------------------------------------------------------ frrk8s.metallb.io

export type FRRK8sChecks = [
  AllOk<
    Same<
      F.FRRConfigurationSpec,
      Spec<G.CrdFRRConfigurationV1beta1>,
      | '.bgp.routers[].neighbors[].toAdvertise.withLocalPref[].localPref'
      | '.bgp.routers[].neighbors[].toAdvertise.withLocalPref[].prefixes'
      | '.bgp.routers[].neighbors[].toAdvertise.withCommunity[].community'
      | '.bgp.routers[].neighbors[].toAdvertise.withCommunity[].prefixes'
      | '.bgp.routers[].neighbors[].toReceive.allowed.prefixes[].prefix',
      '.bgp.routers[].evpn.l3vni.advertisePrefixes'
    >
  >,
  AllOk<Same<NonNullable<F.FRRConfiguration['status']>, Status<G.CrdFRRConfigurationV1beta1>>>,
  AllOk<Same<NonNullable<F.FRRNodeState['status']>, Status<G.CrdFRRNodeStateV1beta1>>>,
  AllOk<Same<NonNullable<F.BGPSessionState['status']>, Status<G.CrdBGPSessionStateV1beta1>>>,
  AllOk<Same<NonNullable<F.FRRK8sConfiguration['spec']>, Spec<G.CrdFRRK8sConfigurationV1beta1>>>,
];

/** kind/version pairs covered by the compile-time checks above. */
const CHECKED = [
  'BFDProfile/v1beta1',
  'BGPAdvertisement/v1beta1',
  'BGPPeer/v1beta1',
  'BGPPeer/v1beta2',
  'BGPSessionState/v1beta1',
  'Community/v1beta1',
  'ConfigurationState/v1beta1',
  'FRRConfiguration/v1beta1',
  'FRRK8sConfiguration/v1beta1',
  'FRRNodeState/v1beta1',
  'IPAddressPool/v1beta1',
  'L2Advertisement/v1beta1',
  'MetalLB/v1beta1',
  'ServiceBGPStatus/v1beta1',
  'ServiceL2Status/v1beta1',
];

// A sanity check of the machinery itself: these must be detected.
export type MachineryChecks = [
  Ok<KeyDiff<{ a?: string; b?: { c?: number } }, { a?: string; b?: { d?: number } }> extends never ? false : true>,
  Ok<NoDiff<KeyDiff<{ a?: { x: string }[] }, { a?: { x: string }[] }>>>,
  Ok<HandToCrd<{ a?: string }, { a: string }> extends true ? false : true>,
  Ok<CrdToHand<{ a: string }, { a?: string }> extends true ? false : true>,
  Ok<HandToCrd<{ m?: 'x' | string }, { m?: 'x' | 'y' }> extends true ? false : true>,
  Ok<HandToCrd<{ m?: 'x' | string }, Widen<{ m?: 'x' | 'y' }>>>,
  Ok<HandToCrd<{ n?: number }, Widen<{ n?: string }>> extends true ? false : true>,
  Ok<CrdToHand<{ a: { b: string }[] }, Patch<{ a?: { b?: string }[] }, '.a' | '.a[].b', never>>>,
  Ok<HandToCrd<{ a?: string }, Patch<{ a: string }, never, '.a'>>>,
  Ok<CrdToHand<{ a: { b: string }[] }, Patch<{ a?: { b?: string }[] }, '.a', never>> extends true ? false : true>,
];

describe('API types vs CRDs', () => {
  it('generated.ts is up to date with crds/ (run: node dist/operator/api/gen.js)', () => {
    const committed = readFileSync(projectPath(...GENERATED_FILE), 'utf8');
    assert.equal(committed, generateFromProject());
  });

  it('every CRD version has a compile-time check against the hand-written types', () => {
    const { objects } = loadManifests([projectPath('crds')]);
    const all = objects
      .map((o) => o.object)
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .flatMap((crd) => {
        const spec = crd.spec as { names: { kind: string }; versions: { name: string }[] };
        return spec.versions.map((v) => `${spec.names.kind}/${v.name}`);
      })
      .sort();
    assert.deepEqual(all, CHECKED);
  });
});
