import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { scanBulkItems } from '../core/bulk-items';
import { ClusterClient } from '../core/cluster-client';
import { UserError } from '../core/errors';
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
  /** Attempts for a document that keeps getting 429/5xx before the whole page fails (and is retried by a later lease). */
  maxItemRetries?: number;
  retryBaseMs?: number;
}

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
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private pauseUntil = 0;
  private throttleLevel = 0;

  constructor(
    private readonly target: ClusterClient,
    private readonly opts: BulkWriterOptions,
  ) {}

  async write(index: string, hits: RawHit[]): Promise<WriteResult> {
    const entries = hits.map((h) => ({ hit: h, text: bulkEntry(index, h) }));
    const chunks = chunkByBytes(entries, (e) => Buffer.byteLength(e.text), this.opts.maxBulkBytes);
    const results = await Promise.all(chunks.map((c) => this.writeChunk(index, c)));
    return results.reduce((a, r) => ({ written: a.written + r.written, failed: a.failed + r.failed }), { written: 0, failed: 0 });
  }

  private async writeChunk(index: string, entries: { hit: RawHit; text: string }[]): Promise<WriteResult> {
    const maxRetries = this.opts.maxItemRetries ?? 12;
    let pending = entries;
    let failed = 0;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > maxRetries) {
        throw new UserError('BULK_RETRIES_EXHAUSTED', `${pending.length} documents of ${index} were still rejected (429/5xx) after ${maxRetries} retries: the target is overloaded; run again later or with fewer workers`);
      }
      if (attempt > 0) await sleep(this.backoff(attempt));
      const outcome = await this.sendOnce(pending);
      if (outcome === 'retry-all') continue;
      const retry: typeof pending = [];
      const rejected: FailedDocument[] = [];
      outcome.forEach((item, i) => {
        const verdict = classifyItem(item.status, item.error?.type);
        if (verdict === 'retry') retry.push(pending[i]);
        else if (verdict === 'fail') {
          const h = pending[i].hit;
          rejected.push({ index, id: h.id, routing: h.routing, status: item.status, type: item.error?.type ?? 'unknown', reason: item.error?.reason ?? JSON.stringify(item.error), source: h.source });
        }
      });
      if (rejected.length > 0) {
        await this.opts.failedDocuments.append(rejected);
        failed += rejected.length;
      }
      if (retry.length > 0) this.throttle();
      pending = retry;
    }
    return { written: entries.length - failed, failed };
  }

  /** 'retry-all' when the whole request was refused for load; else one result per item, in order. */
  private async sendOnce(entries: { text: string }[]): Promise<'retry-all' | BulkItem[]> {
    await this.acquire();
    try {
      const wait = this.pauseUntil - Date.now();
      if (wait > 0) await sleep(wait);
      let body: Buffer | string = entries.map((e) => e.text).join('');
      const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
      if (this.opts.compress) {
        body = await gzip(body, { level: 1 });
        headers['content-encoding'] = 'gzip';
      }
      const res = await this.target.request({ method: 'POST', path: '/_bulk', body, headers });
      if (res.statusCode === 429 || res.statusCode >= 500) {
        this.throttle();
        return 'retry-all';
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new UserError('BULK_FAILED', `POST /_bulk answered ${res.statusCode}: ${res.body.toString('utf8').slice(0, 500)}`);
      }
      // Lean path: a clean response is recognized without parsing thousands of item results.
      const head = res.body.subarray(0, 64).toString('latin1');
      if (/"errors"\s*:\s*false/.test(head)) {
        this.throttleLevel = Math.max(0, this.throttleLevel - 1);
        return entries.map(() => OK_ITEM);
      }
      const items = scanBulkItems(res.body);
      if (!items || items.length !== entries.length) throw new UserError('BULK_FAILED', `POST /_bulk answered ${items ? `${items.length} items for ${entries.length} documents` : 'a body that is not a _bulk response'}: ${res.body.toString('utf8').slice(0, 300)}`);
      return items.map((it) => (it.errorType === undefined ? { status: it.status } : { status: it.status, error: { type: it.errorType, reason: it.errorReason } }));
    } finally {
      this.release();
    }
  }

  private throttle(): void {
    this.throttleLevel = Math.min(this.throttleLevel + 1, 8);
    this.pauseUntil = Math.max(this.pauseUntil, Date.now() + this.backoff(this.throttleLevel));
  }

  private backoff(attempt: number): number {
    const cap = Math.min(30_000, (this.opts.retryBaseMs ?? 250) * 2 ** (attempt - 1));
    return cap / 2 + Math.random() * (cap / 2);
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < this.opts.maxInFlight) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inFlight--;
  }
}

interface BulkItem {
  status: number;
  error?: { type?: string; reason?: string };
}
const OK_ITEM: BulkItem = { status: 200 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
