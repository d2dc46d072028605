import { HttpBoundaryParser, HttpHead, ParseEvent } from './boundary-parser';
import { ELASTICSEARCH_7_10, FramingRules, isToken, OPENSEARCH_2_19, parseRequestLine, skippedBeforeRequest } from './framing-rules';

/**
 * Whole HTTP/1.1 messages (a captured request, a captured response), read with the boundary
 * parser and its framing rules, so that a message reads here as the capture proxy framed it; and
 * the bytes of a request to send.
 */

/** One header as captured: original case and order are kept for the tuple and for sending. */
export type Header = [name: string, value: string];

export interface HttpRequest {
  method: string;
  uri: string;
  httpVersion: string;
  headers: Header[];
  /** Chunked transfer coding undone, still content-encoded (e.g. gzip) as on the wire. */
  body: Buffer;
}

export interface HttpResponse {
  httpVersion: string;
  statusCode: number;
  reasonPhrase: string;
  headers: Header[];
  body: Buffer;
}

export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpParseError';
  }
}

/**
 * The source's rules a captured request is read with, in turn: the capture does not say which
 * server it came from, and the proxy framed it with that server's rules, so the first rules under
 * which the bytes are exactly one request are the ones it was framed with (Elasticsearch 7.10's
 * first: they accept more; OpenSearch 2.19's differ in framing a Transfer-Encoding list).
 */
const CAPTURE_RULES: readonly FramingRules[] = [ELASTICSEARCH_7_10, OPENSEARCH_2_19];

const EMPTY = Buffer.alloc(0);

function joined(parts: Buffer[]): Buffer {
  return parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * Parses one complete request: the bytes a capture holds between two end-of-message marks, read
 * with the given source rules, or with the first of the known ones under which they are exactly
 * one request. Throws an HttpParseError when they are not.
 */
export function parseRequest(bytes: Buffer, rules?: FramingRules): HttpRequest {
  if (rules) {
    const req = readRequest(bytes, rules);
    if (typeof req === 'string') throw new HttpParseError(req);
    return req;
  }
  let first: string | undefined;
  for (const r of CAPTURE_RULES) {
    const req = readRequest(bytes, r);
    if (typeof req !== 'string') return req;
    first ??= req;
  }
  throw new HttpParseError(first!);
}

/** The request the bytes hold under these rules, or why they are not exactly one request. */
function readRequest(bytes: Buffer, rules: FramingRules): HttpRequest | string {
  const parser = new HttpBoundaryParser('request', { rules, reportBody: true });
  const parts: Buffer[] = [];
  let head: HttpHead | undefined;
  let pos = 0;
  for (;;) {
    const event = parser.execute(bytes, pos);
    if (event === ParseEvent.Error) return parser.error ?? 'malformed request';
    pos = parser.offset;
    if (event === ParseEvent.HeadComplete) head = parser.head;
    else if (event === ParseEvent.Body) parts.push(bytes.subarray(parser.bodyStart, pos));
    else if (event === ParseEvent.MessageComplete) break;
    else return head ? 'the request ends inside its body' : 'incomplete HTTP head (no empty line after the headers)';
  }
  if (pos < bytes.length) return `${bytes.length - pos} bytes follow the end of the request`;
  return { method: head!.method, uri: head!.target, httpVersion: head!.version, headers: head!.headers, body: joined(parts) };
}

/** A final answer: not an interim 1xx (101 Switching Protocols is final). */
function isFinal(head: HttpHead): boolean {
  return head.statusCode >= 200 || head.statusCode === 101;
}

/** Parses the response a source sent (skipping interim 1xx answers); a truncated body is kept as far as it goes. */
export function parseResponse(bytes: Buffer, requestMethod = 'GET'): HttpResponse {
  const parser = new HttpBoundaryParser('response', { requestMethod: () => requestMethod, reportBody: true });
  let parts: Buffer[] = [];
  let head: HttpHead | undefined;
  let pos = 0;
  for (;;) {
    const event = parser.execute(bytes, pos);
    if (event === ParseEvent.Error) throw new HttpParseError(parser.error ?? 'malformed response');
    pos = parser.offset;
    if (event === ParseEvent.HeadComplete) {
      head = parser.head;
      parts = [];
      continue;
    }
    if (event === ParseEvent.Body) {
      parts.push(bytes.subarray(parser.bodyStart, pos));
      continue;
    }
    // The message is complete, or every byte is read (a body cut short, or one that runs until close).
    if (!head) throw new HttpParseError('incomplete HTTP head (no empty line after the headers)');
    if (isFinal(head)) return { httpVersion: head.version, statusCode: head.statusCode, reasonPhrase: head.reason, headers: head.headers, body: joined(parts) };
    // An interim answer (100 Continue): the final one follows.
    head = undefined;
  }
}

/** Whether bytes hold a whole response (head, and the body its framing announces; until close: all of them). */
export function isCompleteResponse(bytes: Buffer, requestMethod = 'GET'): boolean {
  const parser = new HttpBoundaryParser('response', { requestMethod: () => requestMethod });
  let pos = 0;
  for (;;) {
    const event = parser.execute(bytes, pos);
    if (event === ParseEvent.Error) return false;
    pos = parser.offset;
    const head = parser.head;
    if (event === ParseEvent.MessageComplete && isFinal(head!)) return true;
    if (event === ParseEvent.NeedMore) return head !== undefined && head.untilClose && isFinal(head);
  }
}

/**
 * The method and target of a request's first line, split as parseRequest splits it (control bytes
 * before it skipped); undefined when the bytes do not start with a request line.
 */
export function requestLineOf(bytes: Buffer): { method: string; target: string } | undefined {
  let start = 0;
  while (start < bytes.length && skippedBeforeRequest(ELASTICSEARCH_7_10, bytes[start])) start++;
  const nl = bytes.indexOf(0x0a, start);
  if (nl < 0) return undefined;
  const line = parseRequestLine(ELASTICSEARCH_7_10, bytes.toString('latin1', start, bytes[nl - 1] === 0x0d ? nl - 1 : nl));
  return 'reason' in line ? undefined : line;
}

/** The value of the first header with this name (case-insensitive), or undefined. */
export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of headers) if (k.length === lower.length && k.toLowerCase() === lower) return v;
  return undefined;
}

