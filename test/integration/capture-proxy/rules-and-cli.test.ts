import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { decodeTrafficStreamLine, TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { freePort } from '../../../runtime/src/local/ports';
import { CapturedRequest, Reassembler } from '../../../runtime/src/replayer/reassembler';
import { stackEndpoints } from '../../support/env';
import { byConnection, rawExchange, startProxy, statusOf } from './support';

const { sourceUrl } = stackEndpoints();
const source = new URL(sourceUrl);
const host = `Host: ${source.host}\r\n`;
const ROOT = path.resolve(__dirname, '../../..');
const CLI = [path.join(ROOT, 'node_modules/.bin/tsx'), path.join(ROOT, 'runtime/src/capture-proxy/cli.ts')];

function readTrace(dir: string): TrafficStream[] {
  return readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map(decodeTrafficStreamLine));
}

describe('capture proxy suppression rules and header rewrite', () => {
  let proxy: RunningProxy;
  const trace = mkdtempSync(path.join(os.tmpdir(), 'cp-trace-'));

  beforeAll(async () => {
    proxy = await startProxy([
      '--destinationUri', sourceUrl, '--traceDirectory', trace,
      '--suppressCaptureForHeaderMatch', 'x-no-capture', 'yes|true',
      '--suppressCaptureForMethod', 'GET', '--suppressCaptureForUriPath', '/_cat/.*',
      '--suppressMethodAndPath', 'HEAD /',
      '--setHeader', 'X-Opaque-Id', 'capture-proxy-test',
      '--metricsPort', '0', '--metricsHost', '127.0.0.1',
    ]);
  });
  afterAll(() => proxy?.stop());

  it('drops suppressed requests (whole-string, case-insensitive names) and captures the client bytes before setHeader', async () => {
    const kept = `GET /_cat HTTP/1.1\r\n${host}x-opaque-id: from-client\r\n\r\n`;
    const parts = [
      `GET /_cat/health HTTP/1.1\r\n${host}\r\n`, // method and path match
      `GET / HTTP/1.1\r\n${host}X-No-Capture: yes\r\n\r\n`, // header match, name case-insensitive
      `GET / HTTP/1.1\r\n${host}x-no-capture: yes please\r\n\r\n`, // regex must match the whole value: captured
      `HEAD / HTTP/1.1\r\n${host}\r\n`, // method-and-path match
      kept, // path regex must match the whole path: captured
    ];
    const received = await rawExchange(proxy.port, parts, parts.length, { headOnly: [false, false, false, true, false], delayMs: 20 });
    expect(received.toString().match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(5);
    // ES echoes X-Opaque-Id: the source saw the rewritten header, replacing the client's.
    expect(received.toString()).toContain('X-Opaque-Id: capture-proxy-test');
    expect(received.toString()).not.toContain('from-client');
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^capture_proxy_requests_suppressed_total 3$/m);
    expect(metrics).toMatch(/^capture_proxy_requests_captured_total 2$/m);
    expect(metrics).toMatch(/^capture_proxy_records_dropped_total 0$/m);
    expect(metrics).toMatch(/^capture_proxy_journal_bytes 0$/m);
    await proxy.stop();
    const records = readTrace(trace);
    const [c] = [...byConnection(records).values()];
    // As the reference proxy records them: a suppressed request's head, then its drop mark.
    expect(c.reads.toString()).toBe(parts.join(''));
    expect(c.requests).toBe(2);
    expect(c.kinds.filter((k) => k === 'requestDropped')).toHaveLength(3);
    expect(proxy.stats.requestsSuppressed).toBe(3);
    // What a replayer makes of it: the two captured requests, each with its own answer.
    const replayed: CapturedRequest[] = [];
    const reassembler = new Reassembler({ onRequest: (q) => replayed.push(q), onSourceResponse: () => undefined, onConnectionEnd: () => undefined, onPartialRequestDropped: () => undefined, onRequestNotForwarded: () => undefined });
    for (const r of records) reassembler.add(r, { retain: () => undefined, release: () => undefined }, 0);
    reassembler.endAll();
    expect(replayed.map((q) => q.bytes.toString())).toEqual([parts[2], kept]);
    expect(replayed.map((q) => q.sourceResponse!.toString())).toEqual([expect.stringContaining('"cluster_name"'), expect.stringContaining('/_cat/templates')]);
  });
});

