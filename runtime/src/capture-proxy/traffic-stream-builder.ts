import { Obs, observationLength, RecordHeader, stringField, trailerLength, writeObservation, writeTrailer } from './traffic-stream-encoder';

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

const MIN_ARENA = 2048;

/**
 * Turns one connection's reads, writes and markers into TrafficStream records of bounded size,
 * numbered from 1, with priorRequestsReceived and lastObservationWasUnterminatedRead set for the
 * start of each record. Each observation is encoded into the record's buffer as it happens: the
 * socket's buffers die young instead of living (and being copied by the GC) until the record is
 * emitted, which under load cost more than the copy.
 */
export class TrafficStreamBuilder {
  /** The record being written: connectionId, then the observations; the trailer goes on at emit. */
  private arena: Buffer | undefined;
  private pos = 0;
  private count = 0;
  /** Upper bound of the pending record's bytes, as the record size rules count them. */
  private size = 0;
  private lastRecordBytes = 0;
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
    return this.count;
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
    this.add(Obs.EndOfMessage, 16, undefined, firstLineByteLength ?? -1, headersByteLength ?? -1);
    this.requestsCompleted++;
    this.inRequest = false;
  }

  /** A request whose capture was suppressed, or that was not forwarded. */
  requestDropped(): void {
    this.add(Obs.RequestDropped, 2);
    this.inRequest = false;
  }

  connectionException(message: string): void {
    const text = Buffer.from(message.slice(0, 1000), 'utf8');
    this.add(Obs.ConnectionException, 4 + text.length, text);
  }

  /** Records the close and emits the last chunk. Nothing can be added afterwards. */
  close(): void {
    if (this.closed) return;
    this.add(Obs.Close, 2);
    this.closed = true;
    this.emit(true);
  }

  /** Emits what is pending as an intermediate chunk; false when there was nothing. */
  flush(): boolean {
    if (this.closed || this.count === 0) return false;
    this.emit(false);
    return true;
  }

  /** Lets go of the record buffer while nothing is pending (an idle connection keeps none). */
  trim(): void {
    if (this.count === 0) this.arena = undefined;
  }

  private room(): number {
    return this.opts.maxRecordBytes - this.headerBytes - this.size;
  }

  private add(kind: Obs, captureBytes: number, data?: Buffer, a = -1, b = -1, ms = this.now()): void {
    if (this.closed) throw new Error('capture of a closed connection');
    const bytes = OBS_OVERHEAD + captureBytes;
    if (this.count > 0 && (bytes > this.room() || this.size >= this.flushBytes)) this.emit(false);
    if (this.count === 0) {
      this.chunkPrior = this.requestsCompleted;
      this.chunkUnterminated = this.inRequest;
      this.ensure(this.connectionIdField.length);
      this.pos = this.connectionIdField.copy(this.arena!, 0);
    }
    const seconds = Math.floor(ms / 1000);
    const nanos = ((ms - seconds * 1000) * 1e6) | 0;
    this.ensure(observationLength(kind, seconds, nanos, data, a, b));
    this.pos = writeObservation(this.arena!, this.pos, kind, seconds, nanos, data, a, b);
    this.count++;
    this.size += bytes;
  }

  /** Room for n more bytes; a new buffer starts at about the size of the last record. */
  private ensure(n: number): void {
    const arena = this.arena;
    if (arena && this.pos + n <= arena.length) return;
    let capacity = Math.max(arena ? arena.length * 2 : MIN_ARENA, this.pos + n);
    if (!arena) while (capacity < this.lastRecordBytes) capacity *= 2;
    const bigger = Buffer.allocUnsafe(capacity);
    if (arena) arena.copy(bigger, 0, 0, this.pos);
    this.arena = bigger;
  }

  private addData(data: Buffer, kind: 'read' | 'write'): void {
    const whole = OBS_OVERHEAD + DATA_OVERHEAD + data.length;
    if (whole <= this.room()) {
      this.add(kind === 'read' ? Obs.Read : Obs.Write, DATA_OVERHEAD + data.length, data);
      return;
    }
    if (this.count > 0 && whole <= this.opts.maxRecordBytes - this.headerBytes) {
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
      this.add(kind === 'read' ? Obs.ReadSegment : Obs.WriteSegment, DATA_OVERHEAD + piece.length, piece, -1, -1, ms);
      if (kind === 'read') this.inRequest = true;
    }
    this.add(Obs.SegmentEnd, 2, undefined, -1, -1, ms);
  }

  private emit(last: boolean): void {
    this.chunk++;
    const header: RecordHeader = {
      connectionIdField: this.connectionIdField,
      nodeIdField: this.nodeIdField,
      chunk: this.chunk,
      last,
      priorRequestsReceived: this.chunkPrior,
      lastObservationWasUnterminatedRead: this.chunkUnterminated,
    };
    this.ensure(trailerLength(header));
    const arena = this.arena!;
    const end = writeTrailer(arena, this.pos, header);
    let record: Buffer;
    if (end * 2 >= arena.length) {
      // Mostly full: the record keeps the buffer (no copy); the next one gets a new buffer.
      record = arena.subarray(0, end);
      this.arena = undefined;
    } else {
      // A small record would pin a large buffer while Kafka has it: copy it out, keep the buffer.
      record = Buffer.allocUnsafe(end);
      arena.copy(record, 0, 0, end);
    }
    this.lastRecordBytes = end;
    this.count = 0;
    this.pos = 0;
    this.size = 0;
    this.opts.emit(record, last);
  }
}
