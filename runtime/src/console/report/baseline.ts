import type { RequestClass } from './classify';
import type { Comparator } from './compare';
import { bodyBytes, Exchange, header, Side } from './exchange';
import { Semaphore } from '../../core/semaphore';

/*
 * Learned noise, as Diffy does it: a read sent to the source a second time answers differently
 * where the answer is random or time-dependent by nature (random_score, now-relative ranges,
 * counters). The paths where the source disagrees with itself are noise for that endpoint.
 */

export interface ResendRequest {
  method: string;
  /** Path and query. */
  path: string;
  body: Buffer;
  headers: Record<string, string>;
}

export interface ResendAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type Resend = (req: ResendRequest) => Promise<ResendAnswer>;

export interface BaselineOptions {
  resend: Resend;
  /** Share of the reads (after each endpoint's first) sent again. @default 1 */
  sampleRate: number;
  /** Reads sent again per endpoint at most. @default 20 */
  maxPerEndpoint: number;
  /** Requests to the source in flight at most. @default 4 */
  concurrency?: number;
  random?: () => number;
}

const READ_APIS = /\/_(search|count|mget|msearch)(\/template)?$/;

/**
 * Whether sending the request again cannot change the source: GET and HEAD, and the POST forms of
 * search, count, mget and msearch. Scrolls are left out (a continuation moves the source's
 * cursor, and a search that opens one holds a context there), and so is anything else.
 */
export function isIdempotentRead(ex: Exchange, cls: RequestClass): boolean {
  if (cls === 'scroll' || ex.query.has('scroll')) return false;
  if (ex.method === 'GET' || ex.method === 'HEAD') return true;
  return ex.method === 'POST' && READ_APIS.test(ex.path);
}

/** Whether a difference's shape is at or below a learned one. */
export function isLearned(shape: string, learned: ReadonlySet<string> | undefined): boolean {
  if (!learned || learned.size === 0) return false;
  if (learned.has(shape)) return true;
  for (const l of learned) if (shape.startsWith(`${l}.`) || shape.startsWith(`${l}[`)) return true;
  return false;
}

export interface BaselineStats {
  sampleRate: number;
  resent: number;
  failed: number;
  /** Samples skipped because the source's second answer had another status (its data changed). */
  statusChanged: number;
}

export class BaselineLearner {
  private readonly learned = new Map<string, Set<string>>();
  private readonly perEndpoint = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots: Semaphore;
  private readonly random: () => number;
  readonly stats: BaselineStats;

  constructor(
    private readonly comparator: Comparator,
    private readonly opts: BaselineOptions,
  ) {
    this.slots = new Semaphore(opts.concurrency ?? 4);
    this.random = opts.random ?? Math.random;
    this.stats = { sampleRate: opts.sampleRate, resent: 0, failed: 0, statusChanged: 0 };
  }

  /** Considers one exchange; when sampled, sends its request to the source again (waits when enough are in flight). */
  async consider(ex: Exchange, cls: RequestClass, endpoint: string): Promise<void> {
    if (!ex.source || !isIdempotentRead(ex, cls)) return;
    const n = this.perEndpoint.get(endpoint) ?? 0;
    if (n >= this.opts.maxPerEndpoint || (n > 0 && this.random() >= this.opts.sampleRate)) return;
    this.perEndpoint.set(endpoint, n + 1);
    await this.slots.take();
    const p = this.learnFrom(ex, cls, endpoint).finally(() => {
      this.slots.release();
      this.inFlight.delete(p);
    });
    this.inFlight.add(p);
  }

  /** Once every sample is back: the learned paths (shapes) per endpoint. */
  async finish(): Promise<Map<string, Set<string>>> {
    await Promise.all(this.inFlight);
    return this.learned;
  }

  private async learnFrom(ex: Exchange, cls: RequestClass, endpoint: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'content-encoding']) {
      const v = header(ex.request, h);
      if (v) headers[h] = v;
    }
    let again: ResendAnswer;
    try {
      again = await this.opts.resend({ method: ex.method, path: ex.uri, body: bodyBytes(ex.request), headers });
    } catch {
      this.stats.failed++;
      return;
    }
    this.stats.resent++;
    if (again.statusCode !== ex.source!.status) {
      this.stats.statusChanged++;
      return;
    }
    const message: Record<string, unknown> = { 'Status-Code': again.statusCode, body: again.body.toString('base64') };
    const enc = again.headers['content-encoding'];
    if (enc) message['content-encoding'] = Array.isArray(enc) ? enc.join(', ') : enc;
    const second: Side = { status: again.statusCode, message };
    const diffs = this.comparator.diffAnswers(ex, cls, ex.source!, second);
    if (diffs.length === 0) return;
    let set = this.learned.get(endpoint);
    if (!set) this.learned.set(endpoint, (set = new Set()));
    for (const d of diffs) if (d.shape !== '(status)') set.add(d.shape);
  }
}
