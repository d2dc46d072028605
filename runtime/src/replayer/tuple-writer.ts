import { mkdirSync } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { GzipLineBatcher, LineSink } from '../core/results/gzip-line-batcher';

export type { LineListener } from '../core/results/gzip-line-batcher';
/** Where the replayer's tuples go: a directory (TupleWriter) or S3 (S3LineWriter). */
export type TupleSink = LineSink;

export interface TupleWriterOptions {
  dir: string;
  /** A new file once the current one holds this many compressed bytes. @default 64 MiB */
  maxFileBytes?: number;
  /** How long tuples may wait to be batched into one write. @default 100 */
  flushIntervalMs?: number;
}

/**
 * Tuples as JSON lines in rotated gzip files. Each flush appends one complete gzip member and
 * fsyncs before its writers are told: a tuple is durable when write() resolves, and a file cut by
 * a crash is still readable up to its last whole member (gunzip reads concatenated members).
 */
export class TupleWriter extends GzipLineBatcher {
  private file?: FileHandle;
  private fileBytes = 0;
  private fileSeq = 0;
  private readonly maxFileBytes: number;
  private readonly runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;

  constructor(private readonly opts: TupleWriterOptions) {
    super({ flushIntervalMs: opts.flushIntervalMs ?? 100 });
    mkdirSync(opts.dir, { recursive: true });
    this.maxFileBytes = opts.maxFileBytes ?? 64 * 1024 * 1024;
  }

  protected async persist(member: Buffer): Promise<void> {
    if (!this.file || this.fileBytes >= this.maxFileBytes) await this.rotate();
    await this.file!.write(member);
    await this.file!.datasync();
    this.fileBytes += member.length;
  }

  protected override async release(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }

  private async rotate(): Promise<void> {
    await this.file?.close();
    const name = `tuples-${this.runId}-${String(++this.fileSeq).padStart(4, '0')}.log.gz`;
    this.file = await open(join(this.opts.dir, name), 'a');
    this.fileBytes = 0;
  }
}
