import { HttpBoundaryParser, isMutatingMethod, ParseEvent } from '../core/http/boundary-parser';
import { TrafficStream, timestampToMillis } from '../core/traffic-stream';
import { isCompleteResponse, requestLineOf } from '../core/http/message';

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
  /** Handed to the listener (onRequest) already; its response is reported only after that. */
  emitted?: boolean;
}

export interface ReassemblerOptions {
  /**
   * Writes that must not be sent before their source response is known (the replayer takes the
   * document's id and version from it). Such a request is handed over with its response, and the
   * requests after it on its connection wait for it: per-connection order is kept, other
   * connections do not wait. Called for mutating methods only.
   */
  awaitsResponse?: (method: string, uri: string) => boolean;
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
  /** A complete request that the source never got (the proxy rejected it, or its client left). */
  onRequestNotForwarded(req: CapturedRequest): void;
}

/**
 * A request whose response is still being written, in the connection's request order. A request
 * that was skipped or dropped keeps its place (req undefined): its response is consumed, not kept.
 */
interface Awaiting {
  req?: CapturedRequest;
  /** HEAD answers have no body: the response parser must know. */
  method: string;
  parts: Buffer[];
}

interface Connection {
  key: string;
  nodeId: string;
  connectionId: string;
  nextIndex: number;
  /** Joined inside a request: its reads are skipped up to its end-of-message mark. */
  skippingRead: boolean;
  readParts: Buffer[];
  readRefs: RecordRef[];
  readFirstTs: number;
  readLastTs: number;
  /** Requests ended but not yet answered, oldest first (several when the client pipelines). */
  awaiting: Awaiting[];
  /** Splits the written bytes into responses, one per awaiting request. */
  responses: HttpBoundaryParser;
  /**
   * The written bytes are not HTTP as the parser knows it: they all go to the oldest request,
   * and (as without a parser) the next read ends its response and starts a fresh parser.
   */
  unframed: boolean;
  /**
   * A write request that ended but is not sent yet: a capture proxy holds a write until Kafka
   * has its capture, and records requestDropped right after it when the source never got it
   * (rejected, or its client left). Whatever else comes next on the connection means it went on.
   */
  held?: CapturedRequest;
  /** The write that waits for its source response before it is handed over (see awaitsResponse). */
  gate?: CapturedRequest;
  /** Requests that ended after the gate, in order: they are handed over after it. */
  queued: CapturedRequest[];
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

  constructor(
    private readonly listener: ReassemblyListener,
    private readonly opts: ReassemblerOptions = {},
  ) {}

  get openConnections(): number {
    return this.connections.size;
  }

