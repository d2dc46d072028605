import { ClusterClient } from '../core/cluster-client';
import { ConfigError, LeaseLostError } from '../core/errors';
import type { Logger } from '../core/logging';
import { Allowlist } from './allowlist';
import { BulkWriter, BulkWriterOptions, WriteResult } from './bulk-writer';
import { LeaseStore } from './lease-store';
import { missingOnTarget, planSourceIndices, readWindowPage, refreshSource, shardStats } from './source-reader';
import { claimOrder, nextLookInMs, PageCursor, planItems, summarize, Versioned, WorkItem } from './work-items';

export const SETUP_ID = '__setup__';
const SETUP_LEASE_LOST = 'another worker took over the setup lease while this one planned the work: run this worker again (it joins the plan), and raise --lease-duration if planning takes longer than the lease';

export interface SetupDoc {
  kind: 'setup';
  status: 'running' | 'done';
  leaseOwner: string | null;
  leaseExpiresAt: number;
  indices: string[];
  /** Target settings to put back once every item is done (when the load turned them off). */
  restore?: Record<string, { refresh_interval: string | null; number_of_replicas: string | null }>;
  restored?: boolean;
}

export interface WorkerOptions {
  source: ClusterClient;
  target: ClusterClient;
  store: LeaseStore;
  workerId: string;
  indexAllowlist?: Allowlist;
  leaseMs: number;
  pageSize: number;
  /** Pages being written at once per item. */
  pagesInFlight: number;
  /** Work items this worker holds and reads at once. */
  itemsInFlight: number;
  /** Planned live documents per work item (a shard is split into windows of about this many). */
  docsPerItem: number;
  pollMs: number;
  writer: BulkWriterOptions;
  disableRefreshAndReplicas: boolean;
  log: Logger;
  onProgress?: (p: { done: number; total: number; written: number; failed: number }) => void;
}

export interface WorkerResult {
  itemsCompleted: number;
  docsWritten: number;
  docsFailed: number;
}

const sleep = (ms: number) => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
};
const quiet = <T>(p: Promise<T>): Promise<T> => {
  p.catch(() => undefined); // handled where awaited; this only keeps a prefetch from crashing the process
  return p;
};

/**
 * One worker: takes leases on work items until none is left. Any number of copies may run at
 * once (processes, ECS tasks); a copy that dies leaves a lease that expires and a checkpointed
 * cursor that the next owner resumes from.
 */
export class DocumentWorker {
  private readonly writer: BulkWriter;
  private result: WorkerResult = { itemsCompleted: 0, docsWritten: 0, docsFailed: 0 };
  private baseDone = 0;
  private sinceLook = 0;
  private total = 0;

  constructor(private readonly o: WorkerOptions) {
    this.writer = new BulkWriter(o.target, o.writer);
  }

  /** Read-only checks first, so that bad input writes nothing. */
  async plan(): Promise<string[]> {
    const plan = await planSourceIndices(this.o.source, this.o.indexAllowlist);
    const indices = Object.keys(plan);
    const missing = await missingOnTarget(this.o.target, indices);
    if (missing.length) throw new ConfigError(`the target has no index ${missing.join(', ')}: run \`metadata-migration migrate\` first (documents must not land in indices with guessed mappings)`);
    return indices;
  }

  async run(): Promise<WorkerResult> {
    await this.plan();
    await this.o.store.ensureIndex();
    await this.ensureSetup();
    // Items this worker holds; each reads and writes on its own, sharing the bulk writer.
    const active = new Map<string, Promise<void>>();
    let failure: unknown;
    const begin = (item: Versioned<WorkItem>) => {
      const p = this.processItem(item)
        .catch((err) => {
          failure ??= err;
        })
        .finally(() => active.delete(item.id));
      active.set(item.id, p);
    };
    for (;;) {
      if (failure) {
        await Promise.all(active.values());
        throw failure;
      }
      const items = (await this.o.store.all<WorkItem | SetupDoc>()).filter((v): v is Versioned<WorkItem> => v.doc.kind === 'item');
      const now = Date.now();
      const s = summarize(items.map((i) => i.doc), now);
      this.baseDone = s.docsDone;
      this.sinceLook = 0;
      this.total = s.docsTotal;
      if (s.done === s.items && active.size === 0) {
        await this.finish();
        return this.result;
      }
      let claimedAny = false;
      if (active.size < this.o.itemsInFlight) {
        for (const candidate of claimOrder(items, now)) {
          if (active.has(candidate.id)) continue;
          const claimed = await this.claim(candidate);
          if (!claimed) continue;
          this.o.log.info({ item: claimed.id, cursor: claimed.doc.cursor, to: claimed.doc.to, attempts: claimed.doc.attempts }, 'lease taken');
          begin(claimed);
          claimedAny = true;
          break;
        }
      }
      if (claimedAny) continue;
      // Nothing to take now: wait for one of ours to finish, or for others' leases to end.
      const wait = sleep(active.size > 0 && active.size >= this.o.itemsInFlight ? 3_600_000 : nextLookInMs(items.map((i) => i.doc), Date.now(), this.o.pollMs));
      await Promise.race([wait.promise, ...active.values()]);
      wait.cancel();
    }
  }

