import type net from 'node:net';
import { HttpBoundaryParser, HttpHead, isMutatingMethod, ParseEvent } from '../core/http/boundary-parser';
import type { FramingRules } from '../core/http/framing-rules';
import type { Logger } from '../core/logging';
import { CaptureRules, rewriteHeaders } from './capture-rules';
import type { CaptureOffloader } from './offloader';
import type { ProxyStats } from './proxy-stats';
import { TrafficStreamBuilder } from './traffic-stream-builder';

export type UnackedPolicy = 'forward' | 'reject';

export interface ConnectionSettings {
  nodeId: string;
  /** Record capture at all (false with --noCapture). */
  capture: boolean;
  maxRecordBytes: number;
  /** Pending capture of one connection that is emitted without waiting for the flush timer. */
  flushRecordBytes?: number;
  rules: CaptureRules;
  setHeaders: Array<[string, string]>;
  /** How long a mutating request waits for Kafka's acknowledgement of its capture. */
  ackTimeoutMs: number;
  /** What happens when it does not come in time. */
  unackedPolicy: UnackedPolicy;
  /** How the source frames requests (Elasticsearch 7.10 or OpenSearch 2.19 rules). */
  framingRules: FramingRules;
  /** A connection whose request head is not complete this long is closed (0: never). */
  headerTimeoutMs: number;
}

export interface ConnectionContext {
  settings: ConnectionSettings;
  offloader: CaptureOffloader;
  stats: ProxyStats;
  log: Logger;
  connectionId: string;
  /** Opens the upstream connection (plain or TLS) to the source. */
  connectUpstream: () => net.Socket;
  onClosed: (conn: ProxyConnection) => void;
}

interface PendingRequest {
  method: string;
  captured: boolean;
  upgrade: boolean;
  rejected: boolean;
  /**
   * A held request's head (what was not forwarded of it yet): it goes out with the first body
   * bytes, or with the whole body once the capture is acknowledged, so the source gets one write.
   */
  heldHead?: Buffer;
}

const SERVICE_UNAVAILABLE = Buffer.from(
  'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 56\r\nconnection: close\r\n\r\nThe capture proxy could not record this request; retry.\n',
  'latin1',
);
const BAD_GATEWAY = Buffer.from('HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 41\r\nconnection: close\r\n\r\nThe capture proxy cannot reach the source\n', 'latin1');

/**
 * One client connection and its own upstream connection. Bytes are relayed as they come (with
 * backpressure both ways); the boundary parsers run beside the relay to cut requests for capture.
 * A mutating request's last bytes are held until Kafka acknowledges its capture, so the source
 * never applies a change that the capture could lose.
 */
export class ProxyConnection {
  private readonly upstream: net.Socket;
  private readonly capture: TrafficStreamBuilder | undefined;
  private readonly key: Buffer;
  private readonly reqParser: HttpBoundaryParser;
  private readonly resParser: HttpBoundaryParser;
  private readonly pending: PendingRequest[] = [];
  private current: PendingRequest | undefined;
  private inbox: Buffer[] = [];
  private inOffset = 0;
  /** Client bytes wait: for a capture acknowledgement or for the answer to an Upgrade. */
  private blocked = false;
  private upstreamFull = false;
  private clientPaused = false;
  private clientEnded = false;
  /** Client bytes no longer parsed (malformed, or a tunnel after an accepted Upgrade). */
  private rawRequests = false;
  private rawResponses = false;
  /** Capture stops: the connection became a tunnel. */
  private tunnel = false;
  private rejecting = false;
  private shuttingDown = false;
  private bytesToClient = 0;
  private closedSides = 0;
  private finished = false;
  private wantAck = false;
  private lastAck: Promise<boolean> | undefined;
  /** A mutating request whose last bytes wait for its capture's acknowledgement. */
  private held: PendingRequest | undefined;
  /** When the unfinished head of the next request began (0: none), for --headerTimeoutMs. */
  private headStartedAt = 0;
  /** Bytes of the unfinished head already captured (and forwarded, without --setHeader). */
  private headSeen = 0;

