// A Secret volume as the kubelet projects it (pkg/volume/util/atomic_writer.go): the payload lives in a
// timestamped directory `..2026_11_22_17_34_24.123456789`, `..data` is a symlink to it, and every key is
// a symlink `key -> ..data/key`. An update writes a new timestamped directory, points a new symlink
// `..data_tmp` at it and renames that over `..data` (atomic), adds symlinks for new keys, removes those
// of keys that are gone, and removes the previous directory. Each file is always complete, but a reader
// opening tls.crt before and tls.key after a swap gets a mixed pair, which certificate reloaders must
// cope with.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';

const DATA = '..data';
const DATA_TMP = '..data_tmp';

function timestampDir(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${ts}.${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}`;
}

/**
 * Projects the (decoded) Secret data into `dir` the kubelet way; creates `dir` when missing. Returns the
 * name of the new payload directory. Files get mode 0644 (the kubelet's defaultMode).
 */
export function projectSecret(dir: string, data: Record<string, string | Buffer>, opts: { mode?: number } = {}): string {
  mkdirSync(dir, { recursive: true });
  for (const k of Object.keys(data)) {
    if (k === '' || k.startsWith('..') || k.includes('/')) throw new Error(`invalid key ${JSON.stringify(k)} for a Secret volume`);
  }
  const previous = existsSync(join(dir, DATA)) ? readlinkSync(join(dir, DATA)) : undefined;
  const payload = timestampDir(new Date());
  mkdirSync(join(dir, payload));
  for (const [k, v] of Object.entries(data)) writeFileSync(join(dir, payload, k), v, { mode: opts.mode ?? 0o644 });
  rmSync(join(dir, DATA_TMP), { force: true });
  symlinkSync(payload, join(dir, DATA_TMP));
  renameSync(join(dir, DATA_TMP), join(dir, DATA));
  for (const k of Object.keys(data)) {
    const link = join(dir, k);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join(DATA, k), link);
  }
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('..') || entry in data) continue;
    if (isSymlink(join(dir, entry))) rmSync(join(dir, entry));
  }
  if (previous && previous !== payload) rmSync(join(dir, previous), { recursive: true, force: true });
  return payload;
}

function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The files of a projected Secret volume, by key (read through the symlinks). */
export function readProjectedSecret(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('..')) continue;
    out[entry] = readFileSync(join(dir, entry), 'utf8');
  }
  return out;
}
