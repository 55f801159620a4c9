// Linux process facts from /proc, used to kill only what we started: a PID is trusted only while its
// command line still names our own directory (PIDs are reused), and an owner is identified by PID plus
// start time.
import { readFileSync } from 'node:fs';

/** The NUL-separated command line joined with blanks, or null when the process is gone. */
export function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

function statFields(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may contain blanks
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Running (or stopped) and not a zombie. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const f = statFields(pid);
  return f !== null && f[0] !== 'Z' && f[0] !== 'X';
}

/** Start time in clock ticks since boot (field 22 of /proc/PID/stat); null when gone. */
export function startTime(pid: number): number | null {
  const f = statFields(pid);
  return f ? Number(f[19]) : null;
}

/** The process identity recorded in a run's directory. */
export interface OwnerRecord {
  pid: number;
  startTime: number | null;
}

export function selfOwner(): OwnerRecord {
  return { pid: process.pid, startTime: startTime(process.pid) };
}

/** The owner still runs (same PID and same start time). */
export function ownerAlive(o: OwnerRecord): boolean {
  if (!isAlive(o.pid)) return false;
  return o.startTime === null || startTime(o.pid) === o.startTime;
}

/** SIGKILL `pid` if it is alive and its command line contains `mark`; true when a signal was sent. */
export function killIfOurs(pid: number, mark: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (!isAlive(pid)) return false;
  const cl = cmdline(pid);
  if (cl === null || !cl.includes(mark)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Busy-waits (synchronously, a few ms per step) until none of the PIDs is alive; false on timeout. */
export function waitDeadSync(pids: number[], timeoutMs = 3000): boolean {
  const end = Date.now() + timeoutMs;
  const shared = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (pids.every((p) => !isAlive(p))) return true;
    if (Date.now() > end) return false;
    Atomics.wait(shared, 0, 0, 5);
  }
}

/** Resolves when none of the PIDs is alive; false on timeout. */
export async function waitDead(pids: number[], timeoutMs = 3000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((p) => !isAlive(p))) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
}
