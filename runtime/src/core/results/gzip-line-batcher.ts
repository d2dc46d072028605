import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Told once whether a line is durable: no promise per line on a hot path. */
export interface LineListener {
  lineWritten(err?: Error): void;
}

/** Where results (tuples, failed documents) go: lines in, each told once it is durable. */
export interface LineSink {
  /** A line of JSON (no newline); the listener is told once it is durable. */
  writeLine(line: string, listener: LineListener): void;
  /** Resolves once the value, as one JSON line, is durable. */
  write(value: object): Promise<void>;
  /** Makes what is buffered durable and waits for it. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Lines made durable so far. */
  readonly written: number;
}

export interface BatchPolicy {
  /** How long a line may wait to be batched with others. */
  flushIntervalMs: number;
  /** A batch this big (uncompressed) is written at once. @default 4 MiB */
  maxBatchBytes?: number;
  /** A batch of this many lines is written at once. @default unbounded */
  maxBatchLines?: number;
}

/**
 * Lines batched into gzip members: each batch is compressed in the thread pool and handed to
 * persist() (append to a file, or a new object); its listeners are told only once persist()
 * resolved. A concatenation of members is one valid gzip stream, so every store reads back with
 * one gunzip.
 */
export abstract class GzipLineBatcher implements LineSink {
  /**
   * The batch, encoded as it comes: a line becomes garbage at once instead of living (and being
   * copied by the young-generation GC) until the flush, and no batch-sized string is joined.
   */
  private batch = Buffer.allocUnsafe(256 * 1024);
  private lineCount = 0;
  private waiters: LineListener[] = [];
  private bytesBuffered = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private readonly maxBatchBytes: number;
  private readonly maxBatchLines: number;
  written = 0;

  constructor(private readonly policy: BatchPolicy) {
    this.maxBatchBytes = policy.maxBatchBytes ?? 4 * 1024 * 1024;
    this.maxBatchLines = policy.maxBatchLines ?? Infinity;
  }

  /** Stores one complete gzip member holding `lines` lines; resolves once it is durable. */
  protected abstract persist(member: Buffer, lines: number): Promise<void>;

  /** Releases the store after the last persist. */
  protected async release(): Promise<void> {}

  write(value: object): Promise<void> {
    return new Promise((resolve, reject) => this.writeLine(JSON.stringify(value), { lineWritten: (err) => (err ? reject(err) : resolve()) }));
  }

  writeLine(line: string, listener: LineListener): void {
    // A UTF-8 byte is at most 3 per UTF-16 unit, plus the newline.
    const room = line.length * 3 + 1;
    if (this.bytesBuffered + room > this.batch.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.batch.length * 2, this.bytesBuffered + room));
      this.batch.copy(bigger, 0, 0, this.bytesBuffered);
      this.batch = bigger;
    }
    this.bytesBuffered += this.batch.write(line, this.bytesBuffered, 'utf8');
    this.batch[this.bytesBuffered++] = 0x0a;
    this.lineCount++;
    this.waiters.push(listener);
    if (this.bytesBuffered > this.maxBatchBytes || this.lineCount >= this.maxBatchLines) this.flushSoon(0);
    else this.flushSoon(this.policy.flushIntervalMs);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => this.writeBatch());
    await this.chain;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.release();
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.chain = this.chain.then(() => this.writeBatch());
    }, delayMs);
  }

  private async writeBatch(): Promise<void> {
    if (!this.lineCount) return;
    const text = this.batch.subarray(0, this.bytesBuffered);
    const count = this.lineCount;
    const waiters = this.waiters;
    // The next batch gets its own buffer: this one is read by gzip in the thread pool.
    this.batch = Buffer.allocUnsafe(Math.min(this.batch.length, 8 * 1024 * 1024));
    this.lineCount = 0;
    this.waiters = [];
    this.bytesBuffered = 0;
    try {
      // Level 1: a few times less CPU than the default 6 (it shares the cores with the sends) for
      // output about a fifth larger.
      await this.persist(await gzipAsync(text, { level: 1 }), count);
      this.written += count;
    } catch (err) {
      tell(waiters, err as Error);
      return;
    }
    tell(waiters);
  }
}

/** A listener that throws fails on its own (as a throwing promise handler would), not the batcher's chain. */
function tell(listeners: LineListener[], err?: Error): void {
  for (const l of listeners) {
    try {
      l.lineWritten(err);
    } catch (thrown) {
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }
}