  constructor(
    private readonly client: net.Socket,
    private readonly ctx: ConnectionContext,
  ) {
    const s = ctx.settings;
    this.key = Buffer.from(ctx.connectionId);
    if (s.capture) {
      this.capture = new TrafficStreamBuilder({
        connectionId: ctx.connectionId,
        nodeId: s.nodeId,
        maxRecordBytes: s.maxRecordBytes,
        flushBytes: s.flushRecordBytes,
        emit: (record) => {
          const ack = ctx.offloader.submit(this.key, record, this.wantAck);
          if (this.wantAck) this.lastAck = ack;
        },
      });
    }
    this.reqParser = new HttpBoundaryParser('request', { rules: s.framingRules });
    this.resParser = new HttpBoundaryParser('response', { requestMethod: () => this.pending[0]?.method });
    ctx.stats.connectionsOpened++;
    ctx.stats.connectionsActive++;

    this.upstream = ctx.connectUpstream();
    this.upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    client.on('end', () => this.onClientEnd());
    client.on('error', (err) => this.onError(err, 'client'));
    client.on('close', () => this.onSideClosed('client'));
    client.on('drain', () => {
      if (this.upstream.isPaused()) this.upstream.resume();
    });
    this.upstream.on('data', (chunk: Buffer) => this.onUpstreamData(chunk));
    this.upstream.on('end', () => this.onUpstreamEnd());
    this.upstream.on('error', (err) => this.onError(err, 'upstream'));
    this.upstream.on('close', () => this.onSideClosed('upstream'));
    this.upstream.on('drain', () => {
      this.upstreamFull = false;
      this.updateClientFlow();
    });
  }

  get id(): string {
    return this.ctx.connectionId;
  }

  /**
   * The timer's visit: emits pending capture (an idle keep-alive connection holds nothing long),
   * and closes a connection whose request head has not completed within --headerTimeoutMs.
   */
  tick(now: number): void {
    const timeout = this.ctx.settings.headerTimeoutMs;
    if (timeout > 0 && this.headStartedAt > 0 && now - this.headStartedAt >= timeout && !this.finished) {
      this.ctx.stats.headerTimeouts++;
      this.headStartedAt = 0;
      this.ctx.log.debug({ connectionId: this.id, headerTimeoutMs: timeout }, 'closing a connection whose request head did not complete in time');
      this.destroy();
      return;
    }
    if (!this.capture || this.capture.isClosed) return;
    this.capture.flush();
    this.capture.trim();
  }

  /** SIGTERM: finish the request in flight, then close; an idle connection closes now. */
  shutdown(): void {
    this.shuttingDown = true;
    this.closeIfIdle();
  }

  destroy(): void {
    this.client.destroy();
    this.upstream.destroy();
  }

  // ---- client -> source ----

  private onClientData(chunk: Buffer): void {
    this.ctx.stats.bytesFromClients += chunk.length;
    if (this.rejecting) return;
    this.inbox.push(chunk);
    if (!this.blocked) this.pump();
  }

  private pump(): void {
    while (!this.blocked && this.inbox.length > 0) {
      const buf = this.inbox[0];
      const start = this.inOffset;
      if (this.rawRequests) {
        const rest = start === 0 ? buf : buf.subarray(start);
        if (!this.tunnel) this.capture?.addRead(rest);
        this.writeUpstream(rest);
        this.nextInbox();
        continue;
      }
      const event = this.reqParser.execute(buf, start);
      const pos = this.reqParser.offset;
      switch (event) {
        case ParseEvent.NeedMore:
          if (pos > start) {
            if (this.reqParser.inHead) this.onHeadBytes(buf.subarray(start, pos));
            else this.forwardBody(buf.subarray(start, pos));
          }
          this.nextInbox();
          break;
        case ParseEvent.HeadComplete:
          this.inOffset = pos;
          this.onRequestHead(this.reqParser.head!, buf.subarray(start, pos));
          break;
        case ParseEvent.MessageComplete:
          this.inOffset = pos;
          this.onRequestEnd(this.reqParser.head!, buf.subarray(start, pos));
          break;
        case ParseEvent.Error:
          this.onRefusedRequest(buf.subarray(start));
          this.nextInbox();
          break;
      }
    }
    if (!this.blocked && this.inbox.length === 0 && this.clientEnded) this.endUpstream();
    this.updateClientFlow();
  }

  private nextInbox(): void {
    this.inbox.shift();
    this.inOffset = 0;
  }

