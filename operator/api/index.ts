export * from './meta.js';
export * from './constants.js';
export * from './metallb.js';
export * from './frrk8s.js';
