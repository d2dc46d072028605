import { advance, claimOrder, isLeaseFree, itemId, MAX_STEP, nextLookInMs, planItems, planWindows, summarize, Versioned, WorkItem } from '../../../runtime/src/backfill/work-items';

const item = (over: Partial<WorkItem>): WorkItem => ({ kind: 'item', index: 'i', shard: 0, from: 0, to: 99, tail: false, status: 'todo', cursor: null, docsDone: 0, docsTotal: 10, failedDocs: 0, leaseOwner: null, leaseExpiresAt: 0, attempts: 0, updatedAt: 0, ...over });
const v = (id: string, doc: WorkItem): Versioned<WorkItem> => ({ id, seqNo: 1, primaryTerm: 1, doc });

describe('window planning', () => {
  it('splits a shard into contiguous _seq_no windows that cover [0, max] exactly once', () => {
    for (const [docs, maxSeqNo, per] of [[10_000_000, 12_345_677, 50_000], [1, 0, 50_000], [99, 98, 10], [5, 1_000_000, 2], [7, 6, 1]]) {
      const w = planWindows({ docs, maxSeqNo }, per);
      expect(w[0].from).toBe(0);
      expect(w[w.length - 1].to).toBe(maxSeqNo);
      for (let i = 1; i < w.length; i++) expect(w[i].from).toBe(w[i - 1].to + 1);
      expect(w.every((x) => x.to >= x.from)).toBe(true);
      expect(w.reduce((n, x) => n + x.docs, 0)).toBe(docs);
    }
  });

  it('makes about docs / docsPerItem windows, never more than there are sequence numbers', () => {
    expect(planWindows({ docs: 10_000_000, maxSeqNo: 12_345_677 }, 50_000)).toHaveLength(200);
    expect(planWindows({ docs: 120_000, maxSeqNo: 119_999 }, 50_000).map((x) => x.docs)).toEqual([40_000, 40_000, 40_000]);
    expect(planWindows({ docs: 5, maxSeqNo: 2 }, 1)).toHaveLength(3);
  });

  it('plans nothing but the tail for a shard that never had a write', () => {
    expect(planWindows({ docs: 0, maxSeqNo: -1 }, 10)).toEqual([]);
    const items = planItems({ e: [{ docs: 0, maxSeqNo: -1 }] }, 10, 0);
    expect(items.map((i) => [i.id, i.doc.from, i.doc.to, i.doc.tail])).toEqual([['e#0#tail', 0, null, true]]);
  });

  it('makes windows per shard plus one tail per shard that starts past the planned maximum', () => {
    const items = planItems({ b: [{ docs: 5, maxSeqNo: 4 }], a: [{ docs: 3, maxSeqNo: 2 }, { docs: 4, maxSeqNo: 7 }] }, 2, 0);
    expect(items.map((i) => [i.id, i.doc.from, i.doc.to, i.doc.docsTotal])).toEqual([
      ['a#0#0', 0, 1, 2], ['a#0#2', 2, 2, 1], ['a#0#tail', 3, null, 0],
      ['a#1#0', 0, 3, 2], ['a#1#4', 4, 7, 2], ['a#1#tail', 8, null, 0],
      ['b#0#0', 0, 1, 2], ['b#0#2', 2, 3, 2], ['b#0#4', 4, 4, 1], ['b#0#tail', 5, null, 0],
    ]);
    expect(items.every((i) => i.doc.cursor === null && i.doc.status === 'todo')).toBe(true);
  });

  it('names items unambiguously', () => {
    expect(itemId('logs-2024', 3, 150_000)).toBe('logs-2024#3#150000');
    expect(itemId('logs-2024', 3, 'tail')).toBe('logs-2024#3#tail');
  });
});

