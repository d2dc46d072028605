/** What kind of request a tuple holds: the path and method decide. */
export type RequestClass = 'search' | 'count' | 'get' | 'write' | 'bulk' | 'scroll' | 'admin' | 'other';

export const CLASSES: readonly RequestClass[] = ['search', 'count', 'get', 'write', 'bulk', 'scroll', 'admin', 'other'];

export const CLASS_LABELS: Record<RequestClass, string> = {
  search: 'search',
  count: 'count',
  get: 'get/mget',
  write: 'single-document write',
  bulk: '_bulk',
  scroll: 'scroll',
  admin: 'cat/cluster/admin',
  other: 'other',
};

/** APIs about the cluster, indices' metadata and the node: their answers describe the cluster itself. */
const ADMIN = new Set([
  '_cat', '_cluster', '_nodes', '_stats', '_mapping', '_mappings', '_settings', '_alias', '_aliases', '_template', '_index_template',
  '_component_template', '_refresh', '_flush', '_forcemerge', '_tasks', '_ingest', '_snapshot', '_license', '_xpack', '_security',
  '_plugins', '_opendistro', '_segments', '_recovery', '_shard_stores', '_cache', '_open', '_close', '_rollover', '_shrink', '_split',
  '_clone', '_resolve', '_data_stream', '_field_caps', '_analyze', '_validate', '_upgrade', '_ilm', '_ism', '_remotestore', '_scripts',
]);
const SEARCH = new Set(['_search', '_msearch', '_search_shards', '_knn_search', '_terms_enum']);
const GET_DOC = new Set(['_doc', '_source']);
const WRITE_DOC = new Set(['_doc', '_create', '_update']);

function segments(path: string): string[] {
  return path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

export function classify(method: string, path: string): RequestClass {
  const segs = segments(path);
  const api = segs.filter((s) => s.startsWith('_'));
  if (segs.length === 0) return 'admin';
  if (segs.includes('_search') && segs.includes('scroll')) return 'scroll';
  if (api.some((s) => s === '_bulk')) return 'bulk';
  if (api.some((s) => s === '_count')) return 'count';
  if (api.some((s) => SEARCH.has(s))) return 'search';
  if (api.some((s) => s === '_mget')) return 'get';
  if (api.some((s) => ADMIN.has(s))) return 'admin';
  if (api.some((s) => s === '_update_by_query' || s === '_delete_by_query' || s === '_reindex')) return 'other';
  const read = method === 'GET' || method === 'HEAD';
  // /index/_doc/id, /index/_source/id, /index/_create/id, /index/_update/id
  if (segs.length === 3 && segs[1].startsWith('_')) {
    if (read && GET_DOC.has(segs[1])) return 'get';
    if (!read && WRITE_DOC.has(segs[1])) return 'write';
  }
  // POST /index/_doc (an id the source picks)
  if (segs.length === 2 && segs[1] === '_doc' && method === 'POST') return 'write';
  if (api.length === 0) {
    // ES 6 typed forms: /index/type/id, POST /index/type; and /index itself.
    if (segs.length === 3) return read ? 'get' : 'write';
    if (segs.length === 2 && method === 'POST') return 'write';
    if (segs.length === 1) return 'admin';
  }
  // /index/type/id/_update, /index/type/id/_create
  if (segs.length === 4 && !read && (segs[3] === '_update' || segs[3] === '_create')) return 'write';
  return 'other';
}

/**
 * The endpoint a request belongs to: method and path with document and scroll ids replaced, so
 * that requests of one kind on one index share it (`PUT /logs/_doc/{id}`). Query strings are left out.
 */
export function endpointOf(method: string, path: string): string {
  const segs = segments(path);
  const api = segs.filter((s) => s.startsWith('_'));
  let out = segs;
  if (segs.includes('_search') && segs.includes('scroll')) out = segs.slice(0, segs.indexOf('scroll') + 1).concat(segs.length > segs.indexOf('scroll') + 1 ? ['{scroll_id}'] : []);
  else if (segs.length >= 3 && (GET_DOC.has(segs[1]) || WRITE_DOC.has(segs[1]) || segs[1] === '_explain' || segs[1] === '_termvectors')) out = [segs[0], segs[1], '{id}', ...segs.slice(3)];
  else if (api.length === 0 && segs.length === 3) out = [segs[0], segs[1], '{id}'];
  else if (segs.length === 4 && (segs[3] === '_update' || segs[3] === '_create')) out = [segs[0], segs[1], '{id}', segs[3]];
  return `${method} /${out.join('/')}`;
}
