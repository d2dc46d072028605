import type { ClusterClient } from '../core/cluster-client';
import { ConfigError } from '../core/errors';
import type { Logger } from '../core/logging';

/** Where the original `index.gc_deletes` of each raised index is kept, so that it can be put back. */
export const GC_DELETES_RECORD_INDEX = '.migrations_gc_deletes';

const UNITS: Record<string, number> = { nanos: 1e-6, micros: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An Elasticsearch time value (`60s`, `500ms`, `1d`) in milliseconds, or undefined when it is not one. */
export function timeValueMs(value: string): number | undefined {
  const m = /^(-?\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)$/.exec(value.trim());
  return m ? Number(m[1]) * UNITS[m[2]] : undefined;
}

/** Checks a --target-gc-deletes value: a time value, or `off`. */
export function parseGcDeletes(value: string): string | undefined {
  if (value === 'off') return undefined;
  const ms = timeValueMs(value);
  if (ms === undefined || ms <= 0) throw new ConfigError(`--target-gc-deletes must be a time such as 24h or 7d, or off (got "${value}")`);
  return value;
}

interface GcRecord {
  index: string;
  /** The index's own setting before the migration; null: it had none (the default, 60s). */
  original: string | null;
  raisedTo: string;
  at: string;
}

/**
 * Keeps the target's delete tombstones for the replay. A delete leaves a tombstone (its version)
 * for only `index.gc_deletes` (60 s by default); after that an older versioned write, replayed
 * late (another connection's, or again after a restart), would bring the document back. On the
 * first versioned delete to an index, its gc_deletes is raised on the target (the original value
 * recorded once, in GC_DELETES_RECORD_INDEX); `restoreGcDeletes` puts every original back.
 */
export class TombstoneKeeper {
  /** Per index: the raise in progress, or true once it is done. */
  private readonly raised = new Map<string, Promise<void> | true>();
  private readonly targetMs: number;

  constructor(
    private readonly client: ClusterClient,
    private readonly gcDeletes: string,
    private readonly logger: Logger,
  ) {
    this.targetMs = timeValueMs(gcDeletes)!;
  }

  /**
   * Called for each index a versioned delete goes to; the first call per index raises it. Returns
   * the raise while it is in progress: the delete's tuple (and so its commit) waits for it, so that
   * a delete read again after a crash finds the setting in place or raises it again.
   * `authorization`: the write's own header, when the replayer passes the clients' auth through.
   */
  keep(index: string, authorization?: string): Promise<void> | undefined {
    const state = this.raised.get(index);
    if (state === true) return undefined;
    if (state) return state;
    const raising = this.raise(index, authorization ? { authorization } : undefined).then(
      () => {
        this.raised.set(index, true);
      },
      (err: Error) => {
        // Tried again with the index's next delete.
        this.raised.delete(index);
        this.logger.warn({ index, err: err.message }, 'could not raise index.gc_deletes on the target: a document deleted there may come back if an older write is replayed after its tombstone is gone');
      },
    );
    this.raised.set(index, raising);
    return raising;
  }

  /** Resolves when every raise started so far is done (for tests and shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.raised.values()].filter((v): v is Promise<void> => v !== true));
  }

  private async raise(index: string, headers: Record<string, string> | undefined): Promise<void> {
    const path = `/${encodeURIComponent(index)}/_settings/index.gc_deletes?include_defaults=true&flat_settings=true&ignore_unavailable=true`;
    const res = await this.client.request({ method: 'GET', path, headers });
    // A delete to an index the target lacks fails there anyway: nothing to keep.
    if (res.statusCode === 404) return;
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}`);
    const byIndex = JSON.parse(res.body.toString('utf8')) as Record<string, { settings?: Record<string, string>; defaults?: Record<string, string> }>;
    for (const [concrete, s] of Object.entries(byIndex)) {
      const own = s.settings?.['index.gc_deletes'];
      const current = own ?? s.defaults?.['index.gc_deletes'] ?? '60s';
      if ((timeValueMs(current) ?? 0) >= this.targetMs) continue;
      const record: GcRecord = { index: concrete, original: own ?? null, raisedTo: this.gcDeletes, at: new Date().toISOString() };
      // op_type=create: the first recorder keeps the value from before the migration.
      const saved = await this.client.request({ method: 'PUT', path: `/${GC_DELETES_RECORD_INDEX}/_doc/${encodeURIComponent(concrete)}?op_type=create`, body: record, headers });
      if (saved.statusCode >= 300 && saved.statusCode !== 409) throw new Error(`recording the original gc_deletes of ${concrete} answered ${saved.statusCode}`);
      const put = await this.client.request({ method: 'PUT', path: `/${encodeURIComponent(concrete)}/_settings`, body: { index: { gc_deletes: this.gcDeletes } }, headers });
      if (put.statusCode !== 200) throw new Error(`PUT /${concrete}/_settings answered ${put.statusCode}: ${put.body.toString('utf8').slice(0, 300)}`);
      this.logger.info({ index: concrete, from: current, to: this.gcDeletes }, 'raised index.gc_deletes on the target for the replay');
    }
  }
}

/** Puts back the gc_deletes of every index the replay raised (after cutover); returns what it did. */
export async function restoreGcDeletes(client: ClusterClient): Promise<{ index: string; restoredTo: string | null }[]> {
  await client.request({ method: 'POST', path: `/${GC_DELETES_RECORD_INDEX}/_refresh` });
  const res = await client.request({ method: 'GET', path: `/${GC_DELETES_RECORD_INDEX}/_search?size=10000` });
  if (res.statusCode === 404) return [];
  if (res.statusCode !== 200) throw new Error(`GET ${GC_DELETES_RECORD_INDEX}/_search answered ${res.statusCode}`);
  const hits = (JSON.parse(res.body.toString('utf8')).hits?.hits ?? []) as { _id: string; _source: GcRecord }[];
  const done: { index: string; restoredTo: string | null }[] = [];
  for (const h of hits) {
    const put = await client.request({ method: 'PUT', path: `/${encodeURIComponent(h._source.index)}/_settings`, body: { index: { gc_deletes: h._source.original } } });
    if (put.statusCode !== 200 && put.statusCode !== 404) throw new Error(`PUT /${h._source.index}/_settings answered ${put.statusCode}: ${put.body.toString('utf8').slice(0, 300)}`);
    await client.request({ method: 'DELETE', path: `/${GC_DELETES_RECORD_INDEX}/_doc/${encodeURIComponent(h._id)}` });
    done.push({ index: h._source.index, restoredTo: h._source.original });
  }
  return done;
}
