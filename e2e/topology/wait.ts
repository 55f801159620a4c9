// Event-driven waits for tests: poll a (possibly async) condition until it holds, with a generous
// timeout and the last observation in the error, instead of fixed sleeps.

export interface WaitOptions {
  /** default 30 s */
  timeoutMs?: number;
  /** default 20 ms */
  intervalMs?: number;
  /** what is awaited, for the error message */
  what?: string;
}

/**
 * Calls `probe` until it returns a value other than undefined/false/null and returns that value.
 * A probe that throws counts as "not yet" (daemons starting up); the last error or value is reported
 * on timeout.
 */
export async function waitFor<T>(probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: WaitOptions = {}): Promise<T> {
  const timeout = opts.timeoutMs ?? 30_000;
  const interval = opts.intervalMs ?? 20;
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeout) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeout} ms waiting for ${opts.what ?? 'condition'} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
