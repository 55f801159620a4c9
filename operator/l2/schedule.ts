// When to send gratuitous ARP / unsolicited NA, without I/O or clocks: the caller passes `now` (ms).
// An IP that is announced (new, or moved to other interfaces) is due at once, then every `intervalMs`
// (1.1 s) until `windowMs` (5 s) after its latest announce; a withdrawn IP is never due again.

export const GRATUITOUS_INTERVAL_MS = 1100;
export const GRATUITOUS_WINDOW_MS = 5000;

interface Entry {
  nextAt: number;
  until: number;
}

export class GratuitousSchedule {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly intervalMs = GRATUITOUS_INTERVAL_MS,
    readonly windowMs = GRATUITOUS_WINDOW_MS,
  ) {}

  /** (Re)starts the burst for `key`: due now, and then until now + windowMs. */
  announce(key: string, now: number): void {
    this.entries.set(key, { nextAt: now, until: now + this.windowMs });
  }

  /** Stops the burst for `key` (withdrawn). */
  withdraw(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * The keys due at `now`, marked as sent: each advances by intervalMs from its due time (a late
   * timer does not shift the rhythm, a very late one does not send twice), and leaves the schedule
   * when its next time is past its window.
   */
  take(now: number): string[] {
    const due: string[] = [];
    for (const [key, e] of this.entries) {
      if (e.nextAt > now) continue;
      due.push(key);
      let next = e.nextAt + this.intervalMs;
      while (next <= now) next += this.intervalMs;
      if (next > e.until) this.entries.delete(key);
      else e.nextAt = next;
    }
    return due;
  }

  /** When take() has something next, or null when nothing is scheduled. */
  nextWakeup(): number | null {
    let min: number | null = null;
    for (const e of this.entries.values()) if (min === null || e.nextAt < min) min = e.nextAt;
    return min;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
