import { BaselineLearner, BaselineOptions, BaselineStats, isIdempotentRead, isLearned } from './baseline';
import { CLASS_LABELS, CLASSES, classify, endpointOf, RequestClass } from './classify';
import { Comparator, EXPECTED_REASONS, ExpectedReason, Verdict, VerdictKind } from './compare';
import { Exchange, toExchange } from './exchange';
import type { Difference } from './json-diff';
import { compileRule, DEFAULT_NOISE_RULES, NoiseRule } from './noise-rules';
import { describeLocation, readTupleRecords, TupleLocation } from './tuple-source';

export const VERDICTS: readonly VerdictKind[] = ['same', 'expected', 'different'];

/** Upper bounds (ms) of the latency histogram's buckets; the last bucket is everything above. */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

export interface LatencyStats {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  /** Requests per bucket of LATENCY_BUCKETS_MS, plus one for slower. */
  histogram: number[];
}

export interface Example {
  connectionId: string;
  method: string;
  uri: string;
  sourceStatus: number | null;
  targetStatus: number | null;
  detail?: string;
  differences: Difference[];
}

export interface TuplesReport {
  location: string;
  generatedAt: string;
  tuples: number;
  /** Lines that are JSON but not tuples. */
  skipped: number;
  totals: Record<VerdictKind, number>;
  byClass: ({ class: RequestClass; label: string; total: number } & Record<VerdictKind, number>)[];
  expectedReasons: { reason: ExpectedReason; text: string; count: number }[];
  /** Endpoints with different answers, most first, each with the paths that differ and one example. */
  topDifferent: { endpoint: string; class: RequestClass; count: number; paths: { path: string; count: number }[]; example: Example }[];
  statusMatrix: { source: number | null; target: number | null; count: number }[];
  latencyBucketsMs: number[];
  latency: { class: RequestClass; label: string; source: LatencyStats; target: LatencyStats }[];
  overTime: { axis: 'time' | 'sequence'; start: number; step: number; buckets: Record<VerdictKind, number>[] };
  noise: { rules: number; learned: { endpoint: string; paths: string[] }[] };
  baseline?: BaselineStats;
  warnings: string[];
}

export interface ReportOptions {
  /** The user's noise rules (--noise-rules), on top of the defaults. */
  rules?: NoiseRule[];
  floatTolerance?: number;
  /** Endpoints listed under topDifferent. @default 10 */
  top?: number;
  /** Buckets of the over-time chart. @default 60 */
  timeBuckets?: number;
}

/** A different answer held until learned noise is known. */
interface Held {
  ex: Exchange;
  cls: RequestClass;
  endpoint: string;
  verdict: Verdict;
}

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

class Samples {
  private values = new Float64Array(1024);
  private n = 0;
  add(v: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.n * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = v;
  }
  stats(): LatencyStats {
    const sorted = this.values.slice(0, this.n).sort();
    const histogram = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    for (const v of sorted) {
      let b = 0;
      while (b < LATENCY_BUCKETS_MS.length && v > LATENCY_BUCKETS_MS[b]) b++;
      histogram[b]++;
    }
    return { count: this.n, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: this.n ? sorted[this.n - 1] : null, histogram };
  }
}

/**
 * Turns exchanges into the report: a verdict for each (held back, when noise is still to be
 * learned, if it differs), counted by class, reason, endpoint, status pair and time. Pure: the
 * reading and the source requests are the caller's.
 */
export class ReportBuilder {
  readonly comparator: Comparator;
  private readonly totals: Record<VerdictKind, number> = { same: 0, expected: 0, different: 0 };
  private readonly byClass = new Map<RequestClass, Record<VerdictKind, number>>();
  private readonly reasons = new Map<ExpectedReason, number>();
  private readonly endpoints = new Map<string, { class: RequestClass; count: number; paths: Map<string, number>; example: Example }>();
  private readonly status = new Map<string, { source: number | null; target: number | null; count: number }>();
  private readonly latency = new Map<RequestClass, { source: Samples; target: Samples }>();
  private readonly held: Held[] = [];
  private xs = new Float64Array(1024);
  private vs = new Uint8Array(1024);
  private points = 0;
  private allTimed = true;
  private tuples = 0;
  skipped = 0;
  readonly warnings: string[] = [];

