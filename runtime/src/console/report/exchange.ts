import { gunzipSync } from 'node:zlib';

/*
 * One replayed request in a form the comparison reads, from any tuple form: ours (headers as keys,
 * `body` base64), the reference's (`payload` with inlinedJsonBody, inlinedJsonSequenceBodies,
 * inlinedTextBody or inlinedBase64Body; headers possibly lists), and its older `body` (base64,
 * or already parsed by its console).
 */

export type Message = Record<string, unknown>;

export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'ndjson'; values: unknown[] }
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: number };

/** Outcome fields the replayer writes for writes (see DESIGN.md, Tuples). */
export type Outcome = 'replayed' | 'superseded' | 'alreadyPresent' | 'sourceRefused' | 'unversioned' | 'asCaptured';

export interface BulkItemOutcome {
  outcome?: Outcome;
  sourceStatus?: number | null;
  targetStatus?: number | null;
}

export interface Side {
  status: number;
  ms?: number;
  message: Message;
}

export interface Exchange {
  connectionId: string;
  /** Position in the input, from 0. */
  seq: number;
  /** Source time of the request, ms since the epoch, when the tuple says. */
  at?: number;
  method: string;
  /** Path and query as the client sent them. */
  uri: string;
  path: string;
  query: URLSearchParams;
  request?: Message;
  source?: Side;
  /** The target's last answer. */
  target?: Side;
  /** Why there is no target answer, or the tuple's own error. */
  error?: string;
  outcome?: Outcome;
  outcomeDetail?: string;
  bulkItems?: BulkItemOutcome[];
}

function lowerKeyValue(m: Message, name: string): unknown {
  for (const k of Object.keys(m)) if (k.length === name.length && k.toLowerCase() === name) return m[k];
  return undefined;
}

/** A header of a tuple message, case-insensitively; a list (the reference's multi-valued form) is joined. */
export function header(m: Message | undefined, name: string): string | undefined {
  if (!m) return undefined;
  const v = lowerKeyValue(m, name);
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

function statusOf(m: Message | undefined): number | undefined {
  const s = m?.['Status-Code'];
  if (s === undefined || s === null || s === '') return undefined;
  const n = Number(s);
  return Number.isInteger(n) ? n : undefined;
}

function side(m: unknown): Side | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const message = m as Message;
  const status = statusOf(message);
  if (status === undefined) return undefined;
  const ms = Number(message.response_time_ms);
  return { status, ms: Number.isFinite(ms) ? ms : undefined, message };
}

/** Bodies of these are NDJSON: one JSON value a line. */
export function isNdjsonPath(path: string): boolean {
  return /\/_(bulk|msearch)(\/template)?$/.test(path);
}

function parseText(text: string, ndjson: boolean): Body {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'none' };
  if (ndjson) {
    try {
      return { kind: 'ndjson', values: trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)) };
    } catch {
      return { kind: 'text', text };
    }
  }
  const c = trimmed.charCodeAt(0);
  // Only what can start JSON is parsed: `_cat` text and HTML errors skip the throw.
  if (c === 0x7b || c === 0x5b || c === 0x22 || (c >= 0x30 && c <= 0x39) || c === 0x2d || trimmed === 'true' || trimmed === 'false' || trimmed === 'null') {
    try {
      return { kind: 'json', value: JSON.parse(trimmed) };
    } catch {
      /* text that looks like JSON at first */
    }
  }
  return { kind: 'text', text };
}

function bytesBody(bytes: Buffer, m: Message, ndjson: boolean): Body {
  if (bytes.length === 0) return { kind: 'none' };
  let raw = bytes;
  if (/gzip/i.test(header(m, 'content-encoding') ?? '') || (raw[0] === 0x1f && raw[1] === 0x8b)) {
    try {
      raw = gunzipSync(raw);
    } catch {
      return { kind: 'binary', bytes: bytes.length };
    }
  }
  const text = raw.toString('utf8');
  if (text.includes('\uFFFD')) return { kind: 'binary', bytes: raw.length };
  return parseText(text, ndjson);
}

