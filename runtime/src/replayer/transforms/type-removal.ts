import { joinUri, parseJsonBody, pathSegments, RequestTransform, rewriteBulkActions, setJsonBody, splitUri, TransformableRequest } from './request';

/** Keys a typeless mapping may hold at its top level; any other single key is a type name. */
const MAPPING_KEYS = new Set([
  'properties', 'dynamic', 'dynamic_templates', '_source', '_meta', '_routing', 'enabled', 'date_detection',
  'numeric_detection', 'dynamic_date_formats', '_all', '_field_names', '_size', 'runtime', 'include_in_all', '_parent', '_timestamp', '_ttl',
]);
/** Document endpoints that ES 6/7 put after the id (`/idx/type/id/_update`) and OpenSearch before it (`/idx/_update/id`). */
const DOC_ENDPOINTS = new Set(['_update', '_create', '_source', '_explain', '_termvectors']);

/** `{type: {properties...}}` -> `{properties...}`; a typeless mapping is returned as it is. */
export function untypedMapping(mappings: unknown): unknown {
  if (!mappings || typeof mappings !== 'object' || Array.isArray(mappings)) return mappings;
  const keys = Object.keys(mappings);
  if (keys.length !== 1 || MAPPING_KEYS.has(keys[0])) return mappings;
  const inner = (mappings as Record<string, unknown>)[keys[0]];
  return inner && typeof inner === 'object' && !Array.isArray(inner) ? inner : mappings;
}

function withoutTypeParam(query: string): string {
  if (!query) return query;
  return query.split('&').filter((p) => !/^include_type_name(=|$)/.test(p)).join('&');
}

function fixMappingsBody(req: TransformableRequest, wholeBodyIsMapping: boolean): void {
  const body = parseJsonBody(req);
  if (!body || typeof body !== 'object') return;
  if (wholeBodyIsMapping) {
    const untyped = untypedMapping(body);
    if (untyped !== body) setJsonBody(req, untyped);
    return;
  }
  if (body.mappings !== undefined) {
    const untyped = untypedMapping(body.mappings);
    if (untyped !== body.mappings) setJsonBody(req, { ...body, mappings: untyped });
  }
}

function dropTypeInBulk(req: TransformableRequest): void {
  if (!req.body.includes('"_type"')) return;
  rewriteBulkActions(req, (action) => {
    const op = Object.keys(action)[0];
    const meta = action[op];
    if (!meta || typeof meta !== 'object' || !('_type' in meta)) return undefined;
    const { _type: _dropped, ...rest } = meta;
    return { [op]: rest };
  });
}

function dropTypeInMget(req: TransformableRequest): void {
  if (!req.body.includes('"_type"')) return;
  const body = parseJsonBody(req);
  if (!body || !Array.isArray(body.docs)) return;
  setJsonBody(req, { ...body, docs: body.docs.map((d: any) => (d && typeof d === 'object' ? (({ _type: _t, ...rest }) => rest)(d) : d)) });
}

/**
 * Elasticsearch 6/7 to OpenSearch 2+: mapping types are gone. Typed document paths become `_doc`
 * paths, `_type` leaves _bulk and _mget bodies, typed mappings (create index, templates, put
 * mapping) lose their type level, and include_type_name is dropped.
 */
export function typeRemoval(): RequestTransform {
  return (req) => {
    const { path, query } = splitUri(req.uri);
    const newQuery = withoutTypeParam(query);
    const seg = pathSegments(path);
    let newSeg = seg;
    const first = seg[0] ?? '';
    if (first === '_bulk') dropTypeInBulk(req);
    else if (first === '_mget') dropTypeInMget(req);
    else if (first === '_template' || first === '_index_template') {
      if (req.method === 'PUT' || req.method === 'POST') {
        const body = parseJsonBody(req);
        if (body?.template?.mappings !== undefined) {
          const untyped = untypedMapping(body.template.mappings);
          if (untyped !== body.template.mappings) setJsonBody(req, { ...body, template: { ...body.template, mappings: untyped } });
        } else fixMappingsBody(req, false);
      }
    } else if (first && !first.startsWith('_')) {
      const second = seg[1];
      if (second === undefined) {
        if (req.method === 'PUT' || req.method === 'POST') fixMappingsBody(req, false);
      } else if (second === '_mapping' || second === '_mappings') {
        newSeg = [first, second];
        if (req.method === 'PUT' || req.method === 'POST') fixMappingsBody(req, true);
      } else if (second === '_doc' && seg[2] !== undefined && seg[3] !== undefined && DOC_ENDPOINTS.has(seg[3])) {
        // ES 7 still takes the _doc type in front of the id (/idx/_doc/id/_create); OpenSearch does not.
        newSeg = [first, seg[3], seg[2], ...seg.slice(4)];
      } else if (second === '_bulk') dropTypeInBulk(req);
      else if (second === '_mget') dropTypeInMget(req);
      else if (!second.startsWith('_')) {
        // /idx/type...: the second segment is a type name.
        const third = seg[2];
        if (third === undefined) newSeg = [first, '_doc'];
        else if (third.startsWith('_')) {
          newSeg = [first, ...seg.slice(2)];
          if (third === '_bulk') dropTypeInBulk(req);
          else if (third === '_mget') dropTypeInMget(req);
          else if ((third === '_mapping' || third === '_mappings') && (req.method === 'PUT' || req.method === 'POST')) fixMappingsBody(req, true);
        } else if (seg[3] !== undefined && DOC_ENDPOINTS.has(seg[3])) newSeg = [first, seg[3], third, ...seg.slice(4)];
        else newSeg = [first, '_doc', ...seg.slice(2)];
      }
    }
    if (newSeg !== seg || newQuery !== query) {
      req.uri = joinUri(newSeg === seg ? path : `/${newSeg.join('/')}`, newQuery);
    }
    return req;
  };
}
