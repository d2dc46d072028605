import { appendFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordSeal, SpillJournal } from '../../../runtime/src/capture-proxy/spill-journal';

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'spill-journal-'));
const seal = (partition: number, baseSequence: number, batchCount: number): RecordSeal => ({ producerId: 2 ** 40 + 7, producerEpoch: 0, partition, baseSequence, batchCount });
const names = (records: Array<{ value: Buffer }>) => records.map((r) => r.value.toString());

describe('capture spill journal', () => {
  it('gives sealed batches back whole, one per partition a read, and unsealed records apart', () => {
    const j = new SpillJournal(dir());
    // An in-flight window journaled batch by batch: p0 [a, b], p1 [c]; then a second window's p0 [d]; then new records.
    j.append(Buffer.from('k0'), Buffer.from('a'), seal(0, 0, 2));
    j.append(Buffer.from('k0'), Buffer.from('b'), seal(0, 0, 2));
    j.append(Buffer.from('k1'), Buffer.from('c'), seal(1, 0, 1));
    j.append(Buffer.from('k0'), Buffer.from('d'), seal(0, 2, 1));
    j.append(Buffer.from('k0'), Buffer.from('e'));
    j.append(Buffer.from('k1'), Buffer.from('f'));
    // A small budget still takes a begun batch whole, then stops.
    expect(names(j.peek(1))).toEqual(['a', 'b']);
    const first = j.peek(1 << 20);
    expect(names(first)).toEqual(['a', 'b', 'c']);
    expect(first.map((r) => r.seal?.baseSequence)).toEqual([0, 0, 0]);
    j.commit(first[2].end);
    const second = j.peek(1 << 20);
    expect(names(second)).toEqual(['d']);
    j.commit(second[0].end);
    expect(names(j.peek(1 << 20))).toEqual(['e', 'f']);
    expect(j.peek(1).length).toBe(1);
    // Appends after seals written in place land where the journal thinks they do.
    j.seal(j.peek(1)[0], seal(0, 3, 1));
    j.append(Buffer.from('k0'), Buffer.from('g'));
    expect(names(j.peek(1 << 20))).toEqual(['e']);
    j.commit(j.peek(1)[0].end);
    expect(names(j.peek(1 << 20))).toEqual(['f', 'g']);
  });

  it('keeps batches sealed from the journal interleaved, and their seals across a restart', () => {
    const d = dir();
    const j = new SpillJournal(d);
    for (const [k, v] of [['k0', 'a'], ['k1', 'b'], ['k0', 'c']]) j.append(Buffer.from(k), Buffer.from(v));
    const records = j.peek(1 << 20);
    // Sealed as the producer groups them: p0 [a, c], p1 [b].
    j.seal(records[0], seal(0, 5, 2));
    j.seal(records[1], seal(1, 9, 1));
    j.seal(records[2], seal(0, 5, 2));
    j.close();
    const again = new SpillJournal(d);
    const read = again.peek(1);
    expect(names(read)).toEqual(['a', 'b', 'c']);
    expect(read.map((r) => [r.seal?.partition, r.seal?.baseSequence, r.seal?.producerId])).toEqual([
      [0, 5, 2 ** 40 + 7],
      [1, 9, 2 ** 40 + 7],
      [0, 5, 2 ** 40 + 7],
    ]);
  });

  it('resumes from the saved read position, drops a torn tail, and empties the file once drained', () => {
    const d = dir();
    const j = new SpillJournal(d);
    const ends = ['a', 'b', 'c'].map((v) => j.append(Buffer.from('k'), Buffer.from(v)));
    j.commit(ends[0]);
    j.close();
    appendFileSync(path.join(d, 'capture-v2.journal'), Buffer.from([0, 0, 0, 1, 0, 0]));
    const again = new SpillJournal(d);
    expect(names(again.peek(1 << 20))).toEqual(['b', 'c']);
    again.commit(ends[2]);
    expect(again.isEmpty).toBe(true);
    expect(again.pendingBytes).toBe(0);
  });

  it('takes over the journal of an earlier version, unsealed, from its read position', () => {
    const d = dir();
    const frame = (key: string, value: string) => {
      const b = Buffer.alloc(8 + key.length + value.length);
      b.writeUInt32BE(key.length, 0);
      b.writeUInt32BE(value.length, 4);
      b.write(key, 8, 'latin1');
      b.write(value, 8 + key.length, 'latin1');
      return b;
    };
    const old = Buffer.concat([frame('k', 'sent'), frame('k', 'left-1'), frame('k2', 'left-2')]);
    writeFileSync(path.join(d, 'capture.journal'), old);
    writeFileSync(path.join(d, 'capture.journal.offset'), String(frame('k', 'sent').length));
    const j = new SpillJournal(d);
    const records = j.peek(1 << 20);
    expect(names(records)).toEqual(['left-1', 'left-2']);
    expect(records.map((r) => [r.key.toString(), r.seal])).toEqual([
      ['k', undefined],
      ['k2', undefined],
    ]);
    expect(existsSync(path.join(d, 'capture.journal'))).toBe(false);
  });
});
