import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { stackEndpoints, uniqueName } from '../../support/env';
import { bulkLoad, DOCUMENTS_CLI, es, runCli } from '../../support/backfill-helpers';

const { sourceUrl, targetUrl, motoUrl } = stackEndpoints();
const index = uniqueName('bf-s3');
const workingState = uniqueName('.bf-ws-s3');
const bucket = uniqueName('failed');
const REJECTED = ['bad-1', 'bad-2', 'bad-3'];
const awsEnv = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
const s3 = new S3Client({ region: 'us-east-1', endpoint: motoUrl, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const clusters = ['--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index];
const s3Flags = ['--failed-documents-s3-bucket', bucket, '--failed-documents-s3-endpoint', motoUrl!];

afterAll(async () => {
  for (const base of [sourceUrl, targetUrl]) await es(base, 'DELETE', `/${index}`).catch(() => undefined);
  await es(targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
});

test('refused documents go to S3 as closed gzip objects under the prefix, and verify reads them from there', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await es(sourceUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { code: { type: 'keyword' } } } });
  await bulkLoad(sourceUrl, index, [...Array.from({ length: 200 }, (_, i) => ({ id: `ok-${i}`, source: { code: String(i) } })), ...REJECTED.map((id) => ({ id, source: { code: `not-a-number-${id}` } }))]);
  // The target's mapping takes numbers only: it refuses three documents.
  await es(targetUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: { code: { type: 'integer' } } } });

  const run = await runCli(DOCUMENTS_CLI, ['run', ...clusters, '--working-state-index', workingState, ...s3Flags, '--progress', 'none', '--json'], awsEnv);
  expect([run.code, run.stderr.slice(-500)]).toEqual([0, expect.any(String)]);
  expect(JSON.parse(run.stdout)).toMatchObject({ docsFailed: 3, failedDocumentsFile: `s3://${bucket}/failed-documents/` });

  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) expect(k).toMatch(/^failed-documents\/[^/]+\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/failed-documents-.*\.jsonl\.gz$/);
  const failed = [];
  for (const key of keys) {
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    failed.push(...gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  }
  expect(failed.map((f) => f.id).sort()).toEqual(REJECTED);
  expect(failed[0]).toMatchObject({ index, status: 400, type: 'mapper_parsing_exception' });

  const without = await runCli(DOCUMENTS_CLI, ['verify', ...clusters]);
  expect(without.code).toBe(1);
  const withS3 = await runCli(DOCUMENTS_CLI, ['verify', ...clusters, ...s3Flags], awsEnv);
  expect([withS3.code, withS3.stdout]).toEqual([0, expect.stringContaining('verify: the target holds the same documents as the source')]);
});
