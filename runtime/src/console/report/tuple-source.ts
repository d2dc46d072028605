import { createReadStream, readdirSync, statSync, Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { ConfigError, UserError } from '../../core/errors';
import { awsErrorText, getObject, listKeys, s3Client, s3Location, S3Location } from '../../core/results/s3';
import type { ServicesYaml } from '../../core/services-yaml';

/** Where tuples are: a directory (the replayer's --tuple-dir) or an S3 prefix (its --tuple-s3-*). */
export type TupleLocation = { dir: string } | { s3: S3Location };

export function describeLocation(loc: TupleLocation): string {
  return 'dir' in loc ? loc.dir : `s3://${loc.s3.bucket}/${loc.s3.prefix}`;
}

/** Tuple files: ours (*.log.gz), the reference's logs, JSON lines or a JSON array, gzip or not. */
const TUPLE_FILE = /\.(log|jsonl|ndjson|json)(\.gz)?$/;

/** A file written to this recently may still be growing: a cut at its end is a warning, not an error. */
const STILL_WRITTEN_MS = 10_000;

/** Tuple files under a directory (and its subdirectories, as an S3 prefix copied down), in path order. */
export function tupleFiles(dir: string): string[] {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    throw new ConfigError(`tuple directory ${dir} does not exist: point --tuple-dir at the replayer's --tuple-dir`);
  }
  if (!st.isDirectory()) throw new ConfigError(`${dir} is a file, not a directory: --tuple-dir takes the directory the replayer writes (its --tuple-dir), not one file in it`);
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 8) walk(p, depth + 1);
      else if (e.isFile() && TUPLE_FILE.test(e.name)) out.push(p);
    }
  };
  walk(dir, 0);
  if (out.length === 0) throw new ConfigError(`${dir} holds no tuple files (tuples-*.log.gz, *.jsonl, *.json): is it the replayer's --tuple-dir, and has the replayer written anything yet?`);
  return out.sort();
}

/** Bad input, as a usage error is: the caller must point at other files or repair these. */
export class TruncatedTuplesError extends ConfigError {
  constructor(where: string, read: number) {
    super(`${where} is cut off after ${read} tuples (an incomplete gzip stream): a replayer killed while writing it, or a copy that did not finish; copy it again, or move it aside to report on the rest`);
  }
}

function badLine(where: string, line: number, err: unknown): ConfigError {
  return new ConfigError(`${where} line ${line} is not a tuple (JSON): ${(err as Error).message.slice(0, 120)}; tuple files hold one JSON object a line or one JSON array`);
}

/**
 * Lines of text as tuples: one JSON object a line, or (when the text starts with "[") one JSON
 * array of them, as the reference's tools also write.
 */
async function* parseLines(lines: AsyncIterable<string> | Iterable<string>, where: string): AsyncGenerator<unknown> {
  let n = 0;
  let array: string[] | undefined;
  for await (const line of lines) {
    n++;
    if (array) {
      array.push(line);
      continue;
    }
    const t = line.trim();
    if (!t) continue;
    if (t.startsWith('[')) {
      array = [line];
      continue;
    }
    try {
      yield JSON.parse(t);
    } catch (err) {
      throw badLine(where, n, err);
    }
  }
  if (array) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(array.join('\n'));
    } catch (err) {
      throw badLine(where, 1, err);
    }
    if (!Array.isArray(parsed)) throw badLine(where, 1, new Error('not an array'));
    yield* parsed;
  }
}

/** Lines of a text stream; a few times cheaper than readline's per-line regex and events. */
async function* linesOf(input: Readable): AsyncGenerator<string> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      yield text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest) yield rest;
}

