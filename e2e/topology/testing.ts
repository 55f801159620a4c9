// node:test glue: whether tests that need root and FRR run here, and a topology that is destroyed
// after the test whatever happens (t.after runs on failure too; the exit hook covers crashes).
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { FRR_SBIN, VTYSH_BIN } from './frr.js';
import { Topology, type TopologyOptions } from './topology.js';

/** What is missing for the FRR/netns tests, or null when they can run. */
export function frrMissing(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root (network namespaces need CAP_SYS_ADMIN)';
  for (const bin of [join(FRR_SBIN, 'zebra'), join(FRR_SBIN, 'bgpd'), join(FRR_SBIN, 'bfdd'), VTYSH_BIN]) {
    try {
      accessSync(bin, constants.X_OK);
    } catch {
      return `${bin} is missing (install the Debian package frr)`;
    }
  }
  if (!existsSync('/sbin/ip') && !existsSync('/usr/sbin/ip') && !existsSync('/bin/ip') && !existsSync('/usr/bin/ip')) return 'iproute2 (ip) is missing';
  return null;
}

/**
 * The `skip` option for a test that needs root and FRR: false when they are present, and always
 * false in CI (CI=true), where the test must run and fail if something is missing.
 */
export function frrSkip(): string | false {
  if (process.env.CI === 'true') return false;
  const missing = frrMissing();
  return missing ? `needs root and FRR: ${missing}` : false;
}

/** Fails fast with the reason when root/FRR is missing (in CI the test then fails rather than skips). */
export function requireFRR(): void {
  const missing = frrMissing();
  if (missing) throw new Error(`this test needs root and FRR: ${missing}`);
}

/** Creates a topology, destroys it after the test (also when it fails), and runs fn with it. */
export async function withTopology<T>(t: TestContext, fn: (topo: Topology) => Promise<T>, opts: TopologyOptions = {}): Promise<T> {
  requireFRR();
  const topo = await Topology.create(opts);
  t.after(() => topo.destroy());
  return fn(topo);
}
