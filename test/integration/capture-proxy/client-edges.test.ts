import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import type { TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { stackEndpoints, uniqueName } from '../../support/env';
import { byConnection, closedConnections, readTopic, startProxy, statusOf } from './support';

const { sourceUrl, kafkaBrokers } = stackEndpoints();
const source = new URL(sourceUrl);
const topic = uniqueName('capture-edges');
const index = uniqueName('capture-edges-idx');
let proxy: RunningProxy;
let strict: RunningProxy;
/** Exchanges made through the proxies, to be found again in the capture. */
const through: Array<{ name: string; sent: Buffer; received: Buffer }> = [];

interface Seen {
  received: Buffer;
  /** The other side closed (or reset) the connection before we gave up waiting. */
  closed: boolean;
}

/** Writes the parts (then shuts down our side when halfClose), and collects what comes back for up to waitMs. */
function talk(port: number, parts: Buffer[], opts: { halfClose?: boolean; waitMs?: number } = {}): Promise<Seen> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const received: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ received: Buffer.concat(received), closed });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 3000);
    socket.on('data', (d) => received.push(d));
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
      if (opts.halfClose) socket.end();
    });
  });
}

async function viaProxy(name: string, p: RunningProxy, parts: Buffer[], opts: { halfClose?: boolean; waitMs?: number } = {}): Promise<Seen> {
  const seen = await talk(p.port, parts, opts);
  through.push({ name, sent: Buffer.concat(parts), received: seen.received });
  return seen;
}

/** The bytes a TLS client sends first (a ClientHello), as sent to a plain-HTTP port by mistake. */
async function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const transport = new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        resolve(Buffer.from(chunk));
        cb();
      },
    });
    tls.connect({ socket: transport, servername: 'source.example', rejectUnauthorized: false }).on('error', () => undefined);
  });
}

/** Milliseconds from sending a 2 MB _bulk head with Expect: 100-continue to its 100 Continue (-1: none in 5 s). */
function timeTo100(port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const started = performance.now();
    let got = '';
    const done = (ms: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ms);
    };
    const timer = setTimeout(() => done(-1), 5000);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('100 Continue')) done(performance.now() - started);
    });
    socket.on('error', () => done(-1));
    socket.write(`POST /_bulk HTTP/1.1\r\nHost: ${source.host}\r\nContent-Type: application/x-ndjson\r\nContent-Length: 2097152\r\nExpect: 100-continue\r\n\r\n`);
  });
}

/** The body of the first response (after its head). */
const bodyOf = (response: Buffer) => response.subarray(response.indexOf('\r\n\r\n') + 4).toString();

beforeAll(async () => {
  const common = ['--destinationUri', sourceUrl, '--kafkaConnection', kafkaBrokers, '--kafkaTopic', topic];
  proxy = await startProxy([...common, '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-'))]);
  strict = await startProxy([...common, '--headerTimeoutMs', '1000', '--captureFlushIntervalMs', '100', '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-'))]);
});

afterAll(async () => {
  await proxy?.stop();
  await strict?.stop();
  await fetch(`${sourceUrl}/${index}-*`, { method: 'DELETE' });
});

