import { Header, headerValue, HttpRequest, isSendableHeader, removeHeader, setHeader } from '../core/http/message';
import { decodedBody, encodeBody } from '../core/http/content-coding';
import type { RequestTransform, TransformableRequest } from './transforms/request';

export type TargetAuth =
  | { type: 'passthrough' }
  | { type: 'remove' }
  | { type: 'basic'; header: string }
  /** Signed at send time, anew for each attempt. */
  | { type: 'sigv4' };

export interface PrepareOptions {
  target: URL;
  auth: TargetAuth;
  /** Appended to the client's User-Agent. */
  userAgent?: string;
  transforms: RequestTransform[];
}

/** A request ready for the target: what is sent, and (for the tuple) its headers in order. */
export interface PreparedRequest {
  method: string;
  path: string;
  headers: Header[];
  body: Buffer;
  /** _bulk items the transforms left out on purpose. */
  droppedItems?: number;
}

/** Hop-by-hop headers belong to the source connection, not to the request. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'content-length']);

/** What replaces the captured request before the transforms (the source's id and version, see write-plan). */
export interface RequestOverride {
  uri?: string;
  /** The new body, content-encoding undone (it is encoded again as the request says). */
  body?: Buffer;
}

/** Applies the override and the configured transforms, then the target's host, auth and user agent. */
export function prepareRequest(source: HttpRequest, opts: PrepareOptions, override?: RequestOverride): PreparedRequest {
  let method = source.method;
  let uri = override?.uri ?? source.uri;
  // A captured header that cannot be sent (Elasticsearch reads "X/A" or a value with \x01; OpenSearch
  // and HTTP/1.1 do not) is left out, rather than the whole request: the tuple's target request shows it.
  let headers: Header[] = [];
  for (const [k, v] of source.headers) if (isSendableHeader(k, v)) headers.push([k, v]);
  let body = source.body;
  let droppedItems = 0;
  if (opts.transforms.length) {
    const replaced = override?.body;
    let req: TransformableRequest = { method, uri, headers, body: replaced ?? decodedBody(headers, body) };
    let bodyChanged = replaced !== undefined;
    for (const t of opts.transforms) {
      const before = req.body;
      req.bodyChanged = false;
      req.droppedItems = 0;
      const next = t(req);
      droppedItems += next.droppedItems ?? 0;
      if (next.bodyChanged || next.body !== before) bodyChanged = true;
      req = next;
    }
    method = req.method;
    uri = req.uri;
    headers = req.headers;
    if (bodyChanged) body = encodeBody(headers, req.body);
  } else if (override?.body) body = encodeBody(headers, override.body);
  // One pass, one lower-casing per header (this runs for every request).
  headers = headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()));
  setHeader(headers, 'Host', opts.target.host);
  if (opts.auth.type === 'remove' || opts.auth.type === 'sigv4') removeHeader(headers, 'authorization');
  else if (opts.auth.type === 'basic') setHeader(headers, 'Authorization', opts.auth.header);
  if (opts.userAgent) {
    const ua = headerValue(headers, 'user-agent');
    setHeader(headers, 'User-Agent', ua ? `${ua} ${opts.userAgent}` : opts.userAgent);
  }
  if (body.length || method === 'POST' || method === 'PUT') headers.push(['content-length', String(body.length)]);
  const basePath = opts.target.pathname.replace(/\/$/, '');
  return { method, path: basePath + (uri.startsWith('/') ? uri : `/${uri}`), headers, body, ...(droppedItems ? { droppedItems } : {}) };
}

/** One value per header name (what SigV4 signs); duplicates are joined as HTTP allows. */
export function headerObject(headers: Header[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of headers) {
    const key = k.toLowerCase();
    out[key] = out[key] === undefined ? v : `${out[key]}, ${v}`;
  }
  return out;
}
