import { ConfigError } from '../core/errors';
import type { HttpHead } from '../core/http/boundary-parser';

export interface CaptureRuleOptions {
  /** [header name, regex] pairs: a request with a matching header is not captured. */
  headerMatches?: Array<[string, string]>;
  /** With uriPath: both must match. Alone: the method must match. */
  method?: string;
  uriPath?: string;
  /** Matched against "METHOD /path". */
  methodAndPath?: string;
}

/** A regex that must match the whole string (as Java's String.matches does in the reference). */
export function wholeMatch(source: string, flag: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new ConfigError(`${flag}: "${source}" is not a valid regular expression (${(err as Error).message})`);
  }
}

/** Decides, from a request head, whether its capture is suppressed. */
export class CaptureRules {
  private readonly headers: Array<[string, RegExp]>;
  private readonly method?: RegExp;
  private readonly uriPath?: RegExp;
  private readonly methodAndPath?: RegExp;
  readonly empty: boolean;

  constructor(opts: CaptureRuleOptions) {
    this.headers = (opts.headerMatches ?? []).map(([name, re]) => [name.toLowerCase(), wholeMatch(re, '--suppressCaptureForHeaderMatch')]);
    if (opts.method !== undefined) this.method = wholeMatch(opts.method, '--suppressCaptureForMethod');
    if (opts.uriPath !== undefined) this.uriPath = wholeMatch(opts.uriPath, '--suppressCaptureForUriPath');
    if (opts.methodAndPath !== undefined) this.methodAndPath = wholeMatch(opts.methodAndPath, '--suppressMethodAndPath');
    this.empty = this.headers.length === 0 && !this.method && !this.uriPath && !this.methodAndPath;
  }

  suppresses(head: HttpHead): boolean {
    if (this.empty) return false;
    const q = head.target.indexOf('?');
    const path = q < 0 ? head.target : head.target.slice(0, q);
    if (this.method || this.uriPath) {
      if ((!this.method || this.method.test(head.method)) && (!this.uriPath || this.uriPath.test(path))) return true;
    }
    if (this.methodAndPath?.test(`${head.method} ${path}`)) return true;
    for (const [name, re] of this.headers) {
      for (const [n, v] of head.headers) if (n.length === name.length && n.toLowerCase() === name && re.test(v)) return true;
    }
    return false;
  }
}

/**
 * The head with each named header set to its value (replacing any lines of that name, appended
 * before the empty line). Everything else stays byte-for-byte as the client sent it.
 */
export function rewriteHeaders(raw: Buffer, set: Array<[string, string]>): Buffer {
  if (set.length === 0) return raw;
  const text = raw.toString('latin1');
  const lines = text.split('\n');
  // lines: [leading empties..., start line, headers..., '' or '\r' (the empty line), ''(after last LF)]
  let first = 0;
  while (first < lines.length && (lines[first] === '' || lines[first] === '\r')) first++;
  const names = new Set(set.map(([n]) => n.toLowerCase()));
  const out: string[] = lines.slice(0, first + 1);
  let i = first + 1;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || line === '\r') break;
    const colon = line.indexOf(':');
    if (colon > 0 && names.has(line.slice(0, colon).toLowerCase())) continue;
    out.push(line);
  }
  for (const [name, value] of set) out.push(`${name}: ${value}\r`);
  out.push(...lines.slice(i));
  return Buffer.from(out.join('\n'), 'latin1');
}