  /**
   * Bytes of a head that is not complete yet: captured and (unless --setHeader must rewrite the
   * head) forwarded at once, so that whatever the source makes of them reaches the client as it
   * would directly; the header timeout starts.
   */
  private onHeadBytes(part: Buffer): void {
    if (!this.tunnel) this.capture?.addRead(part);
    this.headSeen += part.length;
    if (this.ctx.settings.setHeaders.length === 0) this.writeUpstream(part);
    if (this.headStartedAt === 0) this.headStartedAt = Date.now();
  }

  /** `inChunk`: the head's bytes in this chunk (the rest came before, through onHeadBytes). */
  private onRequestHead(head: HttpHead, inChunk: Buffer): void {
    const s = this.ctx.settings;
    this.ctx.stats.requests++;
    const earlier = this.headSeen;
    this.headSeen = 0;
    this.headStartedAt = 0;
    const suppressed = !head.upgrade && s.rules.suppresses(head);
    const req: PendingRequest = { method: head.method, captured: !!this.capture && !this.tunnel && !head.upgrade && !suppressed, upgrade: head.upgrade, rejected: false };
    this.pending.push(req);
    this.current = req;
    if (req.captured) {
      this.capture!.addRead(inChunk);
    } else if (suppressed || (head.upgrade && earlier > 0)) {
      if (suppressed) this.ctx.stats.requestsSuppressed++;
      else this.ctx.stats.requestsUncapturedUpgrade++;
      // As the reference proxy does: the head, then the mark that tells readers to discard it. A
      // mark that always follows its own head cannot be taken for the one after a held write.
      if (this.capture && !this.tunnel) {
        this.capture.addRead(inChunk);
        this.capture.requestDropped();
      }
    } else if (head.upgrade) {
      this.ctx.stats.requestsUncapturedUpgrade++;
    }
    const out = s.setHeaders.length > 0 ? rewriteHeaders(head.raw, s.setHeaders) : inChunk;
    // A client that sent Expect: 100-continue waits for the source's 100 before its body: the head goes on now.
    if (this.gates(req) && !head.expectContinue) req.heldHead = out;
    else this.writeUpstream(out);
  }

  private forwardBody(slice: Buffer): void {
    const req = this.current;
    if (req?.captured) this.capture!.addRead(slice);
    // A body larger than one read streams on; only its last bytes wait for the acknowledgement.
    const head = req?.heldHead;
    if (head) req.heldHead = undefined;
    this.writeUpstream(slice, head);
  }

  private onRequestEnd(head: HttpHead, slice: Buffer): void {
    const req = this.current!;
    this.current = undefined;
    if (req.captured) {
      this.capture!.addRead(slice);
      this.capture!.endOfMessage(head.firstLineByteLength, head.headersByteLength);
      this.ctx.stats.requestsCaptured++;
    }
    const heldHead = req.heldHead;
    req.heldHead = undefined;
    if (this.gates(req)) {
      this.holdUntilAcked(req, slice, heldHead);
      return;
    }
    this.writeUpstream(slice, heldHead);
    // Bytes after an Upgrade request may be another protocol: wait for the answer.
    if (req.upgrade) this.blocked = true;
  }

  private gates(req: PendingRequest): boolean {
    return req.captured && this.ctx.offloader.acknowledges && isMutatingMethod(req.method);
  }

