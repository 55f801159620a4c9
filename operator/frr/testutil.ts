// Test helpers for rendered frr.conf files: the vectors' whitespace normalisation and the
// `vtysh -C -f` dry-run syntax check (no daemons needed).
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The README's comparison form: trailing whitespace stripped per line, empty lines dropped. */
export function normalizedLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

/**
 * Lines with the numbers the numbering scheme decides blanked: prefix-list `seq <n>` and route-map
 * entry numbers (`route-map NAME permit|deny <n>`) become `N`.
 */
export function withoutNumbers(lines: string[]): string[] {
  return lines.map((l) => l.replace(/^((?:ip|ipv6) prefix-list \S+ seq) \d+ /, '$1 N ').replace(/^(route-map \S+ (?:permit|deny)) \d+$/, '$1 N'));
}

export const VTYSH = process.env.METALFRR_VTYSH ?? '/usr/bin/vtysh';

export interface VtyshResult {
  /** false when vtysh could not be run at all */
  ran: boolean;
  status: number | null;
  output: string;
  /** why it did not run */
  reason?: string;
}

/** Runs `vtysh -C -f` on each text (written to a temp dir); one result per text. */
export function vtyshCheck(texts: Record<string, string>): Record<string, VtyshResult> {
  const dir = mkdtempSync(join(tmpdir(), 'metalfrr-vtysh-'));
  const out: Record<string, VtyshResult> = {};
  try {
    for (const [name, text] of Object.entries(texts)) {
      const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.conf`);
      writeFileSync(file, text);
      const r = spawnSync(VTYSH, ['-C', '-f', file], { encoding: 'utf8', timeout: 30_000 });
      if (r.error) {
        out[name] = { ran: false, status: null, output: '', reason: `${VTYSH}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}` };
        continue;
      }
      out[name] = { ran: true, status: r.status, output: `${r.stdout}${r.stderr}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/**
 * Whether the vtysh oracle must be used: always when it is installed; in CI (CI=true) a missing
 * vtysh is an error, elsewhere the caller may skip the check with the returned reason.
 */
export function vtyshAvailability(): { available: true } | { available: false; reason: string } {
  const r = spawnSync(VTYSH, ['-h'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { available: false, reason: `${VTYSH} cannot be run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); install FRR (Debian package frr) to enable the syntax check` };
  return { available: true };
}

/**
 * For a test that needs the vtysh oracle: true when it can run. When it cannot, the test fails under
 * CI=true (the CI image installs FRR) and is skipped, with the reason, elsewhere.
 */
export function requireVtysh(t: TestContext): boolean {
  const avail = vtyshAvailability();
  if (avail.available) return true;
  if (process.env.CI === 'true') assert.fail(`vtysh is required in CI: ${avail.reason}`);
  t.skip(avail.reason);
  return false;
}

/** Every text passes `vtysh -C -f`, and there are at least `min` of them. */
export function assertVtyshAccepts(t: TestContext, texts: Record<string, string>, min: number): void {
  const names = Object.keys(texts);
  assert.ok(names.length >= min, `${names.length} files, expected at least ${min}`);
  for (const [name, r] of Object.entries(vtyshCheck(texts))) {
    assert.ok(r.ran, `${name}: ${r.reason}`);
    assert.equal(r.status, 0, `${name}: vtysh -C -f failed:\n${r.output}\n${texts[name]}`);
  }
  t.diagnostic(`vtysh -C -f accepted ${names.length} rendered files`);
}
