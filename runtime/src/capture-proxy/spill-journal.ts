import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The batch a record was sent in: sent again, it must go with these fields and these records. */
export interface RecordSeal {
  producerId: number;
  producerEpoch: number;
  partition: number;
  baseSequence: number;
  /** Records in the batch. */
  batchCount: number;
}

export interface JournalRecord {
  key: Buffer;
  value: Buffer;
  /** Journal offsets of this record's frame and just after it. */
  start: number;
  end: number;
  seal?: RecordSeal;
}

// key length (u32), value length (u32), producer id (i64, -1: not sealed), epoch (i16),
// partition (i32), base sequence (i32), batch count (i32).
const HEADER = 30;
const SEAL_AT = 8;
const V1_HEADER = 8;
const JOURNAL_FILE = 'capture-v2.journal';
const V1_FILE = 'capture.journal';

/**
 * An append-only file of capture records kept while Kafka is away, drained in order when it
 * returns. A record sent to Kafka before it was journaled (or sent from the journal) carries its
 * batch's seal (producer id, epoch, partition, sequence), so that sending it again, after a
 * restart too, is a retry the broker recognises rather than a second copy. The read position is
 * saved beside it, so that a restarted proxy sends what is left.
 */
export class SpillJournal {
  /** Whether a journal directory holds capture not yet sent (in either file format), without opening it. */
  static hasPending(dir: string): boolean {
    return [JOURNAL_FILE, V1_FILE].some((name) => {
      const file = path.join(dir, name);
      return existsSync(file) && statSync(file).size > readOffset(`${file}.offset`);
    });
  }

