import type { Header, HttpRequest, HttpResponse } from '../core/http/message';
import type { PreparedRequest } from './prepare';
import type { TargetAttempt } from './sender';
import type { WriteOutcome } from './write-plan';

/** A request or response in the tuple form: headers as keys, plus the reference's fixed keys. */
export type TupleMessage = Record<string, string | number>;

/**
 * What a request's credentials become in its tuple: masked (the default for what clients sent),
 * kept (--tuple-keep-source-auth), or, on the target request, replaced by the replayer's own
 * basic or SigV4 auth, whose value never reaches a tuple.
 */
export type TupleAuth = 'mask' | 'keep' | 'basic' | 'sigv4';

/** Headers that carry credentials (lower case). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-amz-security-token', 'cookie']);
const secretNames = new Map<string, boolean>();

function isSecret(k: string): boolean {
  let secret = secretNames.get(k);
  if (secret === undefined) {
    secret = SECRET_HEADERS.has(k.toLowerCase());
    if (secretNames.size < 1024) secretNames.set(k, secret);
  }
  return secret;
}

/** `Basic [masked]`: the scheme stays readable, the credentials do not. */
export function maskSecret(value: string): string {
  const scheme = /^([A-Za-z0-9][A-Za-z0-9._-]*) /.exec(value);
  return scheme ? `${scheme[1]} [masked]` : '[masked]';
}

function replacedBy(auth: 'basic' | 'sigv4'): string {
  return `[replaced by the replayer: ${auth}]`;
}

function headerValueFor(k: string, value: string, auth: TupleAuth): string {
  if (auth === 'keep' || !isSecret(k)) return value;
  if (auth === 'mask' || k.toLowerCase() !== 'authorization') return maskSecret(value);
  return replacedBy(auth);
}

function withHeaders(fixed: TupleMessage, headers: Header[] | Record<string, string | string[] | undefined>, auth: TupleAuth = 'keep'): TupleMessage {
  const out: TupleMessage = {};
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    const value = headerValueFor(k, Array.isArray(v) ? v.join(', ') : v, auth);
    out[k] = out[k] === undefined ? value : `${out[k]}, ${value}`;
  }
  if (auth === 'sigv4' && !entries.some(([k]) => k.toLowerCase() === 'authorization')) out.Authorization = replacedBy('sigv4');
  return Object.assign(out, fixed);
}

export function requestMessage(req: HttpRequest, auth: TupleAuth = 'mask'): TupleMessage {
  return withHeaders({ Method: req.method, 'Request-URI': req.uri, 'HTTP-Version': req.httpVersion, body: req.body.toString('base64') }, req.headers, auth);
}

export function preparedMessage(req: PreparedRequest, httpVersion: string, auth: TupleAuth = 'mask'): TupleMessage {
  return withHeaders({ Method: req.method, 'Request-URI': req.path, 'HTTP-Version': httpVersion, body: req.body.toString('base64') }, req.headers, auth);
}

/** Raw request bytes that did not parse, with any credential header's value masked. */
export function maskedRawRequest(bytes: Buffer, auth: TupleAuth = 'mask'): Buffer {
  if (auth === 'keep') return bytes;
  const text = bytes.toString('latin1');
  const masked = text.replace(/^((?:proxy-)?authorization|x-amz-security-token|cookie)([ \t]*:[ \t]*)([^\r\n]*)/gim, (_m, name: string, sep: string, value: string) => `${name}${sep}${maskSecret(value)}`);
  return masked === text ? bytes : Buffer.from(masked, 'latin1');
}

export function responseMessage(res: HttpResponse, responseTimeMs: number): TupleMessage {
  return withHeaders(
    { 'HTTP-Version': res.httpVersion, 'Status-Code': res.statusCode, 'Reason-Phrase': res.reasonPhrase, response_time_ms: responseTimeMs, body: res.body.toString('base64') },
    res.headers,
  );
}

