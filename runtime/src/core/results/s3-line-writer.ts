import { hostname } from 'node:os';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GzipLineBatcher } from './gzip-line-batcher';
import { objectKey, s3Client, S3Location } from './s3';

export interface S3LineWriterOptions {
  location: S3Location;
  /** The object names' stem: `tuples`, `failed-documents`. */
  kind: string;
  /** The objects' extension. @default .log.gz */
  extension?: string;
  /** Names this writer in the keys. @default the host name (one ECS task each) */
  writerId?: string;
  /** A closed object at least this often while lines come in. @default 5000 */
  maxBufferMs?: number;
  /** An object once the batch holds this many bytes uncompressed. @default 8 MiB */
  maxObjectBytes?: number;
  /** An object once the batch holds this many lines (keep it below what waits on them). */
  maxObjectLines?: number;
  /** A client of one's own (tests); otherwise one for the location. */
  client?: S3Client;
}

/**
 * JSON lines in S3: each batch becomes one closed gzip object, put before its lines' listeners
 * are told. Nothing is ever appended to an object, so a task that stops (or is killed) leaves
 * only whole objects behind, and a line whose listener was told is in one of them.
 */
export class S3LineWriter extends GzipLineBatcher {
  private seq = 0;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  private readonly writerId: string;

  constructor(private readonly opts: S3LineWriterOptions) {
    super({ flushIntervalMs: opts.maxBufferMs ?? 5000, maxBatchBytes: opts.maxObjectBytes ?? 8 * 1024 * 1024, maxBatchLines: opts.maxObjectLines });
    this.client = opts.client ?? s3Client(opts.location);
    this.ownsClient = !opts.client;
    this.writerId = opts.writerId ?? hostname();
  }

  protected async persist(member: Buffer): Promise<void> {
    const name = `${this.opts.kind}-${this.runId}-${String(++this.seq).padStart(6, '0')}${this.opts.extension ?? '.log.gz'}`;
    const key = objectKey(this.opts.location.prefix, this.writerId, new Date(), name);
    await this.client.send(new PutObjectCommand({ Bucket: this.opts.location.bucket, Key: key, Body: member, ContentType: 'application/gzip' }));
  }

  protected override async release(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}
