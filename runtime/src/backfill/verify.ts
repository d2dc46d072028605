import { createHash } from 'node:crypto';
import { ClusterClient } from '../core/cluster-client';
import { canonicalJson } from './json-raw';
import { readShard, shardStats } from './source-reader';

/** A document's content hash: key order, whitespace and escapes do not count; every digit does. */
export function sourceHash(rawSource: string): string {
  return createHash('sha1').update(canonicalJson(rawSource)).digest('base64').slice(0, 22);
}

export interface IndexDiff {
  index: string;
  sourceCount: number;
  targetCount: number;
  missingOnTarget: string[];
  extraOnTarget: string[];
  different: string[];
  /** Differences whose ids the failed-documents file explains. */
  knownFailed: number;
}

/**
 * id -> hash for the whole index, read shard by shard in `_seq_no` ranges (no sort on `_id`: that
 * would load every id into the cluster's heap).
 */
export async function hashIndex(client: ClusterClient, index: string, pageSize = 5000): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  const shards = (await shardStats(client, [index]))[index] ?? [];
  for (let shard = 0; shard < shards.length; shard++) {
    for await (const hits of readShard(client, index, shard, shards[shard].maxSeqNo, pageSize)) {
      for (const h of hits) hashes.set(h.id, sourceHash(h.source));
    }
  }
  return hashes;
}

export function diffHashes(index: string, source: Map<string, string>, target: Map<string, string>, knownFailed: Set<string>): IndexDiff {
  const d: IndexDiff = { index, sourceCount: source.size, targetCount: target.size, missingOnTarget: [], extraOnTarget: [], different: [], knownFailed: 0 };
  for (const [id, h] of source) {
    const t = target.get(id);
    if (t === undefined) d.missingOnTarget.push(id);
    else if (t !== h) d.different.push(id);
  }
  for (const id of target.keys()) if (!source.has(id)) d.extraOnTarget.push(id);
  d.knownFailed = [...d.missingOnTarget, ...d.different].filter((id) => knownFailed.has(`${index}\u0000${id}`)).length;
  return d;
}

export function isClean(d: IndexDiff, allowKnownFailed: boolean): boolean {
  const problems = d.missingOnTarget.length + d.different.length + d.extraOnTarget.length - (allowKnownFailed ? d.knownFailed : 0);
  return problems === 0;
}
