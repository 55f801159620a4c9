import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta.js';
import {
  bgpPeerToV1beta1,
  bgpPeerToV1beta2,
  ConversionError,
  convertBGPPeer,
  reviewBGPPeerConversion,
} from './bgppeer-conversion.js';
import { CRDSchemas } from './schema.js';

const meta = { name: 'peer1', namespace: 'metallb-system', labels: { a: 'b' }, resourceVersion: '7' };

const v1beta1Full: KubeObject = {
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPPeer',
  metadata: meta,
  spec: {
    myASN: 42,
    peerASN: 142,
    peerAddress: '1.2.3.4',
    peerPort: 1179,
    holdTime: '180s',
    keepaliveTime: '1s',
    routerID: '10.20.30.40',
    sourceAddress: '10.20.30.40',
    ebgpMultiHop: true,
    bfdProfile: 'default',
    password: 'nopass',
    nodeSelectors: [{ matchLabels: { foo: 'bar' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['quux'] }] }],
  },
};

describe('BGPPeer v1beta1 -> v1beta2', () => {
  it('copies every field, re-prints durations the Go way and converts selectors', () => {
    const out = bgpPeerToV1beta2(v1beta1Full);
    assert.deepEqual(out, {
      apiVersion: 'metallb.io/v1beta2',
      kind: 'BGPPeer',
      metadata: meta,
      spec: {
        myASN: 42,
        peerASN: 142,
        peerAddress: '1.2.3.4',
        sourceAddress: '10.20.30.40',
        peerPort: 1179,
        holdTime: '3m0s',
        keepaliveTime: '1s',
        routerID: '10.20.30.40',
        nodeSelectors: [{ matchLabels: { foo: 'bar' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['quux'] }] }],
        password: 'nopass',
        bfdProfile: 'default',
        ebgpMultiHop: true,
      },
    });
  });

  it('turns unset timers into 0s (non-nil in v1beta2)', () => {
    const out = bgpPeerToV1beta2({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BGPPeer',
      metadata: { name: 'p' },
      spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1' },
    });
    const spec = out.spec;
    assert.equal(spec.holdTime, '0s');
    assert.equal(spec.keepaliveTime, '0s');
    assert.equal(spec.peerPort, undefined, 'port 0 stays unset (the v1beta2 default applies on read)');
  });

  it('makes a legacy selector without labels or expressions the empty (match-all) selector', () => {
    const out = bgpPeerToV1beta2({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BGPPeer',
      metadata: { name: 'p' },
      spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.1', nodeSelectors: [{}, { matchLabels: {} }, { matchLabels: { x: 'y' } }] },
    });
    assert.deepEqual(out.spec.nodeSelectors, [{}, {}, { matchLabels: { x: 'y' } }]);
  });

  it('fails on a duration Go cannot parse', () => {
    assert.throws(
      () =>
        bgpPeerToV1beta2({
          apiVersion: 'metallb.io/v1beta1',
          kind: 'BGPPeer',
          metadata: { name: 'p' },
          spec: { myASN: 1, peerASN: 2, peerAddress: '10.0.0.1', holdTime: 'soon' },
        }),
      (e: unknown) => e instanceof ConversionError && e.message === 'time: invalid duration "soon"',
    );
  });

  it('does not modify its input', () => {
    const copy = structuredClone(v1beta1Full);
    bgpPeerToV1beta2(v1beta1Full);
    assert.deepEqual(v1beta1Full, copy);
  });
});

