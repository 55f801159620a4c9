import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta.js';
import { celImplementation, supportedRules } from './cel-rules.js';
import { CRDSchemas, invalidMessage, schemaRules, type FieldError } from './schema.js';

const schemas = CRDSchemas.fromDirectory();

const MLB1 = 'metallb.io/v1beta1';
const MLB2 = 'metallb.io/v1beta2';
const FRR1 = 'frrk8s.metallb.io/v1beta1';

function obj(apiVersion: string, kind: string, body: Record<string, unknown>, name = 'x'): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace: 'metallb-system' }, ...body };
}
const peer = (spec: Record<string, unknown>): KubeObject => obj(MLB2, 'BGPPeer', { spec: { myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1', ...spec } });
const frr = (neighbor: Record<string, unknown>, router: Record<string, unknown> = {}): KubeObject =>
  obj(FRR1, 'FRRConfiguration', { spec: { bgp: { routers: [{ asn: 64500, neighbors: [{ address: '10.0.0.1', asn: 64501, ...neighbor }], ...router }] } } });
const evpn = (evpnSpec: Record<string, unknown>): KubeObject =>
  obj(FRR1, 'FRRConfiguration', { spec: { bgp: { routers: [{ asn: 64500, vrf: 'red', evpn: evpnSpec }] } } });

const messages = (errs: FieldError[]): string[] => errs.map((e) => e.message);

function errorsOf(o: KubeObject, oldObject?: KubeObject): string[] {
  return messages(schemas.validate(o, oldObject ? { oldObject } : {}).errors);
}

describe('CRDSchemas: loading', () => {
  it('compiles every version of every CRD in crds/', () => {
    schemas.compileAll();
    const got = schemas
      .kinds()
      .map((k) => `${k.group}/${k.version}/${k.kind}`)
      .sort();
    assert.deepEqual(got, [
      'frrk8s.metallb.io/v1beta1/BGPSessionState',
      'frrk8s.metallb.io/v1beta1/FRRConfiguration',
      'frrk8s.metallb.io/v1beta1/FRRK8sConfiguration',
      'frrk8s.metallb.io/v1beta1/FRRNodeState',
      'metallb.io/v1beta1/BFDProfile',
      'metallb.io/v1beta1/BGPAdvertisement',
      'metallb.io/v1beta1/BGPPeer',
      'metallb.io/v1beta1/Community',
      'metallb.io/v1beta1/ConfigurationState',
      'metallb.io/v1beta1/IPAddressPool',
      'metallb.io/v1beta1/L2Advertisement',
      'metallb.io/v1beta1/MetalLB',
      'metallb.io/v1beta1/ServiceBGPStatus',
      'metallb.io/v1beta1/ServiceL2Status',
      'metallb.io/v1beta2/BGPPeer',
    ]);
    for (const k of schemas.kinds()) {
      assert.equal(k.hasStatus, true, `${k.kind} has a status subresource`);
      assert.equal(k.served, true);
      assert.equal(k.namespaced, k.kind !== 'FRRNodeState', `${k.kind} scope`);
      assert.equal(k.storage, !(k.kind === 'BGPPeer' && k.version === 'v1beta1'), `${k.kind} ${k.version} storage`);
      assert.equal(k.crdName, `${k.plural}.${k.group}`);
    }
  });

  it('describes BGPPeer: v1beta1 deprecated, v1beta2 storage, conversion webhook at /convert', () => {
    assert.deepEqual(schemas.lookup(MLB1, 'BGPPeer'), {
      group: 'metallb.io',
      version: 'v1beta1',
      kind: 'BGPPeer',
      listKind: 'BGPPeerList',
      plural: 'bgppeers',
      singular: 'bgppeer',
      shortNames: [],
      namespaced: true,
      hasStatus: true,
      storage: false,
      served: true,
      deprecated: true,
      deprecationWarning: 'v1beta1 is deprecated, please use v1beta2',
      printerColumns: [
        { jsonPath: '.spec.peerAddress', name: 'Address', type: 'string' },
        { jsonPath: '.spec.peerASN', name: 'ASN', type: 'string' },
        { jsonPath: '.spec.bfdProfile', name: 'BFD Profile', type: 'string' },
        { jsonPath: '.spec.ebgpMultiHop', name: 'Multi Hops', type: 'string' },
      ],
      crdName: 'bgppeers.metallb.io',
    });
    assert.equal(schemas.lookup(MLB2, 'BGPPeer')?.storage, true);
    const crd = schemas.crds().find((c) => c.metadata.name === 'bgppeers.metallb.io')!;
    assert.deepEqual((crd.spec as Record<string, unknown>).conversion, {
      strategy: 'Webhook',
      webhook: {
        clientConfig: { service: { name: 'metallb-webhook-service', namespace: 'metallb-system', path: '/convert' } },
        conversionReviewVersions: ['v1'],
      },
    });
  });

  it('looks kinds up by apiVersion/kind and by group/version/plural', () => {
    assert.equal(schemas.lookup(FRR1, 'FRRNodeState')?.namespaced, false);
    assert.equal(schemas.lookupPlural('metallb.io', 'v1beta1', 'ipaddresspools')?.kind, 'IPAddressPool');
    assert.equal(schemas.lookupPlural('metallb.io', 'v1beta1', 'servicel2statuses')?.kind, 'ServiceL2Status');
    assert.equal(schemas.lookupPlural('frrk8s.metallb.io', 'v1beta1', 'frrconfigurations')?.kind, 'FRRConfiguration');
    assert.equal(schemas.lookup('metallb.io/v1beta2', 'IPAddressPool'), undefined);
    assert.equal(schemas.lookup('v1', 'Service'), undefined);
  });

  it('reports an object of an unknown kind instead of throwing', () => {
    const r = schemas.validate({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } });
    assert.deepEqual(messages(r.errors), ['kind: Unsupported value: "Service": no CustomResourceDefinition serves v1, Kind=Service']);
  });
});

describe('CRDSchemas: defaulting', () => {
  it('IPAddressPool: autoAssign true, avoidBuggyIPs false; explicit values kept', () => {
    const r = schemas.validate(obj(MLB1, 'IPAddressPool', { spec: { addresses: ['192.168.1.240-192.168.1.250'] } }));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object.spec, { addresses: ['192.168.1.240-192.168.1.250'], autoAssign: true, avoidBuggyIPs: false });
    const r2 = schemas.validate(obj(MLB1, 'IPAddressPool', { spec: { addresses: ['10.0.0.0/24'], autoAssign: false } }));
    assert.equal((r2.object.spec as Record<string, unknown>).autoAssign, false);
  });

  it('a null non-nullable field is replaced by its default', () => {
    const r = schemas.validate(obj(MLB1, 'IPAddressPool', { spec: { addresses: ['10.0.0.0/24'], autoAssign: null } }));
    assert.deepEqual(r.errors, []);
    assert.equal((r.object.spec as Record<string, unknown>).autoAssign, true);
  });

  it('BGPPeer v1beta2: peerPort 179, disableMP and dualStackAddressFamily false', () => {
    const r = schemas.validate(peer({}));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object.spec, {
      myASN: 64500,
      peerASN: 64501,
      peerAddress: '10.0.0.1',
      peerPort: 179,
      disableMP: false,
      dualStackAddressFamily: false,
    });
  });

  it('BGPAdvertisement: aggregation lengths 32 and 128', () => {
    const r = schemas.validate(obj(MLB1, 'BGPAdvertisement', { spec: {} }));
    assert.deepEqual(r.object.spec, { aggregationLength: 32, aggregationLengthV6: 128 });
  });

  it('FRRConfiguration neighbors: allowed mode filtered, addressFamilies [unicast], disableMP/dualStack false', () => {
    const r = schemas.validate(frr({ toAdvertise: { allowed: { prefixes: ['192.0.2.0/24'] } }, toReceive: { allowed: {} } }));
    assert.deepEqual(r.errors, []);
    const spec = r.object.spec as any;
    assert.deepEqual(spec.bgp.routers[0].neighbors[0], {
      address: '10.0.0.1',
      asn: 64501,
      toAdvertise: { allowed: { prefixes: ['192.0.2.0/24'], mode: 'filtered' } },
      toReceive: { allowed: { mode: 'filtered' } },
      addressFamilies: ['unicast'],
      disableMP: false,
      dualStackAddressFamily: false,
    });
  });

  it('defaults only inside objects that are present', () => {
    const r = schemas.validate(frr({}));
    const n = (r.object.spec as any).bgp.routers[0].neighbors[0];
    assert.equal(n.toAdvertise, undefined);
    assert.equal(n.toReceive, undefined);
  });

  it('does not modify its input', () => {
    const input = obj(MLB1, 'IPAddressPool', { spec: { addresses: ['10.0.0.0/24'], junk: 1 } });
    const copy = structuredClone(input);
    schemas.validate(input);
    assert.deepEqual(input, copy);
  });
});