export function setHeader(headers: Header[], name: string, value: string): void {
  const lower = name.toLowerCase();
  const i = headers.findIndex(([k]) => k.toLowerCase() === lower);
  if (i >= 0) headers[i] = [headers[i][0], value];
  else headers.push([name, value]);
}

export function removeHeader(headers: Header[], name: string): void {
  const lower = name.toLowerCase();
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i][0].toLowerCase() === lower) headers.splice(i, 1);
}

/** A request that cannot be written as HTTP/1.1; the code is undici's, which earlier tuples carry. */
export class InvalidRequestError extends Error {
  readonly code = 'UND_ERR_INVALID_ARG';
}

/** Methods whose empty body is still announced (Content-Length: 0), as undici does. */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH']);
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const INVALID_PATH = /[^\u0021-\u00ff]/;

/** Whether a header can be written as HTTP/1.1 (serializeRequest refuses it otherwise): a token name, a value without controls. */
export function isSendableHeader(name: string, value: string): boolean {
  return isToken(name) && !INVALID_VALUE.test(value);
}

/**
 * The bytes of a request: start line, the headers in their order, Content-Length for the body
 * (any given one is replaced: a _bulk retry sends less), a Host when none is given, the body.
 * Throws an InvalidRequestError for what cannot be sent as HTTP/1.1.
 */
export function serializeRequest(method: string, path: string, headers: readonly Header[], body: Buffer, host: string): Buffer {
  if (!isToken(method)) throw new InvalidRequestError('invalid request method');
  if (path[0] !== '/' || INVALID_PATH.test(path)) throw new InvalidRequestError('invalid request path');
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let announce = body.length > 0 || EXPECTS_PAYLOAD.has(method);
  let hasHost = false;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    const value = headers[i][1];
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      announce = true;
      continue;
    }
    if (!isToken(name)) throw new InvalidRequestError('invalid header key');
    if (INVALID_VALUE.test(value)) throw new InvalidRequestError(`invalid ${name} header`);
    if (name.length === 4 && name.toLowerCase() === 'host') hasHost = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head += `host: ${host}\r\n`;
  if (announce) head += `content-length: ${body.length}\r\n`;
  head += '\r\n';
  // One buffer, one write: no writev, no second syscall for a small body.
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  return out;
}
