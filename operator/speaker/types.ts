// Minimal shapes of the built-in objects the speaker reads (only the fields it looks at).
import type { KubeObject } from '../api/meta.js';

export interface ServiceObject extends KubeObject {
  spec?: {
    type?: string;
    externalTrafficPolicy?: string;
    loadBalancerClass?: string;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointSliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string;
}

export interface EndpointSliceObject extends KubeObject {
  addressType?: string;
  endpoints?: EndpointSliceEndpoint[] | null;
}

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';

export const serviceKey = (s: { metadata: { namespace?: string; name?: string } }): string => `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`;