describe('CRDSchemas: pruning', () => {
  it('drops unknown fields with a warning per field, everywhere in the tree', () => {
    const r = schemas.validate(
      obj(FRR1, 'FRRConfiguration', {
        data: 1,
        metadata: { name: 'f', namespace: 'frr-k8s-system', colour: 'blue' },
        spec: { bgp: { routers: [{ asn: 1, neighbors: [{ address: '10.0.0.1', asn: 2, sourceAddress: '10.0.0.2' }] }] }, extra: true },
        status: { anything: 1 },
      }),
    );
    assert.deepEqual([...r.warnings].sort(), [
      'unknown field "data"',
      'unknown field "metadata.colour"',
      'unknown field "spec.bgp.routers[0].neighbors[0].sourceAddress"',
      'unknown field "spec.extra"',
      'unknown field "status.anything"',
    ]);
    assert.deepEqual(r.errors, []);
    assert.equal((r.object as any).data, undefined);
    assert.deepEqual((r.object as any).status, {});
    assert.deepEqual(r.object.metadata, { name: 'f', namespace: 'frr-k8s-system' });
  });

  it('keeps map fields: selector matchLabels, metadata labels/annotations', () => {
    const r = schemas.validate(
      obj(FRR1, 'FRRConfiguration', {
        metadata: { name: 'f', labels: { 'a/b': 'c' }, annotations: { note: 'x' } },
        spec: { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'node-1', rack: 'r1' } } },
      }),
    );
    assert.deepEqual(r.warnings, []);
    assert.deepEqual((r.object.spec as any).nodeSelector, { matchLabels: { 'kubernetes.io/hostname': 'node-1', rack: 'r1' } });
    assert.deepEqual(r.object.metadata, { name: 'f', labels: { 'a/b': 'c' }, annotations: { note: 'x' } });
  });

  it('keeps MetalLB spec.nodeSelector, annotations and resources maps', () => {
    const spec = {
      nodeSelector: { 'node-role.kubernetes.io/worker': '' },
      controllerNodeSelector: { zone: 'a' },
      speakerConfig: {
        annotations: { 'prometheus.io/scrape': 'true' },
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: 1 } },
      },
      speakerTolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
    };
    const r = schemas.validate(obj(MLB1, 'MetalLB', { metadata: { name: 'metallb', namespace: 'metallb-system' }, spec: { ...spec, bogus: 1 } }));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.warnings, ['unknown field "spec.bogus"']);
    assert.deepEqual(r.object.spec, spec);
  });

  it('prunes everything under an object schema without properties (ServiceL2Status spec)', () => {
    const r = schemas.validate(obj(MLB1, 'ServiceL2Status', { spec: { a: 1 }, status: { node: 'n1', interfaces: [{ name: 'eth0', mtu: 1500 }] } }));
    assert.deepEqual(r.object.spec, {});
    assert.deepEqual(r.warnings, ['unknown field "spec.a"', 'unknown field "status.interfaces[0].mtu"']);
  });
});

