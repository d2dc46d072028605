import { ClusterClient } from '../core/cluster-client';
import { canonicalJson } from './json-raw';
import { flattenSettings, transformIndex } from './metadata-transforms';

export type CompareGroup = 'to create' | 'identical' | 'identical but empty on target' | 'conflicting';

export interface IndexComparison {
  index: string;
  group: CompareGroup;
  sourceDocs: number;
  targetDocs: number | null;
  differences: string[];
}

// The backfill may change these for the load; they are not the index's identity.
const LOAD_SETTINGS = new Set(['index.number_of_replicas', 'index.refresh_interval', 'index.auto_expand_replicas']);

/** What differs between the source index (as it would be migrated) and the target's. */
export function metadataDifferences(sourceIndex: { settings?: any; mappings?: any; aliases?: any }, targetIndex: { settings?: any; mappings?: any; aliases?: any }): string[] {
  const want = transformIndex(sourceIndex).body;
  const diffs: string[] = [];
  const have = flattenSettings(targetIndex.settings ?? {});
  for (const [k, v] of Object.entries(want.settings)) {
    if (LOAD_SETTINGS.has(k)) continue;
    const h = have[k];
    if (JSON.stringify(h === undefined ? undefined : String(h)) !== JSON.stringify(Array.isArray(v) ? undefined : String(v)) && JSON.stringify(h) !== JSON.stringify(v)) diffs.push(`setting ${k}: source ${JSON.stringify(v)}, target ${JSON.stringify(h)}`);
  }
  if (canonicalJson(JSON.stringify(want.mappings ?? {})) !== canonicalJson(JSON.stringify(targetIndex.mappings ?? {}))) diffs.push('mappings differ');
  const aliasNames = (a: any) => Object.keys(a ?? {}).sort().join(',');
  if (aliasNames(want.aliases) !== aliasNames(targetIndex.aliases)) diffs.push(`aliases: source [${aliasNames(want.aliases)}], target [${aliasNames(targetIndex.aliases)}]`);
  return diffs;
}

export function groupOf(differences: string[], sourceDocs: number, targetDocs: number | null): CompareGroup {
  if (targetDocs === null) return 'to create';
  if (differences.length > 0) return 'conflicting';
  if (targetDocs === 0 && sourceDocs > 0) return 'identical but empty on target';
  return 'identical';
}

async function count(client: ClusterClient, index: string): Promise<number> {
  return (await client.json('GET', `/${encodeURIComponent(index)}/_count`)).count as number;
}

export async function compareIndices(source: ClusterClient, target: ClusterClient, indices: string[]): Promise<IndexComparison[]> {
  const out: IndexComparison[] = [];
  for (const index of indices) {
    const p = `/${encodeURIComponent(index)}`;
    const src = (await source.json('GET', p))[index];
    const sourceDocs = await count(source, index);
    const res = await target.request({ method: 'GET', path: p });
    if (res.statusCode === 404) {
      out.push({ index, group: 'to create', sourceDocs, targetDocs: null, differences: [] });
      continue;
    }
    const tgt = JSON.parse(res.body.toString('utf8'))[index];
    const targetDocs = await count(target, index);
    const differences = metadataDifferences(src, tgt);
    if (targetDocs !== sourceDocs && targetDocs !== 0) differences.push(`documents: source ${sourceDocs}, target ${targetDocs}`);
    out.push({ index, group: groupOf(differences, sourceDocs, targetDocs), sourceDocs, targetDocs, differences });
  }
  return out;
}