  /** Takes the lease; a tail's first lease fixes its end at the shard's highest `_seq_no` now. */
  private async claim(candidate: Versioned<WorkItem>): Promise<Versioned<WorkItem> | undefined> {
    let to = candidate.doc.to;
    if (to === null) {
      const stats = await shardStats(this.o.source, [candidate.doc.index]);
      to = stats[candidate.doc.index]?.[candidate.doc.shard]?.maxSeqNo ?? -1;
      await refreshSource(this.o.source, [candidate.doc.index]);
    }
    const doc: WorkItem = { ...candidate.doc, to, leaseOwner: this.o.workerId, leaseExpiresAt: Date.now() + this.o.leaseMs, attempts: candidate.doc.attempts + 1, updatedAt: Date.now() };
    return this.o.store.update(candidate, doc, true);
  }

  private async ensureSetup(): Promise<void> {
    for (;;) {
      const setup = await this.o.store.get<SetupDoc>(SETUP_ID);
      if (setup?.doc.status === 'done') return;
      const fresh: SetupDoc = { kind: 'setup', status: 'running', leaseOwner: this.o.workerId, leaseExpiresAt: Date.now() + this.o.leaseMs, indices: [] };
      let mine: Versioned<SetupDoc> | undefined;
      if (!setup) {
        if (await this.o.store.create(SETUP_ID, fresh)) mine = await this.o.store.get<SetupDoc>(SETUP_ID);
      } else if (setup.doc.leaseExpiresAt <= Date.now()) {
        mine = await this.o.store.update(setup, { ...setup.doc, ...fresh, restore: setup.doc.restore }, true);
      }
      if (!mine) {
        await sleep(Math.min(this.o.pollMs, 500)).promise;
        continue;
      }
      try {
        await this.setup(mine);
        return;
      } catch (err) {
        // Let the next worker try at once rather than after the lease.
        await this.o.store.update(mine, { ...mine.doc, leaseExpiresAt: 0 }).catch(() => undefined);
        throw err;
      }
    }
  }

  private async setup(mine: Versioned<SetupDoc>): Promise<void> {
    const plan = await planSourceIndices(this.o.source, this.o.indexAllowlist);
    await refreshSource(this.o.source, Object.keys(plan));
    const items = planItems(plan, this.o.docsPerItem);
    await this.o.store.createMany(items);
    let restore = mine.doc.restore;
    if (this.o.disableRefreshAndReplicas && !restore) {
      restore = {};
      for (const index of Object.keys(plan)) {
        const s = await this.o.target.json('GET', `/${encodeURIComponent(index)}/_settings/index.refresh_interval,index.number_of_replicas`);
        const settings = s[index]?.settings?.index ?? {};
        restore[index] = { refresh_interval: settings.refresh_interval ?? null, number_of_replicas: settings.number_of_replicas ?? null };
      }
      // Saved before changing anything, so a crash here still restores the original values.
      const saved = await this.o.store.update(mine, { ...mine.doc, restore });
      if (!saved) throw new LeaseLostError(SETUP_LEASE_LOST);
      mine = saved;
      for (const index of Object.keys(plan)) {
        await this.o.target.json('PUT', `/${encodeURIComponent(index)}/_settings`, { index: { refresh_interval: '-1', number_of_replicas: 0 } });
      }
    }
    const done = await this.o.store.update(mine, { ...mine.doc, status: 'done', leaseOwner: null, leaseExpiresAt: 0, indices: Object.keys(plan), restore }, true);
    if (!done) throw new LeaseLostError(SETUP_LEASE_LOST);
    this.o.log.info({ indices: Object.keys(plan).length, items: items.length }, 'work items planned');
  }

