import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FRRConfiguration, FRRConfigurationSpec } from '../../api/frrk8s.js';
import type { Node } from '../../api/meta.js';
import {
  admitFRRConfiguration,
  validateConfigurationSet,
  VIRTUAL_NODE,
  WARNING_DISABLE_MP,
  WARNING_GRACEFUL_RESTART,
} from './webhook.js';

function cfg(name: string, spec: FRRConfigurationSpec, namespace = 'frr-k8s-system'): FRRConfiguration {
  return { apiVersion: 'frrk8s.metallb.io/v1beta1', kind: 'FRRConfiguration', metadata: { name, namespace }, spec };
}

function node(name: string, labels: Record<string, string> = {}): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } };
}

const NODES = [node('n1', { zone: 'a' }), node('n2', { zone: 'b' })];
const simple = (asn: number, extra: Record<string, unknown> = {}): FRRConfigurationSpec => ({
  bgp: { routers: [{ asn, neighbors: [{ asn: 65100, address: '192.0.2.1', ...extra }] }] },
});

test('delete is always allowed', () => {
  const bad = cfg('x', { nodeSelector: { matchLabels: { app: '@' } } });
  assert.deepEqual(admitFRRConfiguration({ operation: 'DELETE', oldObject: bad }, [], NODES), { allowed: true, warnings: [] });
});

test('invalid nodeSelector is denied', () => {
  const bad = cfg('x', { nodeSelector: { matchLabels: { app: '@' } } });
  const d = admitFRRConfiguration({ operation: 'CREATE', object: bad }, [], NODES);
  assert.equal(d.allowed, false);
  assert.match(d.message!, /Invalid value: "@"/);
  assert.match(d.message!, /\nresource contains an invalid NodeSelector$/);
});

test('disableMP gives a warning, not a denial', () => {
  const d = admitFRRConfiguration({ operation: 'CREATE', object: cfg('x', simple(65000, { disableMP: true })) }, [], NODES);
  assert.equal(d.allowed, true);
  assert.deepEqual(d.warnings, [WARNING_DISABLE_MP]);
});

test('graceful restart change on update gives a warning', () => {
  const old = cfg('x', simple(65000));
  const upd = cfg('x', simple(65000, { enableGracefulRestart: true }));
  const d = admitFRRConfiguration({ operation: 'UPDATE', object: upd, oldObject: old }, [old], NODES);
  assert.equal(d.allowed, true);
  assert.deepEqual(d.warnings, [WARNING_GRACEFUL_RESTART]);
  // the old version is replaced, not merged: changing the ASN is not a conflict with itself
  const asnChange = cfg('x', simple(65001));
  assert.equal(admitFRRConfiguration({ operation: 'UPDATE', object: asnChange, oldObject: old }, [old], NODES).allowed, true);
  // no change, no warning
  assert.deepEqual(admitFRRConfiguration({ operation: 'UPDATE', object: old, oldObject: old }, [old], NODES).warnings, []);
});

test('conflict with an object of another namespace is denied, naming the node', () => {
  const existing = cfg('a', simple(65000), 'other-ns');
  const x = cfg('b', simple(65001));
  const d = admitFRRConfiguration({ operation: 'CREATE', object: x }, [existing], NODES);
  assert.equal(d.allowed, false);
  // the new object is appended last
  assert.equal(d.message, 'different asns (65000 != 65001) specified for same vrf: \nresource is invalid for node n1');
});

test('conversion errors of the object alone are denied', () => {
  const x = cfg('x', { bgp: { routers: [{ asn: 65000, neighbors: [{ address: '192.0.2.1' }] }] } });
  const d = admitFRRConfiguration({ operation: 'CREATE', object: x }, [], NODES);
  assert.equal(d.allowed, false);
  assert.match(d.message!, /has no ASN or DynamicASN specified\nresource is invalid for node n1$/);
});

