// The error type of the frr-k8s conversion: its message is upstream's exact text.

export class ConversionError extends Error {
  /**
   * True for errors caused by a missing object another one refers to (a password Secret): upstream calls
   * them transient, and its webhook never reports them because it blanks secret references.
   */
  readonly transient: boolean;

  constructor(message: string, opts?: { transient?: boolean }) {
    super(message);
    this.name = 'ConversionError';
    this.transient = opts?.transient ?? false;
  }
}

/** Wraps an inner error the way `fmt.Errorf("...: %w", err)` does: same class, prefixed text. */
export function wrapError(prefix: string, e: unknown): never {
  if (e instanceof ConversionError) throw new ConversionError(prefix + e.message, { transient: e.transient });
  throw e;
}
