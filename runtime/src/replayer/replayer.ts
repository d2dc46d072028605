import type { Logger } from '../core/logging';
import type { TrafficStream } from '../core/traffic-stream';
import { documentWrite } from './document-write';
import { headerValue, HttpRequest, HttpResponse, parseRequest, parseResponse } from '../core/http/message';
import type { ReplayerMetrics } from './metrics';
import { PreparedRequest, prepareRequest, TargetAuth } from './prepare';
import { CapturedRequest, Reassembler, ReassemblyListener, RecordRef } from './reassembler';
import { Semaphore } from '../core/semaphore';
import { SendListener, SendOptions, sendWithRetries, SessionJob, TargetAttempt, TargetSession } from './sender';
import { DuplicateStreamFilter } from './duplicate-filter';
import { FinishedRequest, requestOutcome } from './outcome';
import type { TargetConnection } from './target-connection';
import { ReplaySummary } from './summary';
import { RequestDropped, RequestTransform } from './transforms/request';
import type { TupleAuth } from './tuple';
import { tupleLine } from './tuple-line';
import type { LineListener, TupleSink } from './tuple-writer';
import type { TombstoneKeeper } from './tombstones';
import { deletedIndices, planWrite, WritePlan } from './write-plan';

export interface ReplayerOptions {
  target: URL;
  auth: TargetAuth;
  sign?: SendOptions['sign'];
  userAgent?: string;
  transforms: RequestTransform[];
  /** Source time runs this many times faster on the target. @default 1 */
  speedupFactor: number;
  maxConcurrentRequests: number;
  /** The look-ahead window: input waits while this many requests have no durable tuple. */
  maxPendingRequests: number;
  packetTimeoutMs: number;
  maxRetries: number;
  connectionRetryMs: number;
  retryBaseMs?: number;
  insecure?: boolean;
  /** How long after reading its first request the replay clock starts. @default 1000 */
  startLeadMs?: number;
  /** Per attempt, for headers and for body. @default 60000 */
  requestTimeoutMs?: number;
  /** Input waits while the last request read is due more than this far ahead (--lookahead-time-window). */
  lookaheadMs?: number;
  /** The first request seen on a connection that began before the input did waits this long (--quiescent-period-ms). */
  quiescentMs?: number;
  /** See SendOptions.nonRetryableDocTypes. */
  nonRetryableDocTypes?: ReadonlySet<string>;
  /**
   * Send document writes exactly as captured: no source id or version, what the source refused
   * included (the reference's behaviour). @default false
   */
  replayWritesAsCaptured?: boolean;
  /** Send the writes and _bulk items that the source refused anyway (as captured). @default false */
  replayRefusedWrites?: boolean;
  /** Raises index.gc_deletes on the target where versioned deletes go (none: left as it is). */
  tombstones?: TombstoneKeeper;
  tupleWriter: TupleSink;
  /** Write the credentials clients sent into tuples as they are (masked by default). */
  keepSourceAuth?: boolean;
  metrics: ReplayerMetrics;
  logger: Logger;
  /** Called when tuples can no longer be written: nothing may be committed after this. */
  onFatal: (err: Error) => void;
}

/**
 * One request on its way: the session job that sends it and the listener of its send. One object
 * per request, no closures: this is the replay's hot path.
 */
class Work implements SessionJob, SendListener, FinishedRequest {
  at = 0;
  source?: HttpRequest;
  /** The source response, parsed once: for a document write's plan, else when its tuple is due. */
  sourceResponse?: HttpResponse;
  /** How a document write is replayed, and (once the target answered) its outcome. */
  plan?: WritePlan;
  prepared?: PreparedRequest;
  /** Why the request was not sent (unparseable, or its transform threw). */
  error?: string;
  attempts?: TargetAttempt[];
  /** A versioned delete's tuple waits until its index holds its tombstones (see TombstoneKeeper). */
  tombstones?: Promise<void>;
  targetDone = false;
  finished = false;
  private sessionDone?: () => void;

  constructor(
    readonly captured: CapturedRequest,
    private readonly replayer: TrafficReplayer,
  ) {}