describe('CRDSchemas: schema errors, with field paths and apiserver messages', () => {
  const cases: { name: string; object: KubeObject; errors: string[] }[] = [
    {
      name: 'IPAddressPool without spec',
      object: obj(MLB1, 'IPAddressPool', {}),
      errors: ['spec: Required value'],
    },
    {
      name: 'IPAddressPool without addresses',
      object: obj(MLB1, 'IPAddressPool', { spec: { autoAssign: true } }),
      errors: ['spec.addresses: Required value'],
    },
    {
      name: 'IPAddressPool status counters are all required',
      object: obj(MLB1, 'IPAddressPool', { spec: { addresses: [] }, status: { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 2 } }),
      errors: ['status.availableIPv6: Required value'],
    },
    {
      name: 'BGPPeer peerPort above 16384',
      object: peer({ peerPort: 20000 }),
      errors: ['spec.peerPort: Invalid value: 20000: spec.peerPort in body should be less than or equal to 16384'],
    },
    {
      name: 'BGPPeer v1beta2 peerPort 0',
      object: peer({ peerPort: 0 }),
      errors: ['spec.peerPort: Invalid value: 0: spec.peerPort in body should be greater than or equal to 1'],
    },
    {
      name: 'BGPPeer dynamicASN enum',
      object: peer({ dynamicASN: 'foo' }),
      errors: ['spec.dynamicASN: Unsupported value: "foo": supported values: "internal", "external"'],
    },
    {
      name: 'BGPPeer ASN above 32 bits, localASN 0',
      object: peer({ myASN: 4294967296, localASN: 0 }),
      errors: [
        'spec.localASN: Invalid value: 0: spec.localASN in body should be greater than or equal to 1',
        'spec.myASN: Invalid value: 4294967296: spec.myASN in body should be less than or equal to 4294967295',
      ],
    },
    {
      name: 'BGPPeer myASN missing and of the wrong type',
      object: obj(MLB2, 'BGPPeer', { spec: { peerASN: '64501' } }),
      errors: [
        'spec.myASN: Required value',
        'spec.peerASN: Invalid value: "string": spec.peerASN in body must be of type integer: "string"',
      ],
    },
    {
      name: 'BGPPeer v1beta1: myASN, peerASN, peerAddress required; legacy values need an item',
      object: obj(MLB1, 'BGPPeer', { spec: { nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'In', values: [] }] }] } }),
      errors: [
        'spec.myASN: Required value',
        'spec.peerASN: Required value',
        'spec.peerAddress: Required value',
        'spec.nodeSelectors[0].matchExpressions[0].values: Invalid value: 0: spec.nodeSelectors[0].matchExpressions[0].values in body should have at least 1 items',
      ],
    },
    {
      name: 'BGPAdvertisement aggregationLength 0',
      object: obj(MLB1, 'BGPAdvertisement', { spec: { aggregationLength: 0 } }),
      errors: ['spec.aggregationLength: Invalid value: 0: spec.aggregationLength in body should be greater than or equal to 1'],
    },
    {
      name: 'BFDProfile bounds',
      object: obj(MLB1, 'BFDProfile', { spec: { detectMultiplier: 1, receiveInterval: 60001, minimumTtl: 255 } }),
      errors: [
        'spec.detectMultiplier: Invalid value: 1: spec.detectMultiplier in body should be greater than or equal to 2',
        'spec.minimumTtl: Invalid value: 255: spec.minimumTtl in body should be less than or equal to 254',
        'spec.receiveInterval: Invalid value: 60001: spec.receiveInterval in body should be less than or equal to 60000',
      ],
    },
    {
      name: 'L2Advertisement preferred node selector weight and required preference',
      object: obj(MLB1, 'L2Advertisement', { spec: { preferredNodeSelectors: [{ weight: 0 }] } }),
      errors: [
        'spec.preferredNodeSelectors[0].preference: Required value',
        'spec.preferredNodeSelectors[0].weight: Invalid value: 0: spec.preferredNodeSelectors[0].weight in body should be greater than or equal to 1',
      ],
    },
    {
      name: 'label selector requirement needs key and operator',
      object: obj(MLB1, 'L2Advertisement', { spec: { nodeSelectors: [{ matchExpressions: [{ values: ['a'] }] }] } }),
      errors: ['spec.nodeSelectors[0].matchExpressions[0].key: Required value', 'spec.nodeSelectors[0].matchExpressions[0].operator: Required value'],
    },
    {
      name: 'FRRConfiguration neighbor port, receive le, addressFamilies, mode',
      object: frr({
        port: 16385,
        addressFamilies: ['unicast', 'l3vpn'],
        toReceive: { allowed: { mode: 'some', prefixes: [{ prefix: '10.0.0.0/8', le: 129 }] } },
      }),
      errors: [
        'spec.bgp.routers[0].neighbors[0].addressFamilies[1]: Unsupported value: "l3vpn": supported values: "unicast", "evpn"',
        'spec.bgp.routers[0].neighbors[0].port: Invalid value: 16385: spec.bgp.routers[0].neighbors[0].port in body should be less than or equal to 16384',
        'spec.bgp.routers[0].neighbors[0].toReceive.allowed.mode: Unsupported value: "some": supported values: "all", "filtered"',
        'spec.bgp.routers[0].neighbors[0].toReceive.allowed.prefixes[0].le: Invalid value: 129: spec.bgp.routers[0].neighbors[0].toReceive.allowed.prefixes[0].le in body should be less than or equal to 128',
      ],
    },
    {
      name: 'FRRConfiguration formats: cidr prefix, ipv4/ipv6 next hops',
      object: frr({
        toAdvertise: { nextHop: { ipv4: '2001:db8::1', ipv6: '192.0.2.1' } },
        toReceive: { allowed: { prefixes: [{ prefix: '10.0.0.0/33' }] } },
      }),
      errors: [
        'spec.bgp.routers[0].neighbors[0].toAdvertise.nextHop.ipv4: Invalid value: "2001:db8::1": spec.bgp.routers[0].neighbors[0].toAdvertise.nextHop.ipv4 in body must be of type ipv4: "2001:db8::1"',
        'spec.bgp.routers[0].neighbors[0].toAdvertise.nextHop.ipv6: Invalid value: "192.0.2.1": spec.bgp.routers[0].neighbors[0].toAdvertise.nextHop.ipv6 in body must be of type ipv6: "192.0.2.1"',
        'spec.bgp.routers[0].neighbors[0].toReceive.allowed.prefixes[0].prefix: Invalid value: "10.0.0.0/33": spec.bgp.routers[0].neighbors[0].toReceive.allowed.prefixes[0].prefix in body must be of type cidr: "10.0.0.0/33"',
      ],
    },
    {
      name: 'FRRConfiguration withLocalPref needs prefixes, router needs asn, bfd profile needs a name',
      object: obj(FRR1, 'FRRConfiguration', {
        spec: { bgp: { routers: [{ neighbors: [{ address: '10.0.0.1', asn: 1, toAdvertise: { withLocalPref: [{ localPref: 100, prefixes: [] }] } }] }], bfdProfiles: [{}] } },
      }),
      errors: [
        'spec.bgp.bfdProfiles[0].name: Required value',
        'spec.bgp.routers[0].asn: Required value',
        'spec.bgp.routers[0].neighbors[0].toAdvertise.withLocalPref[0].prefixes: Invalid value: 0: spec.bgp.routers[0].neighbors[0].toAdvertise.withLocalPref[0].prefixes in body should have at least 1 items',
      ],
    },
    {
      name: 'FRRConfiguration at most 50 routers',
      object: obj(FRR1, 'FRRConfiguration', { spec: { bgp: { routers: Array.from({ length: 51 }, (_, i) => ({ asn: 64500, vrf: `v${i}` })) } } }),
      errors: ['spec.bgp.routers: Too many: 51: must have at most 50 items'],
    },
    {
      name: 'FRRConfiguration EVPN: vni range, l3vni advertisePrefixes',
      object: evpn({ advertiseVNIs: 'Some', l2vnis: [{ vni: 0 }], l3vni: { vni: 16777216, advertisePrefixes: ['unicast', 'unicast'] } }),
      errors: [
        'spec.bgp.routers[0].evpn.advertiseVNIs: Unsupported value: "Some": supported values: "Disabled", "All"',
        'spec.bgp.routers[0].evpn.l2vnis[0].vni: Invalid value: 0: spec.bgp.routers[0].evpn.l2vnis[0].vni in body should be greater than or equal to 1',
        'spec.bgp.routers[0].evpn.l3vni.advertisePrefixes: Too many: 2: must have at most 1 items',
        'spec.bgp.routers[0].evpn.l3vni.vni: Invalid value: 16777216: spec.bgp.routers[0].evpn.l3vni.vni in body should be less than or equal to 16777215',
      ],
    },
    {
      name: 'FRRConfiguration EVPN: RD longer than 21 characters (the CEL rules still run on it)',
      object: evpn({ l2vnis: [{ vni: 10, rd: '1234567890:12345678901' }] }),
      errors: [
        'spec.bgp.routers[0].evpn.l2vnis[0].rd: Too long: may not be more than 21 bytes',
        'spec.bgp.routers[0].evpn.l2vnis[0].rd: Invalid value: "string": RD with 4-byte ASN global administrator must have format GHJK:MN where GHJK <= 4294967295 and MN <= 65535',
      ],
    },
    {
      name: 'FRRK8sConfiguration logLevel',
      object: obj(FRR1, 'FRRK8sConfiguration', { spec: { logLevel: 'verbose' } }),
      errors: ['spec.logLevel: Unsupported value: "verbose": supported values: "all", "debug", "info", "warn", "error", "none"'],
    },
    {
      name: 'MetalLB logLevel, loadBalancerClass pattern, quantity, toleration seconds type',
      object: obj(MLB1, 'MetalLB', {
        spec: {
          logLevel: 'loud',
          loadBalancerClass: 'bad class',
          controllerConfig: { resources: { limits: { cpu: 'lots' } } },
          controllerTolerations: [{ key: 'k', tolerationSeconds: 'ten' }],
        },
      }),
      errors: [
        "spec.controllerConfig.resources.limits.cpu: Invalid value: \"lots\": spec.controllerConfig.resources.limits.cpu in body should match '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'",
        'spec.controllerTolerations[0].tolerationSeconds: Invalid value: "string": spec.controllerTolerations[0].tolerationSeconds in body must be of type integer: "string"',
        "spec.loadBalancerClass: Invalid value: \"bad class\": spec.loadBalancerClass in body should match '^([a-z0-9A-Z]([\\w.\\-]*[a-z0-9A-Z])?/)?[a-z0-9A-Z]([\\w.\\-]*[a-z0-9A-Z])?$'",
        'spec.logLevel: Unsupported value: "loud": supported values: "all", "debug", "info", "warn", "error", "none"',
      ],
    },
    {
      name: 'ConfigurationState result enum, condition fields and duplicate condition types',
      object: obj(MLB1, 'ConfigurationState', {
        status: {
          result: 'Maybe',
          conditions: [
            { type: 'configReconcilerValid', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: '2024-01-02T03:04:05Z' },
            { type: 'configReconcilerValid', status: 'Yes', reason: 'internal error', message: '', lastTransitionTime: 'yesterday' },
          ],
        },
      }),
      errors: [
        'status.conditions[1].lastTransitionTime: Invalid value: "yesterday": status.conditions[1].lastTransitionTime in body must be of type date-time: "yesterday"',
        "status.conditions[1].reason: Invalid value: \"internal error\": status.conditions[1].reason in body should match '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$'",
        'status.conditions[1].status: Unsupported value: "Yes": supported values: "True", "False", "Unknown"',
        'status.result: Unsupported value: "Maybe": supported values: "Valid", "Invalid", "Unknown"',
        'status.conditions[1]: Duplicate value: {"type":"configReconcilerValid"}',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = errorsOf(c.object);
      assert.deepEqual([...got].sort(), [...c.errors].sort());
    });
  }

  it('accepts 4-byte ASNs although the schema says format int32 (Kubernetes ignores integer formats)', () => {
    assert.deepEqual(errorsOf(peer({ myASN: 4200000000, peerASN: 4294967295 })), []);
    assert.deepEqual(errorsOf(frr({ asn: 4200000001, localASN: 4200000002 }, { asn: 4200000000 })), []);
  });

  it('gives each error a field, a detail and a Status cause reason', () => {
    const r = schemas.validate(peer({ peerPort: 20000, dynamicASN: 'x' }));
    const byField = Object.fromEntries(r.errors.map((e) => [e.field, e]));
    assert.deepEqual(byField['spec.peerPort'], {
      field: 'spec.peerPort',
      reason: 'FieldValueInvalid',
      detail: 'Invalid value: 20000: spec.peerPort in body should be less than or equal to 16384',
      message: 'spec.peerPort: Invalid value: 20000: spec.peerPort in body should be less than or equal to 16384',
    });
    assert.equal(byField['spec.dynamicASN']?.reason, 'FieldValueNotSupported');
    assert.equal(
      invalidMessage({ kind: 'BGPPeer', group: 'metallb.io' }, 'p1', r.errors.slice(0, 1)),
      `BGPPeer.metallb.io "p1" is invalid: ${r.errors[0]!.message}`,
    );
    assert.match(invalidMessage({ kind: 'BGPPeer', group: 'metallb.io' }, 'p1', r.errors), /^BGPPeer\.metallb\.io "p1" is invalid: \[.+, .+\]$/);
  });
});