  /** Puts back the settings the load changed; idempotent, so every last worker may do it. */
  private async finish(): Promise<void> {
    const setup = await this.o.store.get<SetupDoc>(SETUP_ID);
    if (!setup?.doc.restore || setup.doc.restored) return;
    for (const [index, s] of Object.entries(setup.doc.restore)) {
      await this.o.target.json('PUT', `/${encodeURIComponent(index)}/_settings`, { index: { refresh_interval: s.refresh_interval, number_of_replicas: s.number_of_replicas ?? 1 } });
      await this.o.target.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_refresh` });
    }
    await this.o.store.update(setup, { ...setup.doc, restored: true });
  }

  private async processItem(start: Versioned<WorkItem>): Promise<void> {
    const lease = new LeaseHolder(this.o.store, start, this.o.leaseMs, this.o.log);
    const { index, shard } = start.doc;
    const to = start.doc.to ?? -1;
    const size = this.o.pageSize;
    let itemDone = start.doc.docsDone;
    try {
      const writes: Promise<WriteResult & { coveredTo: number }>[] = [];
      const settle = async () => {
        const r = await writes.shift()!;
        this.result.docsWritten += r.written;
        this.result.docsFailed += r.failed;
        itemDone += r.written + r.failed;
        this.sinceLook += r.written + r.failed;
        this.o.onProgress?.({ done: this.baseDone + this.sinceLook, total: this.total, written: r.written, failed: r.failed });
        // The cursor moves only once the page is written: a restart re-reads it, never skips it.
        await lease.update((d) => ({ ...d, cursor: r.coveredTo, docsDone: d.docsDone + r.written + r.failed, failedDocs: d.failedDocs + r.failed }));
      };
      let cursor: PageCursor = { next: start.doc.cursor === null ? start.doc.from : start.doc.cursor + 1, step: size };
      const read = (c: PageCursor) => (c.next > to ? undefined : quiet(readWindowPage(this.o.source, index, shard, c, to, size)));
      let next = read(cursor);
      while (next && !lease.lost) {
        const page = await next;
        cursor = page.cursor;
        // Read the next page while this one is written.
        next = read(cursor);
        const coveredTo = page.coveredTo;
        writes.push(page.hits.length === 0 ? Promise.resolve({ written: 0, failed: 0, coveredTo }) : quiet(this.writer.write(index, page.hits).then((r) => ({ ...r, coveredTo }))));
        while (writes.length >= this.o.pagesInFlight) await settle();
      }
      while (writes.length > 0) await settle();
      if (lease.lost) {
        this.o.log.warn({ item: start.id }, 'lease lost to another worker: leaving the item to it');
        return;
      }
      await lease.update((d) => ({ ...d, status: 'done', leaseOwner: null, leaseExpiresAt: 0 }), true);
      if (!lease.lost) {
        this.result.itemsCompleted++;
        this.o.log.info({ item: start.id, docs: itemDone }, 'work item done');
      }
    } catch (err) {
      // Free the lease now (the cursor stays), so another attempt need not wait for it to expire.
      await lease.update((d) => ({ ...d, leaseOwner: null, leaseExpiresAt: 0 })).catch(() => undefined);
      throw err;
    } finally {
      lease.stop();
    }
  }
}

/**
 * This worker's hold on one item: renews the lease on a timer and applies checkpoints, one write
 * at a time (each carries the previous version); a 409 means the lease went to someone else.
 */
class LeaseHolder {
  lost = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: LeaseStore,
    private current: Versioned<WorkItem>,
    private readonly leaseMs: number,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.update((d) => d).catch(() => undefined), Math.max(100, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  update(mutate: (d: WorkItem) => WorkItem, refresh = false): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.lost) return;
      const changed = mutate({ ...this.current.doc });
      const doc = changed.status === 'done' || changed.leaseExpiresAt === 0 ? { ...changed, updatedAt: Date.now() } : { ...changed, leaseExpiresAt: Date.now() + this.leaseMs, updatedAt: Date.now() };
      try {
        const next = await this.store.update(this.current, doc, refresh);
        if (next) this.current = next;
        else this.lost = true;
      } catch (err) {
        this.log.warn({ item: this.current.id, err }, 'lease update failed: giving the item up');
        this.lost = true;
      }
    });
    return this.chain;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
