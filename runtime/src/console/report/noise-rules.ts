import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../core/errors';
import { CLASSES, RequestClass } from './classify';
import { parsePattern } from './json-path';

/**
 * A noise rule: the paths of an answer that differ between two clusters by nature, for the
 * requests it matches (method and path regexes, or a class). Paths are json-path patterns.
 */
export interface NoiseRule {
  name: string;
  /** A regex matched against the whole method (e.g. "GET|HEAD"). @default any */
  method?: string;
  /** A regex matched against the whole path, without the query (e.g. "/logs-.*\/_search"). @default any */
  path?: string;
  class?: RequestClass;
  ignore: string[];
}

/** The built-in rules: what two healthy clusters answer differently to the same request. */
export const DEFAULT_NOISE_RULES: readonly NoiseRule[] = [
  {
    name: 'timings, shard and node bookkeeping, scroll and cluster ids',
    ignore: ['**.took', '**.ingest_took', '**._shards', '**._nodes', '**._scroll_id', '**.scroll_id', '**.pit_id', '**.cluster_uuid', '**.cluster_name', '**.num_reduce_phases', '**._node', '**._shard'],
  },
  {
    // ES 7 still names the type (_doc); OpenSearch 2 does not: type removal is the migration's point.
    name: 'mapping types',
    ignore: ['**._type'],
  },
  {
    name: 'scores: relevance is compared through the hits it orders',
    ignore: ['hits.max_score', 'hits.hits[]._score', 'responses[].hits.max_score', 'responses[].hits.hits[]._score', '**.hits.hits[]._explanation', 'profile', 'responses[].profile'],
  },
  {
    name: 'sequence numbers belong to the cluster that assigned them',
    ignore: ['**._seq_no', '**._primary_term'],
  },
  {
    name: 'node names and ids, versions of the software',
    method: 'GET|HEAD',
    path: '/',
    ignore: ['**'],
  },
  {
    name: 'cluster and node state',
    path: '/_(cat|nodes|tasks|cluster/(state|stats|pending_tasks|allocation/explain|settings))(/.*)?',
    ignore: ['**'],
  },
  {
    name: 'index statistics and segments',
    path: '(/[^/]+)?/_(stats|segments|recovery|shard_stores)(/.*)?',
    ignore: ['**'],
  },
  {
    name: 'cluster health: shard and node counts differ with the cluster',
    path: '/_cluster/health(/.*)?',
    ignore: [
      'number_of_nodes', 'number_of_data_nodes', 'discovered_master', 'discovered_cluster_manager', 'active_primary_shards', 'active_shards',
      'relocating_shards', 'initializing_shards', 'unassigned_shards', 'delayed_unassigned_shards', 'number_of_pending_tasks',
      'number_of_in_flight_fetch', 'task_max_waiting_in_queue_millis', 'active_shards_percent_as_number', 'indices',
    ],
  },
  {
    // Index settings hold the index's uuid, creation date and version, which only the cluster knows.
    name: 'index uuids, creation dates and versions',
    ignore: ['**.index.uuid', '**.index.creation_date', '**.index.version', '**.index.provided_name', '**.settings.index.uuid', '**.index_uuid'],
  },
];

/** A rule ready to match: regexes compiled, patterns checked. */
export interface CompiledRule {
  rule: NoiseRule;
  method?: RegExp;
  path?: RegExp;
}

function compileRegex(what: string, text: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${text})$`);
  } catch (err) {
    throw new ConfigError(`${where}: ${what} "${text}" is not a regular expression (${(err as Error).message})`);
  }
}

export function compileRule(rule: NoiseRule, where: string): CompiledRule {
  for (const p of rule.ignore) {
    try {
      parsePattern(p);
    } catch (err) {
      throw new ConfigError(`${where}: ignore path "${p}" is malformed (${(err as Error).message})`);
    }
  }
  return { rule, method: rule.method ? compileRegex('method', rule.method, where) : undefined, path: rule.path ? compileRegex('path', rule.path, where) : undefined };
}

/** The ignore paths of every rule that matches a request. */
export function noiseFor(rules: readonly CompiledRule[], method: string, path: string, cls: RequestClass): string[] {
  const out: string[] = [];
  for (const r of rules) {
    if (r.rule.class && r.rule.class !== cls) continue;
    if (r.method && !r.method.test(method)) continue;
    if (r.path && !r.path.test(path)) continue;
    out.push(...r.rule.ignore);
  }
  return out;
}

/**
 * Rules from a user's file (--noise-rules): YAML or JSON, a list of {name?, method?, path?, class?,
 * ignore: [paths]} (or {rules: [...]}). Every problem is named with its rule.
 */
export function parseNoiseRules(text: string, file: string): NoiseRule[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`--noise-rules ${file} is neither YAML nor JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(raw) ? raw : raw && typeof raw === 'object' && Array.isArray((raw as { rules?: unknown }).rules) ? (raw as { rules: unknown[] }).rules : undefined;
  if (!list) throw new ConfigError(`--noise-rules ${file}: expected a list of rules, each {method?, path?, class?, ignore: [json paths]}`);
  return list.map((r, i) => {
    const where = `--noise-rules ${file} rule ${i + 1}`;
    if (!r || typeof r !== 'object') throw new ConfigError(`${where}: expected an object with an "ignore" list`);
    const o = r as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !['name', 'method', 'path', 'class', 'ignore'].includes(k));
    if (unknown.length) throw new ConfigError(`${where}: unknown key ${unknown.join(', ')} (expected name, method, path, class, ignore)`);
    if (!Array.isArray(o.ignore) || o.ignore.length === 0 || !o.ignore.every((p) => typeof p === 'string')) throw new ConfigError(`${where}: "ignore" must be a non-empty list of JSON paths such as hits.hits[]._source.updated_at`);
    for (const k of ['name', 'method', 'path'] as const) if (o[k] !== undefined && typeof o[k] !== 'string') throw new ConfigError(`${where}: "${k}" must be a string`);
    if (o.class !== undefined && !CLASSES.includes(o.class as RequestClass)) throw new ConfigError(`${where}: "class" must be one of ${CLASSES.join(', ')}`);
    const rule: NoiseRule = { name: (o.name as string) ?? `${file} rule ${i + 1}`, method: o.method as string | undefined, path: o.path as string | undefined, class: o.class as RequestClass | undefined, ignore: o.ignore as string[] };
    compileRule(rule, where);
    return rule;
  });
}

export function loadNoiseRules(file: string): NoiseRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read --noise-rules ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseNoiseRules(text, file);
}
