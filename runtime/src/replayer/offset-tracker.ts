import type { RecordRef } from './reassembler';

interface Entry {
  offset: number;
  holds: number;
}

/**
 * The records of one partition, in offset order, with how many unfinished requests hold each.
 * The commit point is the first record still held: everything before it is fully replayed and
 * its tuples are durable, so a restart there loses nothing.
 */
export class PartitionOffsets {
  private readonly entries: Entry[] = [];
  private last = -1;
  private head = 0;
  private committed = -1;
  /** Set when the partition was revoked: late releases must not commit anything. */
  revoked = false;

  /** Registers a record; it is held (by its own processing) until the returned ref is released once. */
  add(offset: number): RecordRef {
    const entry: Entry = { offset, holds: 1 };
    this.last = offset;
    this.entries.push(entry);
    return {
      retain: () => {
        entry.holds++;
      },
      release: () => {
        entry.holds--;
      },
    };
  }

  /** The offset to commit (next to read), when it moved since the last call to markCommitted. */
  commitOffset(): number | undefined {
    while (this.head < this.entries.length && this.entries[this.head].holds <= 0) this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    const next = this.head < this.entries.length ? this.entries[this.head].offset : this.last + 1;
    return next > this.committed && this.last >= 0 ? next : undefined;
  }

  markCommitted(offset: number): void {
    this.committed = Math.max(this.committed, offset);
  }

  /** Records still held (read but not finished). */
  get pending(): number {
    let n = 0;
    for (let i = this.head; i < this.entries.length; i++) if (this.entries[i].holds > 0) n++;
    return n;
  }
}
