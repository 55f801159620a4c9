// The speaker's pure logic: which services a node announces over BGP (and the FRRConfiguration it writes) and in L2.
export * from './types.js';
export * from './announce.js';
export * from './frrk8s.js';
export * from './l2.js';
