import { TrafficStream, timestampToMillis } from '../core/traffic-stream';
import { isCompleteResponse } from './http-message';

/**
 * A hold on one input record (a Kafka offset, a file line). The record may be committed only once
 * every hold is released: each request that took bytes from it releases when its tuple is durable.
 */
export interface RecordRef {
  retain(): void;
  release(): void;
}

/** One request as the source saw it, with the source's answer once that is known. */
export interface CapturedRequest {
  /** `<nodeId>|<connectionId>`: the source connection, unique across proxies. */
  key: string;
  connectionId: string;
  nodeId: string;
  /** Position of the request on its connection, from 0 (matches the reference's numbering). */
  index: number;
  bytes: Buffer;
  /** Source time (ms) of the first and last read of the request. */
  firstTs: number;
  lastTs: number;
  records: RecordRef[];
  sourceResponse?: Buffer;
  /** Source time (ms) of the response's last write. */
  sourceResponseTs?: number;
  sourceDone: boolean;
  /** The connection went idle before the response was complete. */
  expired: boolean;
}

export interface ReassemblyListener {
  /** A complete request: may be sent now. Its response follows through onSourceResponse. */
  onRequest(req: CapturedRequest): void;
  /** The source response of a request is complete (or as complete as it will get). */
  onSourceResponse(req: CapturedRequest): void;
  /** No more requests will come on this connection. */
  onConnectionEnd(key: string): void;
  /** A partial request that will never be complete (expired, dropped, or end of input). */
  onPartialRequestDropped(key: string): void;
}

interface Connection {
  key: string;
  nodeId: string;
  connectionId: string;
  nextIndex: number;
  /** Joined inside a request: its reads are skipped up to its end-of-message mark. */
  skippingRead: boolean;
  /** Writes after a skipped or dropped request belong to nobody. */
  ignoringWrites: boolean;
  readParts: Buffer[];
  readRefs: RecordRef[];
  readFirstTs: number;
  readLastTs: number;
  awaiting?: CapturedRequest;
  responseParts: Buffer[];
  lastWallMs: number;
}

function hold(refs: RecordRef[], ref: RecordRef): void {
  // Records arrive in order, so a repeat can only be the last one taken.
  if (refs[refs.length - 1] !== ref) {
    ref.retain();
    refs.push(ref);
  }
}

/**
 * Turns TrafficStream chunks into requests and source responses, per (nodeId, connectionId).
 * Pure bookkeeping: no I/O, no clocks but the ones passed in.
 */
export class Reassembler {
  private readonly connections = new Map<string, Connection>();

  constructor(private readonly listener: ReassemblyListener) {}

  get openConnections(): number {
    return this.connections.size;
  }

  add(stream: TrafficStream, ref: RecordRef, nowWallMs: number): void {
    const key = `${stream.nodeId}|${stream.connectionId}`;
    let conn = this.connections.get(key);
    if (!conn) {
      conn = {
        key,
        nodeId: stream.nodeId,
        connectionId: stream.connectionId,
        nextIndex: stream.priorRequestsReceived ?? 0,
        skippingRead: stream.lastObservationWasUnterminatedRead === true,
        ignoringWrites: stream.lastObservationWasUnterminatedRead === true,
        readParts: [],
        readRefs: [],
        readFirstTs: 0,
        readLastTs: 0,
        responseParts: [],
        lastWallMs: nowWallMs,
      };
      this.connections.set(key, conn);
    }
    conn.lastWallMs = nowWallMs;
    for (const obs of stream.subStream) {
      const ts = timestampToMillis(obs.ts);
      const data = obs.read?.data ?? obs.readSegment?.data;
      if (data) {
        this.read(conn, Buffer.from(data.buffer, data.byteOffset, data.byteLength), ts, ref);
        continue;
      }
      const written = obs.write?.data ?? obs.writeSegment?.data;
      if (written) {
        if (conn.awaiting && !conn.ignoringWrites) {
          conn.responseParts.push(Buffer.from(written.buffer, written.byteOffset, written.byteLength));
          conn.awaiting.sourceResponseTs = ts;
          hold(conn.awaiting.records, ref);
        }
        continue;
      }
      if (obs.endOfMessageIndicator) this.endOfMessage(conn, ts);
      else if (obs.requestDropped) {
        this.dropRead(conn, false);
        conn.nextIndex++;
        conn.ignoringWrites = true;
      } else if (obs.close) {
        this.end(conn, false);
        break;
      }
    }
  }

