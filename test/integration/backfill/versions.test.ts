import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEndpoints, uniqueName } from '../../support/env';
import { bulkLoad, DOCUMENTS_CLI, es, runCli } from '../../support/backfill-helpers';

const { sourceUrl, targetUrl } = stackEndpoints();
const index = uniqueName('bf-versions');
const workingState = uniqueName('.bf-ws-versions');
const dir = mkdtempSync(join(tmpdir(), 'bf-versions-'));

afterAll(async () => {
  await es(sourceUrl, 'DELETE', `/${index}`).catch(() => undefined);
  await es(targetUrl, 'DELETE', `/${index}`).catch(() => undefined);
  await es(targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
});

const versions = async (base: string) => {
  await es(base, 'POST', `/${index}/_refresh`);
  const res = await es(base, 'POST', `/${index}/_search`, { size: 100, version: true, query: { match_all: {} } });
  return Object.fromEntries(res.hits.hits.map((h: any) => [h._id, { version: h._version, n: h._source.n }]));
};

test('copies each document with the source\'s _version, and leaves a newer one on the target alone (a conflict counts as done)', async () => {
  await es(sourceUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 2, number_of_replicas: 0 } });
  await es(targetUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
  await bulkLoad(sourceUrl, index, Array.from({ length: 30 }, (_, i) => ({ id: `d${i}`, source: { n: 0 } })));
  // Some documents written again on the source: versions 2 and 3.
  for (const round of [1, 2]) await bulkLoad(sourceUrl, index, Array.from({ length: 10 * round }, (_, i) => ({ id: `d${i}`, source: { n: round } })));
  // The replay got to d0 first, with a newer version than the one the backfill reads.
  await es(targetUrl, 'PUT', `/${index}/_doc/d0?version=9&version_type=external_gte`, { n: 99 });

  const failed = join(dir, 'failed.jsonl');
  const r = await runCli(DOCUMENTS_CLI, ['run', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index, '--working-state-index', workingState, '--failed-documents-file', failed, '--json']);
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(existsSync(failed) ? readFileSync(failed, 'utf8') : '').toBe('');

  const source = await versions(sourceUrl);
  const target = await versions(targetUrl);
  expect(source.d0).toEqual({ version: 3, n: 2 });
  expect(source.d15).toEqual({ version: 2, n: 2 });
  expect(target).toEqual({ ...source, d0: { version: 9, n: 99 } });
});
