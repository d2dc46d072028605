import { InvalidArgumentError } from 'commander';

/**
 * The parsers of option values that every CLI shares. Each throws a ValueError that says what it
 * accepts; the option that read the value (cliOption, or checkValue) names the flag or variable
 * and the bad value around it: `--page-size must be a whole number >= 1 (got "lots")`.
 */

/** A value refused by a parser: `expected` completes "must be ...". */
export class ValueError extends InvalidArgumentError {
  constructor(readonly expected: string) {
    // Shown as is where commander reports it itself (console verbs' arguments).
    super(`expected ${expected}`);
  }
}

export type ValueParser<T> = (value: string, previous?: unknown) => T;

const range = (what: string, min: number, max: number) =>
  max === Number.MAX_SAFE_INTEGER || max === Infinity ? `${what} >= ${min}` : `${what} from ${min} to ${max}`;

/** Whole numbers in [min, max]. */
export function integerArg(min = 0, max = Number.MAX_SAFE_INTEGER): ValueParser<number> {
  return (value) => {
    const n = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || n < min || n > max) throw new ValueError(range('a whole number', min, max));
    return n;
  };
}

/** A TCP port; 0 (where allowed) lets the system pick one. */
export const portArg = (min = 1): ValueParser<number> => integerArg(min, 65535);

/** Decimal numbers: at least `min`, or strictly above `above`. */
export function numberArg(limits: { min?: number; above?: number; max?: number } = {}): ValueParser<number> {
  const { min, above, max = Infinity } = limits;
  const expected = above !== undefined ? `a number > ${above}${max === Infinity ? '' : ` and <= ${max}`}` : range('a number', min ?? -Infinity, max);
  return (value) => {
    const n = Number(value);
    if (!value.trim() || !Number.isFinite(n) || (min !== undefined && n < min) || (above !== undefined && n <= above) || n > max) throw new ValueError(expected);
    return n;
  };
}

const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Durations as milliseconds: 500ms, 30s, 5m, 2h, 1d; a bare number is in `unit`. */
export function durationArg(opts: { unit?: 'ms' | 's'; minMs?: number } = {}): ValueParser<number> {
  const { unit = 's', minMs = 0 } = opts;
  return (value) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
    const ms = m ? Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? unit) as keyof typeof DURATION_UNITS]) : Number.NaN;
    if (!(ms >= minMs)) throw new ValueError(`a duration such as 500ms, 30s or 5m${minMs > 0 ? ` (at least ${minMs} ms)` : ''}`);
    return ms;
  };
}

/** ISO-8601 durations as the reference's Java flags take them (PT30S, PT1M30S, P1D), as milliseconds above 0. */
export function isoDurationArg(): ValueParser<number> {
  return (value) => {
    const v = value.trim();
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(v);
    if (!m || /^P$|T$/i.test(v)) throw new ValueError('an ISO-8601 duration such as PT30S');
    const [, d = '0', h = '0', min = '0', sec = '0'] = m;
    const ms = ((Number(d) * 24 + Number(h)) * 60 + Number(min)) * 60_000 + Math.round(Number(sec) * 1000);
    if (ms <= 0) throw new ValueError('an ISO-8601 duration longer than 0, such as PT30S');
    return ms;
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** Byte sizes: 1048576, 512kb, 10mb, 1gb (binary units: 1kb = 1024 bytes), within [min, max]. */
export function byteSizeArg(min = 0, max = Number.MAX_SAFE_INTEGER): ValueParser<number> {
  const limits = max < Number.MAX_SAFE_INTEGER ? ` (${min} to ${max} bytes)` : min > 0 ? ` (at least ${min} bytes)` : '';
  return (value) => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
    const mult = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
    const n = m && mult ? Math.floor(Number(m[1]) * mult) : Number.NaN;
    if (!(n >= min && n <= max)) throw new ValueError(`a size such as 10mb or 1048576${limits}`);
    return n;
  };
}

/** An http(s) URL such as `example`; the text is kept as given. */
export function urlArg(example = 'https://host:9200', protocols: readonly string[] = ['http:', 'https:']): ValueParser<string> {
  return (value) => {
    let url: URL | undefined;
    try {
      url = new URL(value.trim());
    } catch {
      url = undefined;
    }
    if (!url || !protocols.includes(url.protocol) || !url.hostname) throw new ValueError(`a URL such as ${example}, starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    return value.trim();
  };
}
