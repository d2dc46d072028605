import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEndpoints, uniqueName } from '../../support/env';
import { bulkLoad, DOCUMENTS_CLI, es, runCli, sleep, startCli } from '../../support/backfill-helpers';

const { sourceUrl, targetUrl } = stackEndpoints();
const index = uniqueName('bf-live');
const workingState = uniqueName('.bf-ws-live');
const dir = mkdtempSync(join(tmpdir(), 'bf-live-'));
const DOCS = 20_000;

afterAll(async () => {
  await es(sourceUrl, 'DELETE', `/${index}`).catch(() => undefined);
  await es(targetUrl, 'DELETE', `/${index}`).catch(() => undefined);
  await es(targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
});

async function items(): Promise<any[]> {
  const res = await fetch(`${targetUrl}/${workingState}/_search?size=1000`).then((r) => r.json() as Promise<any>).catch(() => undefined);
  return (res?.hits?.hits ?? []).map((h: any) => h._source).filter((d: any) => d.kind === 'item');
}

test('documents updated and created on the source while the windows are read are all copied (by the shard tails), none missing, none extra', async () => {
  await es(sourceUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 2, number_of_replicas: 0 } });
  await es(targetUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
  await bulkLoad(sourceUrl, index, Array.from({ length: DOCS }, (_, i) => ({ id: `d${i}`, source: { n: i, version: 0 } })));

  const args = (id: string) => [
    'run', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index, '--working-state-index', workingState,
    '--worker-id', id, '--page-size', '200', '--pages-in-flight', '1', '--items-in-flight', '1', '--docs-per-item', '2500',
    '--failed-documents-file', join(dir, `failed-${id}.jsonl`), '--json',
  ];
  const workers = ['w1', 'w2'].map((id) => startCli(DOCUMENTS_CLI, args(id)));

  // Wait until the first pages are written, then write while the windows are read: update the
  // last-loaded documents (their windows are read last, so their old _seq_no would be read by no
  // window), update early ones (already read: the new version must win) and create new ones.
  for (let i = 0; i < 600 && !(await items()).some((d) => d.docsDone > 0); i++) await sleep(50);
  // One _bulk with one refresh: ten refreshed rounds took long enough on a busy machine for a
  // shard to finish its windows and start its tail before the last write.
  const lines: string[] = [];
  for (let i = 0; i < 200; i++) {
    const late = DOCS - 1 - i;
    lines.push(JSON.stringify({ index: { _id: `d${late}` } }), JSON.stringify({ n: late, version: 1 }));
    lines.push(JSON.stringify({ index: { _id: `d${i}` } }), JSON.stringify({ n: i, version: 1 }));
    lines.push(JSON.stringify({ index: { _id: `new${i}` } }), JSON.stringify({ n: -1, version: 1 }));
  }
  const res = await es(sourceUrl, 'POST', `/${index}/_bulk?refresh=true`, lines.join('\n') + '\n');
  expect(res.errors).toBe(false);
  const written = 600;
  const during = await items();
  // The writes landed while windows were still open, and before any tail was read.
  expect(during.some((d) => !d.tail && d.status !== 'done')).toBe(true);
  expect(during.filter((d) => d.tail).every((d) => d.to === null)).toBe(true);

  const results = await Promise.all(workers.map((w) => w.done));
  for (const r of results) expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  const after = await items();
  const tails = after.filter((d) => d.tail);
  expect(tails).toHaveLength(2);
  // The tails read every write: 200 late and 200 early documents updated, 200 created.
  expect(tails.reduce((n, d) => n + d.docsDone, 0)).toBe(written - 200 + 200);
  expect(after.every((d) => d.status === 'done')).toBe(true);

  await es(targetUrl, 'POST', `/${index}/_refresh`);
  expect((await es(targetUrl, 'GET', `/${index}/_count`)).count).toBe(DOCS + 200);
  const verify = await runCli(DOCUMENTS_CLI, ['verify', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index, '--json']);
  expect(JSON.parse(verify.stdout).indices[0]).toMatchObject({ sourceCount: DOCS + 200, targetCount: DOCS + 200, missingCount: 0, extraCount: 0, differentCount: 0 });
  expect(verify.code).toBe(0);
  expect((await es(targetUrl, 'GET', `/${index}/_doc/d${DOCS - 1}`))._source).toEqual({ n: DOCS - 1, version: 1 });
}, 180_000);
