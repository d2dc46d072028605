/*
 * Work items: windows of `_seq_no` within one shard of a source index. `_seq_no` is indexed (points)
 * and has doc values, so a window is read with a cheap range query sorted on it, never with a
 * full-shard sort or fielddata on `_id`. Several windows per shard let N workers read one shard in
 * parallel. The cursor is the last `_seq_no` whose documents are all written: resuming after it can
 * neither skip a document nor write one under a different id.
 *
 * A document written or updated during the backfill gets a `_seq_no` above the planned maximum (an
 * updated document leaves its old window), so each shard also has a tail item, leased only once the
 * shard's windows are done, that reads from the planned maximum up to the shard's maximum when the
 * tail starts. Later writes (and deletes) are the traffic replay's part.
 */

export type ItemStatus = 'todo' | 'done';

export interface WorkItem {
  kind: 'item';
  index: string;
  shard: number;
  /** First `_seq_no` of the window. */
  from: number;
  /** Last `_seq_no` of the window; null for a tail item until its first lease fixes it. */
  to: number | null;
  tail: boolean;
  status: ItemStatus;
  /** Last `_seq_no` up to which every document of the window is written; null before the first page. */
  cursor: number | null;
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

export interface ShardStats {
  /** Live documents of the primary (an estimate: Lucene counts nested documents too). */
  docs: number;
  /** -1 for a shard that never had a write. */
  maxSeqNo: number;
}

export function itemId(index: string, shard: number, from: number | 'tail'): string {
  // '#' cannot appear in an index name, so the id is unambiguous.
  return `${index}#${shard}#${from}`;
}

/**
 * Splits [0, maxSeqNo] into windows of about docsPerItem live documents (assuming they are spread
 * evenly over the sequence numbers) and adds the shard's tail.
 */
export function planWindows(shard: ShardStats, docsPerItem: number): { from: number; to: number; docs: number }[] {
  if (shard.maxSeqNo < 0) return [];
  const span = shard.maxSeqNo + 1;
  const n = Math.max(1, Math.min(span, Math.ceil(shard.docs / docsPerItem)));
  const width = Math.ceil(span / n);
  const out: { from: number; to: number; docs: number }[] = [];
  for (let from = 0; from <= shard.maxSeqNo; from += width) {
    const to = Math.min(shard.maxSeqNo, from + width - 1);
    out.push({ from, to, docs: 0 });
  }
  // Estimates proportional to each window's width that add up to the shard's count exactly.
  for (const w of out) w.docs = Math.round((shard.docs * (w.to + 1)) / span) - Math.round((shard.docs * w.from) / span);
  return out;
}

export function planItems(plan: Record<string, ShardStats[]>, docsPerItem: number, now = Date.now()): { id: string; doc: WorkItem }[] {
  const out: { id: string; doc: WorkItem }[] = [];
  const base = { kind: 'item' as const, status: 'todo' as const, cursor: null, docsDone: 0, failedDocs: 0, leaseOwner: null, leaseExpiresAt: 0, attempts: 0, updatedAt: now };
  for (const index of Object.keys(plan).sort()) {
    plan[index].forEach((stats, shard) => {
      for (const w of planWindows(stats, docsPerItem)) out.push({ id: itemId(index, shard, w.from), doc: { ...base, index, shard, from: w.from, to: w.to, tail: false, docsTotal: w.docs } });
      out.push({ id: itemId(index, shard, 'tail'), doc: { ...base, index, shard, from: stats.maxSeqNo + 1, to: null, tail: true, docsTotal: 0 } });
    });
  }
  return out;
}

export function isLeaseFree(item: WorkItem, now: number): boolean {
  return item.status !== 'done' && (item.leaseOwner === null || item.leaseExpiresAt <= now);
}

const shardKey = (i: WorkItem) => `${i.index}\u0000${i.shard}`;

/**
 * The items this worker may take now, in the order to try them: never-started items first (so N
 * workers spread out), then expired leases; shuffled so that workers do not all race for one.
 * A tail is offered only once every window of its shard is done.
 */
export function claimOrder<T extends WorkItem>(items: Versioned<T>[], now: number, random = Math.random): Versioned<T>[] {
  const openWindows = new Set(items.filter((v) => !v.doc.tail && v.doc.status !== 'done').map((v) => shardKey(v.doc)));
  const free = items.filter((v) => isLeaseFree(v.doc, now) && !(v.doc.tail && openWindows.has(shardKey(v.doc))));
  const shuffled = free.map((v) => ({ v, r: random() + (v.doc.attempts > 0 ? 1 : 0) })).sort((a, b) => a.r - b.r);
  return shuffled.map((s) => s.v);
}

/** How long to wait before another look when every open item is leased to someone else. */
export function nextLookInMs(items: WorkItem[], now: number, pollMs: number): number {
  const expiries = items.filter((i) => i.status !== 'done' && i.leaseOwner !== null).map((i) => i.leaseExpiresAt - now);
  const soonest = expiries.length ? Math.max(0, Math.min(...expiries)) : pollMs;
  return Math.min(pollMs, soonest + 50);
}

/**
 * Where the next page of a window starts and how many sequence numbers it spans. Each page is a
 * range query over about one page of documents, so the source never sorts more than that: reading
 * a window costs O(its documents), whatever its size.
 */
export interface PageCursor {
  /** Every `_seq_no` below this is read. */
  next: number;
  /** Width of the next page's `_seq_no` range. */
  step: number;
}

export const MAX_STEP = Number.MAX_SAFE_INTEGER;

/**
 * The cursor after a page that asked for [cursor.next, cursor.next + step - 1] (cut at `to`) and got
 * `got` documents, the last with `_seq_no` `lastSeqNo`. A full page ends at its last document; a
 * short one covered its whole range. The step follows the density just seen.
 */
export function advance(cursor: PageCursor, to: number, size: number, got: number, lastSeqNo: number | undefined): PageCursor {
  const hi = Math.min(to, cursor.next + cursor.step - 1);
  if (got >= size && lastSeqNo !== undefined) {
    const span = lastSeqNo - cursor.next + 1;
    return { next: lastSeqNo + 1, step: Math.max(1, span) };
  }
  const span = hi - cursor.next + 1;
  const grown = got === 0 ? span * 8 : Math.min(span * 8, Math.ceil((span * size) / got));
  return { next: hi + 1, step: Math.min(MAX_STEP, Math.max(cursor.step, grown)) };
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
    s.docsTotal += Math.max(i.docsTotal, i.docsDone);
    s.failedDocs += i.failedDocs;
  }
  return s;
}
