/** Hand-written tuples in our form (base64 bodies), as the replayer writes them. */

const b64 = (v: unknown) => (v === undefined ? '' : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64'));

export interface Answer {
  status: number;
  body?: unknown;
  ms?: number;
}

export interface TupleSpec {
  id?: string;
  method?: string;
  uri: string;
  request?: unknown;
  /** NDJSON lines for _bulk and _msearch. */
  lines?: unknown[];
  source?: Answer | null;
  target?: Answer | null;
  error?: string;
  timestamp?: string;
  extra?: Record<string, unknown>;
}

let n = 0;

export function tuple(s: TupleSpec): Record<string, unknown> {
  const body = s.lines ? s.lines.map((l) => `${JSON.stringify(l)}\n`).join('') : s.request;
  const answer = (a: Answer) => ({ 'content-type': 'application/json; charset=UTF-8', 'HTTP-Version': 'HTTP/1.1', 'Status-Code': a.status, 'Reason-Phrase': 'OK', response_time_ms: a.ms ?? 3, body: b64(a.body) });
  return {
    connectionId: s.id ?? `conn${n++}.0`,
    nodeId: 'node',
    ...(s.timestamp ? { timestamp: s.timestamp } : {}),
    sourceRequest: { Host: 'source:9200', 'Content-Type': s.lines ? 'application/x-ndjson' : 'application/json', Method: s.method ?? 'GET', 'Request-URI': s.uri, 'HTTP-Version': 'HTTP/1.1', body: b64(body) },
    sourceResponse: s.source === null ? null : answer(s.source ?? { status: 200, body: {} }),
    targetRequest: { Method: s.method ?? 'GET', 'Request-URI': s.uri, 'HTTP-Version': 'HTTP/1.1', body: b64(body) },
    targetResponses: s.target === null ? (s.error ? [{ error: s.error, response_time_ms: 1 }] : []) : [answer(s.target ?? { status: 200, body: {} })],
    numRequests: 1,
    numErrors: 0,
    error: s.error ?? null,
    ...s.extra,
  };
}

export function hit(id: string, score: number | null, source: unknown = { id }, sort?: unknown[]): Record<string, unknown> {
  return { _index: 'shop', _type: '_doc', _id: id, _score: score, _source: source, ...(sort ? { sort } : {}) };
}

export function searchAnswer(hits: Record<string, unknown>[], extra: Record<string, unknown> = {}, total: unknown = { value: hits.length, relation: 'eq' }): Record<string, unknown> {
  return { took: Math.floor(Math.random() * 20), timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 }, hits: { total, max_score: 1.5, hits }, ...extra };
}
