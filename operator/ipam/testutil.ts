// Test helpers for the allocator: a parsed pool-only Config from objects.
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/meta.js';
import { parseConfig, type Config } from '../config/metallb/parse.js';
import { NS, resources } from '../config/metallb/testutil.js';

export function config(...objs: KubeObject[]): Config {
  const r = parseConfig(resources(...objs), { backend: 'none', namespace: NS });
  assert.deepEqual(r.errors, []);
  return r.config!;
}
