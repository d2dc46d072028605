import { encodeTrafficStream, Timestamp, TrafficObservation, TrafficStream, timestampFromMillis as exactTimestamp } from '../../runtime/src/core/traffic-stream';

/** One request and the source's answer, with the times the capture proxy would have seen them. */
export interface CapturedExchange {
  request: Buffer;
  response: Buffer;
  /** ms since the epoch (fractions allowed) of the request's first byte and of the response. */
  requestTs: number;
  responseTs: number;
}

export interface CapturedConnection {
  connectionId: string;
  nodeId?: string;
  exchanges: CapturedExchange[];
  /** Whether the capture saw the connection close (last chunk numbered with numberOfThisLastChunk). */
  closed?: boolean;
}

export interface EncoderOptions {
  /** Record size bound, as the proxy's --maxTrafficBufferSize. @default 1 MiB */
  maxRecordBytes?: number;
  /** Split each request into reads of at most this many bytes (network packets). @default whole */
  readPacketBytes?: number;
  /** Start a new record after this many observations. @default unbounded */
  maxObservationsPerRecord?: number;
  /**
   * End the record after each mutating request (POST, PUT, DELETE, PATCH), as the capture proxy
   * does before it forwards one: its response then comes in a later record. @default false
   */
  flushBeforeForwarding?: boolean;
  /** Leave zero seconds/nanos out of timestamps, as proto3 encoders such as the reference's Java one do. @default false */
  omitZeroTimestampFields?: boolean;
}

/** Bytes the framing of one observation adds around its data (ts, tags, lengths): an upper bound. */
const OBSERVATION_OVERHEAD = 32;

/**
 * Encodes one connection as a capture proxy does: reads then an endOfMessageIndicator per
 * request, writes for the response, close at the end; records bounded in size, a data observation
 * too big for the room left split into readSegment/writeSegment pieces closed by segmentEnd;
 * chunks numbered from 1 with priorRequestsReceived and lastObservationWasUnterminatedRead.
 */
export function encodeConnection(conn: CapturedConnection, opts: EncoderOptions = {}): TrafficStream[] {
  const maxBytes = opts.maxRecordBytes ?? 1024 * 1024;
  const maxObs = opts.maxObservationsPerRecord ?? Infinity;
  const nodeId = conn.nodeId ?? 'test-node';
  const timestampFromMillis = (ms: number): Timestamp => {
    const ts = exactTimestamp(ms);
    if (opts.omitZeroTimestampFields) for (const k of ['seconds', 'nanos'] as const) if (ts[k] === 0) delete (ts as Partial<Timestamp>)[k];
    return ts;
  };
  const records: TrafficStream[] = [];
  let current: TrafficObservation[] = [];
  let size = 0;
  let requestsDone = 0;
  let inRequest = false;
  let priorAtStart = 0;
  let unterminatedAtStart = false;

  const flush = () => {
    if (!current.length) return;
    const rec: TrafficStream = { connectionId: conn.connectionId, nodeId, subStream: current, number: records.length + 1 };
    if (priorAtStart > 0) rec.priorRequestsReceived = priorAtStart;
    if (unterminatedAtStart) rec.lastObservationWasUnterminatedRead = true;
    records.push(rec);
    current = [];
    size = 0;
    priorAtStart = requestsDone;
    unterminatedAtStart = inRequest;
  };
  const push = (obs: TrafficObservation, bytes: number) => {
    if (current.length >= maxObs || (current.length && size + bytes + OBSERVATION_OVERHEAD > maxBytes)) flush();
    current.push(obs);
    size += bytes + OBSERVATION_OVERHEAD;
  };
  const pushData = (kind: 'read' | 'write', data: Buffer, ms: number) => {
    const ts = timestampFromMillis(ms);
    if (data.length + OBSERVATION_OVERHEAD <= maxBytes) {
      // Whole, in this record or (push flushes) the next.
      push(kind === 'read' ? { ts, read: { data } } : { ts, write: { data } }, data.length);
      return;
    }
    let pos = 0;
    while (pos < data.length) {
      let room = maxBytes - size - 2 * OBSERVATION_OVERHEAD;
      if (room < 64) {
        flush();
        room = maxBytes - 2 * OBSERVATION_OVERHEAD;
      }
      const piece = data.subarray(pos, pos + room);
      push(kind === 'read' ? { ts, readSegment: { data: piece } } : { ts, writeSegment: { data: piece } }, piece.length);
      pos += piece.length;
      if (kind === 'read') inRequest = true;
    }
    push({ ts, segmentEnd: {} }, 0);
  };

  for (const ex of conn.exchanges) {
    const packet = opts.readPacketBytes ?? ex.request.length;
    for (let pos = 0; pos < ex.request.length; pos += packet) {
      pushData('read', ex.request.subarray(pos, pos + packet), ex.requestTs);
      // From here a record boundary falls inside the request.
      inRequest = true;
    }
    push({ ts: timestampFromMillis(ex.requestTs), endOfMessageIndicator: {} }, 4);
    inRequest = false;
    requestsDone++;
    if (opts.flushBeforeForwarding && /^(POST|PUT|DELETE|PATCH) /.test(ex.request.toString('latin1', 0, 7))) flush();
    if (ex.response.length) pushData('write', ex.response, ex.responseTs);
  }
  if (conn.closed !== false) {
    const last = conn.exchanges[conn.exchanges.length - 1];
    push({ ts: timestampFromMillis(last ? last.responseTs : Date.now()), close: {} }, 0);
  }
  flush();
  if (conn.closed !== false && records.length) {
    const last = records[records.length - 1];
    last.numberOfThisLastChunk = last.number;
    delete last.number;
  }
  return records;
}

/** Records of many connections in capture order (by each record's first timestamp; stable per connection). */
export function interleave(perConnection: TrafficStream[][]): TrafficStream[] {
  const all = perConnection.flatMap((recs, c) => recs.map((r, i) => ({ r, c, i, t: firstTs(r) })));
  all.sort((a, b) => a.t - b.t || (a.c === b.c ? a.i - b.i : a.c - b.c));
  // Keep each connection's own order even when timestamps tie or run backwards.
  const next = perConnection.map(() => 0);
  const out: TrafficStream[] = [];
  for (const e of all) {
    out.push(perConnection[e.c][next[e.c]++]);
  }
  return out;
}

function firstTs(r: TrafficStream): number {
  const ts: Partial<Timestamp> | undefined = r.subStream[0]?.ts;
  return ts ? (ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6 : 0;
}

/** Kafka record values (key = connectionId), as the proxy produces them. */
export function toKafkaMessages(records: TrafficStream[]): { key: string; value: Buffer }[] {
  return records.map((r) => ({ key: r.connectionId, value: Buffer.from(encodeTrafficStream(r)) }));
}
