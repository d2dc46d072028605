import { randomBytes } from 'node:crypto';
import { integerArg, numberArg, ValueError } from '../../core/cli/values';
import { ClusterClient, ClusterRequestError } from '../../core/cluster-client';
import { UserError } from '../../core/errors';
import { ClusterYaml, IgnoredKey, ignoredKeysOf, ServicesYaml } from '../../core/services-yaml';
import { table } from '../../core/table';
import { formatVersion } from '../../core/version';
import { ClusterSide, clusterClientFor, clusterSection, parseClusterName, withCluster } from '../cluster-access';
import { ACKNOWLEDGE_RISK, Verb, VerbOption } from '../verb';

const SIDES: readonly ClusterSide[] = ['source', 'target'];
const CLUSTER_NAMES = ['source', 'target', 'source_cluster', 'target_cluster'] as const;

function configuredSides(config: ServicesYaml): ClusterSide[] {
  const sides = SIDES.filter((s) => config[`${s}_cluster`]);
  if (sides.length === 0) throw new UserError('NOT_CONFIGURED', 'services.yaml names neither source_cluster nor target_cluster: add at least one');
  return sides;
}

const clusterOption: VerbOption = {
  key: 'cluster',
  flags: '--cluster <cluster>',
  description: 'source or target (source_cluster / target_cluster work too)',
  schema: { type: 'string' },
  choices: CLUSTER_NAMES,
  required: true,
};

export interface ConnectionCheck {
  cluster: ClusterSide;
  endpoint: string;
  ok: boolean;
  version?: string;
  health?: string;
  error?: string;
}

/** Can we reach it, which version, how healthy. */
export async function checkConnection(name: ClusterSide, cluster: ClusterYaml, env: NodeJS.ProcessEnv = process.env): Promise<ConnectionCheck> {
  let client: ClusterClient | undefined;
  try {
    client = await clusterClientFor(cluster, undefined, {}, env);
    const version = await client.detectVersion();
    const health = version.flavor === 'AOSS' ? undefined : (await client.json('GET', '/_cluster/health')).status;
    return { cluster: name, endpoint: cluster.endpoint, ok: true, version: formatVersion(version), health };
  } catch (err) {
    return { cluster: name, endpoint: cluster.endpoint, ok: false, error: (err as Error).message };
  } finally {
    await client?.close();
  }
}

export const connectionCheck: Verb<Record<string, never>, { clusters: ConnectionCheck[]; ignoredKeys: IgnoredKey[] }> = {
  path: ['clusters', 'connection-check'],
  description: 'reach each cluster, report its version and health; exit 1 when one is unreachable',
  kind: 'read',
  output: {
    type: 'object',
    properties: {
      clusters: {
        type: 'array',
        items: { type: 'object', properties: { cluster: { type: 'string' }, endpoint: { type: 'string' }, ok: { type: 'boolean' }, version: { type: 'string' }, health: { type: 'string' }, error: { type: 'string' } } },
      },
      // The reference's keys that do nothing here are part of the answer: a script sees them too.
      ignoredKeys: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, reason: { type: 'string' } } } },
    },
  },
  async run(ctx) {
    const config = await ctx.config();
    const clusters = await Promise.all(configuredSides(config).map((s) => checkConnection(s, config[`${s}_cluster`]!, ctx.env)));
    return { clusters, ignoredKeys: ignoredKeysOf(config) };
  },
  text: ({ clusters, ignoredKeys }) =>
    [
      ...clusters.map((c) => `${c.cluster.padEnd(7)} ${c.endpoint}  ${c.ok ? `${c.version}, health ${c.health ?? 'n/a'}` : `UNREACHABLE: ${c.error}`}`),
      ...ignoredKeys.map((i) => `ignored ${i.key}: ${i.reason}`),
    ].join('\n'),
  exitCode: ({ clusters }) => (clusters.some((c) => !c.ok) ? 1 : 0),
};

export interface IndexRow {
  index: string;
  health: string;
  docs: number;
  sizeBytes: number;
}

