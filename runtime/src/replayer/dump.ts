import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { ConfigError } from '../core/errors';
import { createKafka } from '../core/kafka-client';
import type { Logger } from '../core/logging';
import { decodeTrafficStream, observationKind, TrafficObservation, TrafficStream, timestampToMillis } from '../core/traffic-stream';
import { decodeCaptureLine, openCaptureLines } from './capture-input';
import { CliOptions, KafkaInput, resolveInput } from './config';
import { parseRequest, parseResponse } from '../core/http/message';
import { CapturedRequest, Reassembler, RecordRef } from './reassembler';
import type { DumpModeName } from './reference-options';

/*
 * The reference's --mode dump-raw|dump-http|dump-both: print a capture (a file, or a topic between
 * offsets or times) without replaying it. One JSON line per record (dump-raw: every observation,
 * data shown as its first bytes), per request with its source response (dump-http), or both.
 */

export type DumpMode = DumpModeName;

export interface DumpConfig {
  mode: DumpMode;
  input?: string;
  kafka?: KafkaInput;
  startOffset?: number;
  endOffset?: number;
  startTimeMs?: number;
  endTimeMs?: number;
  previewRead: number;
  previewWrite: number;
  warnings: string[];
}

export function resolveDumpConfig(o: CliOptions, mode: DumpMode, env: NodeJS.ProcessEnv = process.env): DumpConfig {
  const warnings: string[] = [];
  const kafka = resolveInput(o, warnings, env);
  const c: DumpConfig = {
    mode,
    input: o.input,
    kafka,
    startOffset: o.startOffset,
    endOffset: o.endOffset,
    startTimeMs: o.startTime === undefined ? undefined : o.startTime * 1000,
    endTimeMs: o.endTime === undefined ? undefined : o.endTime * 1000,
    previewRead: o.previewBytesRead,
    previewWrite: o.previewBytesWrite,
    warnings,
  };
  const ranged = [o.startOffset !== undefined && '--start-offset', o.endOffset !== undefined && '--end-offset', o.startTime !== undefined && '--start-time', o.endTime !== undefined && '--end-time'].filter(Boolean);
  if (o.input && ranged.length) throw new ConfigError(`${ranged.join(', ')} select records of a Kafka topic; with -i the whole file is dumped`);
  if (c.startOffset !== undefined && c.endOffset !== undefined && c.endOffset < c.startOffset) throw new ConfigError(`--end-offset (${c.endOffset}) is before --start-offset (${c.startOffset})`);
  if (c.startTimeMs !== undefined && c.endTimeMs !== undefined && c.endTimeMs < c.startTimeMs) throw new ConfigError(`--end-time (${o.endTime}) is before --start-time (${o.startTime})`);
  return c;
}

/** Where a record came from: a partition and offset, or a line of the file. */
export type RecordOrigin = { partition: number; offset: number; timestamp: number; key?: string } | { line: number; key?: string };

const NO_HOLD: RecordRef = { retain: () => undefined, release: () => undefined };
const iso = (ms: number) => new Date(ms).toISOString();

function bodyText(body: Buffer): { body: string; bodyEncoding?: 'base64' } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) ? { body: text } : { body: body.toString('base64'), bodyEncoding: 'base64' };
}

/** Turns records into dump lines; `take()` hands out the lines made so far. */
export class CaptureDumper {
  private lines: string[] = [];
  private readonly reassembler?: Reassembler;

  constructor(private readonly config: Pick<DumpConfig, 'mode' | 'previewRead' | 'previewWrite'>) {
    if (config.mode !== 'dump-raw') {
      this.reassembler = new Reassembler({
        onRequest: () => undefined,
        onSourceResponse: (req) => this.http(req, false),
        onConnectionEnd: () => undefined,
        onPartialRequestDropped: () => undefined,
        onRequestNotForwarded: (req) => this.http(req, true),
      });
    }
  }

  record(stream: TrafficStream, origin: RecordOrigin): void {
    if (this.config.mode !== 'dump-http') this.raw(stream, origin);
    this.reassembler?.add(stream, NO_HOLD, Date.now());
  }

  /** End of input: requests still open are shown with what their response had. */
  end(): void {
    this.reassembler?.endAll();
  }

  take(): string[] {
    const out = this.lines;
    this.lines = [];
    return out;
  }

  private raw(stream: TrafficStream, origin: RecordOrigin): void {
    const o: Record<string, unknown> = 'line' in origin ? { ...origin } : { ...origin, timestamp: iso(origin.timestamp) };
    this.lines.push(
      JSON.stringify({
        type: 'record',
        ...o,
        connectionId: stream.connectionId,
        nodeId: stream.nodeId,
        chunk: stream.number ?? stream.numberOfThisLastChunk,
        last: stream.numberOfThisLastChunk !== undefined,
        ...(stream.priorRequestsReceived !== undefined ? { priorRequestsReceived: stream.priorRequestsReceived } : {}),
        ...(stream.lastObservationWasUnterminatedRead ? { lastObservationWasUnterminatedRead: true } : {}),
        observations: stream.subStream.map((obs) => this.observation(obs)),
      }),
    );
  }

  private observation(obs: TrafficObservation): Record<string, unknown> {
    const kind = observationKind(obs) ?? 'unknown';
    const out: Record<string, unknown> = { ts: iso(timestampToMillis(obs.ts)), kind };
    const data = obs.read?.data ?? obs.readSegment?.data ?? obs.write?.data ?? obs.writeSegment?.data;
    if (data) {
      const limit = kind.startsWith('read') ? this.config.previewRead : this.config.previewWrite;
      out.bytes = data.length;
      // latin1 keeps every byte as one character: the preview is exact, binary or not.
      out.preview = Buffer.from(data.buffer, data.byteOffset, Math.min(limit, data.length)).toString('latin1');
    }
    if (obs.connectionException?.message) out.message = obs.connectionException.message;
    if (obs.requestReleasedDownstream?.timedOut) out.timedOut = true;
    if (obs.endOfMessageIndicator) Object.assign(out, obs.endOfMessageIndicator);
    return out;
  }

