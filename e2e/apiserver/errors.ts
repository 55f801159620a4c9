// metav1.Status objects and the error type every layer of the test API server throws.
// The messages follow kube-apiserver's texts (k8s.io/apimachinery/pkg/api/errors).

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export function status(code: number, reason: string, message: string, details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

/** An error that becomes an HTTP response carrying a Status. */
export class ApiError extends Error {
  readonly code: number;
  readonly status: Status;
  constructor(st: Status) {
    super(st.message ?? st.reason ?? `HTTP ${st.code}`);
    this.code = st.code;
    this.status = st;
  }
}

/** What a NotFound/AlreadyExists/Conflict message names: "configmaps" or "bgppeers.metallb.io". */
export interface Qualified {
  group: string;
  plural: string;
}

export const qualifiedResource = (r: Qualified): string => (r.group ? `${r.plural}.${r.group}` : r.plural);

const details = (r: Qualified, name: string): StatusDetails => {
  const d: StatusDetails = { name, kind: r.plural };
  if (r.group) d.group = r.group;
  return d;
};

export const notFound = (r: Qualified, name: string): ApiError =>
  new ApiError(status(404, 'NotFound', `${qualifiedResource(r)} ${JSON.stringify(name)} not found`, details(r, name)));

export const alreadyExists = (r: Qualified, name: string): ApiError =>
  new ApiError(status(409, 'AlreadyExists', `${qualifiedResource(r)} ${JSON.stringify(name)} already exists`, details(r, name)));

export const conflict = (r: Qualified, name: string, why: string): ApiError =>
  new ApiError(status(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(r)} ${JSON.stringify(name)}: ${why}`, details(r, name)));

export const staleObject = (r: Qualified, name: string): ApiError =>
  conflict(r, name, 'the object has been modified; please apply your changes to the latest version and try again');

/** 422 Invalid: `<Kind>[.<group>] "<name>" is invalid: <causes>`. */
export function invalid(kind: string, group: string, name: string, causes: { field: string; reason: string; detail: string }[]): ApiError {
  const msgs = causes.map((c) => (c.field ? `${c.field}: ${c.detail}` : c.detail));
  const head = `${group ? `${kind}.${group}` : kind} ${JSON.stringify(name)} is invalid: `;
  const message = head + (msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`);
  const d: StatusDetails = { name, kind, causes: causes.map((c) => ({ reason: c.reason, message: c.detail, field: c.field })) };
  if (group) d.group = group;
  return new ApiError(status(422, 'Invalid', message, d));
}

export const badRequest = (message: string): ApiError => new ApiError(status(400, 'BadRequest', message));

export const forbidden = (r: Qualified, name: string, why: string): ApiError =>
  new ApiError(status(403, 'Forbidden', `${qualifiedResource(r)} ${JSON.stringify(name)} is forbidden: ${why}`, details(r, name)));

export const unsupportedMediaType = (contentType: string): ApiError =>
  new ApiError(status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml${contentType ? ` (got ${contentType})` : ''}`));

export const methodNotAllowed = (method: string): ApiError =>
  new ApiError(status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`));

export const expired = (message: string): ApiError => new ApiError(status(410, 'Expired', message));

export const gone = (message: string): ApiError => new ApiError(status(410, 'Gone', message));

export const internalError = (message: string): ApiError =>
  new ApiError(status(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }));

export const notFoundPath = (): ApiError => new ApiError(status(404, 'NotFound', 'the server could not find the requested resource', {}));

/** Any thrown value as an ApiError (unexpected exceptions become 500s). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return internalError(e instanceof Error ? e.message : String(e));
}