describe('BGPPeer v1beta2 -> v1beta1', () => {
  const v1beta2: KubeObject = {
    apiVersion: 'metallb.io/v1beta2',
    kind: 'BGPPeer',
    metadata: meta,
    spec: {
      myASN: 42,
      peerASN: 142,
      peerAddress: '1.2.3.4',
      peerPort: 1179,
      holdTime: '90s',
      routerID: '10.20.30.40',
      sourceAddress: '10.20.30.40',
      ebgpMultiHop: true,
      password: 'nopass',
      passwordSecret: { name: 'nosecret', namespace: 'metallb-system' },
      bfdProfile: 'default',
      connectTime: '5s',
      enableGracefulRestart: true,
      vrf: 'red',
      disableMP: false,
      dualStackAddressFamily: true,
      localASN: 65000,
      nodeSelectors: [{ matchLabels: { foo: 'bar' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] }],
    },
    status: {},
  };

  it('drops v1beta2-only fields and writes the always-present v1beta1 fields', () => {
    const out = bgpPeerToV1beta1(v1beta2);
    assert.deepEqual(out, {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BGPPeer',
      metadata: meta,
      spec: {
        myASN: 42,
        peerASN: 142,
        peerAddress: '1.2.3.4',
        sourceAddress: '10.20.30.40',
        peerPort: 1179,
        holdTime: '1m30s',
        keepaliveTime: '0s',
        routerID: '10.20.30.40',
        nodeSelectors: [{ matchLabels: { foo: 'bar' }, matchExpressions: [{ key: 'k', operator: 'Exists', values: [] }] }],
        password: 'nopass',
        bfdProfile: 'default',
        ebgpMultiHop: true,
      },
      status: {},
    });
  });

  it('writes peerASN 0 and an empty peerAddress for dynamic-ASN / unnumbered peers', () => {
    const out = bgpPeerToV1beta1({
      apiVersion: 'metallb.io/v1beta2',
      kind: 'BGPPeer',
      metadata: { name: 'p' },
      spec: { myASN: 64500, dynamicASN: 'external', interface: 'eth1' },
    });
    assert.deepEqual(out.spec, { myASN: 64500, peerASN: 0, peerAddress: '', holdTime: '0s', keepaliveTime: '0s' });
  });

  it('round-trips the fields both versions share', () => {
    const back = bgpPeerToV1beta1(bgpPeerToV1beta2(v1beta1Full));
    const expected = structuredClone(v1beta1Full);
    (expected.spec as Record<string, unknown>).holdTime = '3m0s';
    assert.deepEqual(back, expected);
  });
});

describe('convertBGPPeer and ConversionReview', () => {
  it('copies an object already at the desired version', () => {
    const out = convertBGPPeer(v1beta1Full, 'metallb.io/v1beta1');
    assert.deepEqual(out, v1beta1Full);
    assert.notEqual(out, v1beta1Full);
  });

  it('rejects unknown versions and kinds', () => {
    assert.throws(() => convertBGPPeer(v1beta1Full, 'metallb.io/v2'), /unsupported BGPPeer version metallb.io\/v2/);
    assert.throws(
      () => convertBGPPeer({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {} }, 'metallb.io/v1beta2'),
      /expected a BGPPeer/,
    );
  });

  it('answers a review with the converted objects and the request uid', () => {
    const res = reviewBGPPeerConversion({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      request: { uid: 'u-1', desiredAPIVersion: 'metallb.io/v1beta2', objects: [v1beta1Full] },
    });
    assert.equal(res.response?.uid, 'u-1');
    assert.equal(res.response?.result.status, 'Success');
    assert.equal(res.response?.convertedObjects[0]?.apiVersion, 'metallb.io/v1beta2');
    assert.equal(res.request, undefined);
  });

  it('fails the whole review when one object cannot be converted', () => {
    const bad = structuredClone(v1beta1Full);
    (bad.spec as Record<string, unknown>).keepaliveTime = '5 seconds';
    const res = reviewBGPPeerConversion({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      request: { uid: 'u-2', desiredAPIVersion: 'metallb.io/v1beta2', objects: [v1beta1Full, bad] },
    });
    assert.deepEqual(res.response, {
      uid: 'u-2',
      convertedObjects: [],
      result: { status: 'Failure', message: 'time: invalid duration "5 seconds"' },
    });
  });

  it('produces objects valid against the target version schema', () => {
    const schemas = CRDSchemas.fromDirectory();
    const up = schemas.validate(bgpPeerToV1beta2(v1beta1Full));
    assert.deepEqual(up.errors, []);
    assert.equal(up.object.spec && (up.object.spec as Record<string, unknown>).peerPort, 1179);
    const down = schemas.validate(
      bgpPeerToV1beta1({
        apiVersion: 'metallb.io/v1beta2',
        kind: 'BGPPeer',
        metadata: { name: 'p' },
        spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1', vrf: 'red', connectTime: '10s' },
      }),
    );
    assert.deepEqual(down.errors, []);
    assert.deepEqual(down.warnings, ['v1beta1 is deprecated, please use v1beta2']);
  });
});
