import { claimOrder, isLeaseFree, itemId, nextLookInMs, planItems, summarize, Versioned, WorkItem } from '../../../runtime/src/backfill/work-items';

const item = (over: Partial<WorkItem>): WorkItem => ({ kind: 'item', index: 'i', shard: 0, status: 'todo', cursor: null, docsDone: 0, docsTotal: 10, failedDocs: 0, leaseOwner: null, leaseExpiresAt: 0, attempts: 0, updatedAt: 0, ...over });
const v = (id: string, doc: WorkItem): Versioned<WorkItem> => ({ id, seqNo: 1, primaryTerm: 1, doc });

describe('work item planning', () => {
  it('makes one item per shard of each index, with its document count', () => {
    const items = planItems({ b: { shards: 1, docs: [5] }, a: { shards: 2, docs: [3, 4] } });
    expect(items.map((i) => [i.id, i.doc.docsTotal])).toEqual([['a#0', 3], ['a#1', 4], ['b#0', 5]]);
    expect(items.every((i) => i.doc.cursor === null && i.doc.status === 'todo')).toBe(true);
  });

  it('names items unambiguously', () => {
    expect(itemId('logs-2024', 3)).toBe('logs-2024#3');
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

  it('waits no longer than the soonest lease expiry', () => {
    expect(nextLookInMs([item({ leaseOwner: 'w', leaseExpiresAt: now + 300 })], now, 5000)).toBe(350);
    expect(nextLookInMs([item({ leaseOwner: 'w', leaseExpiresAt: now + 60_000 })], now, 5000)).toBe(5000);
  });

  it('counts items done, leased and left, and documents', () => {
    const s = summarize([item({ status: 'done', docsDone: 10 }), item({ leaseOwner: 'w', leaseExpiresAt: now + 1, docsDone: 4, failedDocs: 1 }), item({ leaseOwner: 'w', leaseExpiresAt: now - 1 })], now);
    expect(s).toEqual({ items: 3, done: 1, leased: 1, left: 1, docsDone: 14, docsTotal: 30, failedDocs: 1 });
  });
});
