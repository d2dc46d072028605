import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllowlist } from '../../../runtime/src/backfill/allowlist';
import { makeClient } from '../../../runtime/src/backfill/cluster-options';
import { DocumentWorker, SETUP_ID, SetupDoc } from '../../../runtime/src/backfill/document-worker';
import { FileFailedDocuments } from '../../../runtime/src/backfill/failed-documents';
import { LeaseStore } from '../../../runtime/src/backfill/lease-store';
import type { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { EXIT_LEASE_LOST } from '../../../runtime/src/core/errors';
import { createLogger } from '../../../runtime/src/core/logging';
import { stackEndpoints, uniqueName } from '../../support/env';
import { bulkLoad, es } from '../../support/backfill-helpers';

const { sourceUrl, targetUrl } = stackEndpoints();
const index = uniqueName('bf-race');
const workingState = uniqueName('.bf-ws-race');
let source: ClusterClient;
let target: ClusterClient;

/** A working-state store in which another worker takes the setup lease over just after this one planned the items. */
class StolenSetupStore extends LeaseStore {
  override async createMany(docs: { id: string; doc: unknown }[]): Promise<void> {
    await super.createMany(docs);
    const setup = (await this.get<SetupDoc>(SETUP_ID))!;
    // The thief gives the lease up at once, so that running the worker again can finish the setup.
    expect(await this.update(setup, { ...setup.doc, leaseOwner: 'thief', leaseExpiresAt: 0 }, true)).toBeDefined();
  }
}

function worker(store: LeaseStore) {
  return new DocumentWorker({
    source, target, store, workerId: uniqueName('w'), indexAllowlist: parseAllowlist([index], '--index-allowlist'),
    leaseMs: 30_000, pageSize: 100, pagesInFlight: 1, itemsInFlight: 1, docsPerItem: 1000, pollMs: 200,
    writer: { maxBulkBytes: 1 << 20, maxInFlight: 1, compress: false, failedDocuments: new FileFailedDocuments(join(mkdtempSync(join(tmpdir(), 'bf-race-')), 'failed.jsonl')) },
    disableRefreshAndReplicas: false, log: createLogger({ name: 'lease-race', level: 'silent' }),
  });
}

beforeAll(async () => {
  source = await makeClient({ endpoint: sourceUrl, auth: { type: 'none' }, allowInsecure: false }, 4);
  target = await makeClient({ endpoint: targetUrl, auth: { type: 'none' }, allowInsecure: false }, 4);
  await es(sourceUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
  await es(targetUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
  await bulkLoad(sourceUrl, index, Array.from({ length: 20 }, (_, i) => ({ id: `d${i}`, source: { n: i } })));
});

afterAll(async () => {
  await es(sourceUrl, 'DELETE', `/${index}`).catch(() => undefined);
  for (const i of [index, workingState]) await es(targetUrl, 'DELETE', `/${i}`).catch(() => undefined);
  await Promise.all([source.close(), target.close()]);
});

it('a worker that loses the setup lease to another ends with LEASE_LOST (exit 75, not the usage code 2); run again, it copies everything', async () => {
  const err = await worker(new StolenSetupStore(target, workingState)).run().then(() => undefined, (e) => e);
  expect(err).toMatchObject({ code: 'LEASE_LOST', exitCode: EXIT_LEASE_LOST, httpStatus: 409, message: expect.stringMatching(/another worker took over the setup lease.*run this worker again/) });
  expect(EXIT_LEASE_LOST).not.toBe(2);

  const result = await worker(new LeaseStore(target, workingState)).run();
  expect(result).toMatchObject({ docsWritten: 20, docsFailed: 0 });
  await es(targetUrl, 'POST', `/${index}/_refresh`);
  expect((await es(targetUrl, 'GET', `/${index}/_count`)).count).toBe(20);
});
