import type { TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { DuplicateStreamFilter } from '../../../runtime/src/replayer/duplicate-filter';

const chunk = (connectionId: string, n: number, last = false, nodeId = 'node'): TrafficStream =>
  last ? { connectionId, nodeId, subStream: [], numberOfThisLastChunk: n } : { connectionId, nodeId, subStream: [], number: n };

describe('duplicate TrafficStream filter', () => {
  it('drops a chunk taken before on the same connection, and any chunk after the last one', () => {
    const f = new DuplicateStreamFilter();
    const taken = (s: TrafficStream) => !f.seen(s);
    // A batch that landed twice: 1, 2, 3 then 1, 2, 3 again, then the rest.
    expect([chunk('a', 1), chunk('a', 2), chunk('b', 1), chunk('a', 3), chunk('a', 1), chunk('a', 2), chunk('a', 3), chunk('a', 4, true), chunk('a', 4, true), chunk('a', 2)].map(taken)).toEqual([
      true, true, true, true, false, false, false, true, false, false,
    ]);
    // Another node's connection of the same id is another connection.
    expect(taken(chunk('a', 1, false, 'other-node'))).toBe(true);
    // Records without a chunk number cannot be told apart: never dropped.
    expect(taken({ connectionId: 'c', nodeId: 'node', subStream: [] })).toBe(true);
    expect(taken({ connectionId: 'c', nodeId: 'node', subStream: [] })).toBe(true);
  });

  it('forgets everything on reset (records read again on purpose) and stays bounded', () => {
    const f = new DuplicateStreamFilter(2, 1);
    expect(f.seen(chunk('a', 1))).toBe(false);
    f.reset();
    expect(f.seen(chunk('a', 1))).toBe(false);
    expect(f.seen(chunk('b', 1))).toBe(false);
    expect(f.seen(chunk('c', 1))).toBe(false);
    // 'a' was the least recently seen: forgotten, so its copy passes; 'c' is still known.
    expect(f.seen(chunk('a', 1))).toBe(false);
    expect(f.seen(chunk('c', 1))).toBe(true);
    expect(f.seen(chunk('x', 1, true))).toBe(false);
    expect(f.seen(chunk('y', 1, true))).toBe(false);
    expect(f.seen(chunk('y', 1, true))).toBe(true);
    expect(f.seen(chunk('x', 1, true))).toBe(false);
  });
});
