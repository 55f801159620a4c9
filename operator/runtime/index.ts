// The controller runtime: raw-JSON client, informers, workqueue + controllers, Lease leader election,
// server-side apply, events, health/metrics server, and the Manager that wires them together.
export * from './clock.js';
export * from './backoff.js';
export * from './client.js';
export * from './resources.js';
export * from './apply.js';
export * from './informer.js';
export * from './workqueue.js';
export * from './controller.js';
export * from './leader.js';
export * from './events.js';
export * from './health.js';
export * from './metrics.js';
export * from './manager.js';
