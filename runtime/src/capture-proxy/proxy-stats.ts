/** Plain counters bumped on the hot path; /metrics reads them when scraped. */
export class ProxyStats {
  connectionsOpened = 0;
  connectionsActive = 0;
  bytesFromClients = 0;
  bytesFromSource = 0;
  requests = 0;
  requestsCaptured = 0;
  requestsSuppressed = 0;
  requestsUncapturedUpgrade = 0;
  malformedConnections = 0;
  mutatingHeld = 0;
  /** Held writes forwarded after the ack timeout, their capture fsync'd to the journal first. */
  mutatingForwardedWithoutAck = 0;
  /** Held writes let through by a journal fsync (Kafka away, --unackedCapturePolicy forward). */
  journalAcks = 0;
  /** Connections closed because a request head did not complete within --headerTimeoutMs. */
  headerTimeouts = 0;
  mutatingRejected = 0;
  /** Held mutating requests whose client hung up first: the source never got them. */
  mutatingAbandoned = 0;
  recordsSubmitted = 0;
  recordsAcked = 0;
  /** Produce requests sent to Kafka (records / produces = how much each group commit carried). */
  kafkaProduces = 0;
  recordsDropped = 0;
  bytesDropped = 0;
  kafkaErrors = 0;
  bufferedBytes = 0;
  journalBytes = 0;
  /** Age in ms of the oldest record not yet acknowledged by the sink. */
  oldestUnackedAt = 0;
  upstreamErrors = 0;
}

/** Levels rather than totals: only live workers count, and oldestUnackedAt is the oldest of them. */
const LEVELS: ReadonlySet<string> = new Set(['connectionsActive', 'bufferedBytes', 'journalBytes', 'oldestUnackedAt']);

/** The fields of a ProxyStats as a plain object (what a worker sends its primary). */
export function statsSnapshot(stats: ProxyStats): Record<string, number> {
  return { ...stats };
}

/** Adds a worker's totals to `into` (its levels are dropped: the worker has exited). */
export function addTotals(into: ProxyStats, snapshot: Record<string, number>): void {
  const target = into as unknown as Record<string, number>;
  for (const key of Object.keys(target)) if (!LEVELS.has(key)) target[key] += snapshot[key] ?? 0;
}

/** The whole proxy's stats: totals of exited and live workers, levels of live ones. */
export function sumStats(exited: ProxyStats, live: Array<Record<string, number>>): ProxyStats {
  const sum = new ProxyStats();
  addTotals(sum, statsSnapshot(exited));
  for (const s of live) {
    addTotals(sum, s);
    sum.connectionsActive += s.connectionsActive ?? 0;
    sum.bufferedBytes += s.bufferedBytes ?? 0;
    sum.journalBytes += s.journalBytes ?? 0;
    // A worker's oldestUnackedAt means something only while it holds capture.
    const holds = (s.bufferedBytes ?? 0) > 0 || (s.journalBytes ?? 0) > 0;
    if (holds && s.oldestUnackedAt > 0 && (sum.oldestUnackedAt === 0 || s.oldestUnackedAt < sum.oldestUnackedAt)) sum.oldestUnackedAt = s.oldestUnackedAt;
  }
  return sum;
}