test('missing password secret is accepted', () => {
  const x = cfg('x', simple(65000, { passwordSecret: { name: 'nonexisting', namespace: 'frr-k8s-system' } }));
  assert.equal(admitFRRConfiguration({ operation: 'CREATE', object: x }, [], NODES).allowed, true);
});

test('objects on disjoint nodes do not conflict; no matching node means admitted', () => {
  const existing = cfg('a', { ...simple(65000), nodeSelector: { matchLabels: { zone: 'a' } } });
  const x = cfg('b', { ...simple(65001), nodeSelector: { matchLabels: { zone: 'b' } } });
  assert.equal(admitFRRConfiguration({ operation: 'CREATE', object: x }, [existing], NODES).allowed, true);
  const nowhere = cfg('c', { bgp: { routers: [{ asn: 1, prefixes: ['bad'] }] }, nodeSelector: { matchLabels: { zone: 'z' } } });
  assert.equal(admitFRRConfiguration({ operation: 'CREATE', object: nowhere }, [existing], NODES).allowed, true);
  assert.equal(admitFRRConfiguration({ operation: 'CREATE', object: nowhere }, [], []).allowed, true);
  // same conflict on a shared node
  const x2 = cfg('b', { ...simple(65001), nodeSelector: { matchLabels: { zone: 'a' } } });
  const d = admitFRRConfiguration({ operation: 'CREATE', object: x2 }, [existing], NODES);
  assert.equal(d.allowed, false);
  assert.match(d.message!, /resource is invalid for node n1$/);
});

test('validateConfigurationSet attributes errors to objects', () => {
  const a = cfg('a', simple(65000));
  const b = cfg('b', simple(65001));
  const c = cfg('c', { bgp: { routers: [{ asn: 65000, prefixes: ['nope'] }] } });
  const d = cfg('d', simple(65000, { port: 1000 }));
  const res = validateConfigurationSet([d, c, b, a], NODES.slice(0, 1));
  assert.deepEqual(res, [
    { node: 'n1', error: 'unknown ipfamily for nope', objects: ['frr-k8s-system/c'] },
    { node: 'n1', error: 'different asns (65000 != 65001) specified for same vrf: ', objects: ['frr-k8s-system/a', 'frr-k8s-system/b'] },
    { node: 'n1', error: 'multiple ports specified for 192.0.2.1', objects: ['frr-k8s-system/a', 'frr-k8s-system/d'] },
  ]);
  // no nodes: nothing to check unless a common node is assumed
  assert.deepEqual(validateConfigurationSet([a, b], []), []);
  const common = validateConfigurationSet([a, b], [], { assumeCommonNode: true });
  assert.equal(common.length, 1);
  assert.equal(common[0]!.node, VIRTUAL_NODE);
});

test('validateConfigurationSet: EVPN requirements are checked on the merged set', () => {
  const neigh = cfg('a', { bgp: { routers: [{ asn: 65001, neighbors: [{ asn: 65002, address: '192.0.2.2', addressFamilies: ['evpn'] }] }] } });
  const vnis = cfg('b', { bgp: { routers: [{ asn: 65001, evpn: { l2vnis: [{ vni: 100 }] } }] } });
  assert.deepEqual(validateConfigurationSet([neigh, vnis], [], { assumeCommonNode: true }), []);
  const res = validateConfigurationSet([vnis], [], { assumeCommonNode: true });
  assert.equal(res.length, 1);
  assert.deepEqual(res[0]!.objects, ['frr-k8s-system/b']);
  assert.match(res[0]!.error, /require at least one neighbor with evpn address family/);
});

test('validateConfigurationSet: invalid selectors are reported', () => {
  const bad = cfg('bad', { nodeSelector: { matchLabels: { app: '@' } } });
  const res = validateConfigurationSet([bad], NODES.slice(0, 1));
  assert.equal(res.length, 1);
  assert.match(res[0]!.error, /^could not parse nodeSelector for FRRConfiguration frr-k8s-system\/bad, err: /);
});
