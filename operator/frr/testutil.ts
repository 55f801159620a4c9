// Test helpers for rendered frr.conf files: the vectors' whitespace normalisation and the
// `vtysh -C -f` dry-run syntax check (no daemons needed).
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
