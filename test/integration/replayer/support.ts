import { ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../../../runtime/src/local/ports';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { Kafka } from 'kafkajs';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { isCompleteResponse } from '../../../runtime/src/core/http/message';
import type { Tuple } from '../../../runtime/src/replayer/tuple';
import { stackEndpoints, uniqueName } from '../../support/env';

export const CLI = resolve(__dirname, '../../../runtime/dist/replayer/cli.js');
const PROXY_CLI = resolve(__dirname, '../../../runtime/dist/capture-proxy/cli.js');

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -p runtime\` first (npm test does)`);
}

/** A request as a client writes it. */
export function httpRequest(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Buffer {
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: localhost:9200'];
  if (payload.length && !headers['Content-Type']) lines.push('Content-Type: application/json');
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'transfer-encoding')) lines.push(`Content-Length: ${payload.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), payload]);
}

/** Milliseconds since the epoch with sub-millisecond precision, as a capture would stamp them. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** One keep-alive client connection that records the exact bytes it sends and receives. */
export class RawConnection {
  private socket?: net.Socket;
  constructor(private readonly url: URL) {}

  async exchange(request: Buffer): Promise<{ request: Buffer; response: Buffer; requestTs: number; responseTs: number }> {
    if (!this.socket) {
      this.socket = net.connect(Number(this.url.port), this.url.hostname);
      await new Promise<void>((res, rej) => this.socket!.once('connect', res).once('error', rej));
    }
    const socket = this.socket;
    const requestTs = nowMs();
    const chunks: Buffer[] = [];
    const response = await new Promise<Buffer>((resolveResponse, reject) => {
      const onData = (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (isCompleteResponse(all, request.subarray(0, 5).toString() === 'HEAD ' ? 'HEAD' : 'GET')) {
          socket.off('data', onData);
          resolveResponse(all);
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(request);
    });
    return { request, response, requestTs, responseTs: nowMs() };
  }

  close(): void {
    this.socket?.end();
  }
}

export interface LoggedRequest {
  method: string;
  url: string;
  at: number;
  body: string;
}

/**
 * An HTTP forwarder in front of the target that logs every request it receives (the replayer's
 * request log) and can be taken down and brought back on the same port.
 */
export class RecordingForwarder {
  readonly log: LoggedRequest[] = [];
  private server?: http.Server;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  port = 0;
  constructor(private readonly target: URL) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => {
      const at = nowMs();
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.log.push({ method: req.method!, url: req.url!, at, body: body.toString('utf8') });
        const headers = { ...req.headers, host: this.target.host };
        const up = http.request({ host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers, agent: this.agent }, (upRes) => {
          res.writeHead(upRes.statusCode!, upRes.headers);
          upRes.pipe(res);
        });
        up.on('error', () => res.destroy());
        up.end(body);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((res, rej) => server.once('error', rej).listen(port, '127.0.0.1', () => res()));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** The target goes away: the listener closes and open connections are cut. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
  }

  async close(): Promise<void> {
    await this.stop();
    this.agent.destroy();
  }
}

export interface ReplayerProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startReplayer(args: string[], env: Record<string, string> = {}): ReplayerProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: process.env.REPLAYER_TEST_LOG_LEVEL ?? 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Every tuple in a tuple directory; a gzip member cut by kill -9 is read as far as it goes. */
export function readTuples(dir: string): Tuple[] {
  if (!existsSync(dir)) return [];
  const tuples: Tuple[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log.gz')).sort()) {
    const text = gunzipSync(readFileSync(join(dir, f)), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        tuples.push(JSON.parse(line));
      } catch {
        // The cut end of a file written when the process was killed.
      }
    }
  }
  return tuples;
}

export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    let failure: unknown;
    try {
      value = await check();
    } catch (err) {
      // Kafka answers NOT_COORDINATOR and the like while a fresh broker settles: ask again.
      failure = err;
    }
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${failure ? ` (last error: ${(failure as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Committed offset per partition of the group on the topic (-1 when none). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return entry.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  } finally {
    await admin.disconnect();
  }
}

export async function endOffsets(kafka: Kafka, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));
  } finally {
    await admin.disconnect();
  }
}

export async function createTopic(kafka: Kafka, topic: string, partitions: number, messages: { key: string; value: Buffer }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, messages: messages.slice(i, i + 500), acks: -1 });
  await producer.disconnect();
}

