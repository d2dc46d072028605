import { encodeRecord, FlatObservation, Obs, stringField } from './traffic-stream-encoder';

export interface TrafficStreamBuilderOptions {
  connectionId: string;
  nodeId: string;
  /** Upper bound of one encoded record (Kafka message value). */
  maxRecordBytes: number;
  /**
   * A record is emitted once this much is pending (default: maxRecordBytes), so that a busy
   * connection's capture goes out in pieces that are cheap to hand to Kafka, not in one burst.
   */
  flushBytes?: number;
  /** Receives each finished record, in order. `last` is true for the connection's final chunk. */
  emit: (record: Uint8Array, last: boolean) => void;
  now?: () => number;
}

// Observation wrapper: tag(1) + length(<=3); ts: tag(1) + length(1) + seconds(1+5) + nanos(1+5).
const OBS_OVERHEAD = 4 + 14;
// A data capture field: tag(1) + length(<=3) + inner data tag(1) + length(<=5).
const DATA_OVERHEAD = 10;
const MIN_SEGMENT = 256;

/**
 * Turns one connection's reads, writes and markers into TrafficStream records of bounded size,
 * numbered from 1, with priorRequestsReceived and lastObservationWasUnterminatedRead set for the
 * start of each record. Data is referenced, not copied, until the record is encoded.
 */
export class TrafficStreamBuilder {
  private observations: FlatObservation[] = [];
  private size = 0;
  private readonly headerBytes: number;
  private readonly connectionIdField: Buffer;
  private readonly nodeIdField: Buffer;
  private chunk = 0;
  private requestsCompleted = 0;
  private inRequest = false;
  private chunkPrior = 0;
  private chunkUnterminated = false;
  private closed = false;
  private readonly now: () => number;
  private readonly flushBytes: number;

  constructor(private readonly opts: TrafficStreamBuilderOptions) {
    this.now = opts.now ?? Date.now;
    this.flushBytes = Math.min(opts.flushBytes ?? opts.maxRecordBytes, opts.maxRecordBytes);
    this.connectionIdField = stringField(1, opts.connectionId);
    this.nodeIdField = stringField(5, opts.nodeId);
    // connectionId, nodeId, number (1+5), priorRequestsReceived (1+5), unterminated flag (2)
    this.headerBytes = this.connectionIdField.length + this.nodeIdField.length + 6 + 6 + 2;
    if (opts.maxRecordBytes < this.headerBytes + OBS_OVERHEAD + DATA_OVERHEAD + MIN_SEGMENT) {
      throw new RangeError(`maxRecordBytes ${opts.maxRecordBytes} is too small for a record`);
    }
  }

  get pendingObservations(): number {
    return this.observations.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests whose end was recorded so far. */
  get requestCount(): number {
    return this.requestsCompleted;
  }

  addRead(data: Buffer): void {
    if (data.length === 0) return;
    this.addData(data, 'read');
    this.inRequest = true;
  }

  addWrite(data: Buffer): void {
    if (data.length === 0) return;
    this.addData(data, 'write');
  }

  endOfMessage(firstLineByteLength?: number, headersByteLength?: number): void {
    this.add(this.obs(Obs.EndOfMessage, undefined, firstLineByteLength ?? -1, headersByteLength ?? -1), 16);
    this.requestsCompleted++;
    this.inRequest = false;
  }

  /** A request whose capture was suppressed, or that was not forwarded. */
  requestDropped(): void {
    this.add(this.obs(Obs.RequestDropped), 2);
    this.inRequest = false;
  }

  connectionException(message: string): void {
    const text = Buffer.from(message.slice(0, 1000), 'utf8');
    const o = this.obs(Obs.ConnectionException);
    o.message = text;
    this.add(o, 4 + text.length);
  }

  /** Records the close and emits the last chunk. Nothing can be added afterwards. */
  close(): void {
    if (this.closed) return;
    this.add(this.obs(Obs.Close), 2);
    this.closed = true;
    this.emit(true);
  }

  /** Emits what is pending as an intermediate chunk; false when there was nothing. */
  flush(): boolean {
    if (this.closed || this.observations.length === 0) return false;
    this.emit(false);
    return true;
  }

  private obs(kind: Obs, data?: Buffer, a = -1, b = -1, ms = this.now()): FlatObservation {
    const seconds = Math.floor(ms / 1000);
    return { kind, seconds, nanos: ((ms - seconds * 1000) * 1e6) | 0, data, a, b, message: undefined };
  }

  private room(): number {
    return this.opts.maxRecordBytes - this.headerBytes - this.size;
  }

  private add(obs: FlatObservation, captureBytes: number): void {
    if (this.closed) throw new Error('capture of a closed connection');
    const bytes = OBS_OVERHEAD + captureBytes;
    if (this.observations.length > 0 && (bytes > this.room() || this.size >= this.flushBytes)) this.emit(false);
    if (this.observations.length === 0) {
      this.chunkPrior = this.requestsCompleted;
      this.chunkUnterminated = this.inRequest;
    }
    this.observations.push(obs);
    this.size += bytes;
  }

  private addData(data: Buffer, kind: 'read' | 'write'): void {
    const whole = OBS_OVERHEAD + DATA_OVERHEAD + data.length;
    if (whole <= this.room()) {
      this.add(this.obs(kind === 'read' ? Obs.Read : Obs.Write, data), DATA_OVERHEAD + data.length);
      return;
    }
    if (this.observations.length > 0 && whole <= this.opts.maxRecordBytes - this.headerBytes) {
      this.emit(false);
      this.addData(data, kind);
      return;
    }
    // Larger than any record: segments, each filling what room is left, closed by segmentEnd.
    const ms = this.now();
    let offset = 0;
    while (offset < data.length) {
      let room = this.room() - OBS_OVERHEAD - DATA_OVERHEAD;
      if (room < MIN_SEGMENT) {
        this.emit(false);
        room = this.room() - OBS_OVERHEAD - DATA_OVERHEAD;
      }
      const piece = data.subarray(offset, offset + room);
      offset += piece.length;
      this.add(this.obs(kind === 'read' ? Obs.ReadSegment : Obs.WriteSegment, piece, -1, -1, ms), DATA_OVERHEAD + piece.length);
      if (kind === 'read') this.inRequest = true;
    }
    this.add(this.obs(Obs.SegmentEnd, undefined, -1, -1, ms), 2);
  }

  private emit(last: boolean): void {
    this.chunk++;
    const record = encodeRecord(
      {
        connectionIdField: this.connectionIdField,
        nodeIdField: this.nodeIdField,
        chunk: this.chunk,
        last,
        priorRequestsReceived: this.chunkPrior,
        lastObservationWasUnterminatedRead: this.chunkUnterminated,
      },
      this.observations,
    );
    this.observations = [];
    this.size = 0;
    this.opts.emit(record, last);
  }
}
