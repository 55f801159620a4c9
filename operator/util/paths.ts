// Where the project's own files are, wherever the compiled code runs from (dist/ or the source tree).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding metalfrr's package.json. */
export function repoRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'metalfrr') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the metalfrr package root');
    dir = up;
  }
}

/** A path inside the project (crds/, templates/, examples/ ...). */
export function projectPath(...parts: string[]): string {
  return join(repoRoot(), ...parts);
}

/** The shared folder beside the project (spec and acceptance vectors); METALFRR_SHARED overrides it. */
export function sharedDir(): string {
  return resolve(process.env.METALFRR_SHARED ?? join(repoRoot(), '..', 'shared'));
}
