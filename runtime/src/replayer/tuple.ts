import type { Header, HttpRequest, HttpResponse } from './http-message';
import type { PreparedRequest } from './prepare';
import type { TargetAttempt } from './sender';

/** A request or response in the tuple form: headers as keys, plus the reference's fixed keys. */
export type TupleMessage = Record<string, string | number>;

function withHeaders(fixed: TupleMessage, headers: Header[] | Record<string, string | string[] | undefined>): TupleMessage {
  const out: TupleMessage = {};
  const entries = Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    out[k] = out[k] === undefined ? value : `${out[k]}, ${value}`;
  }
  return Object.assign(out, fixed);
}

export function requestMessage(req: HttpRequest): TupleMessage {
  return withHeaders({ Method: req.method, 'Request-URI': req.uri, 'HTTP-Version': req.httpVersion, body: req.body.toString('base64') }, req.headers);
}

export function preparedMessage(req: PreparedRequest, httpVersion: string): TupleMessage {
  return withHeaders({ Method: req.method, 'Request-URI': req.path, 'HTTP-Version': httpVersion, body: req.body.toString('base64') }, req.headers);
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
  sourceRequest: TupleMessage | null;
  sourceResponse: TupleMessage | null;
  targetRequest: TupleMessage | null;
  targetResponses: TupleMessage[];
  numRequests: number;
  numErrors: number;
  error: string | null;
  /** The source connection went idle before its response was complete. */
  expired?: boolean;
}
