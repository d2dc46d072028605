import { ClusterClient, ClusterRequestError } from '../core/cluster-client';
import { ConfigError } from '../core/errors';
import { Allowlist, isSystemIndex, selectNames } from './allowlist';
import { parseSearchResponse, RawHit } from './json-raw';

/** One page of one shard, in `_id` order, after `cursor` (exclusive). */
export async function readShardPage(source: ClusterClient, index: string, shard: number, cursor: string | null, size: number): Promise<RawHit[]> {
  const path = `/${encodeURIComponent(index)}/_search?preference=_shards:${shard}`;
  const body = { size, sort: [{ _id: { order: 'asc', unmapped_type: 'keyword' } }], track_total_hits: false, ...(cursor === null ? {} : { search_after: [cursor] }) };
  const req = { method: 'POST', path, body };
  const res = await source.request(req);
  if (res.statusCode !== 200) throw new ClusterRequestError(req, res);
  return parseSearchResponse(res.body.toString('utf8')).hits;
}

export interface ShardPlan {
  shards: number;
  docs: number[];
}

/** The source indices to copy (allowlist, or all but system ones) with per-shard document counts. */
export async function planSourceIndices(source: ClusterClient, allowlist: Allowlist | undefined): Promise<Record<string, ShardPlan>> {
  const shards = (await source.json('GET', '/_cat/shards?format=json&h=index,shard,prirep,docs&bytes=b')) as { index: string; shard: string; prirep: string; docs: string | null }[];
  const byIndex: Record<string, ShardPlan> = {};
  for (const s of shards) {
    if (s.prirep !== 'p') continue;
    const plan = (byIndex[s.index] ??= { shards: 0, docs: [] });
    const n = Number(s.shard);
    plan.shards = Math.max(plan.shards, n + 1);
    plan.docs[n] = Number(s.docs ?? 0);
  }
  const names = Object.keys(byIndex);
  if (allowlist) {
    const missing = allowlist.missing(names);
    if (missing.length) throw new ConfigError(`--index-allowlist names ${missing.length === 1 ? 'an index' : 'indices'} that the source does not have: ${missing.join(', ')} (check the names with GET _cat/indices on the source)`);
  }
  const chosen = selectNames(names, allowlist, isSystemIndex);
  return Object.fromEntries(chosen.map((n) => [n, byIndex[n]]));
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
