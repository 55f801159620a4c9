// The resource model of the test API server: one ResourceType per served (group, version, resource).
import type { KubeObject } from '../../operator/api/meta.js';
import type { VersionNames } from '../../operator/config/schema.js';

export type { KubeObject };

/** When metadata.generation is bumped. */
export type GenerationRule =
  /** the kind has no generation (ConfigMap, Secret, Service, ...) */
  | 'none'
  /** changes to `spec` only (Deployment, DaemonSet, CustomResourceDefinition, ...) */
  | 'spec'
  /** changes outside metadata (custom resources without a status subresource, webhook configurations) */
  | 'nonMetadata'
  /** changes outside metadata and status (custom resources with a status subresource) */
  | 'nonMetadataStatus';

/** How metadata.name is validated. */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path';

/** A served version of a resource: its names and scope (operator/config/schema.ts's VersionNames) and how the server treats it. */
export interface ResourceType extends VersionNames {
  categories: string[];
  /** the version objects are stored at (custom resources with several versions are converted) */
  storageVersion: string;
  /** a built-in kind (no schema) rather than a custom resource */
  builtin: boolean;
  generation: GenerationRule;
  nameRule: NameRule;
  /** create ignores `status` (reset to the kind's initial status) */
  resetStatusOnCreate: boolean;
  /** PUT without metadata.resourceVersion is accepted (most built-ins; never custom resources) */
  allowUnconditionalUpdate: boolean;
  /** DELETE answers with the object (custom resources, Pods, Namespaces) rather than a Status */
  returnDeletedObject: boolean;
}

export const apiVersionOf = (t: { group: string; version: string }): string => (t.group ? `${t.group}/${t.version}` : t.version);

/** The key of a group-resource, shared by all versions of a resource: "bgppeers.metallb.io", "pods". */
export const grKey = (group: string, plural: string): string => (group ? `${plural}.${group}` : plural);

export function splitAPIVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** Request options every write carries. */
export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** fieldValidation=Strict: unknown fields are an error rather than a warning */
  strict?: boolean;
  /** the user name sent to admission webhooks */
  user?: string;
}

export interface WriteResult {
  object: KubeObject;
  /** 200 or 201 */
  code: number;
  warnings: string[];
}
