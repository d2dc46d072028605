import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface JournalRecord {
  key: Buffer;
  value: Buffer;
  /** Journal offset just after this record. */
  end: number;
}

/**
 * An append-only file of capture records kept while Kafka is away, drained in order when it
 * returns. Frame: key length (u32 BE), value length (u32 BE), key, value. The read position is
 * saved beside it, so that a restarted proxy sends what is left and nothing twice.
 */
export class SpillJournal {
  private readonly fd: number;
  private readonly offsetFile: string;
  private writeOffset: number;
  private readOffset: number;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'capture.journal');
    this.offsetFile = path.join(dir, 'capture.journal.offset');
    this.fd = openSync(file, 'a+');
    this.writeOffset = fstatSync(this.fd).size;
    let saved = 0;
    try {
      saved = Number(readFileSync(this.offsetFile, 'utf8').trim()) || 0;
    } catch {
      saved = 0;
    }
    this.readOffset = Math.min(saved, this.writeOffset);
    this.dropTornTail();
  }

  /** Bytes written and not yet drained. */
  get pendingBytes(): number {
    return this.writeOffset - this.readOffset;
  }

  get isEmpty(): boolean {
    return this.writeOffset === this.readOffset;
  }

  /** Appends one record (synchronously: ordered with respect to everything else on the loop). */
  append(key: Buffer, value: Uint8Array): number {
    const frame = Buffer.allocUnsafe(8 + key.length + value.length);
    frame.writeUInt32BE(key.length, 0);
    frame.writeUInt32BE(value.length, 4);
    key.copy(frame, 8);
    frame.set(value, 8 + key.length);
    writeSync(this.fd, frame, 0, frame.length, this.writeOffset);
    this.writeOffset += frame.length;
    return this.writeOffset;
  }

  /** Up to maxBytes of records from the read position (at least one record when any is left). */
  peek(maxBytes: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    let pos = this.readOffset;
    let taken = 0;
    const header = Buffer.alloc(8);
    while (pos < this.writeOffset) {
      readSync(this.fd, header, 0, 8, pos);
      const keyLen = header.readUInt32BE(0);
      const valueLen = header.readUInt32BE(4);
      const size = 8 + keyLen + valueLen;
      if (out.length > 0 && taken + size > maxBytes) break;
      const body = Buffer.allocUnsafe(keyLen + valueLen);
      readSync(this.fd, body, 0, body.length, pos + 8);
      pos += size;
      taken += size;
      out.push({ key: body.subarray(0, keyLen), value: body.subarray(keyLen), end: pos });
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
    const header = Buffer.alloc(8);
    while (pos + 8 <= this.writeOffset) {
      readSync(this.fd, header, 0, 8, pos);
      const size = 8 + header.readUInt32BE(0) + header.readUInt32BE(4);
      if (pos + size > this.writeOffset) break;
      pos += size;
    }
    if (pos !== this.writeOffset) {
      ftruncateSync(this.fd, pos);
      this.writeOffset = pos;
    }
  }
}
