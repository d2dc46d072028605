import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { startCaptureProxy, RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { parseProxyArgs } from '../../../runtime/src/capture-proxy/options';
import { HttpBoundaryParser, ParseEvent } from '../../../runtime/src/core/http/boundary-parser';
import { decodeTrafficStream, TrafficStream } from '../../../runtime/src/core/traffic-stream';

export const quietLog = pino({ level: 'silent' });

/** Starts the proxy in this process from a command line, as the CLI would. */
export async function startProxy(args: string[]): Promise<RunningProxy> {
  const config = parseProxyArgs(['--listenPort', '0', '--listenHost', '127.0.0.1', ...args], {}, () => undefined);
  config.listenPort = 0;
  return startCaptureProxy(config, quietLog);
}

/**
 * Sends exact bytes on one connection and collects every byte of the answer until `responses`
 * responses are complete (or the server closes).
 */
export async function rawExchange(port: number, parts: Array<Buffer | string>, responses: number, opts: { tls?: boolean; delayMs?: number; headOnly?: boolean[] } = {}): Promise<Buffer> {
  const socket: net.Socket = opts.tls ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : net.connect({ host: '127.0.0.1', port });
  const received: Buffer[] = [];
  let index = 0;
  const parser = new HttpBoundaryParser('response', { requestMethod: () => (opts.headOnly?.[index] ? 'HEAD' : 'GET') });
  return new Promise<Buffer>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(Buffer.concat(received));
    };
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      let pos = 0;
      let ev = ParseEvent.NeedMore;
      while (pos < chunk.length || ev === ParseEvent.HeadComplete) {
        ev = parser.execute(chunk, pos);
        pos = parser.offset;
        if (ev === ParseEvent.Error) return reject(new Error(`bad response: ${parser.error}`));
        if (ev === ParseEvent.MessageComplete && parser.head!.statusCode >= 200 && ++index === responses) return finish();
      }
    });
    socket.on('end', finish);
    socket.on('error', (err) => (done ? undefined : reject(err)));
    void (async () => {
      for (const p of parts) {
        socket.write(p);
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      }
    })();
  });
}

