import { STATUS_CODES } from 'node:http';
import { Client } from 'undici';
import { decodedBody, encodeBody, Header } from './http-message';
import { headerObject, PreparedRequest } from './prepare';
import { retryableBulkBody } from './bulk-retry';

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
  /** How long to keep trying while the target cannot be reached at all. */
  connectionRetryMs: number;
  retryBaseMs: number;
  /** SigV4: headers to send for this attempt (signed anew each time). */
  sign?: (req: { method: string; url: URL; headers: Record<string, string>; body?: Uint8Array }) => Promise<Record<string, string>>;
  target: URL;
  onRetry?: () => void;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

export function backoffMs(baseMs: number, attempt: number, capMs = 10_000): number {
  const cap = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 20));
  return cap / 2 + Math.random() * (cap / 2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function attempt(client: Client, req: PreparedRequest, body: Buffer, opts: SendOptions): Promise<TargetAttempt> {
  let headers = headerObject(req.headers);
  if (body !== req.body) headers['content-length'] = String(body.length);
  if (opts.sign) headers = await opts.sign({ method: req.method, url: new URL(req.path, opts.target), headers, body });
  const started = performance.now();
  try {
    // undici drops the connection after a GET/DELETE that has a body (searches do) unless told not to.
    const res = await client.request({ method: req.method as any, path: req.path, headers, body: body.length ? body : undefined, reset: body.length ? false : undefined });
    // One read of the whole body: an async iterator per response costs more than the body.
    const resBody = Buffer.from(await res.body.arrayBuffer());
    return { statusCode: res.statusCode, reasonPhrase: STATUS_CODES[res.statusCode] ?? '', headers: res.headers, body: resBody, timeMs: performance.now() - started };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { error: e.code ? `${e.code}: ${e.message}` : String(e.message ?? err), timeMs: performance.now() - started };
  }
}

/**
 * Sends one request on the session's connection: bounded retries on 429/5xx and on retryable
 * _bulk items (resending only those), and on connection errors for up to connectionRetryMs.
 */
export async function sendWithRetries(client: Client, req: PreparedRequest, opts: SendOptions): Promise<TargetAttempt[]> {
  const attempts: TargetAttempt[] = [];
  const isBulk = /\/_bulk(\?|$)/.test(req.path);
  let body = req.body;
  let statusRetries = 0;
  let connectionRetries = 0;
  const firstFailure = Date.now();
  for (;;) {
    const a = await attempt(client, req, body, opts);
    attempts.push(a);
    if (a.error) {
      if (Date.now() - firstFailure >= opts.connectionRetryMs) return attempts;
      opts.onRetry?.();
      await sleep(backoffMs(opts.retryBaseMs, connectionRetries++));
      continue;
    }
    if (statusRetries >= opts.maxRetries) return attempts;
    if (RETRYABLE_STATUS.has(a.statusCode!)) {
      opts.onRetry?.();
      await sleep(backoffMs(opts.retryBaseMs, statusRetries++));
      continue;
    }
    if (isBulk && a.statusCode === 200 && a.body) {
      const next = bulkRemainder(req.headers, body, a);
      if (!next) return attempts;
      body = next;
      opts.onRetry?.();
      await sleep(backoffMs(opts.retryBaseMs, statusRetries++));
      continue;
    }
    return attempts;
  }
}

function bulkRemainder(headers: Header[], sentBody: Buffer, a: TargetAttempt): Buffer | undefined {
  const resHeaders = Object.entries(a.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)] as Header);
  try {
    const remainder = retryableBulkBody(decodedBody(headers, sentBody), decodedBody(resHeaders, a.body!));
    return remainder ? encodeBody(headers.map(([k, v]) => [k, v]), remainder) : undefined;
  } catch {
    return undefined;
  }
}

/** A global bound on requests in flight to the target. */
export class Semaphore {
  private waiters: (() => void)[] = [];
  private used = 0;

  constructor(private readonly limit: number) {}

  get inFlight(): number {
    return this.used;
  }

  acquire(): Promise<void> | undefined {
    if (this.used < this.limit) {
      this.used++;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.used--;
  }
}

export interface SessionJob {
  /** Wall-clock ms at which the request is due. */
  at: number;
  run(client: Client): Promise<void>;
}

/**
 * The target connection of one source connection: keep-alive, one request at a time in capture
 * order, each at its due time. undici reconnects by itself when the target drops the socket.
 */
export class TargetSession {
  private readonly client: Client;
  private readonly queue: SessionJob[] = [];
  private head = 0;
  private running = false;
  private ending = false;

  constructor(
    origin: string,
    private readonly semaphore: Semaphore,
    clientOptions: Client.Options,
    private readonly onIdleEnd: () => void,
  ) {
    this.client = new Client(origin, { pipelining: 1, ...clientOptions });
  }

  get queued(): number {
    return this.queue.length - this.head;
  }

  enqueue(job: SessionJob): void {
    this.queue.push(job);
    if (!this.running) void this.pump();
  }

  /** No more requests will come: close once the queue is empty. */
  end(): void {
    this.ending = true;
    if (!this.running) void this.close();
  }

  async close(): Promise<void> {
    this.onIdleEnd();
    await this.client.close().catch(() => undefined);
  }

  destroy(): Promise<void> {
    return this.client.destroy().catch(() => undefined);
  }

  private async pump(): Promise<void> {
    this.running = true;
    while (this.head < this.queue.length) {
      const job = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as SessionJob;
      if (this.head > 256 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      const wait = job.at - Date.now();
      if (wait > 1) await sleep(wait);
      const pending = this.semaphore.acquire();
      if (pending) await pending;
      try {
        await job.run(this.client);
      } finally {
        this.semaphore.release();
      }
    }
    this.running = false;
    if (this.ending) await this.close();
  }
}
