import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { consoleCli } from '../../support/console-cli';
import { decodeTrafficStream, encodeTrafficStream } from '../../../runtime/src/core/traffic-stream';
import { encodeConnection, interleave, toKafkaMessages } from '../../support/capture-encoder';
import { stackEndpoints, uniqueName } from '../../support/env';
import { committedOffsets, createTopic, endOffsets, httpRequest, kafkaReplayFixture, RawConnection, startReplayer, waitAllCommitted, waitFor } from './support';
import { putWorkload } from './synthetic';

const CONSOLE = resolve(__dirname, '../../../runtime/dist/console/cli.js');
const { motoUrl, sourceUrl, targetUrl } = stackEndpoints();
const awsEnv = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
const s3 = new S3Client({ region: 'us-east-1', endpoint: motoUrl, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const s3Args = (bucket: string) => ['--tuple-s3-bucket', bucket, '--tuple-s3-endpoint', motoUrl!, '--tuple-s3-region', 'us-east-1'];

/** Every object under a prefix, gunzipped, as text. */
async function s3Texts(bucket: string, prefix = ''): Promise<{ key: string; text: string }[]> {
  const out: { key: string; text: string }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      out.push({ key: o.Key!, text: gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8') });
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

const tupleIds = (texts: string[]) => new Set(texts.flatMap((t) => t.split('\n').filter(Boolean).map((l) => JSON.parse(l).connectionId as string)));

describe('replayer results in S3 (moto)', () => {
  const { index, topic, groupId, kafka, kafkaBrokers } = kafkaReplayFixture('replay-s3', { forwarder: false });

  it('loses no tuple whose Kafka offset was committed when the replayer is killed with kill -9', async () => {
    const bucket = uniqueName('tuples');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const connections = putWorkload(index, 4, 60, 8_000);
    const records = interleave(connections.map((c) => encodeConnection(c, { maxRecordBytes: 600 })));
    await createTopic(kafka, topic, 2, toKafkaMessages(records));
    const ends = await endOffsets(kafka, topic);

    // Where each request's capture ends: the record (partition, offset) holding its endOfMessageIndicator.
    const endsAt = new Map<string, { partition: number; offset: number }>();
    const counted = new Map<string, number>();
    const consumer = kafka.consumer({ groupId: uniqueName('s3-index') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let read = 0;
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        read++;
        const ts = decodeTrafficStream(message.value!);
        for (const o of ts.subStream) {
          if (!o.endOfMessageIndicator) continue;
          const i = counted.get(ts.connectionId) ?? 0;
          counted.set(ts.connectionId, i + 1);
          endsAt.set(`${ts.connectionId}.${i}`, { partition, offset: Number(message.offset) });
        }
      },
    });
    await waitFor('the topic read back', () => (read === records.length ? true : undefined), 60_000, 100);
    await consumer.disconnect();
    expect(endsAt.size).toBe(240);

    const args = ['--target-uri', targetUrl, '--kafka-traffic-brokers', kafkaBrokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', groupId, ...s3Args(bucket), '--tuple-max-buffer-seconds', '0.5', '--kafka-session-timeout-seconds', '6'];
    const first = startReplayer(args, awsEnv);
    // Killed mid-run: once some offsets are committed, before all of them are.
    const committed = await waitFor('some offsets committed', async () => {
      const c = await committedOffsets(kafka, groupId, topic);
      return c.reduce((a, o) => a + Math.max(0, o), 0) > 20 ? c : undefined;
    }, 60_000, 100);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await committedOffsets(kafka, groupId, topic);
    const sum = (offsets: number[]) => offsets.reduce((a, o) => a + Math.max(0, o), 0);
    expect(sum(atKill)).toBeLessThan(sum(ends));
    expect(sum(atKill)).toBeGreaterThanOrEqual(sum(committed));

    const stored = tupleIds((await s3Texts(bucket)).map((o) => o.text));
    const mustHave = [...endsAt.entries()].filter(([, at]) => at.offset < atKill[at.partition]).map(([id]) => id);
    expect(mustHave.length).toBeGreaterThan(0);
    expect(mustHave.filter((id) => !stored.has(id))).toEqual([]);

    // A new replayer finishes the rest: every request has its tuple, at least once.
    const second = startReplayer(args, awsEnv);
    try {
      await waitAllCommitted(kafka, groupId, topic, second);
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toBe(0);
    const objects = await s3Texts(bucket);
    expect(objects.every((o) => /^tuples\/[^/]+\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/tuples-.*-\d{6}\.log\.gz$/.test(o.key))).toBe(true);
    expect([...endsAt.keys()].filter((id) => !tupleIds(objects.map((o) => o.text)).has(id))).toEqual([]);

    // The console reads them where they are: from the replayer's flags, or services.yaml's tuples section.
    const env = { ...process.env, ...awsEnv };
    const viaFlags = await consoleCli(['--json', 'tuples', 'report', ...s3Args(bucket)], undefined, env);
    const report = JSON.parse(viaFlags.stdout);
    expect(report.location).toBe(`s3://${bucket}/tuples/`);
    expect(report.tuples).toBeGreaterThanOrEqual(240);
    expect(report.byClass).toEqual([expect.objectContaining({ class: 'write', different: 0 })]);
    const yaml = `tuples:\n  s3:\n    bucket: ${bucket}\n    prefix: tuples/\n    region: us-east-1\n    endpoint: ${motoUrl}\n`;
    expect(JSON.parse((await consoleCli(['--json', 'tuples', 'summary'], yaml, env)).stdout).tuples).toBe(report.tuples);
    const empty = await consoleCli(['tuples', 'report', ...s3Args(bucket), '--tuple-s3-prefix', 'nothing-here/'], undefined, env);
    expect([empty.code, empty.stderr.trim()]).toEqual([2, expect.stringMatching(new RegExp(`s3://${bucket}/nothing-here/ holds no tuple objects`))]);
  });
});

describe('credentials never reach a tuple, a log or a report', () => {
  const idx = uniqueName('secrets');
  const work = mkdtempSync(join(tmpdir(), 'secrets-'));
  const SOURCE_SECRET = `src-${Math.random().toString(36).slice(2)}`;
  const TARGET_SECRET = `tgt-${Math.random().toString(36).slice(2)}`;
  const sourceAuth = Buffer.from(`client:${SOURCE_SECRET}`).toString('base64');
  const targetAuth = Buffer.from(`replayer:${TARGET_SECRET}`).toString('base64');

  afterAll(async () => {
    for (const base of [sourceUrl, targetUrl]) await fetch(`${base}/${idx}`, { method: 'DELETE' }).catch(() => undefined);
  });

  it('masks what clients sent, records the replayer\'s own auth as replaced, in the directory and in S3', async () => {
    // Requests captured with the client's credentials (the source, without security, ignores them).
    const conn = new RawConnection(new URL(sourceUrl));
    const exchanges = [];
    for (const [method, path, body] of [['PUT', `/${idx}/_doc/1?refresh=true`, '{"n":1}'], ['GET', `/${idx}/_doc/1`, undefined], ['POST', `/${idx}/_search`, '{"query":{"match_all":{}}}']] as const) {
      exchanges.push(await conn.exchange(httpRequest(method, path, body, { Authorization: `Basic ${sourceAuth}` })));
    }
    conn.close();
    const capture = join(work, 'capture.log');
    const records = encodeConnection({ connectionId: 'secret-conn', exchanges: exchanges.map((e) => ({ request: e.request, response: e.response, requestTs: e.requestTs, responseTs: e.responseTs })) });
    writeFileSync(capture, records.map((r) => Buffer.from(encodeTrafficStream(r)).toString('base64')).join('\n') + '\n');

    const bucket = uniqueName('secrets');
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const run = async (extra: string[]) => {
      const r = startReplayer(['--target-uri', targetUrl, '-i', capture, '--target-username', 'replayer', '--target-password', TARGET_SECRET, ...extra], { ...awsEnv, LOG_LEVEL: 'debug' });
      const code = await r.exited;
      expect([code, r.stderr().slice(-500)]).toEqual([0, expect.any(String)]);
      return r.stdout() + r.stderr();
    };
    const dir = join(work, 'tuples');
    const logs = [await run(['--tuple-dir', dir]), await run(s3Args(bucket))];
    const dirTuples = readdirSync(dir).map((f) => gunzipSync(readFileSync(join(dir, f))).toString('utf8'));
    const s3Tuples = (await s3Texts(bucket)).map((o) => o.text);
    const html = join(work, 'report.html');
    const report = await promisify(execFile)('node', [CONSOLE, '--json', 'tuples', 'report', '--tuple-dir', dir, '--html', html]);
    const shown = await promisify(execFile)('node', [CONSOLE, '--json', 'tuples', 'show', '--tuple-dir', dir]);
    const everything = [...dirTuples, ...s3Tuples, ...logs, report.stdout, report.stderr, shown.stdout, readFileSync(html, 'utf8')].join('\n');

    for (const marker of [TARGET_SECRET, targetAuth, Buffer.from(TARGET_SECRET).toString('base64'), SOURCE_SECRET, sourceAuth]) expect([marker, everything.includes(marker)]).toEqual([marker, false]);
    for (const text of [dirTuples.join('\n'), s3Tuples.join('\n')]) {
      const tuples = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(tuples).toHaveLength(3);
      for (const t of tuples) {
        expect(t.sourceRequest.Authorization).toBe('Basic [masked]');
        expect(t.targetRequest.Authorization).toBe('[replaced by the replayer: basic]');
      }
    }

    // --tuple-keep-source-auth keeps what the client sent; the replayer's own still never shows.
    const kept = join(work, 'kept');
    await run(['--tuple-dir', kept, '--tuple-keep-source-auth']);
    const keptText = readdirSync(kept).map((f) => gunzipSync(readFileSync(join(kept, f))).toString('utf8')).join('\n');
    expect(JSON.parse(keptText.split('\n')[0]).sourceRequest.Authorization).toBe(`Basic ${sourceAuth}`);
    expect(keptText).not.toContain(targetAuth);
    expect(keptText).not.toContain(TARGET_SECRET);
  });
});
