import { HttpBoundaryParser, ParseEvent } from '../../../runtime/src/core/http/boundary-parser';
import { responseBody, responseHeaders } from '../../../runtime/src/replayer/target-connection';

/** Runs bytes through a response parser as the target connection does, in the given pieces; the head and its Body events. */
function frame(pieces: string[], method = 'GET') {
  const parser = new HttpBoundaryParser('response', { requestMethod: () => method, reportBody: true });
  const parts: Buffer[] = [];
  for (const piece of pieces) {
    const buf = Buffer.from(piece, 'latin1');
    let pos = 0;
    for (;;) {
      const event = parser.execute(buf, pos);
      if (event === ParseEvent.Error) throw new Error(parser.error);
      if (event === ParseEvent.Body) parts.push(buf.subarray(parser.bodyStart, parser.offset));
      pos = parser.offset;
      if (event === ParseEvent.MessageComplete) return { head: parser.head!, parts };
      else if (event === ParseEvent.NeedMore) break;
    }
  }
  throw new Error('response incomplete');
}

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