describe('capture proxy with clients that half-close, send garbage or wait for 100 Continue', () => {
  it('answers a half-closed client as the source does', async () => {
    const get = Buffer.from(`GET / HTTP/1.1\r\nHost: ${source.host}\r\n\r\n`);
    const direct = await talk(Number(source.port), [get], { halfClose: true });
    const proxied = await viaProxy('half-close', proxy, [get], { halfClose: true });
    expect(statusOf(direct.received)).toBe(200);
    expect({ status: statusOf(proxied.received), body: bodyOf(proxied.received), closed: proxied.closed }).toEqual({ status: 200, body: bodyOf(direct.received), closed: direct.closed });
  });

  it('relays garbage, a TLS ClientHello and an unfinished head at once: the client sees what it sees directly', async () => {
    const garbage = Buffer.from('GARBAGE\r\n');
    const hello = await clientHello();
    for (const [name, bytes] of [['garbage', garbage], ['client-hello', hello]] as const) {
      const direct = await talk(Number(source.port), [bytes]);
      const proxied = await viaProxy(name, proxy, [bytes]);
      expect(statusOf(direct.received)).toBe(400);
      expect({ name, received: proxied.received.toString('latin1'), closed: proxied.closed }).toEqual({ name, received: direct.received.toString('latin1'), closed: direct.closed });
    }
    // Bytes that never end a line: the source waits, and so does the client through the proxy.
    const partial = Buffer.from('partial head without a line end');
    const direct = await talk(Number(source.port), [partial], { waitMs: 1500 });
    const proxied = await viaProxy('unfinished-head', proxy, [partial], { waitMs: 1500 });
    expect({ bytes: proxied.received.length, closed: proxied.closed }).toEqual({ bytes: direct.received.length, closed: direct.closed });
    expect(direct.closed).toBe(false);
    // --headerTimeoutMs closes such a connection (and only such a one), recorded as a close.
    const timedOut = await viaProxy('header-timeout', strict, [partial], { waitMs: 10_000 });
    expect({ bytes: timedOut.received.length, closed: timedOut.closed }).toEqual({ bytes: 0, closed: true });
    expect(strict.stats.headerTimeouts).toBe(1);
    const served = await viaProxy('after-header-timeout', strict, [Buffer.from(`GET / HTTP/1.1\r\nHost: ${source.host}\r\nConnection: close\r\n\r\n`)]);
    expect(statusOf(served.received)).toBe(200);
  });

  it('passes Expect: 100-continue through: the 100 comes at once and sits in the capture between head and body', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cp-expect-'));
    const bulk = path.join(dir, 'bulk.ndjson');
    const lines: string[] = [];
    for (let i = 0; lines.join('\n').length < 2 * 1024 * 1024; i++) lines.push(JSON.stringify({ index: { _index: `${index}-bulk`, _id: `d${i}` } }), JSON.stringify({ n: i, pad: 'x'.repeat(200) }));
    writeFileSync(bulk, `${lines.join('\n')}\n`);
    const small = path.join(dir, 'small.json');
    writeFileSync(small, JSON.stringify({ pad: 'y'.repeat(4000) }));
    /** curl's seconds per transfer; two transfers of one invocation share one keep-alive connection. */
    const curl = async (base: string, args: string[]) => {
      // Not execFileSync: the proxy runs in this process and must keep relaying meanwhile.
      const { stdout } = await promisify(execFile)('curl', ['-sS', '-w', '%{time_total} %{http_code}\\n', ...args.flatMap((a) => (a === 'URL' ? ['-o', '/dev/null', base] : [a]))], { encoding: 'utf8' });
      return stdout.trim().split('\n').map((l) => l.split(' '));
    };
    const bulkArgs = (base: string) => curl(`${base}/_bulk`, ['-H', 'Content-Type: application/x-ndjson', '--data-binary', `@${bulk}`, 'URL', 'URL']);
    const putArgs = (base: string) => curl(`${base}/${index}-small/_doc/1`, ['-X', 'PUT', '-H', 'Content-Type: application/json', '-H', 'Expect: 100-continue', '--data-binary', `@${small}`, 'URL']);
    const proxyBase = `http://127.0.0.1:${proxy.port}`;
    const results = {
      bulkDirect: await bulkArgs(sourceUrl),
      bulkProxy: await bulkArgs(proxyBase),
      putDirect: await putArgs(sourceUrl),
      putProxy: await putArgs(proxyBase),
    };
    const continueMs = { direct: await timeTo100(Number(source.port)), proxy: await timeTo100(proxy.port) };
    process.stderr.write(
      [
        `Expect: 100-continue, head sent to 100 Continue received (ms): direct ${continueMs.direct.toFixed(1)} | proxy ${continueMs.proxy.toFixed(1)}`,
        'Expect: 100-continue through the capture proxy vs directly (curl time_total, s):',
        `  2 MB _bulk, curl defaults, keep-alive x2: direct ${results.bulkDirect.map((r) => r[0]).join(', ')} | proxy ${results.bulkProxy.map((r) => r[0]).join(', ')}`,
        `  4 KB PUT with Expect: 100-continue:       direct ${results.putDirect[0][0]} | proxy ${results.putProxy[0][0]}`,
        '',
      ].join('\n'),
    );
    expect(results.bulkProxy.map((r) => r[1])).toEqual(['200', '200']);
    expect(results.putProxy.map((r) => r[1])).toEqual([expect.stringMatching(/^20[01]$/)]);

    await proxy.stop();
    await strict.stop();
    const streams = await readTopic(kafkaBrokers, topic, (s) => closedConnections(s) >= through.length + 2, 60_000);
    const captured = [...byConnection(streams).values()];
    for (const ex of through) {
      const c = captured.find((x) => x.reads.equals(ex.sent));
      expect({ name: ex.name, found: Boolean(c), writesEqual: c?.writes.equals(ex.received), closed: c?.closed }).toEqual({ name: ex.name, found: true, writesEqual: true, closed: true });
      // What the source refused is marked, so that no replayer sends it.
      if (ex.name === 'garbage' || ex.name === 'client-hello') expect(c!.kinds).toContain('requestDropped');
      if (ex.name === 'half-close') expect(c!.requests).toBe(1);
    }
    // Each upload of curl: its head, the source's 100 Continue, then its body, then its end.
    const expects = captured.filter((c) => c.reads.includes('Expect: 100-continue'));
    expect(expects.map((c) => c.requests).sort()).toEqual([1, 2]);
    for (const c of expects) {
      const order = observationOrder(streams.filter((s) => s.connectionId === c.id));
      expect(order).toBe(Array(c.requests).fill('head continue body eom answer').join(' '));
    }
  });
});

/** A connection's observations as words: head (a read with a request line), body, continue, eom, answer. */
function observationOrder(streams: TrafficStream[]): string {
  const words: string[] = [];
  for (const s of streams) {
    for (const o of s.subStream) {
      const read = o.read?.data ?? o.readSegment?.data;
      const write = o.write?.data ?? o.writeSegment?.data;
      let w: string | undefined;
      if (read) w = /^(PUT|POST) /.test(Buffer.from(read).toString('latin1', 0, 5)) ? 'head' : 'body';
      else if (write) w = Buffer.from(write).toString('latin1').startsWith('HTTP/1.1 100') ? 'continue' : 'answer';
      else if (o.endOfMessageIndicator) w = 'eom';
      // Runs of body reads and of answer writes count once.
      if (w && !(w === words[words.length - 1] && (w === 'body' || w === 'answer'))) words.push(w);
    }
  }
  return words.join(' ');
}
