import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEndpoints, uniqueName } from '../../support/env';
import { bulkLoad, DOCUMENTS_CLI, es, METADATA_CLI, runCli } from '../../support/backfill-helpers';

const { sourceUrl, targetUrl } = stackEndpoints();
const p = uniqueName('bf-main');
const idx = { logs: `${p}-logs-1`, metrics: `${p}-metrics-1`, products: `${p}-products`, strict: `${p}-strict` };
const legacyTemplate = `${p}-legacy`;
const indexTemplate = `${p}-itpl`;
const workingState = uniqueName('.bf-ws-main');
const dir = mkdtempSync(join(tmpdir(), 'bf-main-'));
const failedFile = join(dir, 'failed.jsonl');
const clusters = ['--source-host', sourceUrl, '--target-host', targetUrl];
const allow = ['--index-allowlist', `regex:${p}-.*`, '--index-template-allowlist', legacyTemplate, indexTemplate, '--component-template-allowlist', 'regex:(?!)'];
const REJECTED = ['s-bad-1', 's-bad-2', 's-bad-3'];

afterAll(async () => {
  for (const base of [sourceUrl, targetUrl]) {
    for (const i of Object.values(idx)) await es(base, 'DELETE', `/${i}`).catch(() => undefined);
    await es(base, 'DELETE', `/_template/${legacyTemplate}`).catch(() => undefined);
    await es(base, 'DELETE', `/_index_template/${indexTemplate}`).catch(() => undefined);
  }
  await es(targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
});

beforeAll(async () => {
  await es(sourceUrl, 'PUT', `/_template/${legacyTemplate}`, {
    index_patterns: [`${p}-logs-*`], order: 2,
    settings: { number_of_shards: 3, number_of_replicas: 0, 'index.routing.allocation.include._name': 'Node*' },
    mappings: { properties: { message: { type: 'text' }, level: { type: 'keyword' } } },
    aliases: { [`${p}-all-logs`]: {} },
  });
  await es(sourceUrl, 'PUT', `/_index_template/${indexTemplate}`, {
    index_patterns: [`${p}-metrics-*`], priority: 50,
    template: { settings: { number_of_shards: 2, number_of_replicas: 0 }, mappings: { properties: { value: { type: 'double' }, host: { type: 'keyword' } } } },
  });
  await es(sourceUrl, 'PUT', `/${idx.logs}`);
  await es(sourceUrl, 'PUT', `/${idx.metrics}`);
  // A typed mapping as ES 7 still accepts it, custom routing required, and an alias with a filter.
  await es(sourceUrl, 'PUT', `/${idx.products}?include_type_name=true`, {
    settings: { number_of_shards: 4, number_of_replicas: 0, 'index.blocks.read_only_allow_delete': false },
    mappings: { product: { _routing: { required: true }, properties: { name: { type: 'text', fields: { raw: { type: 'keyword' } } }, price: { type: 'scaled_float', scaling_factor: 100 }, sku: { type: 'long' } } } },
    aliases: { [`${p}-cheap`]: { filter: { range: { price: { lt: 10 } } } } },
  });
  await es(sourceUrl, 'PUT', `/${idx.strict}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { code: { type: 'keyword' } } } });

  await bulkLoad(sourceUrl, idx.logs, Array.from({ length: 40_000 }, (_, i) => ({ id: `l${i}`, source: { message: `request ${i} served`, level: i % 10 ? 'info' : 'warn', at: 1700000000000 + i } })));
  await bulkLoad(sourceUrl, idx.metrics, Array.from({ length: 30_000 }, (_, i) => ({ id: String(i), source: { value: i / 7, host: `h${i % 13}` } })));
  // sku values above 2^53 would be rounded by a JSON.parse/stringify round trip.
  await bulkLoad(sourceUrl, idx.products, Array.from({ length: 25_000 }, (_, i) => ({ id: `p${i}`, routing: `shop${i % 17}`, source: JSON.parse(`{"name":"product ${i}","price":${(i % 5000) / 100}}`) })));
  await es(sourceUrl, 'POST', `/${idx.products}/_bulk?refresh=true`, `{"index":{"_id":"big","routing":"shop1"}}\n{"name":"big sku","price":1.5,"sku":9007199254740993}\n`);
  await bulkLoad(sourceUrl, idx.strict, [
    ...Array.from({ length: 5_000 - REJECTED.length }, (_, i) => ({ id: `s${i}`, source: { code: String(i) } })),
    ...REJECTED.map((id) => ({ id, source: { code: `not-a-number-${id}` } })),
  ]);
  // The target already has the strict index, with an integer code: migrate must leave it alone, and the target rejects 3 documents.
  await es(targetUrl, 'PUT', `/${idx.strict}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { code: { type: 'integer' } } } });
}, 180_000);

