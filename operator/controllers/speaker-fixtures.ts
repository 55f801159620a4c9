// Objects the speaker tests create through the test API server: a LoadBalancer Service with its
// ingress IP (what the IPAM controller would write), and the EndpointSlice of one ready pod on a node.
import type { KubeObject } from '../api/meta.js';
import { collectionPath, objectPath, type KubeClient } from '../runtime/client.js';

export async function lbService(client: KubeClient, name: string, ip: string, policy: 'Cluster' | 'Local'): Promise<void> {
  await client.create(collectionPath('v1', 'services', 'default'), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: policy, ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name } },
  });
  await client.mergePatch(objectPath('v1', 'services', 'default', name, 'status'), { status: { loadBalancer: { ingress: [{ ip }] } } });
}

/** The EndpointSlice `<service>-abc` with one ready endpoint on `nodeName` (created, or replaced when it exists). */
export async function readyEndpointOn(client: KubeClient, service: string, nodeName: string): Promise<void> {
  const body = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.1.5'], nodeName, conditions: { ready: true } }],
    ports: [{ port: 80, protocol: 'TCP' }],
  };
  const path = objectPath('discovery.k8s.io/v1', 'endpointslices', 'default', `${service}-abc`);
  const cur = await client.get<KubeObject>(path).catch(() => undefined);
  if (cur) await client.replace(path, { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } });
  else await client.create(collectionPath('discovery.k8s.io/v1', 'endpointslices', 'default'), body);
}

/** A metallb.io object (pool, advertisement, peer ...) in namespace `ns`. */
export function createMetalLBObject(client: KubeClient, ns: string, kind: string, plural: string, name: string, spec: Record<string, unknown>, version = 'v1beta1'): Promise<unknown> {
  return client.create(collectionPath(`metallb.io/${version}`, plural, ns), { apiVersion: `metallb.io/${version}`, kind, metadata: { name, namespace: ns }, spec });
}
