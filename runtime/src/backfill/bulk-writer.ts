import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { scanBulkItems } from '../core/bulk-items';
import { ClusterClient, ClusterResponse, ClusterUnreachableError } from '../core/cluster-client';
import { UserError } from '../core/errors';
import { Backoff, BackoffPolicy, backoffDelayMs, retryAfterMs, sleep } from '../core/retry';
import { Semaphore } from '../core/semaphore';
import type { FailedDocument, FailedDocumentSink } from './failed-documents';
import { RawHit } from './json-raw';

const gzip = promisify(gzipCb);

/**
 * Written with the source's `_version` as an external_gte version, as the replayer writes: the
 * newest of the two paths wins whatever their order, and a copy of the version the target
 * already has is a plain success (see VERSION_TYPE in replayer/write-plan.ts).
 */
const VERSION_TYPE = 'external_gte';

/** One document as a _bulk entry: the action line and the raw source, each ending in \n. */
export function bulkEntry(index: string, hit: RawHit): string {
  const meta: Record<string, string | number> = { _index: index, _id: hit.id };
  if (hit.routing !== undefined) meta.routing = hit.routing;
  if (hit.version !== undefined && Number.isSafeInteger(hit.version) && hit.version > 0) {
    meta.version = hit.version;
    meta.version_type = VERSION_TYPE;
  }
  const action = { index: meta };
  // A source stored pretty-printed keeps its newlines; outside strings they are only whitespace.
  const source = hit.source.includes('\n') || hit.source.includes('\r') ? hit.source.replace(/[\r\n]+/g, ' ') : hit.source;
  return `${JSON.stringify(action)}\n${source}\n`;
}

/** Groups entries into requests of at most maxBytes (an entry larger than that goes alone). */
export function chunkByBytes<T>(entries: T[], sizeOf: (e: T) => number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = sizeOf(e);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export type ItemOutcome = 'ok' | 'retry' | 'fail';

/**
 * Overload and server errors are worth another try; anything else about the document is final.
 * A version conflict means the target holds this version or a newer one (the replay wrote it):
 * the document is done.
 */
export function classifyItem(status: number, errorType?: string): ItemOutcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 409 && errorType === 'version_conflict_engine_exception') return 'ok';
  if (status === 429 || status >= 500 || errorType === 'es_rejected_execution_exception' || errorType === 'opensearch_rejected_execution_exception') return 'retry';
  return 'fail';
}

export interface BulkWriterOptions {
  maxBulkBytes: number;
  maxInFlight: number;
  compress: boolean;
  /** Where refused documents go (a file, or S3). */
  failedDocuments: FailedDocumentSink;
  /**
   * Retries of a document that keeps getting 429/5xx (or of a request that got no answer) before
   * the page fails: it is not checkpointed, so a later run or lease copies it again. @default 12
   */
  maxItemRetries?: number;
  /** @default 250 */
  retryBaseMs?: number;
}

/** Most a single wait of the writer lasts, a Retry-After included. */
const RETRY_CAP_MS = 30_000;

export interface WriteResult {
  written: number;
  failed: number;
}

/**
 * Writes pages of documents with _bulk: requests sized by bytes, several in flight, only the
 * failed items retried; rejected documents go to the failed-documents file with the reason.
 * A 429 anywhere slows every request of this writer (one shared pause), not just the one that got it.
 */
export class BulkWriter {
  private readonly slots: Semaphore;
  private readonly policy: BackoffPolicy;
  private pauseUntil = 0;
  private throttleLevel = 0;

  constructor(
    private readonly target: ClusterClient,
    private readonly opts: BulkWriterOptions,
  ) {
    this.slots = new Semaphore(opts.maxInFlight);
    this.policy = { baseMs: opts.retryBaseMs ?? 250, capMs: RETRY_CAP_MS, maxAttempts: (opts.maxItemRetries ?? 12) + 1 };
  }

  /**
   * Writes one page. Refused documents are reported only once the whole page is settled: a page
   * that gives up is copied again later, and its refusals must not be reported twice.
   */
  async write(index: string, hits: RawHit[]): Promise<WriteResult> {
    const entries = hits.map((h) => ({ hit: h, text: bulkEntry(index, h) }));
    const chunks = chunkByBytes(entries, (e) => Buffer.byteLength(e.text), this.opts.maxBulkBytes);
    const settled = await Promise.allSettled(chunks.map((c) => this.writeChunk(index, c)));
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    const rejected = settled.flatMap((r) => (r as PromiseFulfilledResult<FailedDocument[]>).value);
    if (rejected.length > 0) await this.opts.failedDocuments.append(rejected);
    return { written: entries.length - rejected.length, failed: rejected.length };
  }

