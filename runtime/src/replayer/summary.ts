import type { RequestOutcome } from './outcome';
import { WRITE_OUTCOMES, WriteOutcome } from './write-plan';

const outcomeCounts = (): Record<WriteOutcome, number> => Object.fromEntries(WRITE_OUTCOMES.map((o) => [o, 0])) as Record<WriteOutcome, number>;

/** Running numbers for the periodic summary: counts, status agreement, latency percentiles. */
export class ReplaySummary {
  requests = 0;
  statusMatched = 0;
  statusDiffered = 0;
  /** Statuses that differ for a reason the versions explain (superseded, alreadyPresent, an earlier version not there): no difference to look at. */
  statusExplained = 0;
  /** Document writes by outcome (a _bulk counts once, by its most notable item). */
  readonly outcomes = outcomeCounts();
  /** The items of the _bulk requests, by outcome. */
  readonly bulkItemOutcomes = outcomeCounts();
  targetErrors = 0;
  transformErrors = 0;
  retries = 0;
  malformedRecords = 0;
  droppedPartialRequests = 0;
  /** TrafficStreams dropped as copies of ones already taken (same connection and chunk). */
  duplicateRecords = 0;
  /** Write requests the capture proxy never forwarded (rejected, or their client left): not replayed. */
  requestsNotForwarded = 0;
  /** Requests and _bulk items a transform chose not to send (a type mapped to no index). */
  droppedByTransform = 0;
  bulkItemsDroppedByTransform = 0;
  expired = 0;
  private sourceMs: number[] = [];
  private targetMs: number[] = [];

  /** One request's outcome, counted. */
  record(o: RequestOutcome): void {
    this.requests++;
    if (o.captured.expired) this.expired++;
    this.addLatency(o.sourceMs, o.targetMs);
    if (o.delivery === 'targetError') this.targetErrors++;
    if (o.status === 'matched') this.statusMatched++;
    else if (o.status === 'explained') this.statusExplained++;
    else if (o.status === 'differed') this.statusDiffered++;
    const plan = o.plan;
    if (plan) {
      this.outcomes[plan.outcome]++;
      if (plan.items) for (const item of plan.items) this.bulkItemOutcomes[item.outcome]++;
    }
  }

  private addLatency(sourceMs: number | undefined, targetMs: number | undefined): void {
    // A bounded reservoir: the summary needs percentiles, not every sample.
    if (sourceMs !== undefined) push(this.sourceMs, sourceMs);
    if (targetMs !== undefined) push(this.targetMs, targetMs);
  }

  snapshot(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      requests: this.requests,
      statusMatched: this.statusMatched,
      statusDiffered: this.statusDiffered,
      statusExplained: this.statusExplained,
      outcomes: { ...this.outcomes },
      bulkItemOutcomes: { ...this.bulkItemOutcomes },
      targetErrors: this.targetErrors,
      transformErrors: this.transformErrors,
      retries: this.retries,
      malformedRecords: this.malformedRecords,
      droppedPartialRequests: this.droppedPartialRequests,
      duplicateRecords: this.duplicateRecords,
      requestsNotForwarded: this.requestsNotForwarded,
      droppedByTransform: this.droppedByTransform,
      bulkItemsDroppedByTransform: this.bulkItemsDroppedByTransform,
      expired: this.expired,
      sourceLatencyMs: percentiles(this.sourceMs),
      targetLatencyMs: percentiles(this.targetMs),
      ...extra,
    };
  }
}

const RESERVOIR = 4096;

function push(samples: number[], value: number): void {
  if (samples.length < RESERVOIR) samples.push(value);
  else samples[Math.floor(Math.random() * RESERVOIR)] = value;
}

export function percentiles(samples: number[]): { p50: number; p99: number } | null {
  if (!samples.length) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
  return { p50: at(0.5), p99: at(0.99) };
}