  add(stream: TrafficStream, ref: RecordRef, nowWallMs: number): void {
    const key = `${stream.nodeId}|${stream.connectionId}`;
    let conn = this.connections.get(key);
    if (!conn) {
      const created: Connection = {
        key,
        nodeId: stream.nodeId,
        connectionId: stream.connectionId,
        nextIndex: stream.priorRequestsReceived ?? 0,
        skippingRead: stream.lastObservationWasUnterminatedRead === true,
        readParts: [],
        readRefs: [],
        readFirstTs: 0,
        readLastTs: 0,
        awaiting: [],
        queued: [],
        responses: undefined as unknown as HttpBoundaryParser,
        unframed: false,
        lastWallMs: nowWallMs,
      };
      created.responses = responseParser(created);
      conn = created;
      this.connections.set(key, conn);
    }
    conn.lastWallMs = nowWallMs;
    for (const obs of stream.subStream) {
      if (conn.held && !obs.requestDropped) this.releaseHeld(conn);
      const ts = timestampToMillis(obs.ts);
      const data = obs.read?.data ?? obs.readSegment?.data;
      if (data) {
        this.read(conn, Buffer.from(data.buffer, data.byteOffset, data.byteLength), ts, ref);
        continue;
      }
      const written = obs.write?.data ?? obs.writeSegment?.data;
      if (written) {
        this.write(conn, Buffer.from(written.buffer, written.byteOffset, written.byteLength), ts, ref);
        continue;
      }
      if (obs.endOfMessageIndicator) this.endOfMessage(conn, ts);
      else if (obs.requestDropped) {
        if (conn.held) {
          this.cancelHeld(conn);
          continue;
        }
        this.dropRead(conn, false);
        conn.nextIndex++;
        // Its response still comes, in its turn: it must not be taken for the next request's.
        conn.awaiting.push({ method: 'GET', parts: [] });
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

  /**
   * End of input (a file, stdin), or a rebalance: every connection ends where its capture ends.
   * `readAgain`: the records ahead will be read again (a rebalance), so the requests not yet handed
   * over (a held write, a write waiting for its answer, those behind it) are dropped rather than
   * sent without their answer: they come again, with it.
   */
  endAll(readAgain = false): void {
    for (const conn of [...this.connections.values()]) {
      if (readAgain) this.dropWaiting(conn);
      this.end(conn, true);
    }
  }

  private read(conn: Connection, data: Buffer, ts: number, ref: RecordRef): void {
    if (conn.unframed) {
      // Unframed bytes: a read after them is the only sign that the answer is over.
      if (conn.awaiting.length && conn.awaiting[0].parts.length) this.finishResponse(conn, false);
      conn.unframed = false;
      conn.responses = responseParser(conn);
    }
    if (conn.skippingRead) return;
    if (conn.readParts.length === 0) conn.readFirstTs = ts;
    conn.readLastTs = ts;
    conn.readParts.push(data);
    hold(conn.readRefs, ref);
  }

  /**
   * Written bytes go, response by response, to the oldest request still waiting: a pipelining
   * client has several, and one write may hold the end of one response and the start of the next.
   */
  private write(conn: Connection, data: Buffer, ts: number, ref: RecordRef): void {
    if (conn.unframed) {
      this.takeResponseBytes(conn, data, ts, ref);
      return;
    }
    const parser = conn.responses;
    let pos = 0;
    for (;;) {
      const ev = parser.execute(data, pos);
      if (ev === ParseEvent.Error) {
        conn.unframed = true;
        this.takeResponseBytes(conn, data.subarray(pos), ts, ref);
        return;
      }
      if (parser.offset > pos) this.takeResponseBytes(conn, data.subarray(pos, parser.offset), ts, ref);
      pos = parser.offset;
      if (ev === ParseEvent.NeedMore) return;
      // Interim answers (100 Continue) belong to the request whose final answer follows.
      if (ev === ParseEvent.MessageComplete && (parser.head!.statusCode >= 200 || parser.head!.statusCode === 101) && conn.awaiting.length) {
        this.finishResponse(conn, false);
      }
    }
  }

  /** Bytes written before any request is waiting (joined mid-answer, an interim 100) belong to nobody. */
  private takeResponseBytes(conn: Connection, data: Buffer, ts: number, ref: RecordRef): void {
    const head = conn.awaiting[0];
    if (!head || !data.length) return;
    head.parts.push(data);
    if (!head.req) return;
    head.req.sourceResponseTs = ts;
    hold(head.req.records, ref);
  }

  private endOfMessage(conn: Connection, ts: number): void {
    if (conn.skippingRead) {
      conn.skippingRead = false;
      conn.nextIndex++;
      conn.awaiting.push({ method: 'GET', parts: [] });
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
    // Bytes of an answer that began before any request we know of (joined mid-answer) end here.
    if (!conn.awaiting.length && !conn.unframed && !conn.responses.atMessageStart) conn.responses = responseParser(conn);
    const method = requestMethod(req.bytes);
    conn.awaiting.push({ req, method, parts: [] });
    if (isMutatingMethod(method)) conn.held = req;
    else this.handOver(conn, req, false);
  }

  /** The held write went on to the source: it is replayed (once its answer is known, if it must wait). */
  private releaseHeld(conn: Connection): void {
    const req = conn.held!;
    conn.held = undefined;
    this.handOver(conn, req, this.awaitsResponse(req));
  }

  /** A write that must wait for its source response (see ReassemblerOptions.awaitsResponse). */
  private awaitsResponse(req: CapturedRequest): boolean {
    const awaits = this.opts.awaitsResponse;
    const line = awaits && requestLineOf(req.bytes);
    return line !== undefined && isMutatingMethod(line.method) && awaits!(line.method, line.target);
  }

  /** Hands a request over, or queues it behind the connection's gate to keep the connection's order. */
  private handOver(conn: Connection, req: CapturedRequest, awaitsResponse: boolean): void {
    if (conn.gate) {
      conn.queued.push(req);
      return;
    }
    if (awaitsResponse && !req.sourceDone) {
      conn.gate = req;
      return;
    }
    this.emit(req);
  }

  private emit(req: CapturedRequest): void {
    req.emitted = true;
    this.listener.onRequest(req);
    if (req.sourceDone) this.listener.onSourceResponse(req);
  }

  /** The gate's answer is complete: it goes, then the requests queued behind it, up to the next write that must wait. */
  private openGate(conn: Connection): void {
    const gate = conn.gate!;
    conn.gate = undefined;
    this.emit(gate);
    while (conn.queued.length) {
      const next = conn.queued.shift()!;
      if (!next.sourceDone && this.awaitsResponse(next)) {
        conn.gate = next;
        return;
      }
      this.emit(next);
    }
  }

  /** The held request never reached the source: nothing to replay, no answer to wait for. */
  private cancelHeld(conn: Connection): void {
    const req = conn.held!;
    conn.held = undefined;
    const i = conn.awaiting.findIndex((a) => a.req === req);
    if (i >= 0) conn.awaiting.splice(i, 1);
    for (const r of req.records) r.release();
    this.listener.onRequestNotForwarded(req);
  }

  private dropWaiting(conn: Connection): void {
    const dropped = [conn.held, conn.gate, ...conn.queued].filter((r): r is CapturedRequest => r !== undefined);
    conn.held = undefined;
    conn.gate = undefined;
    conn.queued = [];
    for (const req of dropped) {
      // Its answer is still consumed in its turn, and goes to nobody.
      for (const a of conn.awaiting) if (a.req === req) a.req = undefined;
      for (const r of req.records) r.release();
    }
  }

  /** The oldest waiting request has its whole response (or all it will get). */
  private finishResponse(conn: Connection, expired: boolean): void {
    const waiting = conn.awaiting.shift();
    const req = waiting?.req;
    if (!waiting || !req) return;
    req.sourceResponse = waiting.parts.length === 1 ? waiting.parts[0] : Buffer.concat(waiting.parts);
    // Idle after a complete answer is a normal end; only a cut-off answer marks the tuple expired.
    req.expired = expired && !isCompleteResponse(req.sourceResponse, waiting.method);
    req.sourceDone = true;
    if (req === conn.gate) this.openGate(conn);
    else if (req.emitted) this.listener.onSourceResponse(req);
  }

  private dropRead(conn: Connection, notify: boolean): void {
    if (conn.readParts.length === 0) return;
    conn.readParts = [];
    for (const r of conn.readRefs) r.release();
    conn.readRefs = [];
    if (notify) this.listener.onPartialRequestDropped(conn.key);
  }

  private end(conn: Connection, expired: boolean): void {
    // Nothing said it was not forwarded: the source may have applied it.
    if (conn.held) this.releaseHeld(conn);
    // An until-close body ends here; a request never answered gets what there is (nothing).
    if (!conn.unframed && conn.responses.finish() === ParseEvent.MessageComplete) this.finishResponse(conn, false);
    while (conn.awaiting.length) this.finishResponse(conn, expired);
    this.dropRead(conn, true);
    this.connections.delete(conn.key);
    this.listener.onConnectionEnd(conn.key);
  }
}

function responseParser(conn: Connection): HttpBoundaryParser {
  return new HttpBoundaryParser('response', { requestMethod: () => conn.awaiting[0]?.method });
}

/** The request line's method, as sent ('GET' when the bytes hold no request line). */
function requestMethod(bytes: Buffer): string {
  return requestLineOf(bytes)?.method ?? 'GET';
}