  run(conn: TargetConnection, done: () => void): void {
    this.sessionDone = done;
    sendWithRetries(conn, this.prepared!, this.replayer.sendOptions, this);
  }

  onSent(attempts: TargetAttempt[] | undefined, err?: Error): void {
    if (err) this.error = `send failed: ${err.message}`;
    else this.attempts = attempts;
    this.targetDone = true;
    this.replayer.maybeFinish(this);
    const done = this.sessionDone!;
    this.sessionDone = undefined;
    done();
  }
}

/**
 * What a tuple waiting for its flush still needs: the holds on its records. Small on purpose:
 * the request, its parse and its responses become garbage once the line is built, instead of
 * being copied by the young-generation GC while the batch fills.
 */
class TupleHolds implements LineListener {
  constructor(
    private readonly records: RecordRef[],
    private readonly replayer: TrafficReplayer,
  ) {}

  lineWritten(err?: Error): void {
    this.replayer.tupleWritten(this.records, err);
  }
}

/**
 * The replay engine: records in, requests out to the target at their time-shifted moment, one
 * target connection per source connection, tuples written, and each record's holds released only
 * once its requests' tuples are durable.
 */
export class TrafficReplayer implements ReassemblyListener {
  readonly summary = new ReplaySummary();
  private readonly reassembler: Reassembler;
  private readonly duplicates = new DuplicateStreamFilter();
  private readonly sessions = new Map<string, TargetSession>();
  private readonly semaphore: Semaphore;
  /** Requests read and not yet finished, for their source response. */
  private readonly work = new Map<CapturedRequest, Work>();
  /** @internal */
  readonly sendOptions: SendOptions;
  private t0?: number;
  private start?: number;
  private pendingCount = 0;
  private roomWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private failed = false;
  /** Wall time at which the last request read is due. */
  private lastDueAt = 0;
  private readonly sourceAuth: TupleAuth;
  private readonly targetAuth: TupleAuth;

  constructor(private readonly opts: ReplayerOptions) {
    // A document write waits for its source response: its id, its version, whether it was applied.
    this.reassembler = new Reassembler(this, opts.replayWritesAsCaptured ? {} : { awaitsResponse: awaitsSourceResponse });
    this.semaphore = new Semaphore(opts.maxConcurrentRequests);
    this.sourceAuth = opts.keepSourceAuth ? 'keep' : 'mask';
    this.targetAuth = opts.auth.type === 'basic' || opts.auth.type === 'sigv4' ? opts.auth.type : this.sourceAuth;
    this.sendOptions = {
      maxRetries: opts.maxRetries,
      connectionRetryMs: opts.connectionRetryMs,
      retryBaseMs: opts.retryBaseMs ?? 100,
      sign: opts.sign,
      target: opts.target,
      nonRetryableDocTypes: opts.nonRetryableDocTypes,
      onRetry: () => {
        this.summary.retries++;
        opts.metrics.retries.inc();
      },
    };
  }

  get pending(): number {
    return this.pendingCount;
  }

  get openConnections(): number {
    return this.reassembler.openConnections;
  }

  hasRoom(): boolean {
    return this.pendingCount < this.opts.maxPendingRequests && !this.beyondLookahead();
  }

  private beyondLookahead(): boolean {
    return this.opts.lookaheadMs !== undefined && this.lastDueAt - Date.now() > this.opts.lookaheadMs;
  }

