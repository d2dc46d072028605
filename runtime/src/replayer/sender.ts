import { STATUS_CODES } from 'node:http';
import { Header } from '../core/http/message';
import { decodedBody, encodeBody } from '../core/http/content-coding';
import { headerObject, PreparedRequest } from './prepare';
import { retryableBulkBody } from './bulk-retry';
import { Backoff, BackoffPolicy, retryAfterMs } from '../core/retry';
import { Semaphore } from '../core/semaphore';
import { ConnectionError, ResponseHandler, ResponseHeaders, TargetConnection, TargetConnectionOptions } from './target-connection';

export interface TargetAttempt {
  statusCode?: number;
  reasonPhrase?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer;
  /** From sending the request to the end of the response body. */
  timeMs: number;
  /** The connection error of an attempt that got no response. */
  error?: string;
}

export interface SendOptions {
  /** Attempts after the first on 429/5xx answers and on _bulk items that failed retryably. */
  maxRetries: number;
  /** _bulk item error types never retried (--non-retryable-doc-exception-types); unset: retry 429/5xx items. */
  nonRetryableDocTypes?: ReadonlySet<string>;
  /** How long to keep trying while the target cannot be reached at all. */
  connectionRetryMs: number;
  retryBaseMs: number;
  /** SigV4: headers to send for this attempt (signed anew each time). */
  sign?: (req: { method: string; url: URL; headers: Record<string, string>; body?: Uint8Array }) => Promise<Record<string, string>>;
  target: URL;
  onRetry?: () => void;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** A replayed request waits at most this long between attempts (Retry-After included). */
const RETRY_CAP_MS = 10_000;

/** Told once, when a request's attempts are over: the attempts, or why sending stopped. */
export interface SendListener {
  onSent(attempts: TargetAttempt[] | undefined, error?: Error): void;
}

/**
 * Sends one request on the session's connection: bounded retries on 429/5xx and on retryable
 * _bulk items (resending only those), and on connection errors for up to connectionRetryMs.
 * One object per request and callbacks, no promises or streams: this runs for every replayed request.
 */
export function sendWithRetries(conn: TargetConnection, req: PreparedRequest, opts: SendOptions, listener: SendListener): void {
  new RequestSend(conn, req, opts, listener).send();
}

class RequestSend implements ResponseHandler {
  private readonly attempts: TargetAttempt[] = [];
  private readonly isBulk: boolean;
  private readonly firstFailure = Date.now();
  private body: Buffer;
  /** Made on the first retry of each kind: most requests never need one. */
  private statusBackoff?: Backoff;
  private connectionBackoff?: Backoff;
  /** When the attempt in flight was sent. */
  private started = 0;

  constructor(
    private readonly conn: TargetConnection,
    private readonly req: PreparedRequest,
    private readonly opts: SendOptions,
    private readonly listener: SendListener,
  ) {
    this.isBulk = /\/_bulk(\?|$)/.test(req.path);
    this.body = req.body;
  }

  send(): void {
    if (!this.opts.sign) {
      this.dispatch(this.req.headers);
      return;
    }
    const headers = headerObject(this.req.headers);
    if (this.body !== this.req.body) headers['content-length'] = String(this.body.length);
    this.opts.sign({ method: this.req.method, url: new URL(this.req.path, this.opts.target), headers, body: this.body }).then(
      (signed) => this.dispatch(Object.entries(signed)),
      (err: Error) => this.listener.onSent(undefined, err),
    );
  }

  private dispatch(headers: readonly Header[]): void {
    this.started = performance.now();
    let payload: Buffer;
    try {
      payload = this.conn.serialize(this.req.method, this.req.path, headers, this.body);
    } catch (err) {
      this.onConnectionError(err as ConnectionError);
      return;
    }
    this.conn.send(this.req.method, payload, this);
  }

  onResponse(statusCode: number, headers: ResponseHeaders, body: Buffer): void {
    this.attempted({ statusCode, reasonPhrase: STATUS_CODES[statusCode] ?? '', headers, body, timeMs: performance.now() - this.started });
  }

  onConnectionError(err: ConnectionError): void {
    this.attempted({ error: err.code ? `${err.code}: ${err.message}` : String(err.message ?? err), timeMs: performance.now() - this.started });
  }

