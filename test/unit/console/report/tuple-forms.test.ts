import { gzipSync } from 'node:zlib';
import { bodyOf, toExchange } from '../../../../runtime/src/console/report/exchange';
import { parsePattern, PathMatcher } from '../../../../runtime/src/console/report/json-path';
import { parseNoiseRules } from '../../../../runtime/src/console/report/noise-rules';
import { ConfigError } from '../../../../runtime/src/core/errors';

describe('json paths', () => {
  it('match keys, array elements, one-key and any-depth wildcards', () => {
    const m = new PathMatcher(['**.took', 'hits.hits[]._score', 'nodes.*.name', 'aggregations.*.buckets[].x']);
    expect(m.matches('took')).toBe(true);
    expect(m.matches('responses[3].took')).toBe(true);
    expect(m.matches('hits.hits[7]._score')).toBe(true);
    expect(m.matches('hits.hits[7]._source')).toBe(false);
    expect(m.matches('nodes.abc123.name')).toBe(true);
    expect(m.matches('nodes.abc123.version')).toBe(false);
    expect(m.matches('aggregations.tags.buckets[key=a].x')).toBe(true);
    // Everything below a covered path is covered.
    expect(m.matches('hits.hits[0]._score.deep')).toBe(true);
  });

  it('read quoted keys with dots and brackets', () => {
    expect(parsePattern('a["b.c"][].d')).toEqual(['a', 'b.c', '[]', 'd']);
    expect(new PathMatcher(['**']).matches('anything[1].at.all')).toBe(true);
  });
});

describe('tuple forms', () => {
  const req = { Method: 'POST', 'Request-URI': '/shop/_search?size=2', 'HTTP-Version': 'HTTP/1.1' };

  it("read the reference's payload forms", () => {
    const t = {
      connectionId: 'c.1',
      sourceRequest: { ...req, 'Content-Type': ['application/json'], payload: { inlinedJsonBody: { query: { match_all: {} } } } },
      sourceResponse: { 'Status-Code': '200', 'Reason-Phrase': 'OK', response_time_ms: 5, payload: { inlinedJsonBody: { hits: { total: 1 } } } },
      targetResponses: [{ 'Status-Code': 200, response_time_ms: 7, payload: { inlinedTextBody: '{"hits":{"total":1}}' } }],
    };
    const ex = toExchange(t, 0)!;
    expect(ex).toMatchObject({ method: 'POST', path: '/shop/_search', source: { status: 200, ms: 5 }, target: { status: 200, ms: 7 } });
    expect(ex.query.get('size')).toBe('2');
    expect(bodyOf(ex.request)).toEqual({ kind: 'json', value: { query: { match_all: {} } } });
    expect(bodyOf(ex.target!.message)).toEqual({ kind: 'json', value: { hits: { total: 1 } } });
    expect(bodyOf({ payload: { inlinedJsonSequenceBodies: [{ index: {} }, { a: 1 }] } })).toEqual({ kind: 'ndjson', values: [{ index: {} }, { a: 1 }] });
    expect(bodyOf({ payload: { inlinedBase64Body: Buffer.from('{"a":1}').toString('base64') } })).toEqual({ kind: 'json', value: { a: 1 } });
  });

  it('read the older body: base64, gzip inside, or already parsed', () => {
    expect(bodyOf({ body: Buffer.from('{"a":1}').toString('base64') })).toEqual({ kind: 'json', value: { a: 1 } });
    expect(bodyOf({ 'Content-Encoding': 'gzip', body: gzipSync('{"a":2}').toString('base64') })).toEqual({ kind: 'json', value: { a: 2 } });
    expect(bodyOf({ body: { a: 3 } })).toEqual({ kind: 'json', value: { a: 3 } });
    expect(bodyOf({ body: Buffer.from('green open shop').toString('base64') })).toEqual({ kind: 'text', text: 'green open shop' });
    expect(bodyOf({ body: Buffer.from([0xff, 0xfe, 0x00]).toString('base64') })).toEqual({ kind: 'binary', bytes: 3 });
    expect(bodyOf({ body: Buffer.from('{"index":{}}\n{"a":1}\n').toString('base64') }, true)).toEqual({ kind: 'ndjson', values: [{ index: {} }, { a: 1 }] });
  });

  it('carry the outcome fields of versioned replays', () => {
    const ex = toExchange({ connectionId: 'c.2', sourceRequest: { Method: 'POST', 'Request-URI': '/_bulk' }, outcome: 'replayed', bulkItems: [{ outcome: 'superseded', sourceStatus: 200, targetStatus: 409 }, { outcome: 'nonsense', sourceStatus: 'x' }] }, 0)!;
    expect(ex.outcome).toBe('replayed');
    expect(ex.bulkItems).toEqual([{ outcome: 'superseded', sourceStatus: 200, targetStatus: 409 }, { outcome: undefined, sourceStatus: undefined, targetStatus: undefined }]);
  });

  it('leave out what is not a tuple', () => {
    expect(toExchange({ level: 'info', msg: 'hello' }, 0)).toBeNull();
    expect(toExchange([1, 2], 0)).toBeNull();
    expect(toExchange('text', 0)).toBeNull();
  });
});

describe('noise rules from a file', () => {
  it('read YAML or JSON lists of rules', () => {
    expect(parseNoiseRules('- path: /logs-.*/_search\n  ignore:\n    - hits.hits[]._source.seen_at\n', 'n.yaml')).toEqual([{ name: 'n.yaml rule 1', path: '/logs-.*/_search', method: undefined, class: undefined, ignore: ['hits.hits[]._source.seen_at'] }]);
    expect(parseNoiseRules('{"rules":[{"class":"search","ignore":["a"]}]}', 'n.json')[0].class).toBe('search');
  });

  it.each([
    ['ignore: x', /expected a list of rules/],
    ['- path: /x\n', /rule 1: "ignore" must be a non-empty list/],
    ['- ignore: [a]\n  paths: [b]\n', /unknown key paths/],
    ['- ignore: [a]\n  path: "("\n', /path "\(" is not a regular expression/],
    ['- ignore: [a]\n  class: searches\n', /"class" must be one of/],
    ['- ignore: [\'a["b\']\n', /ignore path .* is malformed/],
  ])('refuse %j with the rule and what to fix', (text, message) => {
    expect(() => parseNoiseRules(text, 'n.yaml')).toThrow(ConfigError);
    expect(() => parseNoiseRules(text, 'n.yaml')).toThrow(message);
  });
});