// ------------------------------------------------------------------------------------------------
// CEL rules: a passing and a failing case for every rule. The failing cases together must produce
// the message of every rule present in crds/ (checked at the end).

interface CelCase {
  name: string;
  object: KubeObject;
  old?: KubeObject;
  errors: string[];
}

const rtPath = 'spec.bgp.routers[0].evpn.l2vnis[0]';
const celCases: CelCase[] = [
  // connectTime, BGPPeer
  { name: 'connectTime 1s', object: peer({ connectTime: '1s' }), errors: [] },
  { name: 'connectTime 65535s written as 18h12m15s', object: peer({ connectTime: '18h12m15s' }), errors: [] },
  {
    name: 'connectTime 0s',
    object: peer({ connectTime: '0s' }),
    errors: ['spec.connectTime: Invalid value: "string": connect time should be between 1 seconds to 65535'],
  },
  {
    name: 'connectTime 65536s',
    object: peer({ connectTime: '65536s' }),
    errors: ['spec.connectTime: Invalid value: "string": connect time should be between 1 seconds to 65535'],
  },
  {
    name: 'connectTime 1500ms',
    object: peer({ connectTime: '1500ms' }),
    errors: ['spec.connectTime: Invalid value: "string": connect time should contain a whole number of seconds'],
  },
  {
    name: 'connectTime 500ms breaks both rules',
    object: peer({ connectTime: '500ms' }),
    errors: [
      'spec.connectTime: Invalid value: "string": connect time should be between 1 seconds to 65535',
      'spec.connectTime: Invalid value: "string": connect time should contain a whole number of seconds',
    ],
  },
  // connectTime, FRRConfiguration neighbor
  { name: 'neighbor connectTime 2m', object: frr({ connectTime: '2m' }), errors: [] },
  {
    name: 'neighbor connectTime 2.5s',
    object: frr({ connectTime: '2.5s' }),
    errors: ['spec.bgp.routers[0].neighbors[0].connectTime: Invalid value: "string": connect time should contain a whole number of seconds'],
  },
  {
    name: 'neighbor connectTime 100000s',
    object: frr({ connectTime: '100000s' }),
    errors: ['spec.bgp.routers[0].neighbors[0].connectTime: Invalid value: "string": connect time should be between 1 seconds to 65535'],
  },
  // enableGracefulRestart immutability (transition rule)
  { name: 'graceful restart on create', object: peer({ enableGracefulRestart: true }), errors: [] },
  { name: 'graceful restart unchanged', object: peer({ enableGracefulRestart: true }), old: peer({ enableGracefulRestart: true }), errors: [] },
  {
    name: 'graceful restart flipped',
    object: peer({ enableGracefulRestart: false }),
    old: peer({ enableGracefulRestart: true }),
    errors: ['spec.enableGracefulRestart: Invalid value: "boolean": EnableGracefulRestart cannot be changed after creation'],
  },
  {
    name: 'graceful restart set where the old object had none (rule needs both values, like Kubernetes)',
    object: peer({ enableGracefulRestart: true }),
    old: peer({}),
    errors: [],
  },
  // BGPAdvertisement serviceSelectors vs aggregation
  {
    name: 'serviceSelectors with default aggregation',
    object: obj(MLB1, 'BGPAdvertisement', { spec: { serviceSelectors: [{ matchLabels: { a: 'b' } }], aggregationLength: 32 } }),
    errors: [],
  },
  {
    name: 'aggregationLength 24 without serviceSelectors',
    object: obj(MLB1, 'BGPAdvertisement', { spec: { aggregationLength: 24, serviceSelectors: [] } }),
    errors: [],
  },
  {
    name: 'serviceSelectors with aggregationLength 24',
    object: obj(MLB1, 'BGPAdvertisement', { spec: { serviceSelectors: [{ matchLabels: { a: 'b' } }], aggregationLength: 24 } }),
    errors: [
      'spec: Invalid value: "object": serviceSelectors and aggregationLength are mutually exclusive, can only be used together with default aggregationLength (32) and aggregationLengthV6 (128)',
    ],
  },
  {
    name: 'serviceSelectors with aggregationLengthV6 64',
    object: obj(MLB1, 'BGPAdvertisement', { spec: { serviceSelectors: [{}], aggregationLengthV6: 64 } }),
    errors: [
      'spec: Invalid value: "object": serviceSelectors and aggregationLength are mutually exclusive, can only be used together with default aggregationLength (32) and aggregationLengthV6 (128)',
    ],
  },
  // Status immutability
  ...(['ServiceL2Status', 'ServiceBGPStatus'] as const).flatMap((kind): CelCase[] => {
    const st = (status: Record<string, unknown>): KubeObject => obj(MLB1, kind, { status });
    const base = { node: 'node-1', serviceName: 'nginx', serviceNamespace: 'default' };
    return [
      { name: `${kind} created`, object: st(base), errors: [] },
      { name: `${kind} unchanged`, object: st(base), old: st(base), errors: [] },
      {
        name: `${kind} moved`,
        object: st({ node: 'node-2', serviceName: 'web', serviceNamespace: 'prod' }),
        old: st(base),
        errors: [
          'status.node: Invalid value: "string": Value is immutable',
          'status.serviceName: Invalid value: "string": Value is immutable',
          'status.serviceNamespace: Invalid value: "string": Value is immutable',
        ],
      },
    ];
  }),
  // EVPN route distinguishers and route targets
  {
    name: 'valid RDs and RTs',
    object: evpn({
      l2vnis: [
        { vni: 100, rd: '65000:100', importRTs: ['65000:100', '192.0.2.1:100', '*:4294967295', '4200000000:65535'], exportRTs: ['65000:4294967295'] },
        { vni: 200, rd: '192.0.2.1:65535' },
        { vni: 300, rd: '4200000000:100' },
      ],
      l3vni: { vni: 400, rd: '65000:400', importRTs: ['*:400'], exportRTs: ['65000:400'], advertisePrefixes: ['unicast'] },
    }),
    errors: [],
  },
  {
    name: 'RD without colon',
    object: evpn({ l2vnis: [{ vni: 1, rd: '65000' }] }),
    errors: [`${rtPath}.rd: Invalid value: "string": RD must contain exactly one colon`],
  },
  {
    name: 'RD with two colons',
    object: evpn({ l2vnis: [{ vni: 1, rd: '1:2:3' }] }),
    errors: [`${rtPath}.rd: Invalid value: "string": RD must contain exactly one colon`],
  },
  {
    name: 'RD with a name as global administrator',
    object: evpn({ l2vnis: [{ vni: 1, rd: 'abc:1' }] }),
    errors: [`${rtPath}.rd: Invalid value: "string": RD global administrator must be either an IPv4 address or a number`],
  },
  {
    name: 'RD wildcard is not allowed',
    object: evpn({ l2vnis: [{ vni: 1, rd: '*:1' }] }),
    errors: [`${rtPath}.rd: Invalid value: "string": RD global administrator must be either an IPv4 address or a number`],
  },
  {
    name: 'RD local administrator not a number',
    object: evpn({ l2vnis: [{ vni: 1, rd: '65000:x' }] }),
    errors: [`${rtPath}.rd: Invalid value: "string": RD local administrator must be a number`],
  },
  {
    name: 'RD IPv4 administrator with a 4-byte value',
    object: evpn({ l2vnis: [{ vni: 1, rd: '192.0.2.1:65536' }] }),
    errors: [`${rtPath}.rd: Invalid value: "string": RD with IPv4 global administrator must have format A.B.C.D:MN where MN <= 65535`],
  },
  {
    name: 'RD 4-byte ASN with a 4-byte value',
    object: evpn({ l2vnis: [{ vni: 1, rd: '65536:65536' }] }),
    errors: [
      `${rtPath}.rd: Invalid value: "string": RD with 4-byte ASN global administrator must have format GHJK:MN where GHJK <= 4294967295 and MN <= 65535`,
    ],
  },
  {
    name: 'RD global administrator above 32 bits',
    object: evpn({ l2vnis: [{ vni: 1, rd: '4294967296:1' }] }),
    errors: [
      `${rtPath}.rd: Invalid value: "string": RD with 4-byte ASN global administrator must have format GHJK:MN where GHJK <= 4294967295 and MN <= 65535`,
    ],
  },
  {
    name: 'RD 2-byte ASN with a value above 32 bits',
    object: evpn({ l2vnis: [{ vni: 1, rd: '65000:4294967296' }] }),
    errors: [
      `${rtPath}.rd: Invalid value: "string": RD with 2-byte ASN global administrator must have format EF:OPQR where EF <= 65535 and OPQR <= 4294967295`,
    ],
  },
  {
    name: 'import RT checks',
    object: evpn({ l2vnis: [{ vni: 1, importRTs: ['65000', 'x:1', '65000:y', '*:4294967296', '192.0.2.1:70000', '70000:70000', '1:4294967296'] }] }),
    errors: [
      `${rtPath}.importRTs[0]: Invalid value: "string": RT must contain exactly one colon`,
      `${rtPath}.importRTs[1]: Invalid value: "string": RT global administrator must be either '*', an IPv4 address, or a number`,
      `${rtPath}.importRTs[2]: Invalid value: "string": RT local administrator must be a number`,
      `${rtPath}.importRTs[3]: Invalid value: "string": RT with wildcard global administrator must have format *:OPQR where OPQR <= 4294967295`,
      `${rtPath}.importRTs[4]: Invalid value: "string": RT with IPv4 global administrator must have format A.B.C.D:MN where MN <= 65535`,
      `${rtPath}.importRTs[5]: Invalid value: "string": RT with 4-byte ASN global administrator must have format GHJK:MN where GHJK <= 4294967295 and MN <= 65535`,
      `${rtPath}.importRTs[6]: Invalid value: "string": RT with 2-byte ASN global administrator must have format EF:OPQR where EF <= 65535 and OPQR <= 4294967295`,
    ],
  },
  {
    name: 'export RT checks (no wildcard)',
    object: evpn({ l3vni: { vni: 9, advertisePrefixes: ['unicast'], exportRTs: ['*:100', '1:2:3', '65000:z', '10.0.0.1:65536', '65536:65536', '65535:4294967296'] } }),
    errors: [
      "spec.bgp.routers[0].evpn.l3vni.exportRTs[0]: Invalid value: \"string\": RT global administrator must be either an IPv4 address or a number",
      'spec.bgp.routers[0].evpn.l3vni.exportRTs[1]: Invalid value: "string": RT must contain exactly one colon',
      'spec.bgp.routers[0].evpn.l3vni.exportRTs[2]: Invalid value: "string": RT local administrator must be a number',
      'spec.bgp.routers[0].evpn.l3vni.exportRTs[3]: Invalid value: "string": RT with IPv4 global administrator must have format A.B.C.D:MN where MN <= 65535',
      'spec.bgp.routers[0].evpn.l3vni.exportRTs[4]: Invalid value: "string": RT with 4-byte ASN global administrator must have format GHJK:MN where GHJK <= 4294967295 and MN <= 65535',
      'spec.bgp.routers[0].evpn.l3vni.exportRTs[5]: Invalid value: "string": RT with 2-byte ASN global administrator must have format EF:OPQR where EF <= 65535 and OPQR <= 4294967295',
    ],
  },
];

