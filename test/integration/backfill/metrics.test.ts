import { stackEndpoints, uniqueName } from '../../support/env';
import { bulkLoad, DOCUMENTS_CLI, es, startCli } from '../../support/backfill-helpers';

const env = stackEndpoints();

describe('backfill metrics for CloudWatch', () => {
  it('prints embedded-metric-format lines with the documents migrated when METRICS_FORMAT=emf', async () => {
    const index = uniqueName('bf-emf');
    const workingState = uniqueName('.ws-emf');
    await es(env.sourceUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
    await es(env.targetUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
    await bulkLoad(env.sourceUrl, index, Array.from({ length: 500 }, (_, i) => ({ id: `d${i}`, source: { n: i } })));
    try {
      const args = ['run', '--source-host', env.sourceUrl, '--target-host', env.targetUrl, '--index-allowlist', index, '--working-state-index', workingState, '--progress', 'none'];
      const r = await startCli(DOCUMENTS_CLI, args, { METRICS_FORMAT: 'emf', MIGRATION_STAGE: 'itest' }).done;
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'OpenSearchMigrations', Dimensions: [['stage']] });
      expect(lines.every((l) => l.stage === 'itest')).toBe(true);
      expect(lines.reduce((n, l) => n + (l.backfillDocumentsMigrated ?? 0), 0)).toBe(500);
      expect(lines[lines.length - 1].backfillDocumentsRemaining).toBe(0);
    } finally {
      await es(env.sourceUrl, 'DELETE', `/${index}`);
      await es(env.targetUrl, 'DELETE', `/${index}`);
      await es(env.targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
    }
  });
});
