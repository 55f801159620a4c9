import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { projectPath } from '../util/paths.js';

// Docker cannot build here: check what the Dockerfile refers to instead.
const text = readFileSync(projectPath('Dockerfile'), 'utf8');
const lines = text.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));

it('Dockerfile: both stages are pinned to Node 20 (bookworm-slim)', () => {
  const froms = lines.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.equal(froms.length, 2);
  for (const f of froms) assert.equal(f, 'node:20-bookworm-slim');
});

it('Dockerfile: every path copied from the build context exists', () => {
  const copies = lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l));
  assert.ok(copies.length >= 4);
  for (const l of copies) {
    const parts = l.trim().split(/\s+/).slice(1, -1);
    for (const p of parts) assert.ok(existsSync(projectPath(p)), `${p} (in "${l.trim()}") exists`);
  }
  const ignored = readFileSync(projectPath('.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const l of copies) for (const p of l.trim().split(/\s+/).slice(1, -1)) assert.ok(!ignored.includes(p.replace(/\/$/, '')), `${p} is not excluded by .dockerignore`);
});

it('Dockerfile: the runtime stage has what projectPath() looks for, and the entrypoint is the package bin', () => {
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  for (const dir of ['dist/', 'crds/', 'templates/']) assert.match(runtime, new RegExp(`COPY .*${dir}\\s+${dir}\\n`), `${dir} is copied into /app`);
  assert.match(runtime, /COPY package\.json/, 'package.json is copied (projectPath finds the root by it)');
  assert.match(runtime, /WORKDIR \/app/);
  assert.match(runtime, /apt-get install -y --no-install-recommends frr frr-pythontools iproute2/);
  assert.match(runtime, /rm -rf \/var\/lib\/apt\/lists/);
  assert.match(runtime, /COPY --from=build \/src\/node_modules\/ node_modules\/\nRUN npm prune --omit=dev/);
  const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { bin: Record<string, string> };
  const ep = /ENTRYPOINT\s+(\[.*\])/.exec(runtime);
  assert.ok(ep);
  assert.deepEqual(JSON.parse(ep[1]!), ['node', `/app/${pkg.bin.metalfrr}`]);
  assert.ok(existsSync(projectPath(pkg.bin.metalfrr)), 'the bin exists after `npm run build`');
  const build = text.slice(0, text.lastIndexOf('\nFROM '));
  assert.match(build, /RUN npm ci/);
  assert.match(build, /RUN npm run build/);
  for (const dir of ['operator/', 'webhooks/', 'e2e/', 'bench/']) assert.ok(build.includes(`COPY ${dir}`), `build stage copies ${dir} (tsconfig includes it)`);
});