  /** The documents refused for their content; throws when some are still refused for load after the last retry. */
  private async writeChunk(index: string, entries: { hit: RawHit; text: string }[]): Promise<FailedDocument[]> {
    const backoff = new Backoff(this.policy);
    let pending = entries;
    const rejected: FailedDocument[] = [];
    for (;;) {
      const outcome = await this.sendOnce(pending);
      let floorMs: number | undefined;
      if (outcome.kind === 'retry-all') floorMs = outcome.retryAfterMs;
      else {
        const retry: typeof pending = [];
        outcome.items.forEach((item, i) => {
          const verdict = classifyItem(item.status, item.error?.type);
          if (verdict === 'retry') retry.push(pending[i]);
          else if (verdict === 'fail') {
            const h = pending[i].hit;
            rejected.push({ index, id: h.id, routing: h.routing, status: item.status, type: item.error?.type ?? 'unknown', reason: item.error?.reason ?? JSON.stringify(item.error), source: h.source });
          }
        });
        if (retry.length === 0) return rejected;
        this.throttle();
        pending = retry;
      }
      const wait = backoff.next(floorMs);
      if (wait === undefined) {
        throw new UserError(
          'BULK_RETRIES_EXHAUSTED',
          `${pending.length} documents of ${index} were still refused (429/5xx or no answer) after ${backoff.attempts} attempts of POST /_bulk: the target is overloaded. The page is not checkpointed (nothing of it is lost: a later run copies it again); run again later or with fewer workers or --max-in-flight`,
        );
      }
      await sleep(wait);
    }
  }

  /** 'retry-all' when the whole request was refused for load or got no answer; else one result per item, in order. */
  private async sendOnce(entries: { text: string }[]): Promise<{ kind: 'retry-all'; retryAfterMs?: number } | { kind: 'items'; items: BulkItem[] }> {
    await this.slots.take();
    try {
      const wait = this.pauseUntil - Date.now();
      if (wait > 0) await sleep(wait);
      let body: Buffer | string = entries.map((e) => e.text).join('');
      const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
      if (this.opts.compress) {
        body = await gzip(body, { level: 1 });
        headers['content-encoding'] = 'gzip';
      }
      let res: ClusterResponse;
      try {
        // One attempt: the retries are this writer's, so that its throttle sees every 429 at once.
        res = await this.target.request({ method: 'POST', path: '/_bulk', body, headers, retry: false });
      } catch (err) {
        if (err instanceof ClusterUnreachableError && err.transient) return { kind: 'retry-all' };
        throw err;
      }
      if (res.statusCode === 429 || res.statusCode >= 500) {
        const after = retryAfterMs(res.headers['retry-after']);
        this.throttle(after);
        return { kind: 'retry-all', retryAfterMs: after };
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new UserError('BULK_FAILED', `POST /_bulk answered ${res.statusCode}: ${res.body.toString('utf8').slice(0, 500)}`);
      }
      // Lean path: a clean response is recognized without parsing thousands of item results.
      const head = res.body.subarray(0, 64).toString('latin1');
      if (/"errors"\s*:\s*false/.test(head)) {
        this.throttleLevel = Math.max(0, this.throttleLevel - 1);
        return { kind: 'items', items: entries.map(() => OK_ITEM) };
      }
      const items = scanBulkItems(res.body);
      if (!items || items.length !== entries.length) throw new UserError('BULK_FAILED', `POST /_bulk answered ${items ? `${items.length} items for ${entries.length} documents` : 'a body that is not a _bulk response'}: ${res.body.toString('utf8').slice(0, 300)}`);
      return { kind: 'items', items: items.map((it) => (it.errorType === undefined ? { status: it.status } : { status: it.status, error: { type: it.errorType, reason: it.errorReason } })) };
    } finally {
      this.slots.release();
    }
  }

  /** One shared pause for every request of this writer, longer with each 429 in a row, never shorter than a Retry-After. */
  private throttle(retryAfter?: number): void {
    this.throttleLevel = Math.min(this.throttleLevel + 1, 8);
    const wait = Math.min(RETRY_CAP_MS, Math.max(backoffDelayMs(this.policy, this.throttleLevel), retryAfter ?? 0));
    this.pauseUntil = Math.max(this.pauseUntil, Date.now() + wait);
  }
}

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string };
}
const OK_ITEM: BulkItem = { status: 200 };