  /**
   * Ends connections that got no record for longer than the packet timeout. Wall time, not source
   * time: partitions are read unevenly, so one connection's capture clock says little about another's.
   */
  expireIdle(timeoutMs: number, nowWallMs: number): number {
    let expired = 0;
    for (const conn of [...this.connections.values()]) {
      if (nowWallMs - conn.lastWallMs > timeoutMs) {
        this.end(conn, true);
        expired++;
      }
    }
    return expired;
  }

  /** After input paused on purpose (back-pressure), idle time restarts from now. */
  touchAll(nowWallMs: number): void {
    for (const conn of this.connections.values()) conn.lastWallMs = nowWallMs;
  }

  /** End of input (a file, stdin), or a rebalance: every connection ends where its capture ends. */
  endAll(): void {
    for (const conn of [...this.connections.values()]) this.end(conn, true);
  }

  private read(conn: Connection, data: Buffer, ts: number, ref: RecordRef): void {
    if (conn.awaiting) this.finishResponse(conn, false);
    conn.ignoringWrites = false;
    if (conn.skippingRead) return;
    if (conn.readParts.length === 0) conn.readFirstTs = ts;
    conn.readLastTs = ts;
    conn.readParts.push(data);
    hold(conn.readRefs, ref);
  }

  private endOfMessage(conn: Connection, ts: number): void {
    if (conn.skippingRead) {
      conn.skippingRead = false;
      conn.nextIndex++;
      return;
    }
    if (conn.readParts.length === 0) return;
    const req: CapturedRequest = {
      key: conn.key,
      connectionId: conn.connectionId,
      nodeId: conn.nodeId,
      index: conn.nextIndex++,
      bytes: conn.readParts.length === 1 ? conn.readParts[0] : Buffer.concat(conn.readParts),
      firstTs: conn.readFirstTs,
      lastTs: conn.readLastTs || ts,
      records: conn.readRefs,
      sourceDone: false,
      expired: false,
    };
    conn.readParts = [];
    conn.readRefs = [];
    conn.awaiting = req;
    conn.responseParts = [];
    this.listener.onRequest(req);
  }

  private finishResponse(conn: Connection, expired: boolean): void {
    const req = conn.awaiting;
    if (!req) return;
    conn.awaiting = undefined;
    req.sourceResponse = conn.responseParts.length === 1 ? conn.responseParts[0] : Buffer.concat(conn.responseParts);
    conn.responseParts = [];
    // Idle after a complete answer is a normal end; only a cut-off answer marks the tuple expired.
    const method = req.bytes.subarray(0, 5).toString('latin1') === 'HEAD ' ? 'HEAD' : 'GET';
    req.expired = expired && !isCompleteResponse(req.sourceResponse, method);
    req.sourceDone = true;
    this.listener.onSourceResponse(req);
  }

  private dropRead(conn: Connection, notify: boolean): void {
    if (conn.readParts.length === 0) return;
    conn.readParts = [];
    for (const r of conn.readRefs) r.release();
    conn.readRefs = [];
    if (notify) this.listener.onPartialRequestDropped(conn.key);
  }

  private end(conn: Connection, expired: boolean): void {
    this.finishResponse(conn, expired);
    this.dropRead(conn, true);
    this.connections.delete(conn.key);
    this.listener.onConnectionEnd(conn.key);
  }
}