describe('CRDSchemas: CEL rule equivalents', () => {
  for (const c of celCases) {
    it(c.name, () => {
      assert.deepEqual([...errorsOf(c.object, c.old)].sort(), [...c.errors].sort());
    });
  }

  it('every CEL rule in crds/ has a TypeScript equivalent', () => {
    assert.deepEqual(schemas.unsupportedRules(), []);
    let count = 0;
    for (const crd of schemas.crds()) {
      for (const v of (crd.spec as any).versions) {
        for (const { rule } of schemaRules(v.schema.openAPIV3Schema)) {
          count++;
          assert.ok(celImplementation(rule.rule), `no TypeScript equivalent for ${rule.rule}`);
          assert.ok(rule.message, `rule ${rule.rule} has a message`);
        }
      }
    }
    assert.ok(count >= 45, `found ${count} rules`);
  });

  it('every rule (by CRD, path and message) is broken by at least one failing case above', () => {
    const produced = new Set(celCases.flatMap((c) => c.errors.map((m) => m.replace(/^.*?: Invalid value: "[a-z]+": /, ''))));
    const missing: string[] = [];
    for (const crd of schemas.crds()) {
      for (const v of (crd.spec as any).versions) {
        for (const { path, rule } of schemaRules(v.schema.openAPIV3Schema)) {
          if (!produced.has(rule.message!)) missing.push(`${crd.metadata.name} ${v.name} ${path}: ${rule.message}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  });

  it('every implemented rule is used by some CRD (no dead equivalents)', () => {
    const used = new Set<string>();
    for (const crd of schemas.crds()) {
      for (const v of (crd.spec as any).versions) for (const { rule } of schemaRules(v.schema.openAPIV3Schema)) used.add(rule.rule.replace(/\s+/g, ' ').trim());
    }
    assert.deepEqual(supportedRules().filter((r) => !used.has(r)), []);
  });
});

describe('CRDSchemas: any CRD', () => {
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      names: { kind: 'Widget', plural: 'widgets' },
      scope: 'Cluster',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    size: { 'x-kubernetes-int-or-string': true },
                    ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
                    colour: { type: 'string', format: 'colour-name', nullable: true },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    name: { type: 'string', 'x-kubernetes-validations': [{ rule: "self.startsWith('w-')", message: 'must start with w-' }] },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  const s = CRDSchemas.fromCRDs([crd]);
  const w = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec });

  it('reads scope and names without a status subresource', () => {
    assert.deepEqual(
      { ...s.lookup('example.com/v1', 'Widget')!, printerColumns: undefined },
      {
        group: 'example.com',
        version: 'v1',
        kind: 'Widget',
        listKind: 'WidgetList',
        plural: 'widgets',
        singular: 'widget',
        shortNames: [],
        namespaced: false,
        hasStatus: false,
        storage: true,
        served: true,
        deprecated: false,
        printerColumns: undefined,
        crdName: 'widgets.example.com',
      },
    );
  });

  it('keeps preserve-unknown-fields subtrees and nullable nulls; accepts unknown formats', () => {
    const r = s.validate(w({ free: { a: { b: [1, 2] } }, colour: null, size: '10%' }));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.object.spec, { free: { a: { b: [1, 2] } }, colour: null, size: '10%' });
    assert.deepEqual(s.validate(w({ colour: 'not-checked' })).errors, []);
  });

  it('checks int-or-string, boolean exclusiveMinimum and list-type set', () => {
    assert.deepEqual(
      messages(s.validate(w({ size: true, ratio: 0, tags: ['a', 'b', 'a'] })).errors).sort(),
      [
        'spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0',
        'spec.size: Invalid value: "boolean": spec.size in body must be of type integer,string: "boolean"',
        'spec.tags[2]: Duplicate value: "a"',
      ],
    );
  });

  it('fails closed on a CEL rule without a TypeScript equivalent', () => {
    assert.deepEqual(s.unsupportedRules(), [
      { crd: 'widgets.example.com', version: 'v1', path: 'spec.name', rule: "self.startsWith('w-')" },
    ]);
    const r = s.validate(w({ name: 'w-1' }));
    assert.deepEqual(r.errors, [
      {
        field: 'spec.name',
        reason: 'InternalError',
        detail: "Internal error: CEL rule is not supported by metalfrr: self.startsWith('w-')",
        message: "spec.name: Internal error: CEL rule is not supported by metalfrr: self.startsWith('w-')",
      },
    ]);
  });
});
