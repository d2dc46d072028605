import { ConfigError } from '../../core/errors';
import { checkOptions } from './options';
import { joinUri, parseJsonBody, pathSegments, RequestDropped, RequestTransform, rewriteBulkActions, setJsonBody, splitUri, TransformableRequest } from './request';
import { typeRemoval, untypedMapping } from './type-removal';

/*
 * The reference's TypeMappingSanitizationTransformerProvider, for indices with several mapping
 * types (ES 5/6): each (index, type) goes to the index its mapping names, and what maps to no index
 * is not sent (counted). staticMappings are literal names and win; regexMappings are tried in
 * order for an index that staticMappings does not name; with no regexMappings every type of an
 * index goes to the index of the same name. After routing, types leave paths and bodies as with
 * TypeRemoval.
 */

const NAME = 'TypeMappingSanitizationTransformerProvider';
const PROVIDER_OPTIONS = ['staticMappings', 'regexMappings', 'sourceProperties', 'featureFlags'];
const NOT_SUPPORTED = { jinjavaConfig: "configures the reference's Jinjava template engine, which this replayer does not use: remove it" };

interface CompiledRegex {
  re: RegExp;
  target: string;
}

/** The feature names of the reference; with featureFlags given, only those set true run. */
type Feature = 'rewrite_add_request_to_strip_types' | 'rewrite_get_request_to_strip_types' | 'rewrite_bulk' | 'rewrite_create_index';

export interface TypeMappingOptions {
  staticMappings?: Record<string, Record<string, string>>;
  regexMappings?: Array<{ sourceIndexPattern: string; sourceTypePattern: string; targetIndexPattern: string } | [string, string, string]>;
  sourceProperties?: { type?: string; version: { major: number; minor?: number } };
  featureFlags?: Record<string, unknown>;
}

function fail(message: string): never {
  throw new ConfigError(`${NAME}: ${message}`);
}

function compileRegexMappings(value: unknown): CompiledRegex[] {
  // The reference's default: every type of an index into the index of the same name.
  if (value === undefined) return [{ re: /^(.+)\/(.+)$/, target: '$1' }];
  if (!Array.isArray(value)) fail('"regexMappings" must be a list of {"sourceIndexPattern", "sourceTypePattern", "targetIndexPattern"}');
  return value.map((m, i) => {
    let index: unknown;
    let type: unknown;
    let target: unknown;
    if (Array.isArray(m)) {
      // The older list form [indexRegex, typeRegex, target] with \1 back-references.
      [index, type, target] = m;
      if (typeof target === 'string') target = target.replace(/\\(\d)/g, '$$$1');
    } else if (m && typeof m === 'object') {
      checkOptions(`${NAME} regexMappings[${i}]`, m, ['sourceIndexPattern', 'sourceTypePattern', 'targetIndexPattern']);
      ({ sourceIndexPattern: index, sourceTypePattern: type, targetIndexPattern: target } = m as Record<string, unknown>);
    }
    if (typeof index !== 'string' || typeof type !== 'string' || typeof target !== 'string') {
      fail(`regexMappings[${i}] needs string "sourceIndexPattern", "sourceTypePattern" and "targetIndexPattern"`);
    }
    try {
      return { re: new RegExp(`^${index}/${type}$`), target };
    } catch (err) {
      return fail(`regexMappings[${i}] is not a valid regular expression (${(err as Error).message})`);
    }
  });
}

function checkStaticMappings(value: unknown): Record<string, Record<string, string>> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('"staticMappings" must map each source index to {type: target index}');
  for (const [index, types] of Object.entries(value)) {
    if (!types || typeof types !== 'object' || Array.isArray(types)) fail(`staticMappings.${index} must map each type to a target index (or be {} to drop the index)`);
    for (const [type, target] of Object.entries(types)) {
      if (typeof target !== 'string' || !target) fail(`staticMappings.${index}.${type} must be the name of a target index`);
    }
  }
  return value as Record<string, Record<string, string>>;
}

function checkSourceMajor(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const v = value as { version?: { major?: unknown } };
  if (!v || typeof v !== 'object') fail('"sourceProperties" must be {"version": {"major": 6, "minor": 8}}');
  checkOptions(`${NAME} sourceProperties`, v, ['type', 'version']);
  if (!v.version || typeof v.version !== 'object') fail('sourceProperties.version must be {"major": N, "minor": N}');
  checkOptions(`${NAME} sourceProperties.version`, v.version, ['major', 'minor', 'patch']);
  if (typeof v.version.major !== 'number' || !Number.isInteger(v.version.major)) fail('sourceProperties.version.major must be a whole number, e.g. 6');
  return v.version.major;
}

function featureCheck(flags: unknown): (f: Feature) => boolean {
  if (flags === undefined) return () => true;
  if (!flags || typeof flags !== 'object' || Array.isArray(flags)) fail('"featureFlags" must be an object of feature names to true/false');
  const f = flags as Record<string, unknown>;
  return (name) => {
    const v = f[name];
    if (typeof v === 'boolean') return v;
    return Boolean(v && typeof v === 'object' && (v as { enabled?: unknown }).enabled);
  };
}

const isName = (s: string | undefined): s is string => s !== undefined && s.length > 0 && !s.startsWith('_') && !/[,*]/.test(s);
/** A type segment: a name, or `_doc` (the typeless form). */
const isType = (s: string | undefined): s is string => s === '_doc' || isName(s);
/** ES 7 typeless document endpoints (`/idx/_create/id`): the type is _doc. */
const TYPELESS_DOC_ENDPOINTS = new Set(['_doc', '_create', '_update', '_source', '_explain', '_termvectors']);

