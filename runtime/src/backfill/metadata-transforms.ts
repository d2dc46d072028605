/*
 * Elasticsearch 6/7 -> OpenSearch metadata transforms, pure functions over JSON bodies. Each
 * returns the new body and a list of human-readable notes about what it changed.
 */

type Json = any;

export interface Transformed<T> {
  body: T;
  notes: string[];
}

/** Settings that describe one index instance, or that OpenSearch does not accept from a client. */
const INTERNAL_SETTING = [
  /^index\.creation_date$/,
  /^index\.uuid$/,
  /^index\.provided_name$/,
  /^index\.version\./,
  /^index\.routing\.allocation\./,
  /^index\.blocks\./,
  /^index\.resize\./,
  /^index\.history\.uuid$/,
  /^index\.lifecycle\./, // ILM is Elasticsearch-only; OpenSearch has ISM policies instead
  /^index\.frozen$/,
  /^index\.search\.throttled$/,
  /^index\.xpack\./,
];

/** Token filter and tokenizer type names that OpenSearch knows under another name. */
const ANALYSIS_RENAMES: Record<string, string> = {
  nGram: 'ngram',
  edgeNGram: 'edge_ngram',
  delimited_payload_filter: 'delimited_payload',
};

export function flattenSettings(settings: Json, prefix = ''): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(settings ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flattenSettings(v, key));
    else out[key] = v;
  }
  return out;
}

export function unflattenSettings(flat: Record<string, Json>): Json {
  const out: Json = {};
  for (const [key, v] of Object.entries(flat)) {
    const parts = key.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts[parts.length - 1]] = v;
  }
  return out;
}

/** Index settings as OpenSearch takes them: internal ones stripped, analysis types renamed. */
export function transformSettings(settings: Json): Transformed<Record<string, Json>> {
  const notes: string[] = [];
  const flat = flattenSettings(settings);
  const out: Record<string, Json> = {};
  for (const [rawKey, v] of Object.entries(flat)) {
    const key = rawKey.startsWith('index.') ? rawKey : `index.${rawKey}`;
    if (INTERNAL_SETTING.some((re) => re.test(key))) {
      if (!/^index\.(creation_date|uuid|provided_name|version\.created|history\.uuid)$/.test(key)) notes.push(`removed setting ${key}`);
      continue;
    }
    if (/^index\.analysis\.(filter|tokenizer|char_filter)\.[^.]+\.type$/.test(key) && typeof v === 'string' && ANALYSIS_RENAMES[v]) {
      notes.push(`renamed ${key} ${v} -> ${ANALYSIS_RENAMES[v]}`);
      out[key] = ANALYSIS_RENAMES[v];
      continue;
    }
    out[key] = v;
  }
  return { body: out, notes };
}

const MAPPING_ROOT_KEYS = new Set(['properties', 'dynamic', 'dynamic_templates', '_source', '_routing', '_meta', 'date_detection', 'numeric_detection', 'dynamic_date_formats', '_all', '_field_names', 'enabled', '_size', 'runtime']);

/** ES 6 mappings are wrapped in their type name(s); ES 7 ones are not (or under `_doc`). */
export function mappingTypes(mappings: Json): string[] {
  if (!mappings || typeof mappings !== 'object') return [];
  const keys = Object.keys(mappings);
  if (keys.length === 0 || keys.some((k) => MAPPING_ROOT_KEYS.has(k))) return [];
  return keys.filter((k) => mappings[k] && typeof mappings[k] === 'object');
}

/** Typeless mappings for OpenSearch: type(s) removed (several merged), _all removed, old field types converted. */
export function transformMappings(mappings: Json): Transformed<Json> {
  const notes: string[] = [];
  let body: Json = mappings ? structuredClone(mappings) : {};
  const types = mappingTypes(body);
  if (types.length === 1) {
    if (types[0] !== '_doc') notes.push(`removed mapping type ${types[0]}`);
    body = body[types[0]];
  } else if (types.length > 1) {
    notes.push(`merged mapping types ${types.join(', ')} into one`);
    const merged: Json = {};
    for (const t of types) {
      for (const [k, v] of Object.entries(body[t] as Json)) {
        if (k === 'properties') {
          merged.properties ??= {};
          for (const [field, def] of Object.entries(v as Json)) {
            if (merged.properties[field] && JSON.stringify(merged.properties[field]) !== JSON.stringify(def)) notes.push(`field ${field} differs between types: kept the definition of the first type`);
            else merged.properties[field] = def;
          }
        } else merged[k] ??= v;
      }
    }
    body = merged;
  }
  if (body._all !== undefined) {
    notes.push('removed _all');
    delete body._all;
  }
  if (body.properties) body.properties = transformProperties(body.properties, '', notes);
  if (Array.isArray(body.dynamic_templates)) {
    for (const entry of body.dynamic_templates) {
      for (const [name, tpl] of Object.entries(entry as Json)) {
        if ((tpl as Json).mapping) (tpl as Json).mapping = transformField((tpl as Json).mapping, `dynamic template ${name}`, notes);
      }
    }
  }
  return { body, notes };
}