describe('capture proxy on malformed HTTP', () => {
  let proxy: RunningProxy;
  beforeAll(async () => {
    proxy = await startProxy(['--destinationUri', sourceUrl, '--traceDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-trace-'))]);
  });
  afterAll(() => proxy?.stop());

  const corpus: Array<[string, string[]]> = [
    ['a broken request line', ['GARBAGE\r\n\r\n']],
    ['a header without a colon', [`GET / HTTP/1.1\r\n${host}NoColonHere\r\n\r\n`]],
    ['a bad Content-Length', [`POST /_search HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n{}`]],
    ['a bad chunk size', [`POST /_search HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`]],
    ['a truncated body', [`POST /_search HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query"`]],
    ['binary bytes', ['\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\xff\xfe']],
    ['a slow sender', ['G', 'ET / HT', 'TP/1.1\r', `\n${host}`, '\r\n']],
  ];

  it.each(corpus)('survives %s and serves the next connection', async (_name, parts) => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const answer: Buffer[] = [];
    socket.on('data', (d) => answer.push(d));
    for (const p of parts) {
      socket.write(Buffer.from(p, 'latin1'));
      await new Promise((r) => setTimeout(r, 30));
    }
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    const next = await rawExchange(proxy.port, [`GET / HTTP/1.1\r\n${host}\r\n`], 1);
    expect(statusOf(next)).toBe(200);
  });
});

describe('capture-proxy command line', () => {
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(CLI[0], [CLI[1], ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });

  it.each([
    [['--listenPort', '9200', '--noCapture'], /--destinationUri is required/],
    [['--destinationUri', 'localhost9200', '--listenPort', '9200', '--noCapture'], /must be a URL/],
    [['--destinationUri', 'http://x:1', '--listenPort', 'abc', '--noCapture'], /--listenPort must be a whole number/],
    [['--destinationUri', 'http://x:1', '--listenPort', '1'], /--kafkaConnection <brokers>, --traceDirectory <dir>, or --noCapture/],
    [['--destinationUri', 'http://x:1', '--listenPort', '1', '--kafkaConnection', 'nohostport'], /expected host:port/],
    [['--destinationUri', 'http://x:1', '--listenPort', '1', '--noCapture', '--setHeader', 'X-A'], /NAME and a VALUE/],
    [['--destinationUri', 'http://x:1', '--listenPort', '1', '--noCapture', '--suppressCaptureForMethod', '(['], /not a valid regular expression/],
    [['--destinationUri', 'http://x:1', '--listenPort', '1', '--noCapture', '--unackedCapturePolicy', 'maybe'], /--unackedCapturePolicy must be one of forward, reject \(got "maybe"\)/],
    [['--destinationUri', 'http://x:1', '--listenPort', '1', '--noCapture', '--bogus'], /unknown option '--bogus'/],
  ])('rejects %j with exit code 2', (args, message) => {
    const r = run(args as string[]);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });

  it('runs the install guide line (em dashes, env vars), relays, and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(CLI[0], [CLI[1], '\u2014destinationUri', sourceUrl, '\u2013listenPort', String(port), '--kafkaConnection', stackEndpoints().kafkaBrokers, '--insecureDestination'], {
      env: { ...process.env, CAPTURE_PROXY_LISTEN_HOST: '127.0.0.1', CAPTURE_PROXY_KAFKA_TOPIC: 'capture-cli-test', CAPTURE_PROXY_JOURNAL_DIRECTORY: mkdtempSync(path.join(os.tmpdir(), 'cp-j-')) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('capture proxy ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('read "\u2014destinationUri" as "--destinationUri"');
    const answer = await rawExchange(port, [`GET / HTTP/1.1\r\n${host}\r\n`], 1);
    expect(statusOf(answer)).toBe(200);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('capture proxy stopped');
  });
});
