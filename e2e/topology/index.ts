// Network namespaces + real FRR for tests and the lab (see topology.ts for the layout).
export { Topology, sweepStale, listNamespaces, namespacePids, defaultBaseDir, PREFIX_PATTERN, type TopologyOptions, type Host, type Link, type SweepResult } from './topology.js';
export { FRRInstance, frrUser, DEFAULT_DAEMONS, FRR_SBIN, VTYSH_BIN, type FRRDaemon, type FRRInstanceOptions } from './frr.js';
export { withTopology, frrSkip, frrMissing, requireFRR } from './testing.js';
export { waitFor, type WaitOptions } from './wait.js';
export { registerForExit, unregisterForExit, liveCount } from './cleanup.js';
