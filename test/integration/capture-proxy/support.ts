import net from 'node:net';
import tls from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { startCaptureProxy, RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { parseProxyArgs } from '../../../runtime/src/capture-proxy/options';
import { HttpBoundaryParser, ParseEvent } from '../../../runtime/src/core/http-boundary-parser';
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
