import { joinUri, splitUri } from './transforms/request';

/**
 * The document APIs whose replay depends on the source's answer: what the source assigned (an
 * `_id`, a `_version`) and whether it applied the write at all.
 * - index / create / delete: one document, versionable;
 * - update: one document, partial doc or script: cannot carry a version;
 * - bulk: a list of the above;
 * - byQuery: `_update_by_query`, `_delete_by_query`, `_reindex`: cannot carry a version.
 */
export type WriteKind = 'index' | 'create' | 'delete' | 'update' | 'bulk' | 'byQuery';

export interface DocumentWrite {
  kind: WriteKind;
  /** The raw path segments (as sent, still percent-encoded). */
  segments: string[];
  /** The document id in the path, raw; undefined for an auto-id index and for bulk and by-query. */
  id?: string;
}

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE']);
const BY_QUERY = new Set(['_update_by_query', '_delete_by_query']);

function segmentsOf(path: string): string[] {
  const out: string[] = [];
  let start = 1;
  for (;;) {
    const slash = path.indexOf('/', start);
    const end = slash < 0 ? path.length : slash;
    if (end > start) out.push(path.slice(start, end));
    if (slash < 0) return out;
    start = slash + 1;
  }
}

/**
 * What kind of document write a request is, from its method and path (ES 6/7 typed paths
 * included), or undefined for anything else (reads, index and cluster APIs). Cheap: it runs for
 * every mutating request the replayer sees.
 */
export function documentWrite(method: string, uri: string): DocumentWrite | undefined {
  if (!WRITE_METHODS.has(method)) return undefined;
  const q = uri.indexOf('?');
  const seg = segmentsOf(q < 0 ? uri : uri.slice(0, q));
  const n = seg.length;
  if (n === 0) return undefined;
  const last = seg[n - 1];
  if (last === '_bulk') return n <= 3 && method !== 'DELETE' ? { kind: 'bulk', segments: seg } : undefined;
  if (method === 'POST' && ((n === 1 && last === '_reindex') || (n >= 2 && n <= 3 && BY_QUERY.has(last)))) return { kind: 'byQuery', segments: seg };
  // An index name never starts with '_': /_cluster, /_all/_settings and the like are no document API.
  if (seg[0].charCodeAt(0) === 0x5f) return undefined;
  const second = seg[1];
  if (n === 2) {
    // POST /idx/_doc, or the ES 6/7 POST /idx/type: the source picks the id.
    return method === 'POST' && (second === '_doc' || second.charCodeAt(0) !== 0x5f) ? { kind: 'create', segments: seg } : undefined;
  }
  if (n === 3) {
    const id = seg[2];
    if (second === '_create') return method === 'DELETE' ? undefined : { kind: 'create', segments: seg, id };
    if (second === '_update') return method === 'POST' ? { kind: 'update', segments: seg, id } : undefined;
    // /idx/_doc/id or /idx/type/id; /idx/type/_search and the like are endpoints, not ids.
    if ((second === '_doc' || second.charCodeAt(0) !== 0x5f) && id.charCodeAt(0) !== 0x5f) {
      return { kind: method === 'DELETE' ? 'delete' : 'index', segments: seg, id };
    }
    return undefined;
  }
  if (n === 4 && (second === '_doc' || second.charCodeAt(0) !== 0x5f) && seg[2].charCodeAt(0) !== 0x5f) {
    if (seg[3] === '_create' && method !== 'DELETE') return { kind: 'create', segments: seg, id: seg[2] };
    if (seg[3] === '_update' && method === 'POST') return { kind: 'update', segments: seg, id: seg[2] };
  }
  return undefined;
}

/** Parameters that say how the source checked the write; they mean nothing on the target. */
const CONDITIONS = new Set(['if_seq_no', 'if_primary_term', 'version', 'version_type']);
const VERSION_PARAMS = new Set([...CONDITIONS, 'op_type']);

function withoutParams(query: string, drop: Set<string>): string {
  if (!query) return query;
  const kept = query.split('&').filter((p) => {
    const eq = p.indexOf('=');
    return !drop.has(eq < 0 ? p : p.slice(0, eq));
  });
  return kept.join('&');
}

function addParams(query: string, params: string): string {
  return query ? `${query}&${params}` : params;
}

/**
 * The path and query of a single-document write sent with the source's id and version: a create
 * becomes an index (the source said it created the document, and a create cannot carry an
 * external version), an auto-id request names the id the source picked, and the source's own
 * conditions (if_seq_no, version, op_type) give way to `version=<v>&version_type=<type>`.
 */
export function versionedUri(uri: string, write: DocumentWrite, id: string, version: number, versionType: string): string {
  const { query } = splitUri(uri);
  const seg = write.segments;
  let path: string;
  if (write.kind === 'delete' || write.kind === 'index') path = `/${seg.join('/')}`;
  else if (seg.length === 2) path = `/${seg[0]}/${seg[1]}/${encodeURIComponent(id)}`;
  else if (seg[1] === '_create') path = `/${seg[0]}/_doc/${seg[2]}`;
  else path = `/${seg[0]}/${seg[1]}/${seg[2]}`;
  return joinUri(path, addParams(withoutParams(query, VERSION_PARAMS), `version=${version}&version_type=${versionType}`));
}

/** The uri without the source's optimistic-concurrency conditions (an update cannot carry a version). */
export function unconditionalUri(uri: string): string {
  const { path, query } = splitUri(uri);
  const kept = withoutParams(query, CONDITIONS);
  return kept === query ? uri : joinUri(path, kept);
}
