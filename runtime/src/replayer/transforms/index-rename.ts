import { ConfigError } from '../../core/errors';
import { joinUri, parseJsonBody, pathSegments, RequestTransform, rewriteBulkActions, setJsonBody, splitUri } from './request';

export interface RenameRule {
  /** A regular expression matched against the whole index name. */
  from: string;
  /** The new name; `$1`... refer to the groups of `from`. */
  to: string;
}

/** Renames indices in paths (`/a,b/_search`), _bulk action lines and _mget docs. */
export function indexRename(rules: RenameRule[]): RequestTransform {
  if (!Array.isArray(rules) || rules.length === 0) throw new ConfigError('IndexRename: "rules" must be a non-empty list of {"from": regex, "to": name}');
  const compiled = rules.map((r) => {
    if (typeof r?.from !== 'string' || typeof r?.to !== 'string') throw new ConfigError('IndexRename: each rule needs string "from" and "to"');
    try {
      return { re: new RegExp(`^(?:${r.from})$`), to: r.to };
    } catch (err) {
      throw new ConfigError(`IndexRename: "from" is not a valid regular expression (${(err as Error).message})`);
    }
  });
  const rename = (name: string): string => {
    for (const { re, to } of compiled) if (re.test(name)) return name.replace(re, to);
    return name;
  };
  return (req) => {
    const { path, query } = splitUri(req.uri);
    const seg = pathSegments(path);
    if (seg[0] && !seg[0].startsWith('_')) {
      const renamed = seg[0].split(',').map((n) => rename(decodeURIComponent(n))).map(encodeURIComponent).join(',');
      if (renamed !== seg[0]) req.uri = joinUri(`/${[renamed, ...seg.slice(1)].join('/')}`, query);
    }
    const endpoint = seg.find((s) => s.startsWith('_'));
    if (endpoint === '_bulk' && req.body.includes('"_index"')) {
      rewriteBulkActions(req, (action) => {
        const op = Object.keys(action)[0];
        const meta = action[op];
        if (!meta || typeof meta._index !== 'string') return undefined;
        const to = rename(meta._index);
        return to === meta._index ? undefined : { [op]: { ...meta, _index: to } };
      });
    } else if (endpoint === '_mget' && req.body.includes('"_index"')) {
      const body = parseJsonBody(req);
      if (body && Array.isArray(body.docs)) {
        setJsonBody(req, { ...body, docs: body.docs.map((d: any) => (typeof d?._index === 'string' ? { ...d, _index: rename(d._index) } : d)) });
      }
    }
    return req;
  };
}
