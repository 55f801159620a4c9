// Test helper shared by the frr-k8s vector runners (conversion/merge here, render in operator/frr).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FRRConfiguration } from '../../api/frrk8s.js';
import type { Secret } from '../../api/meta.js';
import { parseManifests } from '../../util/manifests.js';

/** The FRRConfigurations (in file order) and Secrets of a vector's input.yaml; any other kind fails. */
export function loadVectorInput(dir: string): { configs: FRRConfiguration[]; secrets: Secret[] } {
  const file = join(dir, 'input.yaml');
  const parsed = parseManifests(readFileSync(file, 'utf8'), file);
  assert.deepEqual(parsed.errors, [], 'input.yaml must parse');
  const configs: FRRConfiguration[] = [];
  const secrets: Secret[] = [];
  for (const { object } of parsed.objects) {
    if (object.kind === 'FRRConfiguration') configs.push(object as FRRConfiguration);
    else if (object.kind === 'Secret') secrets.push(object as Secret);
    else assert.fail(`unexpected kind ${object.kind} in ${file}`);
  }
  return { configs, secrets };
}