describe('page cursor over a window', () => {
  it('after a full page resumes right after its last document and narrows the step to what held one page', () => {
    expect(advance({ next: 100, step: 1000 }, 10_000, 50, 50, 180)).toEqual({ next: 181, step: 81 });
  });

  it('after a short page skips its whole range and widens the step to the density seen', () => {
    expect(advance({ next: 100, step: 100 }, 10_000, 50, 10, 150)).toEqual({ next: 200, step: 500 });
    expect(advance({ next: 100, step: 100 }, 10_000, 50, 0, undefined)).toEqual({ next: 200, step: 800 });
  });

  it('never reads past the end of the window and never shrinks the step after a short page', () => {
    expect(advance({ next: 9_990, step: 100 }, 9_999, 50, 3, 9_995)).toEqual({ next: 10_000, step: 100 });
    expect(advance({ next: 0, step: MAX_STEP }, 5, 50, 0, undefined).step).toBe(MAX_STEP);
  });

  it('visits every sequence number of a window exactly once, whatever the gaps', () => {
    // Live documents at scattered sequence numbers (updates leave gaps); pages of 7.
    const live = Array.from({ length: 3000 }, (_, i) => i * i % 9973).filter((x, i, a) => a.indexOf(x) === i).sort((a, b) => a - b);
    const to = 9972;
    const seen: number[] = [];
    let c = { next: 0, step: 7 };
    let pages = 0;
    while (c.next <= to) {
      const hi = Math.min(to, c.next + c.step - 1);
      const page = live.filter((s) => s >= c.next && s <= hi).slice(0, 7);
      seen.push(...page);
      c = advance(c, to, 7, page.length, page[page.length - 1]);
      pages++;
    }
    expect(seen).toEqual(live);
    expect(pages).toBeLessThan((live.length / 7) * 3);
  });
});

describe('lease decisions', () => {
  const now = 1_000_000;

  it('offers free and expired items, never done ones or live leases', () => {
    expect(isLeaseFree(item({}), now)).toBe(true);
    expect(isLeaseFree(item({ leaseOwner: 'w1', leaseExpiresAt: now - 1 }), now)).toBe(true);
    expect(isLeaseFree(item({ leaseOwner: 'w1', leaseExpiresAt: now + 1 }), now)).toBe(false);
    expect(isLeaseFree(item({ status: 'done' }), now)).toBe(false);
  });

  it('tries never-started items before taking over expired ones', () => {
    const items = [v('expired', item({ leaseOwner: 'dead', leaseExpiresAt: now - 5, attempts: 1 })), v('fresh', item({})), v('held', item({ leaseOwner: 'w', leaseExpiresAt: now + 5 }))];
    expect(claimOrder(items, now, () => 0.5).map((i) => i.id)).toEqual(['fresh', 'expired']);
  });

  it('offers a shard tail only once every window of that shard is done', () => {
    const tail0 = v('i#0#tail', item({ tail: true, from: 100, to: null }));
    const tail1 = v('i#1#tail', item({ shard: 1, tail: true, from: 100, to: null }));
    const items = [v('i#0#0', item({ status: 'done' })), v('i#0#50', item({ from: 50, leaseOwner: 'w', leaseExpiresAt: now + 5 })), tail0, v('i#1#0', item({ shard: 1, status: 'done' })), tail1, v('j#0#0', item({ index: 'j' }))];
    expect(claimOrder(items, now, () => 0.5).map((i) => i.id).sort()).toEqual(['i#1#tail', 'j#0#0']);
  });

  it('waits no longer than the soonest lease expiry', () => {
    expect(nextLookInMs([item({ leaseOwner: 'w', leaseExpiresAt: now + 300 })], now, 5000)).toBe(350);
    expect(nextLookInMs([item({ leaseOwner: 'w', leaseExpiresAt: now + 60_000 })], now, 5000)).toBe(5000);
  });

  it('counts items done, leased and left, and documents', () => {
    const s = summarize([item({ status: 'done', docsDone: 10 }), item({ leaseOwner: 'w', leaseExpiresAt: now + 1, docsDone: 4, failedDocs: 1 }), item({ leaseOwner: 'w', leaseExpiresAt: now - 1 })], now);
    expect(s).toEqual({ items: 3, done: 1, leased: 1, left: 1, docsDone: 14, docsTotal: 30, failedDocs: 1 });
  });
});
