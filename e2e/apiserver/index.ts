// The in-memory Kubernetes API server for tests (see server.ts and README.md).
export { TestApiServer, type TestApiServerOptions } from './server.js';
export { ApiCore, type CoreOptions, type DeleteOptions } from './core.js';
export { Faults, type RequestRecord } from './http.js';
export type { ServiceResolver } from './admission.js';
export { ApiError } from './errors.js';