test('evaluate writes nothing and shows the transforms; migrate creates templates and indices and never overwrites', async () => {
  const evaluate = await runCli(METADATA_CLI, ['evaluate', ...clusters, ...allow, '--json']);
  const evaluated = JSON.parse(evaluate.stdout);
  expect(evaluated.items.map((i: any) => [i.kind, i.name, i.result])).toEqual([
    ['legacy_template', legacyTemplate, 'would create'],
    ['index_template', indexTemplate, 'would create'],
    ['index', idx.logs, 'would create'],
    ['index', idx.metrics, 'would create'],
    ['index', idx.products, 'would create'],
    ['index', idx.strict, 'exists'],
  ]);
  expect(evaluate.code).toBe(1);
  expect((await fetch(`${targetUrl}/${idx.logs}`, { method: 'HEAD' })).status).toBe(404);
  expect((await fetch(`${targetUrl}/_template/${legacyTemplate}`, { method: 'HEAD' })).status).toBe(404);

  const migrate = await runCli(METADATA_CLI, ['migrate', ...clusters, ...allow]);
  expect(migrate.stdout).toContain('removed setting index.routing.allocation.include._name');
  expect(migrate.stdout).toMatch(/migrate: 6 items, 5 created, 1 issue/);
  expect(migrate.code).toBe(1); // the strict index was already there

  const tpl = (await es(targetUrl, 'GET', `/_template/${legacyTemplate}`))[legacyTemplate];
  expect(tpl.index_patterns).toEqual([`${p}-logs-*`]);
  expect(tpl.settings.index.routing).toBeUndefined();
  expect((await es(targetUrl, 'GET', `/_index_template/${indexTemplate}`)).index_templates[0].index_template.template.mappings.properties.value).toEqual({ type: 'double' });
  const products = (await es(targetUrl, 'GET', `/${idx.products}`))[idx.products];
  expect(products.mappings._routing).toEqual({ required: true });
  expect(products.mappings.properties.name.fields.raw.type).toBe('keyword');
  expect(products.aliases[`${p}-cheap`].filter).toEqual({ range: { price: { lt: 10 } } });
  expect(products.settings.index.number_of_shards).toBe('4');
  expect((await es(targetUrl, 'GET', `/${idx.logs}`))[idx.logs].aliases).toEqual({ [`${p}-all-logs`]: {} });
  expect((await es(targetUrl, 'GET', `/${idx.strict}/_mapping`))[idx.strict].mappings.properties.code.type).toBe('integer');

  const compare = await runCli(METADATA_CLI, ['compare', ...clusters, ...allow, '--json']);
  const groups = Object.fromEntries(JSON.parse(compare.stdout).indices.map((i: any) => [i.index, i.group]));
  expect(groups).toEqual({ [idx.logs]: 'identical but empty on target', [idx.metrics]: 'identical but empty on target', [idx.products]: 'identical but empty on target', [idx.strict]: 'conflicting' });
}, 120_000);

test('every document is copied with its _id and routing; verify passes except for the documents the target rejected, which are in the failed-documents file', async () => {
  const run = await runCli(DOCUMENTS_CLI, ['run', ...clusters, '--index-allowlist', `regex:${p}-.*`, '--working-state-index', workingState, '--failed-documents-file', failedFile, '--disable-refresh-and-replicas', '--lease-duration', '30s', '--json']);
  expect(run.stderr).toContain('"progress"');
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ docsWritten: 100_001 - REJECTED.length, docsFailed: REJECTED.length });

  const failed = readFileSync(failedFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(failed.map((f) => f.id).sort()).toEqual(REJECTED);
  expect(failed[0]).toMatchObject({ index: idx.strict, status: 400, type: 'mapper_parsing_exception' });
  expect(JSON.parse(failed[0].source).code).toMatch(/^not-a-number/);

  // Routing kept (a GET without it would not find the document) and the big integer unrounded.
  const big = await fetch(`${targetUrl}/${idx.products}/_doc/big?routing=shop1`).then((r) => r.text());
  expect(big).toContain('"sku":9007199254740993');
  expect((await es(targetUrl, 'GET', `/${idx.products}/_doc/p5?routing=shop5`))._routing).toBe('shop5');
  // The load's settings are restored.
  expect((await es(targetUrl, 'GET', `/${idx.logs}/_settings`))[idx.logs].settings.index.refresh_interval).toBeUndefined();

  const strictVerify = await runCli(DOCUMENTS_CLI, ['verify', ...clusters, '--index-allowlist', `regex:${p}-.*`, '--json']);
  expect(strictVerify.code).toBe(1);
  const report = JSON.parse(strictVerify.stdout).indices;
  expect(report.find((i: any) => i.index === idx.strict).missingOnTarget.sort()).toEqual(REJECTED);
  for (const i of report.filter((r: any) => r.index !== idx.strict)) expect(i).toMatchObject({ missingCount: 0, extraCount: 0, differentCount: 0 });
  expect(report.reduce((n: number, i: any) => n + i.sourceCount, 0)).toBe(100_001);

  const verify = await runCli(DOCUMENTS_CLI, ['verify', ...clusters, '--index-allowlist', `regex:${p}-.*`, '--failed-documents-file', failedFile]);
  expect(verify.stdout).toContain('verify: the target holds the same documents as the source');
  expect(verify.code).toBe(0);

  // A changed document is caught and named.
  await es(targetUrl, 'PUT', `/${idx.metrics}/_doc/7?refresh=true`, { value: 1, host: 'changed' });
  const changed = await runCli(DOCUMENTS_CLI, ['verify', ...clusters, '--index-allowlist', idx.metrics]);
  expect(changed.code).toBe(1);
  expect(changed.stdout).toContain(`${idx.metrics}: different content: 7`);
}, 180_000);
