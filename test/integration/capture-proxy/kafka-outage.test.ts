import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { freePortRange } from '../../../runtime/src/local/ports';
import { down, up } from '../../../runtime/src/local/stack';
import { Reassembler } from '../../../runtime/src/replayer/reassembler';
import { stackEndpoints, uniqueName } from '../../support/env';
import { byConnection, closedConnections, rawExchange, readTopic, startProxy, statusOf } from './support';

const { sourceUrl } = stackEndpoints();
const source = new URL(sourceUrl);
const host = `Host: ${source.host}\r\n`;
const kafkaName = uniqueName('cp-kafka');
const topic = uniqueName('capture-outage');
const index = uniqueName('capture-outage-idx');
let kafkaPort = 0;
let brokers = '';
let forwarding: RunningProxy;
let rejecting: RunningProxy;
const exchanges: Array<{ sent: Buffer; received: Buffer }> = [];

function request(method: string, target: string, body?: string): Buffer {
  const len = body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  return Buffer.from(`${method} ${target} HTTP/1.1\r\n${host}${len}\r\n${body ?? ''}`);
}

async function via(proxy: RunningProxy, parts: Buffer[]): Promise<Buffer> {
  const received = await rawExchange(proxy.port, parts, parts.length);
  if (proxy === forwarding) exchanges.push({ sent: Buffer.concat(parts), received });
  return received;
}

const startKafka = () => up({ name: kafkaName, only: ['kafka'], ports: { kafka: kafkaPort, source: 1, target: 1 }, heapMb: { kafka: 384 } });

beforeAll(async () => {
  kafkaPort = await freePortRange(3);
  brokers = `127.0.0.1:${kafkaPort}`;
  await startKafka();
  const common = ['--destinationUri', sourceUrl, '--kafkaConnection', brokers, '--kafkaTopic', topic, '--captureAckTimeoutMs', '1500', '--maxBufferedCaptureBytes', String(1024 * 1024)];
  forwarding = await startProxy([...common, '--unackedCapturePolicy', 'forward', '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-'))]);
  rejecting = await startProxy([...common, '--unackedCapturePolicy', 'reject', '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-'))]);
});

afterAll(async () => {
  await forwarding?.stop();
  await rejecting?.stop();
  await down(kafkaName);
  await fetch(`${sourceUrl}/${index}`, { method: 'DELETE' });
});