  private attempted(a: TargetAttempt): void {
    const { attempts, opts } = this;
    attempts.push(a);
    if (a.error) {
      this.connectionBackoff ??= new Backoff(this.policy(Infinity, opts.connectionRetryMs - (Date.now() - this.firstFailure)));
      return this.retry(this.connectionBackoff.next());
    }
    if (!RETRYABLE_STATUS.has(a.statusCode!) && !this.isBulk) return this.listener.onSent(attempts);
    this.statusBackoff ??= new Backoff(this.policy(opts.maxRetries + 1));
    if (RETRYABLE_STATUS.has(a.statusCode!)) return this.retry(this.statusBackoff.next(retryAfterMs(a.headers?.['retry-after'])));
    if (this.isBulk && a.statusCode === 200 && a.body && this.statusBackoff.attempts <= opts.maxRetries) {
      const next = bulkRemainder(this.req.headers, this.body, a, opts.nonRetryableDocTypes);
      if (!next) return this.listener.onSent(attempts);
      this.body = next;
      return this.retry(this.statusBackoff.next());
    }
    this.listener.onSent(attempts);
  }

  private policy(maxAttempts: number, deadlineMs = Infinity): BackoffPolicy {
    return { baseMs: this.opts.retryBaseMs, capMs: RETRY_CAP_MS, maxAttempts, deadlineMs };
  }

  /** Sends again after `waitMs`; undefined: the attempts are over. */
  private retry(waitMs: number | undefined): void {
    if (waitMs === undefined) return this.listener.onSent(this.attempts);
    this.opts.onRetry?.();
    setTimeout(() => this.send(), waitMs);
  }
}

function bulkRemainder(headers: Header[], sentBody: Buffer, a: TargetAttempt, nonRetryable?: ReadonlySet<string>): Buffer | undefined {
  const resHeaders = Object.entries(a.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)] as Header);
  try {
    const remainder = retryableBulkBody(decodedBody(headers, sentBody), decodedBody(resHeaders, a.body!), nonRetryable);
    return remainder ? encodeBody(headers.map(([k, v]) => [k, v]), remainder) : undefined;
  } catch {
    return undefined;
  }
}


export interface SessionJob {
  /** Wall-clock ms at which the request is due. */
  at: number;
  /** Sends on the session's connection; calls done once the request is finished with. */
  run(conn: TargetConnection, done: () => void): void;
}

/**
 * The target connection of one source connection: keep-alive, one request at a time in capture
 * order, each at its due time. The connection reconnects by itself when the target drops the socket.
 */
export class TargetSession {
  private readonly conn: TargetConnection;
  private readonly queue: SessionJob[] = [];
  private head = 0;
  /** A job is taken from the queue and not yet done. */
  private running = false;
  private current?: SessionJob;
  /** The current job waited for its due time already. */
  private due = false;
  private holdsSlot = false;
  private inRun = false;
  private doneInRun = false;
  private ending = false;

  constructor(
    target: URL,
    private readonly semaphore: Semaphore,
    connectionOptions: TargetConnectionOptions,
    private readonly onIdleEnd: () => void,
  ) {
    this.conn = new TargetConnection(target, connectionOptions);
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  enqueue(job: SessionJob): void {
    this.queue.push(job);
    if (!this.running) {
      this.running = true;
      this.next();
    }
  }

  /** No more requests will come: close once the queue is empty. */
  end(): void {
    this.ending = true;
    if (!this.running) this.close();
  }

  close(): void {
    this.onIdleEnd();
    this.conn.close();
  }

  destroy(): void {
    this.conn.destroy();
  }

  private readonly wake = (): void => {
    this.due = true;
    this.next();
  };

  private readonly granted = (): void => {
    this.holdsSlot = true;
    this.next();
  };

  private readonly jobDone = (): void => {
    this.semaphore.release();
    if (this.inRun) this.doneInRun = true;
    else this.next();
  };

  /** Runs jobs in order until one is in flight, waits for its time, or waits for a slot. */
  private next(): void {
    for (;;) {
      if (!this.current) {
        if (this.head >= this.queue.length) {
          this.running = false;
          if (this.ending) this.close();
          return;
        }
        this.current = this.queue[this.head];
        this.queue[this.head++] = undefined as unknown as SessionJob;
        if (this.head > 256 && this.head * 2 > this.queue.length) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        this.due = false;
      }
      if (!this.due) {
        const wait = this.current.at - Date.now();
        if (wait > 1) {
          setTimeout(this.wake, wait);
          return;
        }
        this.due = true;
      }
      if (!this.holdsSlot && !this.semaphore.acquire(this.granted)) return;
      const job = this.current;
      this.current = undefined;
      this.holdsSlot = false;
      this.inRun = true;
      this.doneInRun = false;
      job.run(this.conn, this.jobDone);
      this.inRun = false;
      // A job that finished at once (its request could not be sent) must not recurse into the next.
      if (!this.doneInRun) return;
    }
  }
}