  /** Resolves once the look-ahead window has room again. */
  waitForRoom(): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => {
      this.roomWaiters.push(resolve);
      // Time opens a time window: no request has to finish for it.
      if (this.beyondLookahead()) setTimeout(() => this.wakeRoomWaiters(), this.lastDueAt - this.opts.lookaheadMs! - Date.now() + 5);
    });
  }

  private wakeRoomWaiters(): void {
    if (!this.roomWaiters.length || !this.hasRoom()) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  /** One record; its ref is held by each request that takes bytes from it. A copy of one already taken is dropped and counted. */
  addRecord(stream: TrafficStream, ref: RecordRef): void {
    this.opts.metrics.records.inc();
    if (this.duplicates.seen(stream)) {
      this.summary.duplicateRecords++;
      this.opts.metrics.errors.inc({ kind: 'duplicate_record' });
      return;
    }
    this.reassembler.add(stream, ref, Date.now());
  }

  /** A record that does not decode: logged and counted, never fatal. */
  addMalformed(err: unknown, where: string): void {
    this.summary.malformedRecords++;
    this.opts.metrics.errors.inc({ kind: 'malformed_record' });
    this.opts.logger.error({ where, err: (err as Error).message }, 'skipped a record that is not a TrafficStream');
  }

  expireIdle(backPressured: boolean): void {
    const now = Date.now();
    if (backPressured) this.reassembler.touchAll(now);
    else this.reassembler.expireIdle(this.opts.packetTimeoutMs, now);
  }

  /** End of input, or the records ahead will be read again (rebalance): close every connection. */
  endAllConnections(readAgain = false): void {
    this.reassembler.endAll(readAgain);
    this.duplicates.reset();
  }

  /** Resolves when every request read so far has a durable tuple, or after timeoutMs (false). */
  drain(timeoutMs = Infinity): Promise<boolean> {
    if (this.pendingCount === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : undefined;
      this.drainWaiters.push(() => {
        if (timer) clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }

  /**
   * Wall time at which a request captured at sourceTs is due. The clock starts a moment after the
   * first request is read: partitions are read side by side, so a slightly earlier request may
   * still arrive and must keep its place before the first one.
   */
  private dueAt(sourceTs: number): number {
    if (this.t0 === undefined || this.start === undefined) {
      this.t0 = sourceTs;
      this.start = Date.now() + (this.opts.startLeadMs ?? 1000);
    }
    return this.start + (sourceTs - this.t0) / this.opts.speedupFactor;
  }

  onRequest(captured: CapturedRequest): void {
    this.pendingCount++;
    this.opts.metrics.counts.pending = this.pendingCount;
    const work = new Work(captured, this);
    this.work.set(captured, work);
    try {
      work.source = parseRequest(captured.bytes);
    } catch (err) {
      work.error = `unparseable source request: ${(err as Error).message}`;
      this.summary.transformErrors++;
      this.opts.metrics.errors.inc({ kind: 'unparseable_request' });
    }
    if (work.source) {
      const write = documentWrite(work.source.method, work.source.uri);
      if (write) {
        if (this.opts.replayWritesAsCaptured) work.plan = { outcome: 'asCaptured', detail: '--replay-writes-as-captured', skip: false, versioned: false };
        else {
          work.sourceResponse = parsedResponse(captured, work.source.method);
          work.plan = planWrite(write, work.source, work.sourceResponse, { replayRefused: this.opts.replayRefusedWrites === true });
        }
      }
    }
    if (work.plan?.skip) {
      // The source refused it: there is nothing to send, only a tuple to write.
      work.targetDone = true;
      this.maybeFinish(work);
      return;
    }
    if (work.source) {
      try {
        work.prepared = prepareRequest(work.source, this.opts, work.plan);
        if (work.prepared.droppedItems) this.summary.bulkItemsDroppedByTransform += work.prepared.droppedItems;
        if (work.plan?.deleteIndices && this.opts.tombstones) work.tombstones = this.keepTombstones(work.source, work.plan.deleteIndices, work.prepared);
      } catch (err) {
        if (err instanceof RequestDropped) {
          // Deliberate (e.g. a type its mapping routes nowhere): counted, its tuple says why.
          work.error = `not sent: ${err.reason}`;
          this.summary.droppedByTransform++;
        } else {
          work.error = `transform failed: ${(err as Error).message}`;
          this.summary.transformErrors++;
          this.opts.metrics.errors.inc({ kind: 'transform' });
        }
      }
    }
    if (!work.prepared) {
      work.targetDone = true;
      this.maybeFinish(work);
      return;
    }
    work.at = this.dueAt(captured.firstTs);
    // A connection the input joined in the middle (its earlier requests were another replayer's):
    // give those a moment to land first.
    if (this.opts.quiescentMs && captured.index > 0 && !this.sessions.has(captured.key)) work.at = Math.max(work.at, Date.now() + this.opts.quiescentMs);
    this.lastDueAt = Math.max(this.lastDueAt, work.at);
    this.session(captured.key).enqueue(work);
  }

  onSourceResponse(captured: CapturedRequest): void {
    const work = this.work.get(captured);
    if (work) this.maybeFinish(work);
  }

  onConnectionEnd(key: string): void {
    this.sessions.get(key)?.end();
  }

  onPartialRequestDropped(): void {
    this.summary.droppedPartialRequests++;
    this.opts.metrics.errors.inc({ kind: 'partial_request_dropped' });
  }

  onRequestNotForwarded(): void {
    this.summary.requestsNotForwarded++;
    this.opts.metrics.errors.inc({ kind: 'request_not_forwarded_by_proxy' });
  }

  /** Versioned deletes leave tombstones on the target that must outlive any older write still to come. */
  private keepTombstones(source: HttpRequest, sourceIndices: string[], prepared: PreparedRequest): Promise<void> | undefined {
    const base = this.opts.target.pathname.replace(/\/$/, '');
    // A transform may have renamed the index: read the names from what is sent.
    const indices = this.opts.transforms.length ? deletedIndices(prepared.method, prepared.path.slice(base.length), prepared.headers, prepared.body) : sourceIndices;
    const authorization = this.opts.auth.type === 'passthrough' ? headerValue(source.headers, 'authorization') : undefined;
    let pending: Promise<void>[] | undefined;
    for (const index of indices) {
      const p = this.opts.tombstones!.keep(index, authorization);
      if (p) (pending ??= []).push(p);
    }
    return pending && (pending.length === 1 ? pending[0] : Promise.all(pending).then(() => undefined));
  }

  private session(key: string): TargetSession {
    let session = this.sessions.get(key);
    if (!session) {
      const created = new TargetSession(
        this.opts.target,
        this.semaphore,
        { rejectUnauthorized: !this.opts.insecure, connectTimeoutMs: 10_000, requestTimeoutMs: this.opts.requestTimeoutMs ?? 60_000, keepAliveTimeoutMs: 60_000 },
        () => {
          if (this.sessions.get(key) === created) this.sessions.delete(key);
        },
      );
      session = created;
      this.sessions.set(key, session);
    }
    return session;
  }

  /** @internal */
  maybeFinish(work: Work): void {
    if (work.finished || !work.targetDone || !work.captured.sourceDone) return;
    if (work.tombstones) {
      const raising = work.tombstones;
      work.tombstones = undefined;
      void raising.then(() => this.maybeFinish(work));
      return;
    }
    work.finished = true;
    this.work.delete(work.captured);
    work.sourceResponse ??= parsedResponse(work.captured, work.source?.method);
    const outcome = requestOutcome(work);
    this.summary.record(outcome);
    this.opts.metrics.record(outcome);
    this.opts.tupleWriter.writeLine(tupleLine(outcome, this.sourceAuth, this.targetAuth), new TupleHolds(work.captured.records, this));
  }

  /** @internal */
  tupleWritten(records: RecordRef[], err?: Error): void {
    if (!err) {
      for (const r of records) r.release();
      this.done();
      return;
    }
    this.opts.metrics.errors.inc({ kind: 'tuple_write' });
    if (!this.failed) {
      this.failed = true;
      this.opts.onFatal(err);
    }
  }

  private done(): void {
    this.pendingCount--;
    this.opts.metrics.counts.pending = this.pendingCount;
    this.wakeRoomWaiters();
    if (this.pendingCount === 0 && this.drainWaiters.length) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }
}

/** The reassembler's gate: the document writes whose replay depends on the source's answer. */
function awaitsSourceResponse(method: string, uri: string): boolean {
  const write = documentWrite(method, uri);
  return write !== undefined && write.kind !== 'byQuery';
}

function parsedResponse(captured: CapturedRequest, method: string | undefined): HttpResponse | undefined {
  if (!captured.sourceResponse?.length) return undefined;
  try {
    return parseResponse(captured.sourceResponse, method);
  } catch {
    return undefined;
  }
}
