import { ClusterClient, ClusterRequestError } from '../core/cluster-client';
import { ConfigError } from '../core/errors';
import { Allowlist, isSystemIndex, selectNames } from './allowlist';
import { parseSearchResponse, RawHit } from './json-raw';
import { advance, MAX_STEP, PageCursor, ShardStats } from './work-items';

/**
 * The documents of one shard whose `_seq_no` is in [from, to], at most `size` of them, lowest first.
 * A range on the indexed `_seq_no` plus a sort on its doc values: no fielddata, and the source sorts
 * only the documents of the range.
 */
export async function readSeqNoPage(client: ClusterClient, index: string, shard: number, from: number, to: number, size: number): Promise<RawHit[]> {
  const path = `/${encodeURIComponent(index)}/_search?preference=_shards:${shard}`;
  // version: each document is written with the source's _version (external versioning on the target).
  const body = { size, version: true, query: { range: { _seq_no: { gte: from, lte: to } } }, sort: [{ _seq_no: 'asc' }], track_total_hits: false };
  const req = { method: 'POST', path, body };
  const res = await client.request(req);
  if (res.statusCode !== 200) throw new ClusterRequestError(req, res);
  const hits = parseSearchResponse(res.body.toString('utf8')).hits;
  if (hits.length > 0 && !Number.isFinite(hits[hits.length - 1].seqNo)) throw new ConfigError(`${index} answered a search sorted on _seq_no without sort values: this cluster version is not supported`);
  return hits;
}

export interface SeqNoPage {
  hits: RawHit[];
  /** Every document with `_seq_no` up to this one is in this page or an earlier one. */
  coveredTo: number;
  cursor: PageCursor;
}

/** Reads the page at `cursor` of the window ending at `to` and says where the next one starts. */
export async function readWindowPage(client: ClusterClient, index: string, shard: number, cursor: PageCursor, to: number, size: number): Promise<SeqNoPage> {
  const hi = Math.min(to, cursor.next + cursor.step - 1);
  const hits = await readSeqNoPage(client, index, shard, cursor.next, hi, size);
  const next = advance(cursor, to, size, hits.length, hits[hits.length - 1]?.seqNo);
  return { hits, coveredTo: next.next - 1, cursor: next };
}

/**
 * Every document of a shard, page by page, including those written while it reads: past
 * `knownMaxSeqNo` one open-ended range takes the rest (an updated document moves there).
 */
export async function* readShard(client: ClusterClient, index: string, shard: number, knownMaxSeqNo: number, size: number): AsyncGenerator<RawHit[]> {
  let cursor: PageCursor = { next: 0, step: size };
  while (cursor.next <= MAX_STEP) {
    if (cursor.next > knownMaxSeqNo) cursor = { next: cursor.next, step: MAX_STEP };
    const page = await readWindowPage(client, index, shard, cursor, MAX_STEP, size);
    cursor = page.cursor;
    if (page.hits.length > 0) yield page.hits;
    if (cursor.next > knownMaxSeqNo && page.hits.length < size) return;
  }
}

/**
 * Makes every write the shard statistics counted visible to search. A window read by `_seq_no`
 * sees only refreshed documents: a document updated just before the plan (its new `_seq_no`
 * inside an early window, not yet refreshed when that window is read, its old one gone by the
 * time its own window is read) would be read by no window at all.
 */
export async function refreshSource(client: ClusterClient, indices: string[]): Promise<void> {
  for (let i = 0; i < indices.length; i += 20) {
    const names = indices.slice(i, i + 20).map(encodeURIComponent).join(',');
    const req = { method: 'POST', path: `/${names}/_refresh?ignore_unavailable=true` };
    const res = await client.request(req);
    if (res.statusCode !== 200) throw new ClusterRequestError(req, res);
  }
}

/** Per primary shard: live documents and the highest `_seq_no`, from the indices' shard stats. */
export async function shardStats(client: ClusterClient, indices: string[]): Promise<Record<string, ShardStats[]>> {
  const out: Record<string, ShardStats[]> = {};
  // A few names per request keeps the URL short on clusters with thousands of indices.
  for (let i = 0; i < indices.length; i += 20) {
    const names = indices.slice(i, i + 20).map(encodeURIComponent).join(',');
    const body = await client.json('GET', `/${names}/_stats/docs?level=shards&filter_path=indices.*.shards.*.routing.primary,indices.*.shards.*.docs.count,indices.*.shards.*.seq_no.max_seq_no&ignore_unavailable=true`);
    for (const [index, data] of Object.entries<any>(body.indices ?? {})) {
      const shards: ShardStats[] = (out[index] = []);
      for (const [n, copies] of Object.entries<any[]>(data.shards ?? {})) {
        const primary = copies.find((c) => c.routing?.primary) ?? copies[0];
        shards[Number(n)] = { docs: Number(primary?.docs?.count ?? 0), maxSeqNo: Number(primary?.seq_no?.max_seq_no ?? -1) };
      }
      for (let s = 0; s < shards.length; s++) shards[s] ??= { docs: 0, maxSeqNo: -1 };
    }
  }
  return out;
}

/** The source indices to copy (allowlist, or all but system ones) with per-shard counts and sequence numbers. */
export async function planSourceIndices(source: ClusterClient, allowlist: Allowlist | undefined): Promise<Record<string, ShardStats[]>> {
  const shards = (await source.json('GET', '/_cat/shards?format=json&h=index,prirep')) as { index: string; prirep: string }[];
  const names = [...new Set(shards.filter((s) => s.prirep === 'p').map((s) => s.index))];
  if (allowlist) {
    const missing = allowlist.missing(names);
    if (missing.length) throw new ConfigError(`--index-allowlist names ${missing.length === 1 ? 'an index' : 'indices'} that the source does not have: ${missing.join(', ')} (check the names with GET _cat/indices on the source)`);
  }
  const chosen = selectNames(names, allowlist, isSystemIndex);
  const stats = await shardStats(source, chosen);
  return Object.fromEntries(chosen.map((n) => [n, stats[n] ?? []]));
}

/** Indices of the plan that the target lacks: documents must not land in dynamically created indices. */
export async function missingOnTarget(target: ClusterClient, indices: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const index of indices) {
    const res = await target.request({ method: 'HEAD', path: `/${encodeURIComponent(index)}` });
    if (res.statusCode === 404) missing.push(index);
  }
  return missing;
}