  private holdUntilAcked(req: PendingRequest, last: Buffer, head: Buffer | undefined): void {
    const stats = this.ctx.stats;
    stats.mutatingHeld++;
    this.held = req;
    this.blocked = true;
    this.wantAck = true;
    this.lastAck = undefined;
    this.capture!.flush();
    this.wantAck = false;
    const ack = this.lastAck ?? Promise.resolve(true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.ctx.settings.ackTimeoutMs)));
    void Promise.race([ack, timeout]).then(async (first) => {
      clearTimeout(timer);
      let acked = first === true;
      const offloader = this.ctx.offloader;
      if (first === 'timeout' && this.ctx.settings.unackedPolicy === 'forward' && offloader.spill) {
        // Durable before forward: the capture goes to the fsync'd journal, and Kafka counts as
        // away for the writes that follow (they go through the journal without this wait).
        offloader.spill('a write waited --captureAckTimeoutMs for Kafka');
        acked = await ack;
        if (acked) stats.mutatingForwardedWithoutAck++;
      }
      if (this.finished) return;
      this.held = undefined;
      if (!acked) {
        // Not durable anywhere (reject policy, or the journal could not take it): never forwarded.
        stats.mutatingRejected++;
        // The source never sees it; the capture says so, and the client gets a 503 in order.
        this.capture?.requestDropped();
        req.rejected = true;
        this.rejecting = true;
        this.inbox = [];
        this.sendRejectionWhenDue();
        return;
      }
      this.writeUpstream(last, head);
      this.blocked = false;
      this.pump();
    });
  }

  /** The client sent its last bytes: the source gets whatever was held of an unfinished request. */
  private endUpstream(): void {
    this.releaseHeldHead();
    this.upstream.end();
  }

  private releaseHeldHead(): void {
    const head = this.current?.heldHead;
    if (!head) return;
    this.current!.heldHead = undefined;
    this.writeUpstream(head);
  }

  /**
   * The source refuses this request (400, or it closes) and reads nothing more of the connection:
   * everything is relayed as it is, and captured as reads. The capture marks the request dropped
   * (its answer is the 400), so that no reader replays it or takes what follows for requests.
   */
  private onRefusedRequest(rest: Buffer): void {
    this.ctx.stats.malformedConnections++;
    this.rawRequests = true;
    this.headStartedAt = 0;
    this.releaseHeldHead();
    // Head bytes held for --setHeader were captured, not forwarded.
    if (this.ctx.settings.setHeaders.length > 0 && this.headSeen > 0) for (const part of this.reqParser.carriedHeadBytes()) this.writeUpstream(part);
    this.headSeen = 0;
    if (rest.length > 0) {
      if (!this.tunnel) this.capture?.addRead(rest);
      this.writeUpstream(rest);
    }
    if (this.capture && !this.tunnel && !this.reqParser.closesWithoutAnswer) this.capture.requestDropped();
    this.current = undefined;
  }

  /** Writes buf, after head when there is one (one writev: the source reads them at once). */
  private writeUpstream(buf: Buffer, head?: Buffer): void {
    if (this.upstream.destroyed) return;
    let ok = true;
    if (head && buf.length > 0) {
      this.upstream.cork();
      this.upstream.write(head);
      ok = this.upstream.write(buf);
      this.upstream.uncork();
    } else if (head || buf.length > 0) {
      ok = this.upstream.write(head ?? buf);
    }
    if (!ok) {
      this.upstreamFull = true;
      this.updateClientFlow();
    }
  }

  private updateClientFlow(): void {
    const pause = this.upstreamFull || this.blocked;
    if (pause && !this.clientPaused) {
      this.clientPaused = true;
      this.client.pause();
    } else if (!pause && this.clientPaused) {
      this.clientPaused = false;
      this.client.resume();
    }
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (!this.blocked && this.inbox.length === 0) this.endUpstream();
  }

  // ---- source -> client ----

  private onUpstreamData(chunk: Buffer): void {
    this.ctx.stats.bytesFromSource += chunk.length;
    this.bytesToClient += chunk.length;
    if (!this.client.write(chunk)) this.upstream.pause();
    if (this.rawResponses) {
      if (!this.tunnel) this.capture?.addWrite(chunk);
      return;
    }
    let pos = 0;
    let captureFrom = 0;
    let event = ParseEvent.NeedMore;
    // After HeadComplete, run once more even at the chunk's end: a bodiless response ends there.
    while ((pos < chunk.length || event === ParseEvent.HeadComplete) && !this.rawResponses) {
      const start = pos;
      const owner = this.pending[0];
      // A suppressed request's answer is kept too: readers skip it by the request's drop mark.
      const captureIt = !!this.capture && !this.tunnel && !owner?.upgrade;
      event = this.resParser.execute(chunk, pos);
      pos = this.resParser.offset;
      switch (event) {
        case ParseEvent.NeedMore:
          if (captureIt && !this.resParser.inHead && pos > captureFrom) this.capture!.addWrite(chunk.subarray(captureFrom, pos));
          captureFrom = pos;
          break;
        case ParseEvent.HeadComplete: {
          const head = this.resParser.head!;
          if (head.raw.length > pos - start) {
            // The head began in an earlier chunk: the parser kept it whole.
            if (captureIt) this.capture!.addWrite(head.raw);
            captureFrom = pos;
          }
          break;
        }
        case ParseEvent.MessageComplete:
          if (captureIt && pos > captureFrom) this.capture!.addWrite(chunk.subarray(captureFrom, pos));
          captureFrom = pos;
          this.onResponseEnd(this.resParser.head!);
          break;
        case ParseEvent.Error:
          this.rawResponses = true;
          if (captureIt) {
            for (const part of this.resParser.carriedHeadBytes()) this.capture!.addWrite(part);
            this.capture!.addWrite(chunk.subarray(captureFrom));
          }
          pos = chunk.length;
          break;
      }
    }
    if (this.rawResponses && pos < chunk.length && !this.tunnel) this.capture?.addWrite(chunk.subarray(pos));
  }

  private onResponseEnd(head: HttpHead): void {
    const owner = this.pending[0];
    if (head.statusCode >= 100 && head.statusCode < 200) {
      if (head.statusCode === 101 && owner?.upgrade) this.becomeTunnel();
      return;
    }
    this.pending.shift();
    if (owner?.upgrade) {
      if (owner.method === 'CONNECT' && head.statusCode < 300) {
        this.becomeTunnel();
      } else {
        this.blocked = false;
        setImmediate(() => this.pump());
      }
    }
    this.sendRejectionWhenDue();
    this.closeIfIdle();
  }

  private becomeTunnel(): void {
    this.tunnel = true;
    this.rawRequests = true;
    this.rawResponses = true;
    this.pending.length = 0;
    this.blocked = false;
    setImmediate(() => this.pump());
  }

  private sendRejectionWhenDue(): void {
    if (!this.pending[0]?.rejected) return;
    this.client.end(SERVICE_UNAVAILABLE);
    this.upstream.destroy();
  }

  private onUpstreamEnd(): void {
    if (!this.rawResponses && this.resParser.finish() === ParseEvent.MessageComplete) this.onResponseEnd(this.resParser.head!);
    this.client.end();
  }

  // ---- both ----

  private closeIfIdle(): void {
    if (!this.shuttingDown || this.finished) return;
    if (this.pending.length === 0 && this.inbox.length === 0 && !this.blocked && this.reqParser.atMessageStart) {
      this.client.end();
      this.upstream.end();
    }
  }

  private onError(err: Error & { code?: string }, side: 'client' | 'upstream'): void {
    if (this.finished) return;
    if (side === 'upstream') {
      this.ctx.stats.upstreamErrors++;
      // Nothing answered yet: tell the client why, as a reverse proxy would.
      if (this.bytesToClient === 0 && this.pending.length > 0 && !this.client.destroyed) this.client.end(BAD_GATEWAY);
      else this.client.destroy();
      this.ctx.log.warn({ connectionId: this.id, code: err.code, err: err.message }, 'source connection failed');
    } else {
      this.upstream.destroy();
      this.ctx.log.debug({ connectionId: this.id, code: err.code, err: err.message }, 'client connection failed');
    }
    // The mark goes right after the held request's end, before anything else is recorded.
    this.abandonHeld();
    if (this.capture && !this.capture.isClosed && !this.tunnel) this.capture.connectionException(`${side}: ${err.code ?? err.message}`);
  }

  /**
   * The connection ends before the held request was forwarded: the source never gets it. Its
   * capture (already sent to Kafka) gets the same requestDropped marker as a rejected one.
   */
  private abandonHeld(): void {
    if (!this.held || !this.capture || this.capture.isClosed || this.finished) return;
    this.held = undefined;
    this.ctx.stats.mutatingAbandoned++;
    this.capture.requestDropped();
  }

  private onSideClosed(side: 'client' | 'upstream'): void {
    this.closedSides++;
    this.abandonHeld();
    if (side === 'client' && !this.upstream.destroyed) this.upstream.destroy();
    if (side === 'upstream' && !this.client.destroyed && this.client.writableLength === 0 && this.client.writableEnded === false) this.client.end();
    if (this.closedSides < 2 || this.finished) return;
    this.finished = true;
    this.ctx.stats.connectionsActive--;
    this.capture?.close();
    this.ctx.onClosed(this);
  }
}
