import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackEndpoints, uniqueName } from '../../support/env';
import { bulkLoad, DOCUMENTS_CLI, es, runCli, sleep, startCli } from '../../support/backfill-helpers';

const { sourceUrl, targetUrl } = stackEndpoints();
const index = uniqueName('bf-kill');
const workingState = uniqueName('.bf-ws-kill');
const dir = mkdtempSync(join(tmpdir(), 'bf-kill-'));
const DOCS = 30_000;

afterAll(async () => {
  await es(sourceUrl, 'DELETE', `/${index}`).catch(() => undefined);
  await es(targetUrl, 'DELETE', `/${index}`).catch(() => undefined);
  await es(targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
});

test('3 workers share the work, several shard windows each; one killed with kill -9 mid-run; after another run verify passes with nothing missing or duplicated', async () => {
  await es(sourceUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 6, number_of_replicas: 0 } });
  await es(targetUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 2, number_of_replicas: 0 } });
  await bulkLoad(sourceUrl, index, Array.from({ length: DOCS }, (_, i) => ({ id: `k${i}`, routing: i % 5 === 0 ? `r${i % 11}` : undefined, source: { n: i, text: `document number ${i}` } })));

  const args = (id: string) => [
    'run', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index, '--working-state-index', workingState,
    '--worker-id', id, '--lease-duration', '3s', '--page-size', '300', '--pages-in-flight', '1', '--items-in-flight', '2', '--docs-per-item', '2500', '--failed-documents-file', join(dir, `failed-${id}.jsonl`), '--json',
  ];
  const workers = ['w1', 'w2', 'w3'].map((id) => startCli(DOCUMENTS_CLI, args(id)));

  // Kill w1 once it has checkpointed part of an item it holds: that item's cursor is mid-shard.
  let victimItem: any;
  for (let i = 0; i < 600 && !victimItem; i++) {
    await sleep(100);
    const res = await fetch(`${targetUrl}/${workingState}/_search?size=1000`).then((r) => r.json() as Promise<any>).catch(() => undefined);
    victimItem = (res?.hits?.hits ?? []).map((h: any) => ({ ...h._source, id: h._id })).find((d: any) => d.kind === 'item' && d.leaseOwner === 'w1' && d.status !== 'done' && d.docsDone > 0 && d.docsDone < d.docsTotal / 2);
  }
  expect(victimItem).toBeDefined();
  workers[0].child.kill('SIGKILL');
  const killed = await workers[0].done;
  expect(killed.signal).toBe('SIGKILL');
  // What the dead worker left: its item is still leased to it, mid-window.
  const left = await es(targetUrl, 'GET', `/${workingState}/_doc/${encodeURIComponent(victimItem.id)}`);
  expect(left._source).toMatchObject({ leaseOwner: 'w1', status: 'todo' });
  expect(left._source.cursor).toBeGreaterThanOrEqual(victimItem.from);
  const results = await Promise.all(workers.map((w) => w.done));
  // The survivors exit 0 once every item is done, the dead worker's item included (its lease expired and was taken over).
  for (const r of results.slice(1)) expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  const takenOver = await es(targetUrl, 'GET', `/${workingState}/_doc/${encodeURIComponent(victimItem.id)}`);
  expect(takenOver._source).toMatchObject({ status: 'done' });
  expect(takenOver._source.attempts).toBeGreaterThanOrEqual(2);

  const again = await runCli(DOCUMENTS_CLI, args('w4'));
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ itemsCompleted: 0, docsWritten: 0 });

  const status = await runCli(DOCUMENTS_CLI, ['status', '--target-host', targetUrl, '--working-state-index', workingState, '--json']);
  const s = JSON.parse(status.stdout);
  // Each of the 6 shards (about 5000 documents) is split into windows of about 2500, plus its tail.
  expect(s.items).toBeGreaterThanOrEqual(6 * 3);
  expect(s).toMatchObject({ done: s.items, leased: 0, left: 0 });

  await es(targetUrl, 'POST', `/${index}/_refresh`);
  expect((await es(targetUrl, 'GET', `/${index}/_count`)).count).toBe(DOCS);
  const verify = await runCli(DOCUMENTS_CLI, ['verify', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index, '--json']);
  expect(verify.code).toBe(0);
  expect(JSON.parse(verify.stdout).indices[0]).toMatchObject({ sourceCount: DOCS, targetCount: DOCS, missingCount: 0, extraCount: 0, differentCount: 0 });
}, 180_000);
