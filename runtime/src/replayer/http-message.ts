import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';

/** One header as captured: original case and order are kept for the tuple and for sending. */
export type Header = [name: string, value: string];

export interface HttpRequest {
  method: string;
  uri: string;
  httpVersion: string;
  headers: Header[];
  /** Decoded from chunked transfer encoding, still content-encoded (e.g. gzip) as on the wire. */
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

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Splits the head (start line + headers) from the rest; throws when the head is incomplete. */
function splitHead(bytes: Buffer): { startLine: string; headers: Header[]; rest: Buffer } {
  const end = bytes.indexOf(CRLFCRLF);
  if (end < 0) throw new HttpParseError('incomplete HTTP head (no blank line after the headers)');
  const lines = bytes.toString('latin1', 0, end).split('\r\n');
  const startLine = lines[0];
  const headers: Header[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpParseError(`malformed header line "${line.slice(0, 80)}"`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, rest: bytes.subarray(end + 4) };
}

export function headerValue(headers: Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of headers) if (k.toLowerCase() === lower) return v;
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

/** Decodes a chunked body; returns the body and how many bytes it took (trailers included). */
export function decodeChunked(bytes: Buffer): { body: Buffer; consumed: number; complete: boolean } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', pos, 'latin1');
    if (lineEnd < 0) return { body: Buffer.concat(parts), consumed: pos, complete: false };
    const size = parseInt(bytes.toString('latin1', pos, lineEnd).split(';')[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new HttpParseError('malformed chunk size in a chunked body');
    pos = lineEnd + 2;
    if (size === 0) {
      // Trailers end with an empty line.
      for (;;) {
        const trailerEnd = bytes.indexOf('\r\n', pos, 'latin1');
        if (trailerEnd < 0) return { body: Buffer.concat(parts), consumed: bytes.length, complete: false };
        const empty = trailerEnd === pos;
        pos = trailerEnd + 2;
        if (empty) return { body: Buffer.concat(parts), consumed: pos, complete: true };
      }
    }
    if (pos + size > bytes.length) {
      parts.push(bytes.subarray(pos));
      return { body: Buffer.concat(parts), consumed: bytes.length, complete: false };
    }
    parts.push(bytes.subarray(pos, pos + size));
    pos += size + 2;
  }
}

function isChunked(headers: Header[]): boolean {
  return /\bchunked\b/i.test(headerValue(headers, 'transfer-encoding') ?? '');
}

/** Parses one complete request (the bytes a capture holds between two end-of-message marks). */
export function parseRequest(bytes: Buffer): HttpRequest {
  const { startLine, headers, rest } = splitHead(bytes);
  const m = /^([A-Za-z]+) (\S+) (HTTP\/\d(?:\.\d)?)$/.exec(startLine);
  if (!m) throw new HttpParseError(`malformed request line "${startLine.slice(0, 80)}"`);
  let body: Buffer;
  if (isChunked(headers)) body = decodeChunked(rest).body;
  else {
    const length = Number(headerValue(headers, 'content-length') ?? 0);
    if (!Number.isInteger(length) || length < 0) throw new HttpParseError('malformed content-length');
    body = rest.subarray(0, length);
  }
  return { method: m[1].toUpperCase(), uri: m[2], httpVersion: m[3], headers, body };
}

/** Parses the response a source sent (skipping interim 1xx answers); a truncated body is kept as far as it goes. */
export function parseResponse(bytes: Buffer, requestMethod = 'GET'): HttpResponse {
  let rest = bytes;
  for (;;) {
    const head = splitHead(rest);
    const m = /^(HTTP\/\d(?:\.\d)?) (\d{3})(?: (.*))?$/.exec(head.startLine);
    if (!m) throw new HttpParseError(`malformed status line "${head.startLine.slice(0, 80)}"`);
    const statusCode = Number(m[2]);
    if (statusCode >= 100 && statusCode < 200 && statusCode !== 101) {
      rest = head.rest;
      continue;
    }
    let body: Buffer;
    if (requestMethod === 'HEAD' || statusCode === 204 || statusCode === 304) body = Buffer.alloc(0);
    else if (isChunked(head.headers)) body = decodeChunked(head.rest).body;
    else {
      const cl = headerValue(head.headers, 'content-length');
      body = cl === undefined ? head.rest : head.rest.subarray(0, Number(cl));
    }
    return { httpVersion: m[1], statusCode, reasonPhrase: m[3] ?? '', headers: head.headers, body };
  }
}

/** The body with its content-encoding undone (gzip/deflate), for transforms and for people. */
export function decodedBody(headers: Header[], body: Buffer): Buffer {
  const encoding = (headerValue(headers, 'content-encoding') ?? '').toLowerCase();
  if (!body.length) return body;
  if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(body);
  if (encoding === 'deflate') return inflateSync(body);
  return body;
}

/** Encodes a transformed body back into the request's content-encoding. */
export function encodeBody(headers: Header[], body: Buffer): Buffer {
  const encoding = (headerValue(headers, 'content-encoding') ?? '').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return gzipSync(body);
  if (encoding === 'deflate') removeHeader(headers, 'content-encoding');
  return body;
}

/** A request as bytes (used by tests and tools that write captures). */
export function serializeRequest(req: HttpRequest): Buffer {
  const head = [`${req.method} ${req.uri} ${req.httpVersion}`, ...req.headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), req.body]);
}

/** Whether bytes hold a whole response (head, and the body its framing announces). */
export function isCompleteResponse(bytes: Buffer, requestMethod = 'GET'): boolean {
  try {
    let rest = bytes;
    for (;;) {
      const head = splitHead(rest);
      const status = Number(head.startLine.split(' ')[1]);
      if (status >= 100 && status < 200 && status !== 101) {
        rest = head.rest;
        continue;
      }
      if (status === 204 || status === 304 || requestMethod === 'HEAD') return true;
      if (isChunked(head.headers)) return decodeChunked(head.rest).complete;
      const cl = headerValue(head.headers, 'content-length');
      return cl === undefined || head.rest.length >= Number(cl);
    }
  } catch {
    return false;
  }
}
