// Runs every frr-k8s conversion and merge vector of the shared folder (vectors/frrk8s/conversion and
// vectors/frrk8s/merge) through convertConfigurations, with the comparison rules of the vectors' README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadVectorInput } from './testing.js';
import type { FRRConfiguration } from '../../api/frrk8s.js';
import type { Secret } from '../../api/meta.js';
import { sharedDir } from '../../util/paths.js';
import { ConversionError, convertConfigurations } from './convert.js';
import { modelFromJSON, type FRRModelConfig } from './model.js';

const VECTORS = join(sharedDir(), 'vectors', 'frrk8s');

interface Meta {
  alwaysBlock?: string[];
  errorVariants?: string[];
}

/** Applies the README's equivalences so that deepEqual implements its comparison rules. */
export function canonicalModel(m: unknown): FRRModelConfig {
  // modelFromJSON turns absent / null lists into [] (absent, null and [] are equal for lists)
  const c = modelFromJSON(JSON.parse(JSON.stringify(m)));
  for (const r of c.routers) {
    for (const n of r.neighbors) {
      // [] and ["unicast"] are equal for addressFamilies (CRD default)
      if (n.addressFamilies.length === 0) n.addressFamilies = ['unicast'];
      // the renderer re-sorts modifier lists by name: compare them ignoring order
      n.outgoing.localPrefPrefixesModifiers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      n.outgoing.communityPrefixesModifiers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }
  return c;
}

function loadCase(dir: string): { configs: FRRConfiguration[]; secrets: Secret[]; meta: Meta } {
  const { configs, secrets } = loadVectorInput(dir);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  return { configs, secrets, meta };
}

function runCase(dir: string): void {
  const { configs, secrets, meta } = loadCase(dir);
  const run = (): FRRModelConfig => convertConfigurations(configs, { alwaysBlock: meta.alwaysBlock ?? [], secrets });
  const errFile = join(dir, 'expect-error.txt');
  if (existsSync(errFile)) {
    const lines = readFileSync(errFile, 'utf8').split('\n');
    assert.equal(lines[0], 'error');
    const expected = lines[1]!;
    let caught: unknown;
    try {
      run();
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ConversionError, `expected a ConversionError, got ${String(caught)}`);
    if (expected === 'unknown') {
      const variants = meta.errorVariants ?? [];
      assert.ok(variants.length > 0, 'an unknown error text needs errorVariants in meta.json');
      assert.ok(variants.includes(caught.message), `error ${JSON.stringify(caught.message)} is none of ${JSON.stringify(variants)}`);
    } else {
      assert.equal(caught.message, expected);
    }
    return;
  }
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as unknown;
  const got = run();
  assert.deepEqual(canonicalModel(got), canonicalModel(expected));
}

for (const group of ['conversion', 'merge']) {
  test(`frr-k8s ${group} vectors`, async (t) => {
    const dir = join(VECTORS, group);
    assert.ok(existsSync(dir), `vector folder ${dir} is missing (set METALFRR_SHARED to the shared folder)`);
    const cases = readdirSync(dir)
      .filter((name) => statSync(join(dir, name)).isDirectory())
      .sort();
    assert.ok(cases.length > 0, `no cases in ${dir}`);
    let ran = 0;
    for (const name of cases) {
      await t.test(name, () => {
        ran++;
        runCase(join(dir, name));
      });
    }
    assert.equal(ran, cases.length, 'every case directory must run');
  });
}