describe('capture proxy while Kafka is stopped', () => {
  it('keeps every capture through a Kafka outage and applies the unacknowledged-capture policy', async () => {
    const before = await via(forwarding, [request('PUT', `/${index}/_doc/before?refresh=true`, '{"phase":"before"}'), request('GET', '/_cluster/health')]);
    expect(statusOf(before)).toBe(201);

    await down(kafkaName, { keepData: true });

    // Reads never wait for Kafka, and answer as the source does.
    const started = Date.now();
    const directGet = await rawExchange(Number(source.port), [request('GET', `/${index}/_doc/before`)], 1);
    const proxiedGet = await via(forwarding, [request('GET', `/${index}/_doc/before`)]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(proxiedGet.subarray(proxiedGet.indexOf('\r\n\r\n')).equals(directGet.subarray(directGet.indexOf('\r\n\r\n')))).toBe(true);

    // forward: Kafka refuses connections, so the circuit opens at the first failed produce and the
    // write reaches the source once its capture is fsync'd to the journal, without the ack timeout.
    const put = await via(forwarding, [request('PUT', `/${index}/_doc/during?refresh=true`, '{"phase":"during"}')]);
    expect(statusOf(put)).toBe(201);
    expect(forwarding.stats.mutatingForwardedWithoutAck).toBe(0);
    expect(forwarding.stats.journalAcks).toBeGreaterThanOrEqual(1);

    // reject: the write is answered 503 and never reaches the source.
    const rejected = await rawExchange(rejecting.port, [request('PUT', `/${index}/_doc/rejected?refresh=true`, '{"phase":"rejected"}')], 1);
    expect(statusOf(rejected)).toBe(503);
    const missing = await fetch(`${sourceUrl}/${index}/_doc/rejected`);
    expect(missing.status).toBe(404);

    // A client that resets its connection while its write is held (reject: it waits for Kafka): the
    // source never gets it, and the capture says so. (A plain FIN is a half-close: the write stays.)
    const hangUp = net.connect(rejecting.port, '127.0.0.1');
    await new Promise((r) => hangUp.once('connect', r));
    hangUp.write(request('PUT', `/${index}/_doc/abandoned?refresh=true`, '{"phase":"abandoned"}'));
    await new Promise((r) => setTimeout(r, 300));
    hangUp.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 1500));
    expect((await fetch(`${sourceUrl}/${index}/_doc/abandoned`)).status).toBe(404);
    expect(rejecting.stats.mutatingAbandoned).toBe(1);


    // More capture than the memory bound: it spills to the journal.
    const bulk = Array.from({ length: 400 }, (_, i) => `{"index":{"_index":"${index}","_id":"b${i}"}}\n{"pad":"${'y'.repeat(5000)}"}\n`).join('');
    const bulkAnswer = await via(forwarding, [Buffer.from(`POST /_bulk HTTP/1.1\r\n${host}Content-Type: application/x-ndjson\r\nContent-Length: ${bulk.length}\r\n\r\n${bulk}`)]);
    expect(statusOf(bulkAnswer)).toBe(200);
    for (let i = 0; i < 20; i++) await via(forwarding, [request('GET', '/_cluster/health')]);
    await new Promise((r) => setTimeout(r, 1500)); // the flush timer emits the last records
    expect(forwarding.stats.journalBytes).toBeGreaterThan(1024 * 1024);
    expect(forwarding.stats.recordsDropped).toBe(0);

    await startKafka();
    const deadline = Date.now() + 60_000;
    while ((forwarding.stats.journalBytes > 0 || forwarding.stats.bufferedBytes > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(forwarding.stats.journalBytes).toBe(0);
    await forwarding.stop();
    await rejecting.stop();

    // Every connection of the forwarding proxy is in the topic, byte for byte, in order.
    const streams = await readTopic(brokers, topic, (s) => closedConnections(s) >= exchanges.length + 2, 60_000);
    const captured = [...byConnection(streams).values()];
    for (const ex of exchanges) {
      const c = captured.find((x) => x.reads.equals(ex.sent));
      expect(c).toBeDefined();
      expect(c!.writes.equals(ex.received)).toBe(true);
      expect(c!.closed).toBe(true);
    }
    // The rejected request is in the capture too, marked as dropped right after its end.
    const rejectedCapture = captured.find((c) => c.reads.toString().includes('/_doc/rejected'));
    expect(rejectedCapture?.kinds).toEqual(expect.arrayContaining(['endOfMessageIndicator', 'requestDropped', 'close']));
    const abandonedCapture = captured.find((c) => c.reads.toString().includes('/_doc/abandoned'));
    expect(abandonedCapture?.kinds).toEqual(expect.arrayContaining(['endOfMessageIndicator', 'requestDropped', 'close']));
    expect(captured).toHaveLength(exchanges.length + 2);

    // A replayer replays every write the source got, and neither of the two it never got.
    const replayed: string[] = [];
    const notForwarded: string[] = [];
    const reassembler = new Reassembler({
      onRequest: (q) => replayed.push(q.bytes.toString('latin1', 0, q.bytes.indexOf('\r\n'))),
      onSourceResponse: () => undefined,
      onConnectionEnd: () => undefined,
      onPartialRequestDropped: () => undefined,
      onRequestNotForwarded: (q) => notForwarded.push(q.bytes.toString('latin1', 0, q.bytes.indexOf('\r\n'))),
    });
    for (const s of streams) reassembler.add(s, { retain: () => undefined, release: () => undefined }, 0);
    reassembler.endAll();
    expect(notForwarded.sort()).toEqual([`PUT /${index}/_doc/abandoned?refresh=true HTTP/1.1`, `PUT /${index}/_doc/rejected?refresh=true HTTP/1.1`]);
    expect(replayed.filter((line) => !line.startsWith('GET'))).toEqual(expect.arrayContaining([`PUT /${index}/_doc/before?refresh=true HTTP/1.1`, `PUT /${index}/_doc/during?refresh=true HTTP/1.1`, 'POST /_bulk HTTP/1.1']));
    expect(replayed.filter((line) => line.includes('rejected') || line.includes('abandoned'))).toEqual([]);
  });
});