export async function listIndices(client: ClusterClient, includeSystem = false): Promise<IndexRow[]> {
  const rows: any[] = await client.json('GET', '/_cat/indices?format=json&bytes=b&h=index,health,docs.count,store.size');
  return rows
    .filter((r) => includeSystem || !String(r.index).startsWith('.'))
    .map((r) => ({ index: r.index, health: r.health, docs: Number(r['docs.count'] ?? 0), sizeBytes: Number(r['store.size'] ?? 0) }))
    .sort((a, b) => a.index.localeCompare(b.index));
}

const indexRows = { type: 'array', items: { type: 'object', properties: { index: { type: 'string' }, health: { type: 'string' }, docs: { type: 'integer' }, sizeBytes: { type: 'integer' } } } };

export const catIndices: Verb<{ refresh?: boolean; all?: boolean }, { source?: IndexRow[]; target?: IndexRow[] }> = {
  path: ['clusters', 'cat-indices'],
  description: 'indices with document counts on both clusters',
  kind: 'read',
  options: [
    { key: 'refresh', flags: '--refresh', description: 'refresh the indices first, so that the counts include the latest writes', schema: { type: 'boolean' } },
    { key: 'all', flags: '--all', description: 'include system indices (names starting with a dot)', schema: { type: 'boolean' } },
  ],
  output: { type: 'object', properties: { source: indexRows, target: indexRows } },
  async run(ctx, input) {
    const config = await ctx.config();
    const out: { source?: IndexRow[]; target?: IndexRow[] } = {};
    for (const side of configuredSides(config)) {
      out[side] = await withCluster(config[`${side}_cluster`]!, async (client) => {
        if (input.refresh) await client.json('POST', '/_refresh');
        return listIndices(client, input.all);
      }, undefined, ctx.env);
    }
    return out;
  },
  text: (result, input) =>
    [
      ...(input.refresh ? [] : ['(counts may miss writes of the last second: --refresh refreshes first)']),
      ...Object.entries(result).map(([side, rows]) => `${side.toUpperCase()}\n${rows.length ? table(['index', 'health', 'docs', 'bytes'], rows.map((r) => [r.index, r.health, String(r.docs), String(r.sizeBytes)])).trimEnd().replace(/^/gm, '  ') : '  (no indices)'}`),
    ].join('\n'),
};

/** `Name: value` headers, as curl's -H takes them. */
function parseHeader(value: string, previous: string[] | undefined): string[] {
  if (!/^[^:\s]+:/.test(value)) throw new ValueError('a header such as "Name: value"');
  return [...(previous ?? []), value];
}

export interface CurlInput {
  cluster: string;
  path: string;
  method?: string;
  headers?: string[];
  data?: string;
  json?: string;
  timeout?: number;
}

