// Teardown that also happens when a test fails, throws or the process is interrupted: every live
// topology is registered here and destroyed synchronously on process exit and on SIGINT/SIGTERM/SIGHUP
// (SIGKILL cannot be caught: sweepStale removes what such a run leaves behind).

export interface SyncDisposable {
  destroySync(): void;
}

const live = new Set<SyncDisposable>();
let installed = false;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function destroyAll(): void {
  for (const d of [...live]) {
    try {
      d.destroySync();
    } catch (e) {
      process.stderr.write(`topology cleanup failed: ${(e as Error).message}\n`);
    }
    live.delete(d);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  destroyAll();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // let the signal do what it would have done without us (terminate), unless someone else handles it
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', destroyAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** Destroy `d` on exit or signal unless it was unregistered before. */
export function registerForExit(d: SyncDisposable): void {
  install();
  live.add(d);
}

export function unregisterForExit(d: SyncDisposable): void {
  live.delete(d);
}

/** How many registered objects are still alive (tests). */
export function liveCount(): number {
  return live.size;
}