  constructor(private readonly opts: ReportOptions = {}) {
    const rules = [...DEFAULT_NOISE_RULES, ...(opts.rules ?? [])];
    this.comparator = new Comparator({ rules: rules.map((r, i) => compileRule(r, `noise rule ${i + 1}`)), floatTolerance: opts.floatTolerance });
    this.ruleCount = rules.length;
  }

  private readonly ruleCount: number;

  /** One tuple (any form); returns the exchange and its class, or undefined when it is not a tuple. */
  addTuple(tuple: unknown, holdReads: boolean): { ex: Exchange; cls: RequestClass; endpoint: string } | undefined {
    const ex = toExchange(tuple, this.tuples + this.skipped);
    if (!ex) {
      this.skipped++;
      return undefined;
    }
    this.tuples++;
    const cls = classify(ex.method, ex.path);
    const endpoint = endpointOf(ex.method, ex.path);
    const verdict = this.comparator.compare(ex, cls);
    this.record(ex, cls);
    if (verdict.verdict === 'different' && holdReads && isIdempotentRead(ex, cls)) this.held.push({ ex, cls, endpoint, verdict });
    else this.count(ex, cls, endpoint, verdict);
    return { ex, cls, endpoint };
  }

  /** The report, with learned noise applied to the answers held back. */
  finish(location: string, learned = new Map<string, Set<string>>(), baseline?: BaselineStats): TuplesReport {
    for (const h of this.held) {
      const left = h.verdict.differences.filter((d) => !isLearned(d.shape, learned.get(h.endpoint)));
      this.count(h.ex, h.cls, h.endpoint, left.length ? { ...h.verdict, differences: left } : { verdict: 'same', differences: [] });
    }
    this.held.length = 0;
    const top = this.opts.top ?? 10;
    return {
      location,
      generatedAt: new Date().toISOString(),
      tuples: this.tuples,
      skipped: this.skipped,
      totals: { ...this.totals },
      byClass: CLASSES.filter((c) => this.byClass.has(c)).map((c) => {
        const v = this.byClass.get(c)!;
        return { class: c, label: CLASS_LABELS[c], total: v.same + v.expected + v.different, ...v };
      }),
      expectedReasons: [...this.reasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, text: EXPECTED_REASONS[reason], count })),
      topDifferent: [...this.endpoints.entries()]
        .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
        .slice(0, top)
        .map(([endpoint, e]) => ({ endpoint, class: e.class, count: e.count, paths: [...e.paths.entries()].sort((a, b) => b[1] - a[1]).map(([path, count]) => ({ path, count })), example: e.example })),
      statusMatrix: [...this.status.values()].sort((a, b) => b.count - a.count),
      latencyBucketsMs: LATENCY_BUCKETS_MS,
      latency: CLASSES.filter((c) => this.latency.has(c)).map((c) => ({ class: c, label: CLASS_LABELS[c], source: this.latency.get(c)!.source.stats(), target: this.latency.get(c)!.target.stats() })),
      overTime: this.overTime(),
      noise: { rules: this.ruleCount, learned: [...learned.entries()].filter(([, p]) => p.size).map(([endpoint, p]) => ({ endpoint, paths: [...p].sort() })) },
      baseline,
      warnings: [...this.warnings],
    };
  }

  /** What does not depend on the verdict: status pairs and latencies. */
  private record(ex: Exchange, cls: RequestClass): void {
    const s = ex.source?.status ?? null;
    const t = ex.target?.status ?? null;
    const key = `${s}/${t}`;
    const cell = this.status.get(key);
    if (cell) cell.count++;
    else this.status.set(key, { source: s, target: t, count: 1 });
    let l = this.latency.get(cls);
    if (!l) this.latency.set(cls, (l = { source: new Samples(), target: new Samples() }));
    if (ex.source?.ms !== undefined) l.source.add(ex.source.ms);
    if (ex.target?.ms !== undefined) l.target.add(ex.target.ms);
  }

  private count(ex: Exchange, cls: RequestClass, endpoint: string, v: Verdict): void {
    this.totals[v.verdict]++;
    let c = this.byClass.get(cls);
    if (!c) this.byClass.set(cls, (c = { same: 0, expected: 0, different: 0 }));
    c[v.verdict]++;
    if (v.verdict === 'expected' && v.reason) this.reasons.set(v.reason, (this.reasons.get(v.reason) ?? 0) + 1);
    if (v.verdict === 'different') {
      let e = this.endpoints.get(endpoint);
      if (!e) {
        e = {
          class: cls,
          count: 0,
          paths: new Map(),
          example: { connectionId: ex.connectionId, method: ex.method, uri: ex.uri, sourceStatus: ex.source?.status ?? null, targetStatus: ex.target?.status ?? null, detail: v.detail, differences: v.differences },
        };
        this.endpoints.set(endpoint, e);
      }
      e.count++;
      for (const shape of new Set(v.differences.map((d) => d.shape))) e.paths.set(shape, (e.paths.get(shape) ?? 0) + 1);
    }
    if (this.points === this.xs.length) {
      const xs = new Float64Array(this.points * 2);
      xs.set(this.xs);
      this.xs = xs;
      const vs = new Uint8Array(this.points * 2);
      vs.set(this.vs);
      this.vs = vs;
    }
    if (ex.at === undefined) this.allTimed = false;
    this.xs[this.points] = ex.at ?? ex.seq;
    this.vs[this.points++] = VERDICTS.indexOf(v.verdict);
  }

  private overTime(): TuplesReport['overTime'] {
    const n = this.opts.timeBuckets ?? 60;
    const axis = this.allTimed && this.points > 0 ? 'time' : 'sequence';
    // Without a timestamp on every tuple, the order they were read in stands for time.
    const x = (i: number) => (axis === 'time' ? this.xs[i] : i);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < this.points; i++) {
      min = Math.min(min, x(i));
      max = Math.max(max, x(i));
    }
    if (this.points === 0) return { axis, start: 0, step: 1, buckets: [] };
    const step = Math.max(axis === 'time' ? 1 : 1, (max - min + 1) / n);
    const buckets = Array.from({ length: Math.min(n, Math.ceil((max - min + 1) / step)) }, () => ({ same: 0, expected: 0, different: 0 }));
    for (let i = 0; i < this.points; i++) {
      const b = Math.min(buckets.length - 1, Math.floor((x(i) - min) / step));
      buckets[b][VERDICTS[this.vs[i]]]++;
    }
    return { axis, start: min, step, buckets };
  }
}

export interface BuildReportOptions extends ReportOptions {
  location: TupleLocation;
  /** Learn noise from the source's own second answers (--baseline source). */
  baseline?: BaselineOptions;
}

/** Reads every tuple at a location and reports on them. */
export async function buildReport(opts: BuildReportOptions): Promise<TuplesReport> {
  const builder = new ReportBuilder(opts);
  const learner = opts.baseline ? new BaselineLearner(builder.comparator, opts.baseline) : undefined;
  for await (const tuple of readTupleRecords(opts.location, builder.warnings)) {
    const added = builder.addTuple(tuple, learner !== undefined);
    if (added && learner) await learner.consider(added.ex, added.cls, added.endpoint);
  }
  if (builder.skipped) builder.warnings.push(`${builder.skipped} JSON values were not tuples (no sourceRequest, targetRequest or connectionId) and were skipped`);
  const learned = learner ? await learner.finish() : undefined;
  return builder.finish(describeLocation(opts.location), learned, learner?.stats);
}
