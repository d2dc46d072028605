import type { Header, HttpRequest, HttpResponse } from '../../../runtime/src/core/http/message';
import type { PreparedRequest } from '../../../runtime/src/replayer/prepare';
import type { TargetAttempt } from '../../../runtime/src/replayer/sender';
import {
  attemptJson,
  attemptMessage,
  preparedJson,
  preparedMessage,
  requestJson,
  requestMessage,
  responseJson,
  responseMessage,
  Tuple,
  tupleJson,
} from '../../../runtime/src/replayer/tuple';
import { bulkItemsJson } from '../../../runtime/src/replayer/write-plan';

const awkward: Header[][] = [
  [['Host', 'source:9200'], ['Content-Type', 'application/json']],
  [['X-Quote', 'say "hi"\\ there'], ['X-Ctl', 'a\tb\u0001'], ['X-Latin1', 'caf\u00e9 \u00ff']],
  [['X-Lone', 'a\ud800b'], ['X-Pair', '\ud83d\ude00'], ['X-Empty', '']],
  [['Accept', 'a'], ['accept', 'b'], ['Accept', 'c']],
  [['1st', 'digit first'], ['Host', 'h']],
  [['Method', 'a header named like a fixed key'], ['body', 'x']],
  [['__proto__', 'p'], ['constructor', 'c']],
];

describe('tuple lines written as strings', () => {
  it.each(awkward.map((h) => [h]))('are what JSON.stringify writes for headers %j', (headers) => {
    const body = Buffer.from('{"q":1}');
    const req: HttpRequest = { method: 'GET', uri: '/i/_search', httpVersion: 'HTTP/1.1', headers, body };
    const prepared: PreparedRequest = { method: 'GET', path: '/i/_search', headers, body };
    const res: HttpResponse = { httpVersion: 'HTTP/1.1', statusCode: 200, reasonPhrase: 'OK', headers, body };
    const asObject: Record<string, string | string[]> = {};
    for (const [k, v] of headers) {
      const key = k.toLowerCase();
      const prev = Object.hasOwn(asObject, key) ? asObject[key] : undefined;
      if (prev === undefined) Object.defineProperty(asObject, key, { value: v, enumerable: true, writable: true, configurable: true });
      else asObject[key] = Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const attempt: TargetAttempt = { statusCode: 200, reasonPhrase: 'OK', headers: asObject, body, timeMs: 3.4 };
    const failed: TargetAttempt = { error: 'ECONNREFUSED: "refused"', timeMs: 1.6 };

    expect(requestJson(req)).toBe(JSON.stringify(requestMessage(req)));
    expect(preparedJson(prepared, 'HTTP/1.1')).toBe(JSON.stringify(preparedMessage(prepared, 'HTTP/1.1')));
    expect(responseJson(res, 2)).toBe(JSON.stringify(responseMessage(res, 2)));
    expect(attemptJson(attempt)).toBe(JSON.stringify(attemptMessage(attempt)));

    const tuple: Tuple = {
      connectionId: 'c.0',
      nodeId: 'n',
      sourceRequest: requestMessage(req),
      sourceResponse: responseMessage(res, 2),
      targetRequest: preparedMessage(prepared, 'HTTP/1.1'),
      targetResponses: [attemptMessage(attempt), attemptMessage(failed)],
      numRequests: 2,
      numErrors: 1,
      error: 'a "quoted" error',
      expired: true,
    };
    const line = tupleJson({
      ...tuple,
      sourceRequest: requestJson(req),
      sourceResponse: responseJson(res, 2),
      targetRequest: preparedJson(prepared, 'HTTP/1.1'),
      targetResponses: [attemptJson(attempt), attemptJson(failed)],
      bulkItems: undefined,
    });
    expect(line).toBe(JSON.stringify(tuple));
  });

  it('carry a write\'s outcome, its detail and its _bulk items as JSON.stringify writes them', () => {
    const items = [
      { outcome: 'sourceRefused' as const, sourceStatus: 400, targetStatus: null },
      { outcome: 'superseded' as const, sourceStatus: 201, targetStatus: 409 },
    ];
    const tuple: Tuple = {
      connectionId: 'c.1', nodeId: 'n', sourceRequest: null, sourceResponse: null, targetRequest: null, targetResponses: [], numRequests: 1, numErrors: 0, error: null,
      outcome: 'superseded', outcomeDetail: '1 of 2 items refused by the source "left out"', bulkItems: items,
    };
    const line = tupleJson({ ...tuple, sourceRequest: 'null', sourceResponse: 'null', targetRequest: 'null', targetResponses: [], bulkItems: bulkItemsJson(items.map((i) => ({ ...i, versioned: true, sent: true }))) });
    expect(line).toBe(JSON.stringify(tuple));
    const read = { ...tuple, outcome: undefined, outcomeDetail: undefined, bulkItems: undefined };
    expect(tupleJson({ ...read, sourceRequest: 'null', sourceResponse: 'null', targetRequest: 'null', targetResponses: [], bulkItems: undefined })).toBe(JSON.stringify(read));
  });
});
