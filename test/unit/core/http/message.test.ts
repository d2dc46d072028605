import { HttpBoundaryParser, ParseEvent } from '../../../../runtime/src/core/http/boundary-parser';
import { ELASTICSEARCH_7_10, OPENSEARCH_2_19 } from '../../../../runtime/src/core/http/framing-rules';
import { Header, isCompleteResponse, parseRequest, parseResponse, requestLineOf, serializeRequest } from '../../../../runtime/src/core/http/message';
import { caseBytes, FRAMING_CASES } from '../../../support/framing-cases';

/** The requests a proxy with these rules cuts from a connection's bytes (each as the capture holds it). */
function frameAsProxy(bytes: Buffer, rules = ELASTICSEARCH_7_10): Buffer[] {
  const parser = new HttpBoundaryParser('request', { rules });
  const out: Buffer[] = [];
  let start = 0;
  let pos = 0;
  for (;;) {
    const ev = parser.execute(bytes, pos);
    if (ev === ParseEvent.Error) return out;
    pos = parser.offset;
    if (ev === ParseEvent.MessageComplete) {
      out.push(bytes.subarray(start, pos));
      start = pos;
    } else if (ev === ParseEvent.NeedMore) return out;
  }
}

/** Why parseRequest refuses the bytes, or undefined. */
function parseError(bytes: Buffer): string | undefined {
  try {
    parseRequest(bytes);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('captured requests, read as the proxy framed them', () => {
  it('reads a request with bare-LF line ends and a method of any token characters (Elasticsearch reads it, and answers 405)', () => {
    const wire = Buffer.from('\r\nM-SEARCH.v2 /idx/_doc/1?x=1 HTTP/1.1\nHost: src\nX-A: b\n c\nTransfer-Encoding: chunked\n\n3\n{"a\n4;ext=1\n":1}\n0\nX-T: t\n\n', 'latin1');
    const [captured] = frameAsProxy(wire);
    expect(captured.length).toBe(wire.length);
    const req = parseRequest(captured);
    expect(req).toEqual({
      method: 'M-SEARCH.v2',
      uri: '/idx/_doc/1?x=1',
      httpVersion: 'HTTP/1.1',
      headers: [['Host', 'src'], ['X-A', 'b c'], ['Transfer-Encoding', 'chunked']],
      body: Buffer.from('{"a":1}'),
    });
    expect(requestLineOf(captured)).toEqual(expect.objectContaining({ method: 'M-SEARCH.v2', target: '/idx/_doc/1?x=1' }));
  });

  it('reads every request the proxy framed in the framing table, under either source\'s rules', () => {
    for (const c of FRAMING_CASES) {
      for (const rules of ['es', 'os'] as const) {
        const requests = frameAsProxy(caseBytes(c, 'ix'), rules === 'es' ? ELASTICSEARCH_7_10 : OPENSEARCH_2_19);
        for (const bytes of requests) expect({ id: c.id, rules, parsed: parseError(bytes) }).toEqual({ id: c.id, rules, parsed: undefined });
      }
    }
  });

  it('reads a Transfer-Encoding list as the source that framed it did', () => {
    // OpenSearch frames "chunked, identity" as chunked; Elasticsearch would take no body and leave bytes over.
    const [captured] = frameAsProxy(Buffer.from('PUT /i/_doc/1 HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n'), OPENSEARCH_2_19);
    expect(parseRequest(captured).body.toString()).toBe('{"a":1}');
  });

  it('refuses bytes that are not exactly one request', () => {
    expect(() => parseRequest(Buffer.from('PUT /i/_doc/1 HTTP/1.1\r\nContent-Length: 7\r\n\r\n{"a"'))).toThrow('the request ends inside its body');
    expect(() => parseRequest(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n'))).toThrow('incomplete HTTP head');
    expect(() => parseRequest(Buffer.from('GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n'))).toThrow('bytes follow the end of the request');
    expect(() => parseRequest(Buffer.from('GET /\r\n\r\n'))).toThrow('no HTTP version');
  });
});

describe('captured responses', () => {
  it('skips interim answers, de-chunks, and keeps a truncated body as far as it goes', () => {
    const res = parseResponse(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
    expect(res).toEqual({ httpVersion: 'HTTP/1.1', statusCode: 201, reasonPhrase: 'Created', headers: [['transfer-encoding', 'chunked']], body: Buffer.from('abc') });
    expect(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc')).body.toString()).toBe('abc');
    expect(parseResponse(Buffer.from('HTTP/1.0 200\nx: y\n\nuntil close')).body.toString()).toBe('until close');
    expect(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n'), 'HEAD').body.length).toBe(0);
    expect(() => parseResponse(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'))).toThrow('incomplete HTTP head');
  });

  it('tells a whole response from one cut short', () => {
    expect(isCompleteResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc'))).toBe(true);
    expect(isCompleteResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nab'))).toBe(false);
    expect(isCompleteResponse(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n'))).toBe(false);
    expect(isCompleteResponse(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'))).toBe(false);
    expect(isCompleteResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\nuntil close'))).toBe(true);
    expect(isCompleteResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n'), 'HEAD')).toBe(true);
    expect(isCompleteResponse(Buffer.from('not http'))).toBe(false);
  });
});

describe('request head serialization', () => {
  const body = Buffer.from('{"query":{"match_all":{}}}');

  it('writes the start line, the headers in order and case, and the body length', () => {
    const headers: Header[] = [['Host', 'target:9200'], ['Content-Type', 'application/json'], ['X-Opaque-Id', 'a'], ['x-opaque-id', 'b'], ['content-length', '26']];
    expect(serializeRequest('GET', '/i/_search?q=1', headers, body, 'target:9200').toString('latin1')).toBe(
      'GET /i/_search?q=1 HTTP/1.1\r\nHost: target:9200\r\nContent-Type: application/json\r\nX-Opaque-Id: a\r\nx-opaque-id: b\r\ncontent-length: 26\r\n\r\n{"query":{"match_all":{}}}',
    );
  });

  it('gives the length of the body sent, not the one captured (a _bulk retry sends fewer items)', () => {
    const out = serializeRequest('POST', '/_bulk', [['Host', 'h'], ['content-length', '999']], Buffer.from('{}\n'), 'h').toString('latin1');
    expect(out).toBe('POST /_bulk HTTP/1.1\r\nHost: h\r\ncontent-length: 3\r\n\r\n{}\n');
  });

  it('announces an empty body only where one is expected, and adds a Host when none is given', () => {
    expect(serializeRequest('GET', '/', [], Buffer.alloc(0), 'target:9200').toString()).toBe('GET / HTTP/1.1\r\nhost: target:9200\r\n\r\n');
    expect(serializeRequest('POST', '/i/_refresh', [['host', 'h']], Buffer.alloc(0), 'h').toString()).toBe('POST /i/_refresh HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n');
    expect(serializeRequest('DELETE', '/i', [['Host', 'h']], Buffer.alloc(0), 'h').toString()).toBe('DELETE /i HTTP/1.1\r\nHost: h\r\n\r\n');
  });

  it('keeps latin1 header values byte for byte', () => {
    const out = serializeRequest('GET', '/', [['Host', 'h'], ['X-Name', 'caf\u00e9']], Buffer.alloc(0), 'h');
    expect(out.includes(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe(true);
  });

  it.each([
    ['a header value with a line break', 'GET', '/', [['X-Evil', 'a\r\nInjected: 1']]],
    ['a header name that is not a token', 'GET', '/', [['Bad Name', 'x']]],
    ['a path with a space', 'GET', '/a b', []],
    ['a path that is not absolute', 'GET', 'a', []],
    ['a method that is not a token', 'GE T', '/', []],
  ] as [string, string, string, Header[]][])('refuses %s, as undici did', (_what, method, path, headers) => {
    expect(() => serializeRequest(method, path, headers, Buffer.alloc(0), 'h')).toThrow(expect.objectContaining({ code: 'UND_ERR_INVALID_ARG' }));
  });
});

