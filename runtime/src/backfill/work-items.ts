/*
 * Work items: one per shard of each source index. A shard is read on its own
 * (preference=_shards:N) in `_id` order with search_after, so the cursor is the last `_id` written:
 * it survives any restart (no scroll or point-in-time to expire), and resuming from it can neither
 * skip a document (all smaller ids are written) nor write one under a different id.
 */

export type ItemStatus = 'todo' | 'done';

export interface WorkItem {
  kind: 'item';
  index: string;
  shard: number;
  status: ItemStatus;
  /** Last `_id` whose page is fully written; null before the first page. */
  cursor: string | null;
  docsDone: number;
  docsTotal: number;
  failedDocs: number;
  leaseOwner: string | null;
  /** Epoch ms; the lease is free once this has passed. */
  leaseExpiresAt: number;
  attempts: number;
  updatedAt: number;
}

export interface Versioned<T> {
  id: string;
  seqNo: number;
  primaryTerm: number;
  doc: T;
}

export function itemId(index: string, shard: number): string {
  // '#' cannot appear in an index name, so the id is unambiguous.
  return `${index}#${shard}`;
}

export function planItems(shardCounts: Record<string, { shards: number; docs: number[] }>): { id: string; doc: WorkItem }[] {
  const out: { id: string; doc: WorkItem }[] = [];
  for (const index of Object.keys(shardCounts).sort()) {
    const { shards, docs } = shardCounts[index];
    for (let shard = 0; shard < shards; shard++) {
      out.push({
        id: itemId(index, shard),
        doc: { kind: 'item', index, shard, status: 'todo', cursor: null, docsDone: 0, docsTotal: docs[shard] ?? 0, failedDocs: 0, leaseOwner: null, leaseExpiresAt: 0, attempts: 0, updatedAt: Date.now() },
      });
    }
  }
  return out;
}

export function isLeaseFree(item: WorkItem, now: number): boolean {
  return item.status !== 'done' && (item.leaseOwner === null || item.leaseExpiresAt <= now);
}

/**
 * The items this worker may take now, in the order to try them: never-started items first (so N
 * workers spread out), then expired leases; shuffled so that workers do not all race for one.
 */
export function claimOrder<T extends WorkItem>(items: Versioned<T>[], now: number, random = Math.random): Versioned<T>[] {
  const free = items.filter((v) => isLeaseFree(v.doc, now));
  const shuffled = free.map((v) => ({ v, r: random() + (v.doc.attempts > 0 ? 1 : 0) })).sort((a, b) => a.r - b.r);
  return shuffled.map((s) => s.v);
}

/** How long to wait before another look when every open item is leased to someone else. */
export function nextLookInMs(items: WorkItem[], now: number, pollMs: number): number {
  const expiries = items.filter((i) => i.status !== 'done' && i.leaseOwner !== null).map((i) => i.leaseExpiresAt - now);
  const soonest = expiries.length ? Math.max(0, Math.min(...expiries)) : pollMs;
  return Math.min(pollMs, soonest + 50);
}

export interface StatusSummary {
  items: number;
  done: number;
  leased: number;
  left: number;
  docsDone: number;
  docsTotal: number;
  failedDocs: number;
}

export function summarize(items: WorkItem[], now: number): StatusSummary {
  const s: StatusSummary = { items: items.length, done: 0, leased: 0, left: 0, docsDone: 0, docsTotal: 0, failedDocs: 0 };
  for (const i of items) {
    if (i.status === 'done') s.done++;
    else if (i.leaseOwner !== null && i.leaseExpiresAt > now) s.leased++;
    else s.left++;
    s.docsDone += i.docsDone;
    s.docsTotal += i.docsTotal;
    s.failedDocs += i.failedDocs;
  }
  return s;
}
