import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { Header, headerValue, removeHeader } from './message';

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
