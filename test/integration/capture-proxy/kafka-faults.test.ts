import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { CAPTURE_PROXY_NODE_FLAGS } from '../../../runtime/src/capture-proxy/node-flags';
import { HttpBoundaryParser, ParseEvent } from '../../../runtime/src/core/http/boundary-parser';
import { decodeTrafficStream, TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { freePort, freePortRange } from '../../../runtime/src/local/ports';
import { down, up } from '../../../runtime/src/local/stack';
import { committedOffsets, endOffsets, readTuples, startReplayer, waitFor } from '../replayer/support';
import { stackEndpoints, uniqueName } from '../../support/env';
import { startProxy } from './support';

/**
 * Kafka hangs (SIGSTOP) under load. The proxy must keep the promise: every write a client saw
 * succeed is in the topic, exactly once, even when the proxy is killed meanwhile; and a long hang
 * (whose produce requests Kafka still carries out when it wakes up) writes no record twice. This
 * file runs its own Kafka, so that stopping it disturbs no other test.
 */
const { sourceUrl, targetUrl } = stackEndpoints();
const source = new URL(sourceUrl);
const PROXY_CLI = path.resolve(__dirname, '../../../runtime/dist/capture-proxy/cli.js');
const kafkaName = uniqueName('cp-faults');
let brokers = '';
let kafkaPid = 0;
let kafkaStopped = false;
const children: ChildProcess[] = [];

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stopKafka(): void {
  process.kill(kafkaPid, 'SIGSTOP');
  kafkaStopped = true;
}

function resumeKafka(): void {
  if (kafkaStopped) process.kill(kafkaPid, 'SIGCONT');
  kafkaStopped = false;
}

beforeAll(async () => {
  const port = await freePortRange(3);
  brokers = `127.0.0.1:${port}`;
  const state = await up({ name: kafkaName, only: ['kafka'], ports: { kafka: port, source: 1, target: 1 }, heapMb: { kafka: 384 } });
  kafkaPid = state.servers.kafka!.pid;
});

afterAll(async () => {
  resumeKafka();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await down(kafkaName);
});

/** One keep-alive client connection: requests one at a time; a broken connection fails what is in flight. */
class Client {
  private socket: net.Socket | undefined;
  private waiting: { method: string; resolve: (status: number) => void; reject: (err: Error) => void } | undefined;
  private parser = new HttpBoundaryParser('response', { requestMethod: () => this.waiting?.method });

  constructor(private readonly port: number) {}

  request(method: string, target: string, body?: string): Promise<number> {
    const payload = body === undefined ? '' : body;
    const head = `${method} ${target} HTTP/1.1\r\nHost: ${source.host}\r\nContent-Type: application/${target.includes('_bulk') ? 'x-ndjson' : 'json'}\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n`;
    return new Promise((resolve, reject) => {
      this.waiting = { method, resolve, reject };
      this.connect().write(head + payload);
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private connect(): net.Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.parser = new HttpBoundaryParser('response', { requestMethod: () => this.waiting?.method });
    const socket = net.connect(this.port, '127.0.0.1');
    socket.on('data', (chunk: Buffer) => {
      let pos = 0;
      let ev = ParseEvent.NeedMore;
      while (pos < chunk.length || ev === ParseEvent.HeadComplete) {
        ev = this.parser.execute(chunk, pos);
        if (ev === ParseEvent.Error) return socket.destroy(new Error(`bad response: ${this.parser.error}`));
        pos = this.parser.offset;
        if (ev === ParseEvent.MessageComplete && this.parser.head!.statusCode >= 200) {
          const w = this.waiting;
          this.waiting = undefined;
          w?.resolve(this.parser.head!.statusCode);
        }
      }
    });
    const fail = (err?: Error) => {
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(err ?? new Error('connection closed'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
    this.socket = socket;
    return socket;
  }
}

/** Every record of the topic, up to its end offsets when this was called. */
async function readAll(topic: string): Promise<TrafficStream[]> {
  const kafka = new Kafka({ brokers: [brokers], clientId: 'faults-reader', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: uniqueName('faults-reader') });
  const streams: TrafficStream[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    if (total === 0) resolve();
    void consumer.run({
      eachMessage: async ({ message }) => {
        streams.push(decodeTrafficStream(message.value!));
        if (streams.length >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return streams;
}

/** Records that repeat a (connection, chunk) already in the topic. */
function duplicateRecords(streams: TrafficStream[]): number {
  const seen = new Set<string>();
  let dups = 0;
  for (const s of streams) {
    const key = `${s.nodeId}|${s.connectionId}|${s.number ?? s.numberOfThisLastChunk}`;
    if (seen.has(key)) dups++;
    seen.add(key);
  }
  return dups;
}

/** How many times each PUT path appears in the captured reads (records as they are in the topic). */
function capturedPuts(streams: TrafficStream[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of streams) {
    for (const o of s.subStream) {
      const data = o.read?.data ?? o.readSegment?.data;
      if (!data) continue;
      for (const m of Buffer.from(data).toString('latin1').matchAll(/PUT (\S+) HTTP\/1\.1/g)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
    }
  }
  return counts;
}

/** The proxy as its own process (so that it can be killed with -9); resolves once it listens. */
async function spawnProxy(args: string[], metricsPort: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...CAPTURE_PROXY_NODE_FLAGS, PROXY_CLI, ...args, '--metricsPort', String(metricsPort), '--metricsHost', '127.0.0.1', '--logLevel', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await waitFor('the capture proxy listening', () => metric(metricsPort, 'capture_proxy_connections_active').then((v) => (v !== undefined ? true : undefined)), 30_000, 100).catch((err) => {
    throw new Error(`${err.message}\n${stderr}`);
  });
  return child;
}

async function metric(port: number, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

describe('capture through Kafka hangs', () => {
  it('keeps every PUT a client saw succeed, once, through SIGSTOP of Kafka and kill -9 of the proxy', async () => {
    const topic = uniqueName('faults-kill');
    const index = uniqueName('faults-kill-idx');
    const journal = mkdtempSync(path.join(os.tmpdir(), 'cp-journal-'));
    const listen = await freePort();
    const metricsPort = await freePort();
    const args = ['--destinationUri', sourceUrl, '--listenHost', '127.0.0.1', '--listenPort', String(listen), '--kafkaConnection', brokers, '--kafkaTopic', topic, '--journalDirectory', journal, '--captureAckTimeoutMs', '1500'];
    const proxy = await spawnProxy(args, metricsPort);

    const sent: string[] = [];
    const succeeded: string[] = [];
    let stop = false;
    const clients = Array.from({ length: 8 }, () => new Client(listen));
    const load = clients.map(async (client, c) => {
      for (let i = 0; !stop; i++) {
        const target = `/${index}/_doc/c${c}-${i}`;
        sent.push(target);
        try {
          const status = await client.request('PUT', target, JSON.stringify({ c, i }));
          if (status >= 200 && status < 300) succeeded.push(target);
        } catch {
          return;
        }
      }
    });
    await waitFor('PUTs acknowledged by Kafka', () => (succeeded.length >= 100 ? true : undefined), 60_000, 50);
    stopKafka();
    // Past the ack timeout the held writes go to the journal and on; the writes after them too.
    const before = succeeded.length;
    await waitFor('writes through the journal', () => (succeeded.length >= before + 100 ? true : undefined), 60_000, 50);
    proxy.kill('SIGKILL');
    stop = true;
    await Promise.all(load);
    for (const client of clients) client.close();
    resumeKafka();

    // The restarted proxy sends what its journal kept.
    const restarted = await spawnProxy(args, metricsPort);
    await waitFor('the journal sent', async () => ((await metric(metricsPort, 'capture_proxy_journal_bytes')) === 0 && (await metric(metricsPort, 'capture_proxy_buffered_bytes')) === 0 ? true : undefined), 120_000, 250);
    restarted.kill('SIGTERM');
    await new Promise((r) => restarted.once('exit', r));

    const streams = await readAll(topic);
    const puts = capturedPuts(streams);
    const missing = succeeded.filter((t) => !puts.has(t));
    const twice = [...puts.values()].filter((n) => n > 1).length;
    const dups = duplicateRecords(streams);
    process.stderr.write(`kill -9 test: ${sent.length} PUTs sent, ${succeeded.length} succeeded (${succeeded.length - before} through the journal), ${puts.size} captured, ${missing.length} missing, ${twice} captured twice, ${dups} duplicate records of ${streams.length}\n`);
    expect({ missing, twice, dups }).toEqual({ missing: [], twice: 0, dups: 0 });
    await fetch(`${sourceUrl}/${index}`, { method: 'DELETE' });
  });

  it('writes no record twice through a 20 s hang under 5,000 mixed requests, and the replay has one tuple each', async () => {
    const topic = uniqueName('faults-hang');
    const index = uniqueName('faults-hang-idx');
    // A short request timeout, so that the producer retries into the hang several times.
    const proxy: RunningProxy = await startProxy([
      '--destinationUri', sourceUrl, '--kafkaConnection', brokers, '--kafkaTopic', topic, '--captureAckTimeoutMs', '2000',
      '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-')), '--kafkaConfigFile', await requestTimeoutFile(4000),
    ]);
    const total = 5000;
    let issued = 0;
    const answered: number[] = [];
    const clients = Array.from({ length: 10 }, () => new Client(proxy.port));
    const started = Date.now();
    let hang: Promise<void> | undefined;
    await Promise.all(
      clients.map(async (client, c) => {
        const mine: string[] = [];
        while (issued < total) {
          const n = issued++;
          if (n === 500) hang = (async () => { stopKafka(); await pause(20_000); resumeKafka(); })();
          const kind = n % 10;
          let status: number;
          if (kind < 4) {
            const id = `c${c}-${n}`;
            mine.push(id);
            status = await client.request('PUT', `/${index}/_doc/${id}`, JSON.stringify({ n }));
          } else if (kind < 7) {
            status = await client.request('GET', `/${index}/_doc/${mine[mine.length - 1] ?? 'none'}`);
          } else if (kind < 9) {
            status = await client.request('POST', `/${index}/_search`, JSON.stringify({ size: 1 }));
          } else {
            status = await client.request('DELETE', `/${index}/_doc/${mine.shift() ?? 'none'}`);
          }
          answered.push(status);
        }
      }),
    );
    await hang;
    for (const client of clients) client.close();
    await waitFor('capture acknowledged', () => (proxy.stats.journalBytes === 0 && proxy.stats.bufferedBytes === 0 ? true : undefined), 120_000, 250);
    await proxy.stop();
    const seconds = (Date.now() - started) / 1000;

    const streams = await readAll(topic);
    const dups = duplicateRecords(streams);
    let captured = 0;
    for (const s of streams) for (const o of s.subStream) if (o.endOfMessageIndicator) captured++;

    const tupleDir = mkdtempSync(path.join(os.tmpdir(), 'cp-faults-tuples-'));
    const groupId = uniqueName('faults-hang-group');
    const replayer = startReplayer(['--target-uri', targetUrl, '--kafka-traffic-brokers', brokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', groupId, '--tuple-dir', tupleDir, '--speedup-factor', '20']);
    try {
      const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
      const ends = await endOffsets(kafka, topic);
      await waitFor('the replay committed', async () => ((await committedOffsets(kafka, groupId, topic)).every((o, i) => o === ends[i] || ends[i] === 0) ? true : undefined), 240_000, 500).catch((err) => {
        throw new Error(`${err.message}\n${replayer.stderr().slice(-3000)}`);
      });
    } finally {
      replayer.child.kill('SIGTERM');
    }
    await replayer.exited;
    const tuples = readTuples(tupleDir);
    const tupleIds = new Set(tuples.map((t) => t.connectionId));
    process.stderr.write(
      `20 s hang test: ${total} requests in ${seconds.toFixed(0)} s (answers ${JSON.stringify(countBy(answered))}, ${proxy.stats.mutatingRejected} refused 503, ${proxy.stats.mutatingForwardedWithoutAck} writes past the ack timeout, ${proxy.stats.journalAcks} through the journal), ${captured} captured in ${streams.length} records, ${dups} duplicate records, ${tuples.length} tuples (${tupleIds.size} distinct)\n`,
    );
    expect({ answered: answered.length, refused: proxy.stats.mutatingRejected, captured, dups, tuples: tuples.length, distinct: tupleIds.size }).toEqual({ answered: total, refused: 0, captured: total, dups: 0, tuples: total, distinct: total });
    for (const url of [sourceUrl, targetUrl]) await fetch(`${url}/${index}`, { method: 'DELETE' });
  });
});

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** A --kafkaConfigFile with the producer's request timeout. */
async function requestTimeoutFile(ms: number): Promise<string> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cp-kafka-props-')), 'producer.properties');
  writeFileSync(file, `request.timeout.ms=${ms}\n`);
  return file;
}
