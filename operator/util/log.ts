// Structured logs: one JSON object per line on stderr. Secrets never reach the output: any field whose
// key looks like a password/secret/token/key material is replaced, and "password <x>" inside strings
// (FRR config snippets) is masked.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret(?!ref)|token|private.?key|^key$/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Masks `password <value>` inside free text, as frr-k8s does for FRR output. */
export function maskPasswords(text: string): string {
  return text.replace(/(password\s+)\S+/g, '$1<retracted>');
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[deep]';
  if (typeof value === 'string') return maskPasswords(value);
  if (value instanceof Error) return maskPasswords(value.message);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number') ? '<redacted>' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export interface LoggerOptions {
  level?: Level;
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

export function createLogger(component: string, opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? ((process.env.METALFRR_LOG_LEVEL as Level) || 'info')] ?? ORDER.info;
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = { component, ...(opts.base ?? {}) };
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const rec = { ts: new Date().toISOString(), level, ...base, msg: maskPasswords(msg), ...(redact(fields ?? {}) as object) };
    write(JSON.stringify(rec));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(component, { ...opts, base: { ...(opts.base ?? {}), ...fields } }),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger('silent', { write: () => undefined, level: 'error' });
