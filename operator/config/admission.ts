// What the admission webhooks decide on and what they answer, independent of the AdmissionReview wire
// format (webhooks/server.ts) and of the kind being validated (metallb/webhook.ts, frrk8s/webhook.ts).
import type { KubeObject } from '../api/meta.js';

export interface AdmissionInput {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  object?: KubeObject;
  oldObject?: KubeObject;
}

export interface AdmissionDecision {
  allowed: boolean;
  message?: string;
  warnings?: string[];
}