  private http(req: CapturedRequest, notForwarded: boolean): void {
    const line: Record<string, unknown> = { type: 'http', connectionId: req.connectionId, nodeId: req.nodeId, index: req.index, requestTs: iso(req.firstTs) };
    let method = 'GET';
    try {
      const r = parseRequest(req.bytes);
      method = r.method;
      line.request = { method: r.method, uri: r.uri, httpVersion: r.httpVersion, headers: r.headers, ...bodyText(r.body) };
    } catch (err) {
      line.request = { unparseable: (err as Error).message, ...bodyText(req.bytes) };
    }
    if (notForwarded) line.notForwarded = true;
    if (req.sourceResponse?.length) {
      if (req.sourceResponseTs !== undefined) line.responseTs = iso(req.sourceResponseTs);
      try {
        const r = parseResponse(req.sourceResponse, method);
        line.response = { statusCode: r.statusCode, reasonPhrase: r.reasonPhrase, httpVersion: r.httpVersion, headers: r.headers, ...bodyText(r.body) };
      } catch (err) {
        line.response = { unparseable: (err as Error).message, ...bodyText(req.sourceResponse) };
      }
    } else line.response = null;
    if (req.expired) line.expired = true;
    this.lines.push(JSON.stringify(line));
  }
}

async function flush(dumper: CaptureDumper, out: Writable): Promise<void> {
  for (const line of dumper.take()) if (!out.write(`${line}\n`)) await once(out, 'drain');
}

/** Dumps the input to `out`; returns how many records were read and how many did not decode. */
export async function runDump(config: DumpConfig, out: Writable, logger: Logger): Promise<{ records: number; malformed: number }> {
  const dumper = new CaptureDumper(config);
  let records = 0;
  let malformed = 0;
  if (config.input) {
    const lines = await openCaptureLines(config.input);
    let lineNo = 0;
    for await (const text of lines) {
      lineNo++;
      if (!text.trim()) continue;
      try {
        const { key, stream } = decodeCaptureLine(text);
        dumper.record(stream, { line: lineNo, ...(key !== undefined ? { key } : {}) });
        records++;
      } catch (err) {
        malformed++;
        logger.error({ where: `line ${lineNo}`, err: (err as Error).message }, 'skipped a record that is not a TrafficStream');
      }
      await flush(dumper, out);
    }
  } else {
    ({ records, malformed } = await dumpTopic(config, config.kafka!, dumper, out, logger));
  }
  dumper.end();
  await flush(dumper, out);
  return { records, malformed };
}

/** Reads each partition from its start to its end (offsets and times as given, else the whole topic as it is now). */
async function dumpTopic(config: DumpConfig, k: KafkaInput, dumper: CaptureDumper, out: Writable, logger: Logger): Promise<{ records: number; malformed: number }> {
  const kafka = createKafka({ ...k, logger });
  const admin = kafka.admin();
  await admin.connect();
  const ranges = new Map<number, { from: number; to: number }>();
  try {
    if (!(await admin.listTopics()).includes(k.topic)) throw new ConfigError(`topic ${k.topic} does not exist on ${k.brokers}: check --kafka-traffic-topic`);
    const offsets = await admin.fetchTopicOffsets(k.topic);
    const byTime = config.startTimeMs !== undefined ? await admin.fetchTopicOffsetsByTimestamp(k.topic, config.startTimeMs) : [];
    for (const p of offsets) {
      const low = Number(p.low);
      const high = Number(p.high);
      const timed = byTime.find((t) => t.partition === p.partition);
      // No record at or after --start-time: Kafka answers -1.
      const fromTime = timed === undefined ? low : Number(timed.offset) < 0 ? high : Number(timed.offset);
      const from = Math.max(low, config.startOffset ?? low, fromTime);
      const to = Math.min(high - 1, config.endOffset ?? Infinity);
      if (from <= to) ranges.set(p.partition, { from, to });
    }
  } finally {
    await admin.disconnect();
  }
  let records = 0;
  let malformed = 0;
  if (ranges.size === 0) return { records, malformed };
  // A group of its own, never committed: the dump moves no replayer's offsets.
  const consumer = kafka.consumer({ groupId: `traffic-replayer-dump-${randomBytes(6).toString('hex')}`, allowAutoTopicCreation: false });
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const open = new Set(ranges.keys());
  const close = (partition: number) => {
    if (!open.delete(partition)) return;
    consumer.pause([{ topic: k.topic, partitions: [partition] }]);
    if (open.size === 0) finish();
  };
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: k.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const range = ranges.get(partition);
        const offset = Number(message.offset);
        if (!range || !open.has(partition) || offset < range.from) return;
        const timestamp = Number(message.timestamp);
        if (offset > range.to || (config.endTimeMs !== undefined && timestamp > config.endTimeMs)) return close(partition);
        try {
          dumper.record(decodeTrafficStream(message.value ?? Buffer.alloc(0)), { partition, offset, timestamp, ...(message.key ? { key: message.key.toString() } : {}) });
          records++;
        } catch (err) {
          malformed++;
          logger.error({ where: `partition ${partition} offset ${offset}`, err: (err as Error).message }, 'skipped a record that is not a TrafficStream');
        }
        await flush(dumper, out);
        if (offset >= range.to) close(partition);
      },
    });
    for (const [partition, { from }] of ranges) consumer.seek({ topic: k.topic, partition, offset: String(from) });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return { records, malformed };
}
