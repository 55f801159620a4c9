export * from './allocator.js';
export * from './service.js';
