import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { stackEndpoints, uniqueName } from '../../support/env';
import { byConnection, closedConnections, rawExchange, readTopic, startProxy, statusOf } from './support';

const { sourceUrl, kafkaBrokers } = stackEndpoints();
const source = new URL(sourceUrl);
const topic = uniqueName('capture-relay');
const index = uniqueName('capture-relay-idx');
const host = `Host: ${source.host}\r\n`;

/** Every exchange made through the proxy: the bytes sent and received on its connection. */
const exchanges: Array<{ name: string; sent: Buffer; received: Buffer; requests: number }> = [];
let proxy: RunningProxy;
let tlsProxy: RunningProxy;

async function through(name: string, parts: Array<Buffer | string>, responses: number, opts: { tls?: boolean; headOnly?: boolean[]; delayMs?: number } = {}) {
  const received = await rawExchange(opts.tls ? tlsProxy.port : proxy.port, parts, responses, opts);
  exchanges.push({ name, sent: Buffer.concat(parts.map((p) => Buffer.from(p))), received, requests: responses });
  return received;
}

function request(method: string, target: string, body?: Buffer | string, headers = ''): Buffer {
  const b = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const type = /content-type/i.test(headers) ? '' : 'Content-Type: application/json\r\n';
  const len = body === undefined ? '' : `Content-Length: ${b.length}\r\n${type}`;
  return Buffer.concat([Buffer.from(`${method} ${target} HTTP/1.1\r\n${host}${len}${headers}\r\n`), b]);
}

function bodyOf(response: Buffer): string {
  const text = response.toString('utf8');
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}

function bulkBody(docs: number, pad: number): string {
  const lines: string[] = [];
  for (let i = 0; i < docs; i++) lines.push(JSON.stringify({ index: { _index: index, _id: `bulk-${i}` } }), JSON.stringify({ n: i, text: 'x'.repeat(pad) }));
  return lines.join('\n') + '\n';
}

beforeAll(async () => {
  proxy = await startProxy(['--destinationUri', sourceUrl, '--kafkaConnection', kafkaBrokers, '--kafkaTopic', topic, '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-'))]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cp-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  tlsProxy = await startProxy([
    '--destinationUri', sourceUrl, '--kafkaConnection', kafkaBrokers, '--kafkaTopic', topic,
    '--sslCertChainFile', path.join(dir, 'cert.pem'), '--sslKeyFile', path.join(dir, 'key.pem'),
    '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-')),
  ]);
});

afterAll(async () => {
  await proxy?.stop();
  await tlsProxy?.stop();
  await fetch(`${sourceUrl}/${index}`, { method: 'DELETE' });
});

describe('capture proxy relay to Elasticsearch 7.10 with Kafka capture', () => {
  it('answers PUT, GET, HEAD, POST and DELETE on one keep-alive connection as the source does', async () => {
    const put = request('PUT', `/${index}/_doc/1?refresh=true`, '{"title":"hello","n":1}');
    const get = request('GET', `/${index}/_doc/1`);
    const head = request('HEAD', `/${index}/_doc/1`);
    const post = request('POST', `/${index}/_search`, '{"query":{"match_all":{}}}');
    const del = request('DELETE', `/${index}/_doc/1`);
    const r1 = await through('put', [put], 1);
    expect(statusOf(r1)).toBe(201);
    const r = await through('get-head-post-delete', [get, head, post, del], 4, { headOnly: [false, true, false, false], delayMs: 30 });
    const text = r.toString('utf8');
    expect(text.match(/HTTP\/1\.1 \d+ [^\r]*/g)).toEqual(Array(4).fill("HTTP/1.1 200 OK"));
    expect(text).toContain('"title":"hello"');
    expect(text).toContain('"result":"deleted"');
    // The same GET straight to the source gives the same body (after the delete: not found both ways).
    const direct = await rawExchange(Number(source.port), [get], 1);
    const proxied = await through('get-after-delete', [get], 1);
    expect(statusOf(proxied)).toBe(statusOf(direct));
    expect(bodyOf(proxied)).toBe(bodyOf(direct));
  });

  it('streams a 12 MB _bulk body, a chunked _bulk and a gzip _bulk', async () => {
    const big = bulkBody(6000, 2000);
    expect(big.length).toBeGreaterThan(12_000_000);
    const r = await through('bulk-12mb', [request('POST', '/_bulk', big, 'Content-Type: application/x-ndjson\r\n')], 1);
    expect(statusOf(r)).toBe(200);
    expect(bodyOf(r)).toContain('"errors":false');

    const small = bulkBody(50, 100);
    const chunks = [small.slice(0, 1000), small.slice(1000, 3000), small.slice(3000)];
    const chunked = [`POST /_bulk HTTP/1.1\r\n${host}Content-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n`, ...chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`), '0\r\n\r\n'];
    const rc = await through('bulk-chunked', chunked, 1, { delayMs: 20 });
    expect(statusOf(rc)).toBe(200);
    expect(bodyOf(rc)).toContain('"errors":false');

    const gz = zlib.gzipSync(bulkBody(100, 50));
    const rg = await through('bulk-gzip', [request('POST', '/_bulk', gz, 'Content-Encoding: gzip\r\nContent-Type: application/x-ndjson\r\n')], 1);
    expect(statusOf(rg)).toBe(200);
    expect(bodyOf(rg)).toContain('"errors":false');
  });

  it('passes 30 pipelined requests in one write and 50 keep-alive requests in order', async () => {
    const pipelined = Array.from({ length: 30 }, (_, i) => request('GET', `/_cluster/health?pretty=${i % 2 === 0}`));
    const rp = await through('pipelined', [Buffer.concat(pipelined)], 30);
    expect(rp.toString().match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(30);
    const keepAlive = Array.from({ length: 50 }, (_, i) => request("GET", i % 2 ? "/" : "/_cluster/health"));
    const rk = await through('keep-alive', keepAlive, 50, { delayMs: 2 });
    expect(rk.toString().match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(50);
  });

  it('serves a TLS listener', async () => {
    const r = await through('tls', [request('GET', '/'), request('POST', `/${index}/_doc/tls?refresh=true`, '{"tls":true}')], 2, { tls: true });
    expect(r.toString()).toContain('"cluster_name"');
    expect(r.toString()).toMatch(/HTTP\/1\.1 201 Created/);
  });

  it('records every request and response in Kafka byte for byte, one connection per key', async () => {
    await proxy.stop();
    await tlsProxy.stop();
    const streams = await readTopic(kafkaBrokers, topic, (s) => closedConnections(s) >= exchanges.length, 60_000);
    const captured = [...byConnection(streams).values()];
    expect(captured).toHaveLength(exchanges.length);
    for (const ex of exchanges) {
      const c = captured.find((x) => x.reads.equals(ex.sent));
      expect({ name: ex.name, found: Boolean(c) }).toEqual({ name: ex.name, found: true });
      expect({ name: ex.name, writesEqual: c!.writes.equals(ex.received), requests: c!.requests, closed: c!.closed }).toEqual({ name: ex.name, writesEqual: true, requests: ex.requests, closed: true });
    }
    // The 12 MB request did not fit one record: later records say they begin inside it.
    const big = captured.find((c) => c.reads.length > 12_000_000)!;
    const bigRecords = streams.filter((s) => s.connectionId === big.id);
    expect(bigRecords.length).toBeGreaterThan(12);
    expect(bigRecords.filter((s) => s.lastObservationWasUnterminatedRead).length).toBeGreaterThan(10);
  });
});
