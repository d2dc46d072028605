import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { gunzipSync, createGunzip } from 'node:zlib';
import { ConfigError } from '../core/errors';

/** One replayed request as the replayer writes it (see DESIGN.md, Tuples). */
export interface Tuple {
  connectionId: string;
  sourceRequest?: Record<string, unknown>;
  sourceResponse?: Record<string, unknown>;
  targetRequest?: Record<string, unknown>;
  targetResponses?: Record<string, unknown>[];
  numRequests?: number;
  numErrors?: number;
  error?: string | null;
}

/** Tuple files in the order they were written: *.log.gz (the replayer's), *.jsonl, gzip or not. */
export function tupleFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new ConfigError(`tuple directory ${dir} does not exist: point --tuple-dir at the replayer's --tuple-dir`);
  return readdirSync(dir)
    .filter((f) => /\.(jsonl|log)(\.gz)?$/.test(f))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs || a.localeCompare(b));
}

export async function* readTuples(dir: string): AsyncGenerator<Tuple> {
  for (const file of tupleFiles(dir)) {
    const raw = createReadStream(file);
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    try {
      for await (const line of lines) if (line.trim()) yield JSON.parse(line) as Tuple;
    } catch (err) {
      // A file still being written ends mid-gzip-block: what was read so far counts.
      if ((err as NodeJS.ErrnoException).code !== 'Z_BUF_ERROR') throw err;
    }
  }
}

function status(msg: Record<string, unknown> | undefined): number | undefined {
  const s = msg?.['Status-Code'];
  return s === undefined ? undefined : Number(s);
}

export interface TupleSummary {
  tuples: number;
  statusMatches: number;
  statusMismatches: number;
  errors: number;
  /** "source->target" status pairs with their counts, mismatches first. */
  statusPairs: { source: number | null; target: number | null; method: string; count: number }[];
  sourceLatencyMsP50: number | null;
  targetLatencyMsP50: number | null;
}

export async function summarizeTuples(dir: string): Promise<TupleSummary> {
  const pairs = new Map<string, { source: number | null; target: number | null; method: string; count: number }>();
  const sourceMs: number[] = [];
  const targetMs: number[] = [];
  let tuples = 0;
  let matches = 0;
  let errors = 0;
  for await (const t of readTuples(dir)) {
    tuples++;
    const last = t.targetResponses?.[t.targetResponses.length - 1];
    const s = status(t.sourceResponse) ?? null;
    const g = status(last) ?? null;
    if (s !== null && s === g) matches++;
    if (t.error) errors++;
    const method = String(t.sourceRequest?.Method ?? t.targetRequest?.Method ?? '?');
    const key = `${method} ${s} ${g}`;
    const entry = pairs.get(key) ?? { source: s, target: g, method, count: 0 };
    entry.count++;
    pairs.set(key, entry);
    if (typeof t.sourceResponse?.response_time_ms === 'number') sourceMs.push(t.sourceResponse.response_time_ms);
    if (typeof last?.response_time_ms === 'number') targetMs.push(last.response_time_ms);
  }
  const statusPairs = [...pairs.values()].sort((a, b) => Number(a.source === a.target) - Number(b.source === b.target) || b.count - a.count);
  return { tuples, statusMatches: matches, statusMismatches: tuples - matches, errors, statusPairs, sourceLatencyMsP50: median(sourceMs), targetLatencyMsP50: median(targetMs) };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A body as a person reads it: JSON pretty, NDJSON line by line, gzip undone; bytes stay base64. */
export function decodeBody(base64: string | undefined, headers: Record<string, unknown> = {}): string {
  if (!base64) return '';
  let bytes = Buffer.from(base64, 'base64');
  const encoding = String(headerValue(headers, 'content-encoding') ?? '');
  if (/gzip/i.test(encoding)) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      return `<gzip body that does not decompress, ${bytes.length} bytes>`;
    }
  }
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) return `<binary body, ${bytes.length} bytes>`;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function headerValue(headers: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}
