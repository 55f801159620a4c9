// frr-k8s configuration pipeline: FRRConfiguration objects -> internal FRR model, and webhook validation.
export * from './model.js';
export * from './convert.js';
export * from './webhook.js';
export { parseCommunity, communityCanonical, communityString, CommunityError, type BGPCommunity } from './community.js';
export { mergeRouterConfigs } from './merge.js';