/** The body of a tuple message, decoded; `ndjson` for _bulk and _msearch requests. */
export function bodyOf(m: Message | undefined, ndjson = false): Body {
  if (!m) return { kind: 'none' };
  const payload = m.payload;
  if (payload && typeof payload === 'object') {
    const p = payload as Record<string, unknown>;
    if ('inlinedJsonBody' in p) return { kind: 'json', value: p.inlinedJsonBody };
    if (Array.isArray(p.inlinedJsonSequenceBodies)) return { kind: 'ndjson', values: p.inlinedJsonSequenceBodies };
    if (typeof p.inlinedTextBody === 'string') return parseText(p.inlinedTextBody, ndjson);
    if (typeof p.inlinedBase64Body === 'string') return bytesBody(Buffer.from(p.inlinedBase64Body, 'base64'), m, ndjson);
    if ('inlinedBinaryBody' in p) return { kind: 'binary', bytes: 0 };
    return { kind: 'none' };
  }
  const body = m.body;
  if (body === undefined || body === null || body === '') return { kind: 'none' };
  if (typeof body !== 'string') return Array.isArray(body) && ndjson ? { kind: 'ndjson', values: body } : { kind: 'json', value: body };
  return bytesBody(Buffer.from(body, 'base64'), m, ndjson);
}

/** The request's bytes as they went to the source (for sending them there again). */
export function bodyBytes(m: Message | undefined): Buffer {
  if (!m) return Buffer.alloc(0);
  const p = m.payload as Record<string, unknown> | undefined;
  if (p && typeof p === 'object') {
    if ('inlinedJsonBody' in p) return Buffer.from(JSON.stringify(p.inlinedJsonBody));
    if (Array.isArray(p.inlinedJsonSequenceBodies)) return Buffer.from(p.inlinedJsonSequenceBodies.map((v) => `${JSON.stringify(v)}\n`).join(''));
    if (typeof p.inlinedTextBody === 'string') return Buffer.from(p.inlinedTextBody);
    if (typeof p.inlinedBase64Body === 'string') return Buffer.from(p.inlinedBase64Body, 'base64');
    return Buffer.alloc(0);
  }
  const body = m.body;
  if (typeof body === 'string') return Buffer.from(body, 'base64');
  if (body !== undefined && body !== null) return Buffer.from(JSON.stringify(body));
  return Buffer.alloc(0);
}

const OUTCOMES = new Set<Outcome>(['replayed', 'superseded', 'alreadyPresent', 'sourceRefused', 'unversioned', 'asCaptured']);

function outcomeOf(v: unknown): Outcome | undefined {
  return typeof v === 'string' && OUTCOMES.has(v as Outcome) ? (v as Outcome) : undefined;
}

function statusOrNull(v: unknown): number | null | undefined {
  if (v === null) return null;
  const n = Number(v);
  return v === undefined || !Number.isInteger(n) ? undefined : n;
}

/** A tuple object (any form) as an Exchange; null when it is not a tuple at all. */
export function toExchange(t: unknown, seq: number): Exchange | null {
  if (!t || typeof t !== 'object' || Array.isArray(t)) return null;
  const tuple = t as Record<string, unknown>;
  const request = (tuple.sourceRequest ?? tuple.targetRequest) as Message | undefined;
  if (!request && !('connectionId' in tuple)) return null;
  const method = String(request?.Method ?? request?.method ?? '?').toUpperCase();
  const uri = String(request?.['Request-URI'] ?? request?.URI ?? '/');
  const q = uri.indexOf('?');
  const path = q < 0 ? uri : uri.slice(0, q);
  const responses = Array.isArray(tuple.targetResponses) ? tuple.targetResponses : tuple.targetResponse ? [tuple.targetResponse] : [];
  const last = responses[responses.length - 1] as Message | undefined;
  const ts = typeof tuple.timestamp === 'string' ? Date.parse(tuple.timestamp) : undefined;
  const target = side(last);
  const errorText = typeof tuple.error === 'string' && tuple.error ? tuple.error : undefined;
  const ex: Exchange = {
    connectionId: String(tuple.connectionId ?? `#${seq}`),
    seq,
    at: ts !== undefined && Number.isFinite(ts) ? ts : undefined,
    method,
    uri,
    path: path || '/',
    query: new URLSearchParams(q < 0 ? '' : uri.slice(q + 1)),
    request: tuple.sourceRequest as Message | undefined,
    source: side(tuple.sourceResponse),
    target,
    error: errorText ?? (!target && last && typeof last.error === 'string' ? last.error : undefined),
    outcome: outcomeOf(tuple.outcome),
    outcomeDetail: typeof tuple.outcomeDetail === 'string' ? tuple.outcomeDetail : undefined,
  };
  if (Array.isArray(tuple.bulkItems)) {
    ex.bulkItems = tuple.bulkItems.map((i) => {
      const item = (i ?? {}) as Record<string, unknown>;
      return { outcome: outcomeOf(item.outcome), sourceStatus: statusOrNull(item.sourceStatus), targetStatus: statusOrNull(item.targetStatus) };
    });
  }
  return ex;
}
