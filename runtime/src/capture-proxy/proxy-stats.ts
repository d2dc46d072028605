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
