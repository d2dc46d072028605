import pino, { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values never reach a log: auth headers, passwords, tokens, keys, cookies. */
const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|x-amz-security-token)$|pass(word|wd)?$|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential/i;
/** user:password@ in URLs. */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+):([^/\s@]+)@/gi;
export const REDACTED = '[REDACTED]';

/** A deep copy with every secret-looking key's value replaced, and URL credentials masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(URL_CREDENTIALS, `$1$2:${REDACTED}@`);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return { type: value.name, message: redact(value.message), stack: redact(value.stack) };
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Defaults to stderr, so that stdout stays for a CLI's results. */
  destination?: DestinationStream;
}

/** JSON lines (pino), secrets redacted in every field and in the message. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      name: opts.name,
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service: opts.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (obj) => redact(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? (redact(a) as string) : a)) as Parameters<typeof method>);
        },
      },
    },
    opts.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