function transformProperties(props: Json, path: string, notes: string[]): Json {
  const out: Json = {};
  for (const [name, def] of Object.entries(props as Json)) out[name] = transformField(def, path ? `${path}.${name}` : name, notes);
  return out;
}

function transformField(def: Json, path: string, notes: string[]): Json {
  if (!def || typeof def !== 'object') return def;
  let f: Json = { ...def };
  if (f.include_in_all !== undefined) {
    delete f.include_in_all;
    notes.push(`${path}: removed include_in_all`);
  }
  if (f.type === 'string') {
    const notAnalyzed = f.index === 'not_analyzed';
    const notIndexed = f.index === 'no' || f.index === false;
    f = { ...f, type: notAnalyzed ? 'keyword' : 'text' };
    if (notAnalyzed) delete f.index;
    if (notIndexed) f.index = false;
    notes.push(`${path}: string -> ${f.type}`);
  }
  if (f.type === 'flattened') {
    // flat_object takes no parameters of its own.
    f = { type: 'flat_object' };
    notes.push(`${path}: flattened -> flat_object`);
  }
  if (f.properties) f.properties = transformProperties(f.properties, path, notes);
  if (f.fields) f.fields = transformProperties(f.fields, path, notes);
  return f;
}

export interface IndexBody {
  settings: Record<string, Json>;
  mappings: Json;
  aliases: Json;
}

/** GET /<index> on the source -> the body of PUT /<index> on the target. */
export function transformIndex(source: { settings?: Json; mappings?: Json; aliases?: Json }): Transformed<IndexBody> {
  const s = transformSettings(source.settings ?? {});
  const m = transformMappings(source.mappings ?? {});
  return { body: { settings: s.body, mappings: m.body, aliases: source.aliases ?? {} }, notes: [...s.notes, ...m.notes] };
}

/** Legacy template (`_template`): settings and mappings as for an index. */
export function transformLegacyTemplate(t: Json): Transformed<Json> {
  const s = transformSettings(t.settings ?? {});
  const m = transformMappings(t.mappings ?? {});
  const body: Json = { index_patterns: t.index_patterns ?? (t.template ? [t.template] : []), settings: unflattenSettings(s.body), mappings: m.body, aliases: t.aliases ?? {} };
  if (t.order !== undefined) body.order = t.order;
  if (t.version !== undefined) body.version = t.version;
  return { body, notes: [...(t.template && !t.index_patterns ? ['template -> index_patterns'] : []), ...s.notes, ...m.notes] };
}

/** Component and composable index templates keep their shape; their `template` part is transformed. */
export function transformComposableTemplate(t: Json): Transformed<Json> {
  const body: Json = structuredClone(t);
  const notes: string[] = [];
  if (body.template) {
    if (body.template.settings) {
      const s = transformSettings(body.template.settings);
      body.template.settings = unflattenSettings(s.body);
      notes.push(...s.notes);
    }
    if (body.template.mappings) {
      const m = transformMappings(body.template.mappings);
      body.template.mappings = m.body;
      notes.push(...m.notes);
    }
  }
  return { body, notes };
}

/**
 * The setting a target's rejection names, so that it can be dropped and the request retried
 * (e.g. `unknown setting [index.foo]`); undefined when the error is not about one setting.
 */
export function rejectedSetting(errorBody: string): string | undefined {
  const patterns = [/unknown setting \[([^\]]+)\]/, /private index setting \[([^\]]+)\]/, /Failed to parse value \[[^\]]*\] for setting \[([^\]]+)\]/, /for setting \[([^\]]+)\]/, /setting \[([^\]]+)\]/];
  for (const re of patterns) {
    const m = re.exec(errorBody);
    if (m) return m[1];
  }
  return undefined;
}

/** Removes a setting given flat (`index.a.b`) or short (`a.b`) from flat settings; true when something was removed. */
export function dropSetting(flat: Record<string, Json>, name: string): boolean {
  const candidates = [name, name.startsWith('index.') ? name.slice(6) : `index.${name}`];
  let dropped = false;
  for (const key of Object.keys(flat)) {
    if (candidates.some((c) => key === c || key.startsWith(`${c}.`))) {
      delete flat[key];
      dropped = true;
    }
  }
  return dropped;
}