export interface CurlResult {
  cluster: ClusterSide;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

export const curl: Verb<CurlInput, CurlResult> = {
  path: ['clusters', 'curl'],
  description: 'send one request to a cluster with its configured auth, e.g. `curl source_cluster /_cat/indices`; exit 1 on an answer of 400 or more',
  kind: 'change',
  args: [
    { key: 'cluster', name: '<cluster>', description: 'source or target (source_cluster / target_cluster work too)', schema: { type: 'string' } },
    { key: 'path', name: '<path>', description: 'path and query, e.g. /_cat/indices?v', schema: { type: 'string', minLength: 1 } },
  ],
  options: [
    { key: 'method', flags: '-X, --request <method>', description: 'HTTP method', schema: { type: 'string' }, choices: METHODS, default: 'GET' },
    { key: 'headers', flags: '-H, --header <header>', description: 'a header "Name: value" (repeat for more)', schema: { type: 'array', items: { type: 'string' } }, parse: parseHeader },
    { key: 'data', flags: '-d, --data <body>', description: 'request body', schema: { type: 'string' } },
    { key: 'json', flags: '--json <body>', description: 'request body that must be JSON; sets Content-Type: application/json', schema: { type: 'string' } },
    { key: 'timeout', flags: '--timeout <seconds>', description: 'give up after this many seconds', schema: { type: 'integer', minimum: 1, maximum: 3600 }, parse: integerArg(1, 3600), default: 15 },
  ],
  output: { type: 'object', properties: { cluster: { type: 'string' }, statusCode: { type: 'integer' }, headers: { type: 'object', additionalProperties: { type: 'string' } }, body: { type: 'string' } } },
  async run(ctx, input) {
    const side = parseClusterName(input.cluster);
    const cluster = clusterSection(await ctx.config(), side);
    const headers: Record<string, string> = {};
    for (const h of input.headers ?? []) {
      const i = h.indexOf(':');
      headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    }
    let body = input.data;
    if (input.json !== undefined) {
      try {
        body = JSON.stringify(JSON.parse(input.json));
      } catch (err) {
        throw new UserError('BAD_REQUEST', `--json: not valid JSON (${(err as Error).message}); use -d for a body that is not JSON`);
      }
      headers['Content-Type'] = 'application/json';
    }
    const path = input.path.startsWith('/') ? input.path : `/${input.path}`;
    const client = await clusterClientFor(cluster, undefined, { timeoutMs: (input.timeout ?? 15) * 1000, maxRetries: 0 }, ctx.env);
    try {
      const res = await client.request({ method: input.method ?? 'GET', path, body, headers, retry: false });
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
      return { cluster: side, statusCode: res.statusCode, headers: flat, body: res.body.toString('utf8') };
    } finally {
      await client.close();
    }
  },
  text: (r) => `${r.statusCode >= 400 ? `Error: ${r.statusCode}\n` : ''}${r.body}`,
  exitCode: (r) => (r.statusCode >= 400 ? 1 : 0),
};

/** Indices a clear removes: every user index, and the backfill's working state (a new backfill starts over). */
export function indicesToClear(names: string[]): string[] {
  return names.filter((n) => !n.startsWith('.') || n.startsWith('.migrations_working_state')).sort();
}

export const clearIndices: Verb<{ cluster: string; acknowledgeRisk?: boolean }, { cluster: ClusterSide; deleted: string[] }> = {
  path: ['clusters', 'clear-indices'],
  description: '[deletes data] delete every index on the source or target but system indices (and the backfill working state)',
  kind: 'change',
  destructive: true,
  options: [{ ...clusterOption, description: 'the cluster to clear: source or target' }, ACKNOWLEDGE_RISK],
  output: { type: 'object', properties: { cluster: { type: 'string' }, deleted: { type: 'array', items: { type: 'string' } } } },
  async run(ctx, input) {
    const side = parseClusterName(input.cluster);
    return withCluster(clusterSection(await ctx.config(), side), async (client) => {
      const rows: { index: string }[] = await client.json('GET', '/_cat/indices?format=json&h=index&expand_wildcards=all');
      const names = indicesToClear(rows.map((r) => r.index));
      // By name, a few at a time: wildcard deletes are refused where action.destructive_requires_name is set.
      for (let i = 0; i < names.length; i += 50) {
        const path = `/${names.slice(i, i + 50).map(encodeURIComponent).join(',')}`;
        const res = await client.request({ method: 'DELETE', path, retry: false });
        if (res.statusCode >= 300 && res.statusCode !== 404) throw new ClusterRequestError({ method: 'DELETE', path }, res);
      }
      return { cluster: side, deleted: names };
    }, undefined, ctx.env);
  },
  text: (r) => (r.deleted.length ? `deleted ${r.deleted.length} indices on the ${r.cluster}: ${r.deleted.join(', ')}` : `the ${r.cluster} had no indices to delete`),
};

export interface GenerateDataInput {
  cluster: string;
  indexName: string;
  numDocs?: number;
  targetSizeMb?: number;
  docSizeBytes?: number;
  batchSize?: number;
}

export interface GenerateDataResult {
  cluster: ClusterSide;
  index: string;
  inserted: number;
  errors: number;
  seconds: number;
  docsPerSecond: number;
  estimatedSizeMb: number;
}

const WORDS = 'migration search cluster shard replica index document field mapping query source target capture replay backfill'.split(' ');

/** One test document of about `bytes` bytes of JSON. */
export function testDocument(n: number, bytes: number): Record<string, unknown> {
  const doc: Record<string, unknown> = { n, title: `document ${n}`, category: WORDS[n % WORDS.length], timestamp: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(), text: '' };
  const room = Math.max(0, bytes - JSON.stringify(doc).length);
  doc.text = randomBytes(Math.ceil((room * 3) / 4)).toString('base64').slice(0, room);
  return doc;
}

export const generateData: Verb<GenerateDataInput, GenerateDataResult> = {
  path: ['clusters', 'generate-data'],
  description: 'write test documents into an index (with _bulk), by count or by total size',
  kind: 'change',
  options: [
    { ...clusterOption, description: 'the cluster to write to: source or target' },
    { key: 'indexName', flags: '--index-name <name>', description: 'index to write to (created if missing)', schema: { type: 'string', minLength: 1 }, required: true },
    { key: 'numDocs', flags: '--num-docs <n>', description: 'how many documents', schema: { type: 'integer', minimum: 1 }, parse: integerArg(1) },
    { key: 'targetSizeMb', flags: '--target-size-mb <mb>', description: 'instead of --num-docs: about this many MiB of documents', schema: { type: 'number', exclusiveMinimum: 0 }, parse: numberArg({ above: 0 }) },
    { key: 'docSizeBytes', flags: '--doc-size-bytes <bytes>', description: 'size of each document', schema: { type: 'integer', minimum: 64, maximum: 10485760 }, parse: integerArg(64, 10485760), default: 150 },
    { key: 'batchSize', flags: '--batch-size <n>', description: 'documents per _bulk request', schema: { type: 'integer', minimum: 1, maximum: 10000 }, parse: integerArg(1, 10000), default: 100 },
  ],
  output: {
    type: 'object',
    properties: { cluster: { type: 'string' }, index: { type: 'string' }, inserted: { type: 'integer' }, errors: { type: 'integer' }, seconds: { type: 'number' }, docsPerSecond: { type: 'number' }, estimatedSizeMb: { type: 'number' } },
  },
  async run(ctx, input) {
    const side = parseClusterName(input.cluster);
    if ((input.numDocs === undefined) === (input.targetSizeMb === undefined)) throw new UserError('BAD_REQUEST', 'give either --num-docs or --target-size-mb (one of them)');
    const docSize = input.docSizeBytes ?? 150;
    const total = input.numDocs ?? Math.max(1, Math.floor((input.targetSizeMb! * 1024 * 1024) / docSize));
    const batch = input.batchSize ?? 100;
    return withCluster(clusterSection(await ctx.config(), side), async (client) => {
      const version = await client.detectVersion();
      // Elasticsearch 6 still wants a type in the path.
      const path = `/${encodeURIComponent(input.indexName)}${version.flavor === 'ES' && version.major < 7 ? '/_doc' : ''}/_bulk`;
      const started = Date.now();
      let inserted = 0;
      let errors = 0;
      let lastReport = started;
      for (let from = 0; from < total; from += batch) {
        const n = Math.min(batch, total - from);
        const lines: string[] = [];
        for (let i = 0; i < n; i++) lines.push('{"index":{}}', JSON.stringify(testDocument(from + i, docSize)));
        const res = await client.request({ method: 'POST', path, body: `${lines.join('\n')}\n`, headers: { 'content-type': 'application/x-ndjson' } });
        if (res.statusCode >= 300) throw new ClusterRequestError({ method: 'POST', path }, res);
        const items = JSON.parse(res.body.toString('utf8')).items as { index: { status: number } }[];
        for (const it of items) if (it.index.status < 300) inserted++;
        errors += n - items.filter((it) => it.index.status < 300).length;
        if (Date.now() - lastReport > 2000) {
          lastReport = Date.now();
          ctx.progress(`${inserted + errors}/${total} documents written`);
        }
      }
      const seconds = (Date.now() - started) / 1000;
      return { cluster: side, index: input.indexName, inserted, errors, seconds, docsPerSecond: Math.round(inserted / Math.max(seconds, 0.001)), estimatedSizeMb: Math.round(((inserted * docSize) / 1048576) * 10) / 10 };
    }, 'migration-console generate-data', ctx.env);
  },
  text: (r) =>
    [
      `${r.inserted} documents written to ${r.index} on the ${r.cluster} in ${r.seconds.toFixed(1)} s (${r.docsPerSecond} docs/s, about ${r.estimatedSizeMb} MiB)`,
      ...(r.errors ? [`${r.errors} documents were refused by the cluster`] : []),
    ].join('\n'),
  exitCode: (r) => (r.errors ? 1 : 0),
};

export const clusterVerbs = [connectionCheck, catIndices, curl, clearIndices, generateData];