export function attemptMessage(a: TargetAttempt): TupleMessage {
  if (a.error !== undefined) return { error: a.error, response_time_ms: Math.round(a.timeMs) };
  return withHeaders(
    { 'HTTP-Version': 'HTTP/1.1', 'Status-Code': a.statusCode!, 'Reason-Phrase': a.reasonPhrase ?? '', response_time_ms: Math.round(a.timeMs), body: (a.body ?? Buffer.alloc(0)).toString('base64') },
    a.headers ?? {},
  );
}

export interface Tuple {
  connectionId: string;
  nodeId: string;
  /** When the source got the request (its first byte in the capture), ISO 8601. */
  timestamp?: string;
  sourceRequest: TupleMessage | null;
  sourceResponse: TupleMessage | null;
  targetRequest: TupleMessage | null;
  targetResponses: TupleMessage[];
  numRequests: number;
  numErrors: number;
  error: string | null;
  /** The source connection went idle before its response was complete. */
  expired?: boolean;
  /** Document writes: the replayer's verdict (see WriteOutcome in write-plan.ts); absent for reads. */
  outcome?: WriteOutcome;
  /** Why, where it helps (e.g. "source _bulk response has 3 items, request has 4"). */
  outcomeDetail?: string;
  /** _bulk: one entry per action of the source request, in order. */
  bulkItems?: { outcome: WriteOutcome; sourceStatus: number | null; targetStatus: number | null }[];
}

/*
 * The same JSON lines, written straight as strings: no message objects per request (they showed
 * as a third of the replayer's CPU with the GC they cost). A message whose header names could
 * change the key order or clash with the fixed keys (a digit first, a fixed key's name,
 * __proto__) goes through the object form instead, so the line is exactly what
 * JSON.stringify(tuple) gives.
 */

const FIXED_KEYS = new Set(['Method', 'Request-URI', 'HTTP-Version', 'body', 'Status-Code', 'Reason-Phrase', 'response_time_ms', 'error', '__proto__']);

/** A JSON string literal; most header values need no escaping and skip JSON.stringify. */
function q(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Quote, backslash, controls and surrogates (a lone one is escaped): JSON.stringify decides.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * `"name":` for a header name, or null when the name needs the object form. Names repeat from
 * request to request: they are looked up, not checked and quoted each time (bounded for hostile input).
 */
const fieldNames = new Map<string, string | null>();

function fieldName(k: string): string | null {
  let json = fieldNames.get(k);
  if (json === undefined) {
    const c = k.charCodeAt(0);
    json = (c >= 48 && c <= 57) || FIXED_KEYS.has(k) ? null : `${JSON.stringify(k)}:`;
    if (fieldNames.size < 1024) fieldNames.set(k, json);
  }
  return json;
}

/** `"name":"value",` for each header, duplicates joined where they first appear; undefined: use the object form. */
function headerFields(headers: Header[] | Record<string, string | string[] | undefined>, auth: TupleAuth = 'keep'): string | undefined {
  let out = '';
  if (Array.isArray(headers)) {
    const n = headers.length;
    let authorization = false;
    for (let i = 0; i < n; i++) {
      const k = headers[i][0];
      const name = fieldName(k);
      if (name === null) return undefined;
      let seen = false;
      for (let j = 0; j < i && !seen; j++) seen = headers[j][0] === k;
      if (seen) continue;
      const secret = auth !== 'keep' && isSecret(k);
      let v = secret ? headerValueFor(k, headers[i][1], auth) : headers[i][1];
      for (let j = i + 1; j < n; j++) if (headers[j][0] === k) v = `${v}, ${secret ? headerValueFor(k, headers[j][1], auth) : headers[j][1]}`;
      if (secret && !authorization) authorization = k.toLowerCase() === 'authorization';
      out += `${name}${q(v)},`;
    }
    if (auth === 'sigv4' && !authorization) out += `"Authorization":${q(replacedBy('sigv4'))},`;
    return out;
  }
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    if (v === undefined) continue;
    const name = fieldName(k);
    if (name === null) return undefined;
    out += `${name}${q(headerValueFor(k, Array.isArray(v) ? v.join(', ') : v, auth))},`;
  }
  return out;
}