/** Reads every TrafficStream of a topic (from the beginning) until `until` says enough or the time is up. */
export async function readTopic(brokers: string, topic: string, until: (streams: TrafficStream[]) => boolean, timeoutMs = 30_000): Promise<TrafficStream[]> {
  const kafka = new Kafka({ brokers: [brokers], clientId: 'capture-proxy-test', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}` });
  const streams: TrafficStream[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        const s = decodeTrafficStream(message.value!);
        expect(message.key!.toString()).toBe(s.connectionId);
        streams.push(s);
        if (until(streams)) resolveDone();
      },
    });
    await Promise.race([done, new Promise((r) => setTimeout(r, timeoutMs))]);
  } finally {
    await consumer.disconnect();
  }
  return streams;
}

export interface ConnectionCapture {
  id: string;
  reads: Buffer;
  writes: Buffer;
  requests: number;
  closed: boolean;
  kinds: string[];
}

/** Per connection: reads and writes concatenated (segments joined), requests ended, and whether it closed. */
export function byConnection(streams: TrafficStream[]): Map<string, ConnectionCapture> {
  const out = new Map<string, { reads: Buffer[]; writes: Buffer[]; requests: number; closed: boolean; kinds: string[]; chunks: number[] }>();
  for (const s of streams) {
    let c = out.get(s.connectionId);
    if (!c) out.set(s.connectionId, (c = { reads: [], writes: [], requests: 0, closed: false, kinds: [], chunks: [] }));
    c.chunks.push(s.number ?? s.numberOfThisLastChunk!);
    for (const o of s.subStream) {
      if (o.read) c.reads.push(o.read.data as Buffer);
      if (o.readSegment) c.reads.push(o.readSegment.data as Buffer);
      if (o.write) c.writes.push(o.write.data as Buffer);
      if (o.writeSegment) c.writes.push(o.writeSegment.data as Buffer);
      if (o.endOfMessageIndicator) c.requests++;
      if (o.close) c.closed = true;
      for (const k of Object.keys(o)) if (k !== 'ts') c.kinds.push(k);
    }
  }
  const result = new Map<string, ConnectionCapture>();
  for (const [id, c] of out) {
    // Chunks arrive numbered 1..n, in order, on the connection's partition.
    expect(c.chunks).toEqual(c.chunks.map((_, i) => i + 1));
    result.set(id, { id, reads: Buffer.concat(c.reads), writes: Buffer.concat(c.writes), requests: c.requests, closed: c.closed, kinds: c.kinds });
  }
  return result;
}

export function closedConnections(streams: TrafficStream[]): number {
  return streams.filter((s) => s.numberOfThisLastChunk !== undefined).length;
}

/** Status code and body of an HTTP/1.1 response bytes (Content-Length or chunked). */
export function statusOf(response: Buffer): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(response.toString('latin1'))?.[1]);
}

/** True while the process runs (a zombie waiting for its parent counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A capture proxy started as its own process (node and the CLI, or the executable). */
export interface ProxyProcess {
  child: ChildProcess;
  /** What its 'capture proxy ready' line says. */
  ready: { listenPort: number; metricsPort?: number; threads: number; nativeCrc32c?: boolean };
  stderr(): string;
  exited: Promise<number | null>;
  /** Started-to-listening time, as the test saw it. */
  startMs: number;
}

/** Spawns the proxy and waits for its ready line (JSON log on stderr). */
export async function spawnProxy(command: string, args: string[], opts: SpawnOptions = {}, timeoutMs = 30_000): Promise<ProxyProcess> {
  const started = Date.now();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let ready: ProxyProcess['ready'] | undefined;
  let gone = false;
  void exited.then(() => (gone = true));
  while (!ready && !gone && Date.now() - started < timeoutMs) {
    for (const line of err.split('\n')) {
      if (!line.includes('"capture proxy ready"')) continue;
      ready = JSON.parse(line);
      break;
    }
    if (!ready) await new Promise((r) => setTimeout(r, 20));
  }
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`the capture proxy did not become ready (${gone ? 'it exited' : 'timed out'}): ${err.slice(-2000)}`);
  }
  return { child, ready, stderr: () => err, exited, startMs: Date.now() - started };
}

/** One keep-alive client connection that sends rounds of pipelined requests and keeps every byte. */
export class ClientConnection {
  readonly sent: Buffer[] = [];
  readonly received: Buffer[] = [];
  /** Each complete answer's bytes. */
  readonly answers: Buffer[] = [];
  private current: Buffer[] = [];
  private readonly parser: HttpBoundaryParser;
  private methods: string[] = [];
  private answered = 0;
  private waiting: { count: number; resolve: () => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    this.parser = new HttpBoundaryParser('response', { requestMethod: () => this.methods[this.answered] ?? 'GET' });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error) => {
      this.failure ??= err;
      this.waiting?.reject(this.failure);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number): Promise<ClientConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new ClientConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes the requests at once and resolves when all their answers are in. */
  send(requests: Buffer[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    for (const r of requests) this.methods.push(r.toString('latin1', 0, 8).split(' ')[0]);
    const target = this.methods.length;
    this.sent.push(Buffer.concat(requests));
    return new Promise<void>((resolve, reject) => {
      this.waiting = { count: target, resolve, reject };
      this.socket.write(Buffer.concat(requests));
    });
  }

  get responses(): number {
    return this.answered;
  }

  close(): void {
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    let pos = 0;
    let ev = ParseEvent.NeedMore;
    while (pos < chunk.length || ev === ParseEvent.HeadComplete) {
      ev = this.parser.execute(chunk, pos);
      this.current.push(chunk.subarray(pos, this.parser.offset));
      pos = this.parser.offset;
      if (ev === ParseEvent.Error) {
        this.socket.destroy(new Error(`bad response: ${this.parser.error}`));
        return;
      }
      if (ev === ParseEvent.MessageComplete && this.parser.head!.statusCode >= 200) {
        this.answers.push(Buffer.concat(this.current));
        this.current = [];
        this.answered++;
        if (this.waiting && this.answered >= this.waiting.count) {
          const w = this.waiting;
          this.waiting = undefined;
          w.resolve();
        }
      }
    }
  }
}
