// The CRD schemas against the shared upstream acceptance vectors (../shared/vectors): the schemas
// must not be stricter than upstream (every object of an upstream-valid case passes, with no field
// dropped), and the only frr-k8s inputs they reject are the ones the vectors' README says the
// upstream CRD rejects.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadManifests } from '../util/manifests.js';
import { sharedDir } from '../util/paths.js';
import { CRDSchemas } from './schema.js';

const schemas = CRDSchemas.fromDirectory();

function caseDirs(root: string): string[] {
  const out: string[] = [];
  for (const group of readdirSync(root).sort()) {
    const g = join(root, group);
    if (!existsSync(g) || group.endsWith('.md')) continue;
    for (const c of readdirSync(g).sort()) out.push(join(g, c));
  }
  return out;
}

function customResources(files: string[]) {
  const { objects, errors } = loadManifests(files.filter((f) => existsSync(f)));
  assert.deepEqual(errors, []);
  return objects.filter((o) => schemas.lookup(o.object.apiVersion, o.object.kind));
}

describe('CRD schemas vs shared upstream vectors', () => {
  it('metallb-validation: every custom resource of a valid case passes the schema unchanged', () => {
    const root = join(sharedDir(), 'vectors', 'metallb-validation');
    let checked = 0;
    let rejectedInvalid = 0;
    for (const dir of caseDirs(root)) {
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { valid: boolean };
      for (const { file, object } of customResources(['input.yaml', 'existing.yaml', 'applied.yaml'].map((f) => join(dir, f)))) {
        const r = schemas.validate(object);
        if (expected.valid) {
          assert.deepEqual(r.errors, [], file);
          assert.deepEqual(r.warnings, [], file);
          checked++;
        } else if (r.errors.length > 0) rejectedInvalid++;
      }
    }
    assert.ok(checked > 100, `checked ${checked} objects`);
    // The schema-level rules (BFD bounds, serviceSelectors vs aggregation) catch some invalid cases too.
    assert.ok(rejectedInvalid >= 5, `schema rejected ${rejectedInvalid} objects of invalid cases`);
  });

  it('frrk8s: every FRRConfiguration passes, except the two next-hop inputs the CRD formats reject', () => {
    const root = join(sharedDir(), 'vectors', 'frrk8s');
    const rejected: string[] = [];
    let checked = 0;
    for (const dir of caseDirs(root)) {
      for (const { object } of customResources([join(dir, 'input.yaml')])) {
        const r = schemas.validate(object);
        assert.deepEqual(r.warnings, [], dir);
        checked++;
        if (r.errors.length > 0) rejected.push(`${dir.slice(root.length + 1)}: ${r.errors.map((e) => e.field).join(', ')}`);
      }
    }
    assert.ok(checked > 150, `checked ${checked} objects`);
    assert.deepEqual(rejected, [
      'conversion/09-invalid-ipv4-next-hop: spec.bgp.routers[0].neighbors[0].toAdvertise.nextHop.ipv4',
      'conversion/10-invalid-ipv6-next-hop: spec.bgp.routers[0].neighbors[0].toAdvertise.nextHop.ipv6',
    ]);
  });
});
