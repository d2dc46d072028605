import { gunzipSync } from 'node:zlib';
import { GzipLineBatcher } from '../../../runtime/src/core/results/gzip-line-batcher';
import { objectKey, s3Location } from '../../../runtime/src/core/results/s3';

/** A store that keeps each member in memory and fails when told to. */
class MemoryBatcher extends GzipLineBatcher {
  readonly members: string[][] = [];
  failNext = false;
  protected async persist(member: Buffer, lines: number): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store is down');
    }
    const text = gunzipSync(member).toString('utf8');
    const got = text.split('\n').filter(Boolean);
    expect(got).toHaveLength(lines);
    this.members.push(got);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gzip line batcher', () => {
  it('tells each line only after the member holding it is stored', async () => {
    const b = new MemoryBatcher({ flushIntervalMs: 30 });
    const told: string[] = [];
    b.writeLine('{"a":1}', { lineWritten: () => told.push('a') });
    b.writeLine('{"b":2}', { lineWritten: () => told.push('b') });
    expect(told).toEqual([]);
    await sleep(100);
    expect(told).toEqual(['a', 'b']);
    expect(b.members).toEqual([['{"a":1}', '{"b":2}']]);
    expect(b.written).toBe(2);
  });

  it('stores a batch at once when it reaches its line bound, without waiting for the clock', async () => {
    const b = new MemoryBatcher({ flushIntervalMs: 60_000, maxBatchLines: 3 });
    const done = Promise.all([1, 2, 3].map((n) => b.write({ n })));
    await done;
    expect(b.members).toEqual([['{"n":1}', '{"n":2}', '{"n":3}']]);
    await b.close();
  });

  it('fails the lines of a batch the store refused, and keeps going with the next', async () => {
    const b = new MemoryBatcher({ flushIntervalMs: 10 });
    b.failNext = true;
    await expect(b.write({ n: 1 })).rejects.toThrow('store is down');
    await b.write({ n: 2 });
    expect(b.members).toEqual([['{"n":2}']]);
    expect(b.written).toBe(1);
  });

  it('flush() and close() store what is buffered', async () => {
    const b = new MemoryBatcher({ flushIntervalMs: 60_000 });
    const p = b.write({ n: 1 });
    await b.close();
    await p;
    expect(b.members).toHaveLength(1);
  });
});

describe('S3 result locations', () => {
  it('lay objects out by writer and hour, as the reference does', () => {
    expect(objectKey('tuples/', 'ip-10-0-1-2.ec2.internal', new Date('2026-12-01T09:05:00Z'), 'tuples-x-000001.log.gz')).toBe('tuples/ip-10-0-1-2.ec2.internal/2026/12/01/09/tuples-x-000001.log.gz');
    expect(objectKey('', 'a b/c', new Date('2026-01-02T03:00:00Z'), 'n')).toBe('a_b_c/2026/01/02/03/n');
  });

  it('give the prefix its trailing slash and check the bucket name', () => {
    expect(s3Location('--b', 'results', '/run-1', 'us-east-1', undefined).prefix).toBe('run-1/');
    expect(s3Location('--b', 'results', '', 'us-east-1', undefined).prefix).toBe('');
    expect(() => s3Location('--tuple-s3-bucket', 'Bad_Bucket', undefined, undefined, undefined)).toThrow(/--tuple-s3-bucket must be an S3 bucket name/);
  });
});