  private readonly fd: number;
  private readonly offsetFile: string;
  private writeOffset: number;
  private readOffset: number;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, JOURNAL_FILE);
    this.offsetFile = `${file}.offset`;
    // Not 'a+': on Linux every write of an O_APPEND file goes to its end, and seals are written in place.
    if (!existsSync(file)) writeFileSync(file, '');
    this.fd = openSync(file, 'r+');
    this.writeOffset = fstatSync(this.fd).size;
    this.readOffset = Math.min(readOffset(this.offsetFile), this.writeOffset);
    this.dropTornTail();
    this.takeOverV1(dir);
  }

  /** Bytes written and not yet drained. */
  get pendingBytes(): number {
    return this.writeOffset - this.readOffset;
  }

  get isEmpty(): boolean {
    return this.writeOffset === this.readOffset;
  }

  /** Appends one record (synchronously: ordered with respect to everything else on the loop); returns its end. */
  append(key: Buffer, value: Uint8Array, seal?: RecordSeal): number {
    const frame = Buffer.allocUnsafe(HEADER + key.length + value.length);
    frame.writeUInt32BE(key.length, 0);
    frame.writeUInt32BE(value.length, 4);
    writeSeal(frame, SEAL_AT, seal);
    key.copy(frame, HEADER);
    frame.set(value, HEADER + key.length);
    writeSync(this.fd, frame, 0, frame.length, this.writeOffset);
    this.writeOffset += frame.length;
    return this.writeOffset;
  }

  /** Records the batch a journaled record is about to be sent in. */
  seal(record: JournalRecord, seal: RecordSeal): void {
    const buf = Buffer.allocUnsafe(HEADER - SEAL_AT);
    writeSeal(buf, 0, seal);
    writeSync(this.fd, buf, 0, buf.length, record.start + SEAL_AT);
    record.seal = seal;
  }

  /** Makes everything appended so far durable (fsync). */
  sync(): void {
    fsyncSync(this.fd);
  }

  /**
   * Records from the read position for one produce request: either sealed batches, whole and at
   * most one per partition, or unsealed records up to maxBytes (at least one record when any is left).
   */
  peek(maxBytes: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    let pos = this.readOffset;
    let taken = 0;
    const header = Buffer.alloc(HEADER);
    /** Records still to come of each sealed batch begun, by partition. */
    const open = new Map<number, number>();
    const done = new Set<number>();
    while (pos < this.writeOffset) {
      readSync(this.fd, header, 0, HEADER, pos);
      const keyLen = header.readUInt32BE(0);
      const valueLen = header.readUInt32BE(4);
      const seal = readSeal(header, SEAL_AT);
      const size = HEADER + keyLen + valueLen;
      if (out.length > 0) {
        if (Boolean(seal) !== Boolean(out[0].seal)) break;
        if (!seal && taken + size > maxBytes) break;
        if (seal && !open.has(seal.partition)) {
          // A new batch: one per partition; past the budget only while begun batches still need their records.
          if (done.has(seal.partition) || (open.size === 0 && taken + size > maxBytes)) break;
        }
      }
      const body = Buffer.allocUnsafe(keyLen + valueLen);
      readSync(this.fd, body, 0, body.length, pos + HEADER);
      out.push({ key: body.subarray(0, keyLen), value: body.subarray(keyLen), start: pos, end: pos + size, seal });
      pos += size;
      taken += size;
      if (seal) {
        const left = (open.get(seal.partition) ?? seal.batchCount) - 1;
        if (left <= 0) {
          open.delete(seal.partition);
          done.add(seal.partition);
        } else {
          open.set(seal.partition, left);
        }
      }
    }
    return out;
  }

  /** Marks records up to `end` as delivered; empties the file once everything is. */
  commit(end: number): void {
    this.readOffset = end;
    if (this.readOffset >= this.writeOffset) {
      ftruncateSync(this.fd, 0);
      this.readOffset = 0;
      this.writeOffset = 0;
    }
    writeFileSync(this.offsetFile, String(this.readOffset));
  }

  close(): void {
    try {
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }

  /** A frame cut short by a crash is not a record: cut the file back to the last whole frame. */
  private dropTornTail(): void {
    let pos = this.readOffset;
    const header = Buffer.alloc(HEADER);
    while (pos + HEADER <= this.writeOffset) {
      readSync(this.fd, header, 0, HEADER, pos);
      const size = HEADER + header.readUInt32BE(0) + header.readUInt32BE(4);
      if (pos + size > this.writeOffset) break;
      pos += size;
    }
    if (pos !== this.writeOffset) {
      ftruncateSync(this.fd, pos);
      this.writeOffset = pos;
    }
  }

  /** A journal left by a proxy before seals were kept (frame: key length, value length, key, value). */
  private takeOverV1(dir: string): void {
    const file = path.join(dir, V1_FILE);
    if (!existsSync(file)) return;
    const data = readFileSync(file);
    let pos = Math.min(readOffset(`${file}.offset`), data.length);
    while (pos + V1_HEADER <= data.length) {
      const keyLen = data.readUInt32BE(pos);
      const valueLen = data.readUInt32BE(pos + 4);
      const end = pos + V1_HEADER + keyLen + valueLen;
      if (end > data.length) break;
      this.append(data.subarray(pos + V1_HEADER, pos + V1_HEADER + keyLen), data.subarray(pos + V1_HEADER + keyLen, end));
      pos = end;
    }
    this.sync();
    rmSync(file, { force: true });
    rmSync(`${file}.offset`, { force: true });
  }
}

function readOffset(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function writeSeal(buf: Buffer, at: number, seal: RecordSeal | undefined): void {
  buf.writeBigInt64BE(BigInt(seal?.producerId ?? -1), at);
  buf.writeInt16BE(seal?.producerEpoch ?? -1, at + 8);
  buf.writeInt32BE(seal?.partition ?? -1, at + 10);
  buf.writeInt32BE(seal?.baseSequence ?? -1, at + 14);
  buf.writeInt32BE(seal?.batchCount ?? 0, at + 18);
}

function readSeal(buf: Buffer, at: number): RecordSeal | undefined {
  const partition = buf.readInt32BE(at + 10);
  if (partition < 0) return undefined;
  return {
    producerId: Number(buf.readBigInt64BE(at)),
    producerEpoch: buf.readInt16BE(at + 8),
    partition,
    baseSequence: buf.readInt32BE(at + 14),
    batchCount: buf.readInt32BE(at + 18),
  };
}
