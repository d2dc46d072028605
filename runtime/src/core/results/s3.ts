import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors';

/** Results in S3: objects under `prefix` in `bucket`. */
export interface S3Location {
  bucket: string;
  /** Key prefix; ends with "/" unless empty. */
  prefix: string;
  region?: string;
  /** An S3-compatible endpoint instead of AWS's (moto, MinIO, LocalStack). */
  endpoint?: string;
}

/** A location from flags: checks the bucket name and gives the prefix its trailing slash. */
export function s3Location(flag: string, bucket: string, prefix: string | undefined, region: string | undefined, endpoint: string | undefined): S3Location {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`${flag} must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens; got "${bucket}")`);
  if (endpoint !== undefined) {
    try {
      new URL(endpoint);
    } catch {
      throw new ConfigError(`${flag.replace(/bucket$/, 'endpoint')} must be a URL such as http://localhost:5000 (got "${endpoint}")`);
    }
  }
  const p = (prefix ?? '').replace(/^\/+/, '');
  return { bucket, prefix: p === '' || p.endsWith('/') ? p : `${p}/`, region, endpoint };
}

export function s3Client(loc: S3Location): S3Client {
  return new S3Client({
    region: loc.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    endpoint: loc.endpoint,
    // Emulators and MinIO serve buckets as paths, not as host names.
    forcePathStyle: loc.endpoint !== undefined,
    maxAttempts: 5,
  });
}

/**
 * `<prefix><writer>/<yyyy>/<MM>/<dd>/<HH>/<name>`, as the reference lays out its tuple objects:
 * one writer's objects sort by time, and a listing by prefix narrows to a writer or an hour.
 */
export function objectKey(prefix: string, writer: string, at: Date, name: string): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const hour = `${at.getUTCFullYear()}/${two(at.getUTCMonth() + 1)}/${two(at.getUTCDate())}/${two(at.getUTCHours())}`;
  return `${prefix}${writer.replace(/[^A-Za-z0-9._-]/g, '_')}/${hour}/${name}`;
}

/** Every object key under the location's prefix, in key order. */
export async function listKeys(client: S3Client, loc: S3Location): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function getObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** An AWS error as one line: its name and message, never its request details. */
export function awsErrorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
}
