import { HttpBoundaryParser, ParseEvent } from '../../../runtime/src/core/http-boundary-parser';
import type { Header } from '../../../runtime/src/replayer/http-message';
import { responseBody, responseHeaders, serializeRequest } from '../../../runtime/src/replayer/target-connection';

/** Runs bytes through a response parser in the given pieces; the head and the body bytes it framed. */
function frame(pieces: string[], method = 'GET') {
  const parser = new HttpBoundaryParser('response', { requestMethod: () => method });
  const parts: Buffer[] = [];
  let inBody = false;
  for (const piece of pieces) {
    const buf = Buffer.from(piece, 'latin1');
    let pos = 0;
    for (;;) {
      const event = parser.execute(buf, pos);
      if (event === ParseEvent.Error) throw new Error(parser.error);
      if (inBody && parser.offset > pos) parts.push(buf.subarray(pos, parser.offset));
      pos = parser.offset;
      if (event === ParseEvent.HeadComplete) inBody = true;
      else if (event === ParseEvent.MessageComplete) return { head: parser.head!, parts };
      else if (event === ParseEvent.NeedMore) break;
    }
  }
  throw new Error('response incomplete');
}

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

describe('response headers and body as undici delivered them', () => {
  it('lower-cases names and gathers a repeated name into an array', () => {
    const headers = responseHeaders([['Content-Type', 'application/json'], ['Set-Cookie', 'a=1'], ['set-cookie', 'b=2'], ['SET-COOKIE', 'c=3'], ['X-Elastic-Product', 'Elasticsearch']]);
    expect(headers).toEqual({ 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2', 'c=3'], 'x-elastic-product': 'Elasticsearch' });
    expect(Object.keys(headers)).toEqual(['content-type', 'set-cookie', 'x-elastic-product']);
  });

  it('keeps a header named __proto__ as a plain field', () => {
    const headers = responseHeaders([['__proto__', 'x']]);
    expect(Object.keys(headers)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
  });

  it('de-chunks a chunked body, whatever the pieces it arrived in (extensions and trailers dropped)', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\nworld 0123\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (const size of [1, 3, 7, wire.length]) {
      const pieces: string[] = [];
      for (let i = 0; i < wire.length; i += size) pieces.push(wire.slice(i, i + size));
      const { head, parts } = frame(pieces);
      expect(responseBody(head, parts).toString()).toBe('hello world 0123');
    }
  });

  it('hands a Content-Length body over as framed, and nothing for HEAD, 204 and 304', () => {
    const { head, parts } = frame(['HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello', ' world']);
    expect(responseBody(head, parts).toString()).toBe('hello world');
    for (const [wire, method] of [
      ['HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n', 'HEAD'],
      ['HTTP/1.1 204 No Content\r\n\r\n', 'DELETE'],
      ['HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n', 'GET'],
    ]) {
      const r = frame([wire], method);
      expect(responseBody(r.head, r.parts).length).toBe(0);
    }
  });
});
