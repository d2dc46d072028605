import type { TrafficStream } from '../core/traffic-stream';

/**
 * Spots a TrafficStream already taken: the same connection (nodeId, connectionId) with a chunk
 * number at or below the last one taken, or any chunk of a connection whose last chunk was taken.
 * A connection's chunks are numbered from 1 and stay in order on its partition, so a repeat can only
 * be a copy (a producer retry that had landed). The second line of defence behind the proxy's
 * idempotent producer. Bounded: the least recently seen connections are forgotten first.
 */
export class DuplicateStreamFilter {
  /** Highest chunk taken per open connection, least recently seen first. */
  private readonly open = new Map<string, number>();
  /** Connections whose last chunk was taken, oldest first. */
  private readonly closed = new Set<string>();

  constructor(
    private readonly maxOpen = 200_000,
    private readonly maxClosed = 100_000,
  ) {}

  /** True when this stream was taken before (drop it); otherwise it is remembered. */
  seen(stream: TrafficStream): boolean {
    const chunk = stream.number ?? stream.numberOfThisLastChunk;
    // A record without a chunk number cannot be told apart from another: let it through.
    if (!chunk) return false;
    const key = `${stream.nodeId}|${stream.connectionId}`;
    if (this.closed.has(key)) return true;
    const last = this.open.get(key);
    if (last !== undefined) {
      if (chunk <= last) return true;
      this.open.delete(key);
    }
    if (stream.numberOfThisLastChunk !== undefined) {
      this.closed.add(key);
      if (this.closed.size > this.maxClosed) this.closed.delete(this.closed.values().next().value!);
    } else {
      this.open.set(key, chunk);
      if (this.open.size > this.maxOpen) this.open.delete(this.open.keys().next().value!);
    }
    return false;
  }

  /** The records ahead will be read again on purpose (a rebalance, a new input): forget everything. */
  reset(): void {
    this.open.clear();
    this.closed.clear();
  }
}
