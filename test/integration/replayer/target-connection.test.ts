import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { HttpBoundaryParser, ParseEvent } from '../../../runtime/src/core/http/boundary-parser';
import type { PreparedRequest } from '../../../runtime/src/replayer/prepare';
import { sendWithRetries, SendOptions, TargetAttempt } from '../../../runtime/src/replayer/sender';
import { TargetConnection, TargetConnectionOptions } from '../../../runtime/src/replayer/target-connection';

interface Received {
  method: string;
  path: string;
  headers: [string, string][];
  body: string;
  /** Which connection (0, 1, ...) and which request on it (0, 1, ...). */
  connection: number;
  index: number;
}

/**
 * A target on a raw socket, so that a test can answer with exactly the bytes (and the hang-ups) it
 * wants: respond() writes to the socket itself.
 */
async function rawTarget(respond: (socket: net.Socket, req: Received) => void, secure?: { key: Buffer; cert: Buffer }) {
  const received: Received[] = [];
  let connections = 0;
  const onSocket = (socket: net.Socket) => {
    const connection = connections++;
    let index = 0;
    const parser = new HttpBoundaryParser('request');
    let body: Buffer[] = [];
    socket.on('error', () => undefined);
    socket.on('data', (buf: Buffer) => {
      let pos = 0;
      for (;;) {
        const event = parser.execute(buf, pos);
        if (event === ParseEvent.Error) return socket.destroy();
        if (event !== ParseEvent.HeadComplete && parser.offset > pos) body.push(buf.subarray(pos, parser.offset));
        pos = parser.offset;
        if (event === ParseEvent.NeedMore) return;
        if (event === ParseEvent.HeadComplete) body = [];
        if (event === ParseEvent.MessageComplete) {
          const head = parser.head!;
          const req = { method: head.method, path: head.target, headers: head.headers, body: Buffer.concat(body).toString(), connection, index: index++ };
          received.push(req);
          respond(socket, req);
          if (pos >= buf.length) return;
        }
      }
    });
  };
  const server = secure ? tls.createServer(secure, onSocket) : net.createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: new URL(`${secure ? 'https' : 'http'}://127.0.0.1:${port}`),
    received,
    connections: () => connections,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

function prepared(method: string, path: string, body = ''): PreparedRequest {
  const headers: [string, string][] = [['Host', 'target'], ['Content-Type', 'application/json']];
  if (body || method === 'POST' || method === 'PUT') headers.push(['content-length', String(Buffer.byteLength(body))]);
  return { method, path, headers, body: Buffer.from(body) };
}

function send(conn: TargetConnection, req: PreparedRequest, opts: Partial<SendOptions> = {}): Promise<TargetAttempt[]> {
  return new Promise((resolve, reject) => {
    sendWithRetries(conn, req, { maxRetries: 0, connectionRetryMs: 0, retryBaseMs: 1, target: new URL('http://target'), ...opts }, {
      onSent: (attempts, err) => (err ? reject(err) : resolve(attempts!)),
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const plain: TargetConnectionOptions = { rejectUnauthorized: true };

describe('the replayer\'s target connection', () => {
  it('sends requests one after another on one kept-alive connection, bodies and headers as sent', async () => {
    const target = await rawTarget((s, r) => s.write(ok(`{"n":${r.index},"body":${JSON.stringify(r.body)}}`)));
    const conn = new TargetConnection(target.url, plain);
    try {
      for (let i = 0; i < 5; i++) {
        const [a] = await send(conn, prepared(i % 2 ? 'GET' : 'PUT', `/i/_doc/${i}`, `{"i":${i}}`));
        expect(a).toMatchObject({ statusCode: 200, reasonPhrase: 'OK', headers: { 'content-type': 'application/json' } });
        expect(JSON.parse(a.body!.toString())).toEqual({ n: i, body: `{"i":${i}}` });
      }
      expect(target.connections()).toBe(1);
      expect(target.received[1]).toMatchObject({ method: 'GET', path: '/i/_doc/1', headers: [['Host', 'target'], ['Content-Type', 'application/json'], ['content-length', '7']] });
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('reconnects when the target closed the connection: after an idle close, and after Connection: close', async () => {
    const target = await rawTarget((s, r) => {
      if (r.path === '/close-header') s.end(ok('{}', 'connection: close\r\n'));
      else {
        s.write(ok('{}'));
        // The target drops an idle keep-alive connection a moment after answering.
        setTimeout(() => s.destroy(), 20);
      }
    });
    const conn = new TargetConnection(target.url, plain);
    try {
      expect((await send(conn, prepared('GET', '/idle')))[0].statusCode).toBe(200);
      await sleep(100);
      expect((await send(conn, prepared('GET', '/close-header')))[0].statusCode).toBe(200);
      expect((await send(conn, prepared('GET', '/after')))).toMatchObject([{ statusCode: 200 }]);
      expect(target.received.map((r) => [r.path, r.connection])).toEqual([['/idle', 0], ['/close-header', 1], ['/after', 2]]);
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('sends once more, on a new connection, a request that a reused connection lost without an answer', async () => {
    // The second request on each connection finds it closed (an idle close racing the request).
    const target = await rawTarget((s, r) => (r.index === 1 ? s.destroy() : s.write(ok(`{"c":${r.connection}}`))));
    const conn = new TargetConnection(target.url, plain);
    try {
      await send(conn, prepared('GET', '/a'));
      const attempts = await send(conn, prepared('POST', '/b', '{}'));
      expect(attempts).toHaveLength(1);
      expect(JSON.parse(attempts[0].body!.toString())).toEqual({ c: 1 });
      expect(target.received.map((r) => r.path)).toEqual(['/a', '/b', '/b']);
    } finally {
      conn.destroy();
      await target.close();
    }
    // A fresh connection that is lost is an error attempt: no silent resend there.
    const hangUp = await rawTarget((s) => s.destroy());
    const conn2 = new TargetConnection(hangUp.url, plain);
    try {
      const attempts = await send(conn2, prepared('GET', '/x'));
      expect(attempts).toEqual([expect.objectContaining({ error: 'UND_ERR_SOCKET: other side closed' })]);
      expect(hangUp.received).toHaveLength(1);
    } finally {
      conn2.destroy();
      await hangUp.close();
    }
  });

  it('de-chunks chunked responses, gathers repeated headers, skips 100 Continue, reads a body up to the close', async () => {
    const target = await rawTarget((s, r) => {
      if (r.path === '/chunked') {
        s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nWarning: 299 one\r\nwarning: 299 two\r\n\r\n4\r\n{"a"\r\n');
        setTimeout(() => s.write('3\r\n:1}\r\n0\r\n\r\n'), 10);
      } else if (r.path === '/continue') s.write(`HTTP/1.1 100 Continue\r\n\r\n${ok('{"after":"continue"}')}`);
      else if (r.path === '/head') s.write('HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n');
      else s.end('HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\n\r\nuntil the end');
    });
    const conn = new TargetConnection(target.url, plain);
    try {
      const [chunked] = await send(conn, prepared('GET', '/chunked'));
      expect(chunked.body!.toString()).toBe('{"a":1}');
      expect(chunked.headers).toEqual({ 'transfer-encoding': 'chunked', warning: ['299 one', '299 two'] });
      const [cont] = await send(conn, prepared('POST', '/continue', '{}'));
      expect([cont.statusCode, cont.body!.toString()]).toEqual([200, '{"after":"continue"}']);
      const [head] = await send(conn, prepared('HEAD', '/head'));
      expect([head.statusCode, head.headers!['content-length'], head.body!.length]).toEqual([200, '1234', 0]);
      const [untilClose] = await send(conn, prepared('GET', '/until-close'));
      expect([untilClose.statusCode, untilClose.reasonPhrase, untilClose.body!.toString()]).toEqual([201, 'Created', 'until the end']);
      expect(target.connections()).toBe(1);
      expect((await send(conn, prepared('HEAD', '/head')))[0].statusCode).toBe(200);
      expect(target.connections()).toBe(2);
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('de-chunks a response whose chunk-size line is cut between reads', async () => {
    // The next read lands in the same read buffer: the cut line must not be overwritten by it.
    const data = 'y'.repeat(256);
    const target = await rawTarget((s) => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1');
      setTimeout(() => s.write(`00\r\n${data}\r\n0\r\n\r\n`), 30);
    });
    const conn = new TargetConnection(target.url, plain);
    try {
      for (let i = 0; i < 2; i++) {
        const [a] = await send(conn, prepared('GET', `/cut/${i}`));
        expect([a.statusCode, a.error, a.body?.toString()]).toEqual([200, undefined, data]);
      }
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('reads a response that arrives in pieces, the head cut anywhere, one request after another', async () => {
    const wire = ok('{"pieces":"' + 'x'.repeat(3000) + '"}', 'x-first: 1\r\nX-Second: two\r\n');
    const target = await rawTarget((s, r) => {
      const cuts = [0, 7 + r.index, 40 + r.index, 90, 2000, wire.length];
      cuts.slice(1).forEach((end, i) => setTimeout(() => s.write(wire.slice(cuts[i], end)), 5 * i));
    });
    const conn = new TargetConnection(target.url, plain);
    try {
      for (let i = 0; i < 4; i++) {
        const [a] = await send(conn, prepared('GET', `/pieces/${i}`));
        expect(a.headers).toEqual({ 'content-type': 'application/json', 'content-length': '3013', 'x-first': '1', 'x-second': 'two' });
        expect(a.body!.toString()).toBe('{"pieces":"' + 'x'.repeat(3000) + '"}');
      }
      expect(target.connections()).toBe(1);
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('retries 5xx answers and resends only the failed items of a _bulk', async () => {
    const target = await rawTarget((s, r) => {
      if (r.path === '/busy') s.write(target.received.filter((x) => x.path === '/busy').length < 3 ? 'HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n' : ok('{}'));
      else if (r.body.includes('"_id":"2"') && r.body.includes('"_id":"1"')) s.write(ok('{"errors":true,"items":[{"index":{"status":201}},{"index":{"status":429}}]}'));
      else s.write(ok('{"errors":false,"items":[{"index":{"status":201}}]}'));
    });
    const conn = new TargetConnection(target.url, plain);
    try {
      const busy = await send(conn, prepared('GET', '/busy'), { maxRetries: 4 });
      expect(busy.map((a) => a.statusCode)).toEqual([503, 503, 200]);
      const bulk = '{"index":{"_id":"1"}}\n{"a":1}\n{"index":{"_id":"2"}}\n{"a":2}\n';
      const attempts = await send(conn, prepared('POST', '/i/_bulk', bulk), { maxRetries: 4 });
      expect(attempts).toHaveLength(2);
      const resent = target.received[target.received.length - 1];
      expect(resent.body).toBe('{"index":{"_id":"2"}}\n{"a":2}\n');
      expect(resent.headers.find(([k]) => k === 'content-length')![1]).toBe(String(resent.body.length));
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('stops a 429 storm that sends Retry-After (seconds or an HTTP-date) after --max-retries, keeping every answer', async () => {
    const past = new Date(Date.now() - 60_000).toUTCString();
    const target = await rawTarget((s) => s.write(`HTTP/1.1 429 Too Many Requests\r\nretry-after: ${target.received.length % 2 ? '0' : past}\r\ncontent-length: 0\r\n\r\n`));
    const conn = new TargetConnection(target.url, plain);
    try {
      const attempts = await send(conn, prepared('PUT', '/i/_doc/1', '{"a":1}'), { maxRetries: 2 });
      expect(attempts.map((a) => a.statusCode)).toEqual([429, 429, 429]);
      expect(target.received).toHaveLength(3);
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('signs each attempt anew (SigV4) and sends the signed headers with the body\'s length', async () => {
    const target = await rawTarget((s, r) => {
      if (r.body.includes('"_id":"1"')) s.write(ok('{"errors":true,"items":[{"index":{"status":201}},{"index":{"status":503}}]}'));
      else s.write(ok('{"errors":false,"items":[{"index":{"status":201}}]}'));
    });
    const conn = new TargetConnection(target.url, plain);
    const signed: { url: string; headers: Record<string, string>; body?: string }[] = [];
    const sign: SendOptions['sign'] = async (req) => {
      signed.push({ url: req.url.href, headers: req.headers, body: req.body && Buffer.from(req.body).toString() });
      return { host: req.url.host, 'content-type': req.headers['content-type'], authorization: `AWS4-HMAC-SHA256 attempt=${signed.length}`, 'x-amz-date': '20260101T000000Z' };
    };
    try {
      const bulk = '{"index":{"_id":"1"}}\n{"a":1}\n{"index":{"_id":"2"}}\n{"a":2}\n';
      const attempts = await send(conn, prepared('POST', '/i/_bulk?refresh=true', bulk), { maxRetries: 2, sign, target: new URL('http://target:9200') });
      expect(attempts.map((a) => a.statusCode)).toEqual([200, 200]);
      expect(signed.map((s) => [s.url, s.headers['content-length'], s.body])).toEqual([
        ['http://target:9200/i/_bulk?refresh=true', String(bulk.length), bulk],
        ['http://target:9200/i/_bulk?refresh=true', '30', '{"index":{"_id":"2"}}\n{"a":2}\n'],
      ]);
      expect(target.received.map((r) => r.headers)).toEqual([
        [['host', 'target:9200'], ['content-type', 'application/json'], ['authorization', 'AWS4-HMAC-SHA256 attempt=1'], ['x-amz-date', '20260101T000000Z'], ['content-length', String(bulk.length)]],
        [['host', 'target:9200'], ['content-type', 'application/json'], ['authorization', 'AWS4-HMAC-SHA256 attempt=2'], ['x-amz-date', '20260101T000000Z'], ['content-length', '30']],
      ]);
    } finally {
      conn.destroy();
      await target.close();
    }
  });

  it('times out a target that does not answer, and keeps trying one that cannot be reached', async () => {
    const silent = await rawTarget(() => undefined);
    const conn = new TargetConnection(silent.url, { rejectUnauthorized: true, requestTimeoutMs: 200 });
    try {
      expect(await send(conn, prepared('GET', '/slow'))).toEqual([expect.objectContaining({ error: 'UND_ERR_HEADERS_TIMEOUT: Headers Timeout Error' })]);
    } finally {
      conn.destroy();
      await silent.close();
    }
    const unreachable = new TargetConnection(new URL('http://127.0.0.1:1'), plain);
    const attempts = await send(unreachable, prepared('GET', '/'), { connectionRetryMs: 300 });
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts[0].error).toMatch(/^ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:1/);
    unreachable.destroy();
  });

  it('speaks https: verifies the certificate unless told not to, keeps the connection alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`], { stdio: 'ignore' });
    const target = await rawTarget((s, r) => s.write(ok(`{"path":"${r.path}"}`)), { key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) });
    const strict = new TargetConnection(target.url, { rejectUnauthorized: true });
    const lax = new TargetConnection(target.url, { rejectUnauthorized: false });
    try {
      const [refused] = await send(strict, prepared('GET', '/strict'));
      expect(refused.error).toMatch(/certificate/i);
      for (let i = 0; i < 3; i++) {
        const [a] = await send(lax, prepared('GET', `/lax/${i}`));
        expect(a.body!.toString()).toBe(`{"path":"/lax/${i}"}`);
      }
      expect(target.received.map((r) => r.path)).toEqual(['/lax/0', '/lax/1', '/lax/2']);
      expect(new Set(target.received.map((r) => r.connection)).size).toBe(1);
    } finally {
      strict.destroy();
      lax.destroy();
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