export function typeMappingSanitization(options: unknown): RequestTransform {
  const o = (options ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) fail('options must be an object with staticMappings, regexMappings, sourceProperties, featureFlags');
  checkOptions(NAME, o, PROVIDER_OPTIONS, NOT_SUPPORTED);
  const staticMappings = checkStaticMappings(o.staticMappings);
  const regexes = compileRegexMappings(o.regexMappings);
  const sourceMajor = checkSourceMajor(o.sourceProperties);
  const enabled = featureCheck(o.featureFlags);
  const removeTypes = typeRemoval();

  const targetFor = (index: string, type: string): string | null => {
    const fixed = Object.hasOwn(staticMappings, index) ? staticMappings[index] : undefined;
    if (fixed) return Object.hasOwn(fixed, type) ? fixed[type] : null;
    const key = `${index}/${type}`;
    for (const { re, target } of regexes) if (re.test(key)) return key.replace(re, target);
    return null;
  };
  const route = (index: string, type: string): string => {
    const target = targetFor(index, type);
    if (target === null) throw new RequestDropped(`${NAME}: ${index}/${type} maps to no index`);
    return target;
  };

  /** Does a create-index body carry types? The query says so, else the source's version, else its shape. */
  const typedCreate = (query: string, mappings: unknown): boolean => {
    const flag = /(?:^|&)include_type_name=([^&]*)/.exec(query)?.[1];
    if (flag !== undefined) return flag === '' || flag === 'true';
    if (sourceMajor !== undefined) return sourceMajor <= 6;
    return untypedMapping(mappings) !== mappings;
  };

  const rewriteBulk = (req: TransformableRequest, seg: string[]): string[] => {
    const defaultIndex = isName(seg[0]) ? seg[0] : undefined;
    const defaultType = seg.length === 3 ? seg[1] : undefined;
    const dropped = rewriteBulkActions(req, (action) => {
      const op = Object.keys(action)[0];
      const meta = action[op];
      if (!meta || typeof meta !== 'object') return undefined;
      const index = typeof meta._index === 'string' ? meta._index : defaultIndex;
      if (!index) return undefined;
      const target = targetFor(index, typeof meta._type === 'string' ? meta._type : (defaultType ?? '_doc'));
      if (target === null) return null;
      const { _type: _dropped, ...rest } = meta;
      return { [op]: { ...rest, _index: target } };
    });
    if (dropped > 0) {
      req.droppedItems = (req.droppedItems ?? 0) + dropped;
      if (!/\S/.test(req.body.toString('utf8'))) throw new RequestDropped(`${NAME}: every action of this _bulk maps to no index`);
    }
    return ['_bulk'];
  };

  const rewriteCreate = (req: TransformableRequest, index: string, query: string): string => {
    const body = parseJsonBody(req);
    const mappings = body?.mappings;
    if (!mappings || typeof mappings !== 'object') return index;
    if (!typedCreate(query, mappings)) return route(index, '_doc');
    const targets = new Map<string, string[]>();
    for (const type of Object.keys(mappings)) {
      const t = targetFor(index, type);
      if (t !== null) targets.set(t, [...(targets.get(t) ?? []), type]);
    }
    if (targets.size === 0) throw new RequestDropped(`${NAME}: no type of ${index} maps to an index`);
    if (targets.size > 1) {
      throw new Error(`${NAME}: creating ${index} would create ${[...targets.keys()].join(', ')} from one request; create those indices first (e.g. by the metadata migration)`);
    }
    const [[target, types]] = [...targets];
    const properties: Record<string, unknown> = {};
    for (const type of types) {
      for (const [field, def] of Object.entries(mappings[type]?.properties ?? {})) {
        if (field in properties && JSON.stringify(properties[field]) !== JSON.stringify(def)) {
          throw new Error(`${NAME}: field "${field}" has different definitions in the types of ${index} that go to ${target}`);
        }
        properties[field] = def;
      }
    }
    const { properties: _p, ...others } = mappings[types[0]] ?? {};
    setJsonBody(req, { ...body, mappings: { ...others, properties } });
    return target;
  };

  return (req) => {
    const { path, query } = splitUri(req.uri);
    let seg = pathSegments(path);
    const endpoint = seg.findIndex((s) => s.startsWith('_') && s !== '_doc');
    const write = req.method === 'PUT' || req.method === 'POST';
    if (seg[endpoint] === '_bulk' && endpoint === seg.length - 1 && write && endpoint <= 2) {
      if (enabled('rewrite_bulk')) seg = rewriteBulk(req, seg);
    } else if (seg.length === 1 && isName(seg[0]) && write) {
      if (enabled('rewrite_create_index')) seg = [rewriteCreate(req, seg[0], query)];
    } else if (isName(seg[0]) && seg.length >= 2) {
      const [index, second, third] = seg;
      let type: string | undefined;
      if ((second === '_mapping' || second === '_mappings') && seg.length <= 3) type = third ?? '_doc';
      else if (TYPELESS_DOC_ENDPOINTS.has(second) && second !== '_doc') type = '_doc';
      else if (isType(second)) type = second;
      const feature: Feature = req.method === 'GET' ? 'rewrite_get_request_to_strip_types' : 'rewrite_add_request_to_strip_types';
      if (type !== undefined && enabled(feature)) seg = [route(index, type), ...seg.slice(1)];
    }
    const routed = `/${seg.join('/')}`;
    if (routed !== path) req.uri = joinUri(routed, query);
    return removeTypes(req);
  };
}
