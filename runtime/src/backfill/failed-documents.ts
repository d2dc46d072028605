import { readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { ConfigError, UserError } from '../core/errors';
import { awsErrorText, getObject, listKeys, s3Client, S3Location } from '../core/results/s3';
import { S3LineWriter } from '../core/results/s3-line-writer';

/** A document the target refused, with the reason (one JSON line each). */
export interface FailedDocument {
  index: string;
  id: string;
  routing?: string;
  status: number;
  type: string;
  reason: string;
  source: string;
}

/** Where refused documents go; append() resolves once they are durable. */
export interface FailedDocumentSink {
  append(docs: FailedDocument[]): Promise<void>;
  close(): Promise<void>;
  /** Where to look, for messages: a path or s3://bucket/prefix. */
  readonly where: string;
}

/** JSON lines appended to a local file. */
export class FileFailedDocuments implements FailedDocumentSink {
  constructor(readonly where: string) {}

  async append(docs: FailedDocument[]): Promise<void> {
    await appendFile(this.where, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  }

  async close(): Promise<void> {}
}

/** Closed gzip objects in S3, one every few seconds while documents are refused. */
export class S3FailedDocuments implements FailedDocumentSink {
  readonly where: string;
  private readonly writer: S3LineWriter;

  constructor(location: S3Location, opts: { writerId?: string; maxBufferMs?: number } = {}) {
    this.where = `s3://${location.bucket}/${location.prefix}`;
    this.writer = new S3LineWriter({ location, kind: 'failed-documents', extension: '.jsonl.gz', writerId: opts.writerId, maxBufferMs: opts.maxBufferMs });
  }

  async append(docs: FailedDocument[]): Promise<void> {
    await Promise.all(docs.map((d) => this.writer.write(d)));
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/** `index\0id` of every failed document recorded at a path or under an S3 prefix. */
export async function readFailedIds(from: { file?: string; s3?: S3Location }): Promise<Set<string>> {
  const ids = new Set<string>();
  const add = (text: string, where: string) => {
    text.split('\n').forEach((line, i) => {
      if (!line.trim()) return;
      let d: { index?: unknown; id?: unknown };
      try {
        d = JSON.parse(line);
      } catch {
        throw new ConfigError(`${where} line ${i + 1} is not a failed-document JSON line: is this the backfill's failed-documents output?`);
      }
      ids.add(`${d.index}\u0000${d.id}`);
    });
  };
  if (from.file) {
    let text: string;
    try {
      text = readFileSync(from.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read --failed-documents-file ${from.file}: ${(err as NodeJS.ErrnoException).code}`);
    }
    add(text, from.file);
  }
  if (from.s3) {
    const client = s3Client(from.s3);
    try {
      for (const { key } of await listKeys(client, from.s3)) {
        const where = `s3://${from.s3.bucket}/${key}`;
        let text: string;
        try {
          text = gunzipSync(await getObject(client, from.s3.bucket, key)).toString('utf8');
        } catch (err) {
          if (err instanceof Error && 'errno' in err) throw new ConfigError(`${where} is not a whole gzip object (${err.message})`);
          throw err;
        }
        add(text, where);
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new UserError('AWS_CALL_FAILED', `cannot read the failed documents in s3://${from.s3.bucket}/${from.s3.prefix}: ${awsErrorText(err)}`);
    } finally {
      client.destroy();
    }
  }
  return ids;
}