export function requestJson(req: HttpRequest, body64 = req.body.toString('base64'), auth: TupleAuth = 'mask'): string {
  const h = headerFields(req.headers, auth);
  if (h === undefined) return JSON.stringify(requestMessage(req, auth));
  return `{${h}"Method":${q(req.method)},"Request-URI":${q(req.uri)},"HTTP-Version":${q(req.httpVersion)},"body":"${body64}"}`;
}

export function preparedJson(req: PreparedRequest, httpVersion: string, body64 = req.body.toString('base64'), auth: TupleAuth = 'mask'): string {
  const h = headerFields(req.headers, auth);
  if (h === undefined) return JSON.stringify(preparedMessage(req, httpVersion, auth));
  return `{${h}"Method":${q(req.method)},"Request-URI":${q(req.path)},"HTTP-Version":${q(httpVersion)},"body":"${body64}"}`;
}

export function responseJson(res: HttpResponse, responseTimeMs: number): string {
  const h = headerFields(res.headers);
  if (h === undefined) return JSON.stringify(responseMessage(res, responseTimeMs));
  return `{${h}"HTTP-Version":${q(res.httpVersion)},"Status-Code":${num(res.statusCode)},"Reason-Phrase":${q(res.reasonPhrase)},"response_time_ms":${num(responseTimeMs)},"body":"${res.body.toString('base64')}"}`;
}

export function attemptJson(a: TargetAttempt): string {
  if (a.error !== undefined) return `{"error":${q(a.error)},"response_time_ms":${num(Math.round(a.timeMs))}}`;
  const h = headerFields(a.headers ?? {});
  if (h === undefined) return JSON.stringify(attemptMessage(a));
  const body = a.body ? a.body.toString('base64') : '';
  return `{${h}"HTTP-Version":"HTTP/1.1","Status-Code":${num(a.statusCode!)},"Reason-Phrase":${q(a.reasonPhrase ?? '')},"response_time_ms":${num(Math.round(a.timeMs))},"body":"${body}"}`;
}

export interface TupleParts {
  connectionId: string;
  nodeId: string | undefined;
  timestamp?: string;
  /** JSON of each message, or 'null'. */
  sourceRequest: string;
  sourceResponse: string;
  targetRequest: string;
  targetResponses: string[];
  numRequests: number;
  numErrors: number;
  error: string | null;
  expired?: boolean;
  outcome?: WriteOutcome;
  outcomeDetail?: string;
  /** JSON of the bulkItems list. */
  bulkItems?: string;
}

/** One tuple's JSON line (without the newline), key for key what JSON.stringify(Tuple) writes. */
export function tupleJson(t: TupleParts): string {
  const node = t.nodeId === undefined ? '' : `"nodeId":${q(t.nodeId)},`;
  const at = t.timestamp === undefined ? '' : `"timestamp":${q(t.timestamp)},`;
  return (
    `{"connectionId":${q(t.connectionId)},${node}${at}"sourceRequest":${t.sourceRequest},"sourceResponse":${t.sourceResponse},` +
    `"targetRequest":${t.targetRequest},"targetResponses":[${t.targetResponses.join(',')}],"numRequests":${num(t.numRequests)},` +
    `"numErrors":${num(t.numErrors)},"error":${t.error === null ? 'null' : q(t.error)}${t.expired ? ',"expired":true' : ''}` +
    `${t.outcome ? `,"outcome":"${t.outcome}"` : ''}${t.outcomeDetail ? `,"outcomeDetail":${q(t.outcomeDetail)}` : ''}${t.bulkItems ? `,"bulkItems":${t.bulkItems}` : ''}}`
  );
}