async function* readFile(file: string, warnings: string[]): AsyncGenerator<unknown> {
  const raw = createReadStream(file, { highWaterMark: 1024 * 1024 });
  const gz = file.endsWith('.gz');
  const input: Readable = gz ? raw.pipe(createGunzip({ chunkSize: 1024 * 1024 })) : raw;
  raw.on('error', (err) => input.destroy(err));
  const lines = linesOf(input);
  let read = 0;
  try {
    for await (const t of parseLines(lines, file)) {
      read++;
      yield t;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR') {
      if (Date.now() - statSync(file).mtimeMs < STILL_WRITTEN_MS) {
        warnings.push(`${file} is still being written: its tuples after the first ${read} count once the replayer has finished writing them`);
        return;
      }
      throw new TruncatedTuplesError(file, read);
    }
    if (code === 'Z_DATA_ERROR') throw new ConfigError(`${file} is not gzip data (${(err as Error).message}): a .gz tuple file must be gzip`);
    throw err;
  } finally {
    // A reader that stops early (show --limit) leaves the rest unread: whatever the streams say now is no one's error.
    await lines.return(undefined);
    for (const s of [input, raw]) {
      s.on('error', () => undefined);
      s.destroy();
    }
  }
}

async function* readS3(loc: S3Location): AsyncGenerator<unknown> {
  const client = s3Client(loc);
  const where = `s3://${loc.bucket}/${loc.prefix}`;
  try {
    let keys: { key: string }[];
    try {
      keys = (await listKeys(client, loc)).filter((k) => TUPLE_FILE.test(k.key));
    } catch (err) {
      throw new UserError('AWS_CALL_FAILED', `cannot list ${where}: ${awsErrorText(err)}`);
    }
    if (keys.length === 0) throw new ConfigError(`${where} holds no tuple objects: is it the replayer's --tuple-s3-bucket and --tuple-s3-prefix, and has the replayer written anything yet?`);
    for (const { key } of keys) {
      const name = `s3://${loc.bucket}/${key}`;
      let bytes: Buffer;
      try {
        bytes = await getObject(client, loc.bucket, key);
      } catch (err) {
        throw new UserError('AWS_CALL_FAILED', `cannot read ${name}: ${awsErrorText(err)}`);
      }
      let text: string;
      try {
        text = (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') throw new TruncatedTuplesError(name, 0);
        throw new ConfigError(`${name} is not gzip data (${(err as Error).message})`);
      }
      yield* parseLines(text.split('\n'), name);
    }
  } finally {
    client.destroy();
  }
}

/** Every tuple at a location, as parsed JSON; warnings collects what was skipped and why. */
export async function* readTupleRecords(loc: TupleLocation, warnings: string[] = []): AsyncGenerator<unknown> {
  if ('s3' in loc) {
    yield* readS3(loc.s3);
    return;
  }
  for (const file of tupleFiles(loc.dir)) yield* readFile(file, warnings);
}

/** The flags that name a tuple location, as the replayer's own. */
export interface TupleLocationFlags {
  tupleDir?: string;
  tupleS3Bucket?: string;
  tupleS3Prefix?: string;
  tupleS3Region?: string;
  tupleS3Endpoint?: string;
}

/** Flags first, then services.yaml's `tuples` section; neither is a usage error naming both. */
export function resolveTupleLocation(flags: TupleLocationFlags, yamlTuples?: ServicesYaml['tuples']): TupleLocation {
  if (flags.tupleDir && flags.tupleS3Bucket) throw new ConfigError('give --tuple-dir or --tuple-s3-bucket, not both');
  if (flags.tupleDir) return { dir: flags.tupleDir };
  if (flags.tupleS3Bucket) return { s3: s3Location('--tuple-s3-bucket', flags.tupleS3Bucket, flags.tupleS3Prefix ?? 'tuples/', flags.tupleS3Region, flags.tupleS3Endpoint) };
  if (yamlTuples?.directory) return { dir: yamlTuples.directory };
  if (yamlTuples?.s3) return { s3: s3Location('tuples.s3.bucket', yamlTuples.s3.bucket, yamlTuples.s3.prefix, yamlTuples.s3.region, yamlTuples.s3.endpoint) };
  throw new ConfigError('no tuples to read: pass --tuple-dir DIR (the replayer\'s --tuple-dir) or --tuple-s3-bucket BUCKET [--tuple-s3-prefix P], or name them in services.yaml (tuples: {s3: {bucket, prefix}} or {directory})');
}
