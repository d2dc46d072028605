import { HttpBoundaryParser, ParseEvent } from '../../../../runtime/src/core/http/boundary-parser';

interface Message {
  bytes: string;
  method?: string;
  status?: number;
}

/** Feeds the input in the given pieces and returns each complete message's exact bytes. */
function messages(kind: 'request' | 'response', pieces: string[], method = 'GET'): { done: Message[]; error?: string } {
  const parser = new HttpBoundaryParser(kind, { requestMethod: () => method });
  const done: Message[] = [];
  let current = '';
  for (const piece of pieces) {
    const buf = Buffer.from(piece, 'latin1');
    let pos = 0;
    let ev = ParseEvent.NeedMore;
    while (pos < buf.length || ev === ParseEvent.HeadComplete) {
      const start = pos;
      ev = parser.execute(buf, pos);
      pos = parser.offset;
      if (ev === ParseEvent.Error) return { done, error: parser.error };
      if (ev === ParseEvent.HeadComplete) {
        current = parser.head!.raw.toString('latin1');
        continue;
      }
      if (!parser.inHead) current += buf.toString('latin1', start, pos);
      if (ev === ParseEvent.MessageComplete) {
        done.push({ bytes: current, method: parser.head!.method || undefined, status: parser.head!.statusCode || undefined });
        current = '';
      }
    }
  }
  return { done };
}

/** Every way of cutting the input in two, plus byte by byte. */
function splits(input: string): string[][] {
  const out: string[][] = [[input], input.split('')];
  for (let i = 1; i < input.length; i++) out.push([input.slice(0, i), input.slice(i)]);
  return out;
}

describe('HttpBoundaryParser', () => {
  const get = 'GET /_search?q=a HTTP/1.1\r\nHost: x\r\n\r\n';
  const post = 'POST /i/_doc HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{"a":1}';
  const chunked = 'PUT /i/_bulk HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';

  it('finds the same request boundaries however the bytes are cut', () => {
    const input = get + post + chunked + get;
    for (const pieces of splits(input)) {
      const { done, error } = messages('request', pieces);
      expect(error).toBeUndefined();
      expect(done.map((m) => m.bytes)).toEqual([get, post, chunked, get]);
      expect(done.map((m) => m.method)).toEqual(['GET', 'POST', 'PUT', 'GET']);
    }
  });

  it('reports head sizes, framing and Expect/Upgrade flags', () => {
    const parser = new HttpBoundaryParser('request');
    const head = 'POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n';
    expect(parser.execute(Buffer.from(head))).toBe(ParseEvent.HeadComplete);
    expect(parser.head).toMatchObject({ method: 'POST', target: '/x', firstLineByteLength: 18, headersByteLength: head.length - 18, contentLength: 3, expectContinue: true, upgrade: false, bodyless: false });
    const up = new HttpBoundaryParser('request');
    expect(up.execute(Buffer.from('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'))).toBe(ParseEvent.HeadComplete);
    expect(up.head!.upgrade).toBe(true);
  });

  it('frames responses: HEAD, 204, 304 and 1xx have no body; no length means until close', () => {
    const ok = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
    expect(messages('response', [ok + ok]).done.map((m) => m.bytes)).toEqual([ok, ok]);
    const headAnswer = 'HTTP/1.1 200 OK\r\ncontent-length: 535\r\n\r\n';
    expect(messages('response', [headAnswer + headAnswer], 'HEAD').done.map((m) => m.bytes)).toEqual([headAnswer, headAnswer]);
    const cont = 'HTTP/1.1 100 Continue\r\n\r\n';
    expect(messages('response', [cont + ok]).done.map((m) => m.status)).toEqual([100, 200]);
    const noContent = 'HTTP/1.1 204 No Content\r\n\r\n';
    expect(messages('response', [noContent + ok]).done.map((m) => m.bytes)).toEqual([noContent, ok]);
    const parser = new HttpBoundaryParser('response');
    expect(parser.execute(Buffer.from('HTTP/1.0 200 OK\r\n\r\nstream until close'))).toBe(ParseEvent.HeadComplete);
    expect(parser.execute(Buffer.from('more'))).toBe(ParseEvent.NeedMore);
    expect(parser.finish()).toBe(ParseEvent.MessageComplete);
  });

  it('keeps empty lines before a request in that request\'s bytes', () => {
    const { done } = messages('request', ['\r\n', '\r\n' + get]);
    expect(done.map((m) => m.bytes)).toEqual(['\r\n\r\n' + get]);
  });

  it.each([
    ['a broken request line', 'GET\r\n\r\n'],
    ['a header without a colon', 'GET / HTTP/1.1\r\nHost x\r\n\r\n'],
    ['a bad Content-Length', 'POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n'],
    ['conflicting Content-Lengths', 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['a bad chunk size', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['binary garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'],
  ])('reports %s as an Error and leaves the offset where the call began', (_name, input) => {
    const parser = new HttpBoundaryParser('request', { maxHeadBytes: 8 });
    const big = new HttpBoundaryParser('request');
    const buf = Buffer.from(input, 'latin1');
    let ev = big.execute(buf);
    while (ev === ParseEvent.HeadComplete) ev = big.execute(buf, big.offset);
    if (input.startsWith('\x16')) {
      // No line end: still NeedMore for a lenient parser, an Error once the head limit is passed.
      expect(ev).toBe(ParseEvent.NeedMore);
      expect(parser.execute(buf)).toBe(ParseEvent.Error);
      expect(parser.offset).toBe(0);
      return;
    }
    expect(ev).toBe(ParseEvent.Error);
    expect(big.error).toBeTruthy();
    expect(big.failed).toBe(true);
  });

  it('skips what follows chunk data up to the next LF, as Netty does', () => {
    const { done, error } = messages('request', ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n' + get]);
    expect(error).toBeUndefined();
    expect(done.map((m) => m.method)).toEqual(['POST', 'GET']);
  });

  it('hands out body bytes without chunk framing when asked (a message parser can sit on top)', () => {
    const input = Buffer.from(chunked + post);
    for (const pieces of splits(input.toString('latin1'))) {
      const parser = new HttpBoundaryParser('request', { reportBody: true });
      const bodies: string[] = [];
      let body = '';
      for (const piece of pieces) {
        const buf = Buffer.from(piece, 'latin1');
        let pos = 0;
        let ev = ParseEvent.NeedMore;
        while (pos < buf.length || ev === ParseEvent.HeadComplete || ev === ParseEvent.Body) {
          ev = parser.execute(buf, pos);
          if (ev === ParseEvent.Body) body += buf.toString('latin1', parser.bodyStart, parser.offset);
          if (ev === ParseEvent.MessageComplete) {
            bodies.push(body);
            body = '';
          }
          if (ev === ParseEvent.NeedMore && parser.offset >= buf.length) break;
          pos = parser.offset;
        }
      }
      expect(bodies).toEqual(['hello0123456789', '{"a":1}']);
    }
  });

  it('fails a message cut short by the end of the connection', () => {
    const parser = new HttpBoundaryParser('request');
    parser.execute(Buffer.from('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc'));
    parser.execute(Buffer.from('abc'));
    expect(parser.finish()).toBe(ParseEvent.Error);
    const clean = new HttpBoundaryParser('request');
    expect(clean.finish()).toBe(ParseEvent.NeedMore);
  });
});