export async function deleteTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

/**
 * What the Kafka-fed replayer tests share: a unique index, topic, group and tuple directory, the
 * source and target clusters, and (unless told not to) a recording forwarder in front of the
 * target; registers its own setup and cleanup.
 */
export function kafkaReplayFixture(name: string, opts: { forwarder?: boolean } = {}) {
  const { sourceUrl, targetUrl, kafkaBrokers } = stackEndpoints();
  const f = {
    sourceUrl,
    targetUrl,
    kafkaBrokers,
    index: uniqueName(name),
    topic: uniqueName(name),
    groupId: uniqueName(`${name}-group`),
    tupleDir: mkdtempSync(join(tmpdir(), `${name}-`)),
    kafka: createKafka({ brokers: kafkaBrokers, clientId: `${name}-test` }),
    source: new ClusterClient({ endpoint: sourceUrl }),
    target: new ClusterClient({ endpoint: targetUrl }),
    forwarder: new RecordingForwarder(new URL(targetUrl)),
    /**
     * Runs the replayer on the fixture's topic against the target until every offset is
     * committed, then stops it with SIGTERM; returns the partitions' end offsets and its exit code.
     */
    async replayAll(extraArgs: string[]): Promise<{ ends: number[]; exitCode: number | null }> {
      const replayer = startReplayer(['--target-uri', targetUrl, '--kafka-traffic-brokers', kafkaBrokers, '--kafka-traffic-topic', f.topic, '--kafka-traffic-group-id', f.groupId, '--tuple-dir', f.tupleDir, ...extraArgs]);
      let ends: number[];
      try {
        ends = await waitAllCommitted(f.kafka, f.groupId, f.topic, replayer, 300);
      } finally {
        replayer.child.kill('SIGTERM');
      }
      return { ends, exitCode: await replayer.exited };
    },
  };
  const withForwarder = opts.forwarder ?? true;
  beforeAll(async () => {
    assertBuilt();
    if (withForwarder) await f.forwarder.start();
  });
  afterAll(async () => {
    if (withForwarder) await f.forwarder.close();
    for (const c of [f.source, f.target]) {
      await c.request({ method: 'DELETE', path: `/${f.index}` }).catch(() => undefined);
      await c.close();
    }
    await deleteTopic(f.kafka, f.topic);
    rmSync(f.tupleDir, { recursive: true, force: true });
  });
  return f;
}

/** Waits until the group has committed every partition to its end; the error shows the replayer's stderr. */
export async function waitAllCommitted(kafka: Kafka, groupId: string, topic: string, replayer: ReplayerProcess, everyMs = 500): Promise<number[]> {
  const ends = await endOffsets(kafka, topic);
  await waitFor('every offset committed', async () => {
    const committed = await committedOffsets(kafka, groupId, topic);
    return committed.every((o, i) => o === ends[i] || ends[i] === 0) || undefined;
  }, 60_000, everyMs).catch(async (err: Error) => {
    throw new Error(`${err.message}: ends ${ends}, committed ${await committedOffsets(kafka, groupId, topic)}\nreplayer stderr:\n${replayer.stderr().slice(-3000)}`);
  });
  return ends;
}

/** The real capture proxy (the built CLI) in front of the source, capturing to the topic; stop() sends SIGTERM and gives its exit code. */
export async function startCaptureProxy(sourceUrl: string, kafkaBrokers: string, topic: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const port = await freePort();
  const proxy: ChildProcess = spawn(process.execPath, [PROXY_CLI, '--destinationUri', sourceUrl, '--listenPort', String(port), '--listenHost', '127.0.0.1', '--kafkaConnection', kafkaBrokers, '--kafkaTopic', topic], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proxy.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => proxy.once('exit', (code) => res(code)));
  await waitFor('the capture proxy to listen', () => new Promise<true | undefined>((res) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      res(true);
    }).once('error', () => res(undefined));
  }), 30_000, 200).catch((err: Error) => {
    throw new Error(`${err.message}\nproxy stderr:\n${stderr.slice(-2000)}`);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      // SIGTERM: the proxy flushes what it captured to Kafka, then exits.
      proxy.kill('SIGTERM');
      return exited;
    },
  };
}
