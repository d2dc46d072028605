import { ConfigError } from '../core/errors';
import { classify } from './report/classify';
import type { VerdictKind } from './report/compare';
import { Body, bodyOf, isNdjsonPath, toExchange } from './report/exchange';
import type { Difference } from './report/json-diff';
import { ReportBuilder } from './report/report';
import { describeLocation, readTupleRecords, TupleLocation } from './report/tuple-source';

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

function noTuples(loc: TupleLocation): ConfigError {
  return new ConfigError(`${describeLocation(loc)} holds no tuples (its files hold no JSON object with a sourceRequest, targetRequest or connectionId)`);
}

/** Status codes and latency: the quick look (`tuples report` compares the answers themselves). */
export async function summarizeTuples(loc: TupleLocation): Promise<TupleSummary> {
  const pairs = new Map<string, { source: number | null; target: number | null; method: string; count: number }>();
  const sourceMs: number[] = [];
  const targetMs: number[] = [];
  let tuples = 0;
  let matches = 0;
  let errors = 0;
  for await (const t of readTupleRecords(loc)) {
    const ex = toExchange(t, tuples);
    if (!ex) continue;
    tuples++;
    const s = ex.source?.status ?? null;
    const g = ex.target?.status ?? null;
    if (s !== null && s === g) matches++;
    if (ex.error) errors++;
    const key = `${ex.method} ${s} ${g}`;
    const entry = pairs.get(key) ?? { source: s, target: g, method: ex.method, count: 0 };
    entry.count++;
    pairs.set(key, entry);
    if (ex.source?.ms !== undefined) sourceMs.push(ex.source.ms);
    if (ex.target?.ms !== undefined) targetMs.push(ex.target.ms);
  }
  if (tuples === 0) throw noTuples(loc);
  const statusPairs = [...pairs.values()].sort((a, b) => Number(a.source === a.target) - Number(b.source === b.target) || b.count - a.count);
  return { tuples, statusMatches: matches, statusMismatches: tuples - matches, errors, statusPairs, sourceLatencyMsP50: median(sourceMs), targetLatencyMsP50: median(targetMs) };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A body as a person reads it: JSON pretty, NDJSON line by line; binary as its size. */
export function prettyBody(b: Body): string {
  switch (b.kind) {
    case 'none':
      return '';
    case 'json':
      return JSON.stringify(b.value, null, 2);
    case 'ndjson':
      return b.values.map((v) => JSON.stringify(v)).join('\n');
    case 'text':
      return b.text;
    case 'binary':
      return `<binary body, ${b.bytes} bytes>`;
  }
}

export interface ShownTuple {
  connectionId: string;
  request: string;
  requestBody: string;
  sourceStatus?: number;
  sourceBody: string;
  targetStatus?: number;
  targetBody: string;
  error?: string;
  verdict?: VerdictKind;
  reason?: string;
  differences?: Difference[];
}

export interface ShowOptions {
  limit: number;
  /** Only requests whose status codes differ. */
  mismatches?: boolean;
  /** Only requests with this verdict of `tuples report`, with its differences. */
  verdict?: VerdictKind;
}

/** Requests with both answers, bodies decoded, from any tuple form (ours, the reference's). */
export async function showTuples(loc: TupleLocation, opts: ShowOptions): Promise<ShownTuple[]> {
  const shown: ShownTuple[] = [];
  const comparator = opts.verdict ? new ReportBuilder().comparator : undefined;
  let n = 0;
  let seen = 0;
  for await (const t of readTupleRecords(loc)) {
    const ex = toExchange(t, n++);
    if (!ex) continue;
    seen++;
    if (opts.mismatches && ex.source?.status === ex.target?.status) continue;
    let verdict: ReturnType<NonNullable<typeof comparator>['compare']> | undefined;
    if (comparator) {
      verdict = comparator.compare(ex, classify(ex.method, ex.path));
      if (verdict.verdict !== opts.verdict) continue;
    }
    shown.push({
      connectionId: ex.connectionId,
      request: `${ex.method} ${ex.uri}`,
      requestBody: prettyBody(bodyOf(ex.request, isNdjsonPath(ex.path))),
      sourceStatus: ex.source?.status,
      sourceBody: prettyBody(bodyOf(ex.source?.message)),
      targetStatus: ex.target?.status,
      targetBody: prettyBody(bodyOf(ex.target?.message)),
      error: ex.error,
      ...(verdict ? { verdict: verdict.verdict, reason: verdict.reason, differences: verdict.differences } : {}),
    });
    if (shown.length >= opts.limit) break;
  }
  if (seen === 0) throw noTuples(loc);
  return shown;
}
