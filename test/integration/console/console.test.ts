import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { clustersYaml, consoleCli, onlyIndex } from '../../support/console-cli';
import { stackEndpoints, uniqueName } from '../../support/env';

const env = stackEndpoints();
// Local workers' pid files: this run's own.
process.env.MIGRATION_CONSOLE_STATE = mkdtempSync(path.join(os.tmpdir(), 'console-state-'));
const yaml = clustersYaml(env.sourceUrl, env.targetUrl);
const kafkaYaml = `kafka:\n  broker_endpoints: ${env.kafkaBrokers}\n  standard:\n`;
const source = new ClusterClient({ endpoint: env.sourceUrl });
const target = new ClusterClient({ endpoint: env.targetUrl });

async function count(client: ClusterClient, index: string): Promise<number | null> {
  const res = await client.request({ method: 'GET', path: `/${index}/_count` });
  return res.statusCode === 404 ? null : JSON.parse(res.body.toString()).count;
}

afterAll(async () => {
  await Promise.all([source.close(), target.close()]);
});

describe('migration console: clusters', () => {
  it('checks both clusters and reports their versions', async () => {
    const r = await consoleCli(['--json', 'clusters', 'connection-check'], yaml);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      clusters: [expect.objectContaining({ cluster: 'source', ok: true, version: 'ES 7.10.2' }), expect.objectContaining({ cluster: 'target', ok: true, version: 'OS 2.19.1' })],
      ignoredKeys: [],
    });
    const text = await consoleCli(['clusters', 'connection-check'], yaml);
    expect(text.stdout).toMatch(/^source\s+http\S+\s+ES 7\.10\.2, health (green|yellow)$/m);
  });

  it('exits 1 and says which cluster is unreachable', async () => {
    const r = await consoleCli(['clusters', 'connection-check'], yaml.replace(env.targetUrl, 'http://127.0.0.1:1'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/target\s+http:\/\/127.0.0.1:1\s+UNREACHABLE: .*ECONNREFUSED/);
  });

  it('exits 2 naming the bad key of services.yaml, as one JSON line with --json', async () => {
    const bad = 'source_cluster:\n  endpoint: nowhere\n  no_auth:\n';
    const r = await consoleCli(['clusters', 'connection-check'], bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('source_cluster.endpoint: expected a URL');
    const j = await consoleCli(['--json', 'clusters', 'connection-check'], bad);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: 'CONFIG', message: expect.stringContaining('source_cluster.endpoint') });
  });

  it('generates data, lists it with cat-indices --refresh, and reads it back with curl', async () => {
    const index = uniqueName('gen');
    const gen = await consoleCli(['--json', 'clusters', 'generate-data', '--cluster', 'source_cluster', '--index-name', index, '--num-docs', '250', '--doc-size-bytes', '300', '--batch-size', '100'], yaml);
    expect(gen.code).toBe(0);
    expect(JSON.parse(gen.stdout)).toMatchObject({ cluster: 'source', index, inserted: 250, errors: 0 });
    const cat = JSON.parse((await consoleCli(['--json', 'clusters', 'cat-indices', '--refresh'], yaml)).stdout);
    expect(cat.source).toContainEqual(expect.objectContaining({ index, docs: 250 }));
    const table = await consoleCli(['clusters', 'cat-indices', '--refresh'], yaml);
    expect(table.stdout).toMatch(new RegExp(`^\\s+${index}\\s+\\w+\\s+250\\s`, 'm'));

    const hit = await consoleCli(['clusters', 'curl', 'source_cluster', `/${index}/_search?size=1`], yaml);
    expect(hit.code).toBe(0);
    const doc = JSON.parse(hit.stdout).hits.hits[0]._source;
    expect(JSON.stringify(doc).length).toBeGreaterThan(250);
    expect(JSON.stringify(doc).length).toBeLessThan(350);

    const put = await consoleCli(['--json', 'clusters', 'curl', 'target', `/${index}-curl/_doc/1?refresh=true`, '-X', 'PUT', '--json', '{"a": 1}'], yaml);
    expect(JSON.parse(put.stdout)).toMatchObject({ cluster: 'target', statusCode: 201 });
    expect(await count(target, `${index}-curl`)).toBe(1);
    const missing = await consoleCli(['clusters', 'curl', 'target', '/no-such-index-here'], yaml);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^Error: 404\n.*index_not_found_exception/);
    const badJson = await consoleCli(['clusters', 'curl', 'target', '/x', '-X', 'POST', '--json', '{nope'], yaml);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/--json: not valid JSON/);
    const elsewhere = await consoleCli(['clusters', 'curl', 'target', '//127.0.0.1:1/steal'], yaml);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/leaves http:\/\/127\.0\.0\.1/);
    const unknown = await consoleCli(['--json', 'clusters', 'curl', 'staging', '/'], yaml);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: 'CLUSTER_MISSING' });
  });

  it('refuses clear-indices without --acknowledge-risk and deletes nothing; with it, deletes the indices', async () => {
    const mine = [uniqueName('clear-a'), uniqueName('clear-b')];
    for (const i of mine) await target.json('PUT', `/${i}/_doc/1?refresh=true`, { x: 1 });
    // A filter in front of the target: _cat/indices lists only this test's indices, so that the clear cannot touch other tests' data.
    const filter = http.createServer((req, res) => {
      const upstream = http.request(new URL(req.url!, env.targetUrl), { method: req.method, headers: req.headers }, (up) => {
        if (!req.url!.startsWith('/_cat/indices')) {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c) => chunks.push(c));
        up.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(JSON.parse(Buffer.concat(chunks).toString()).filter((r: any) => mine.includes(r.index)))));
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => filter.listen(0, '127.0.0.1', r));
    const filtered = clustersYaml(env.sourceUrl, `http://127.0.0.1:${(filter.address() as any).port}`);
    try {
      const refused = await consoleCli(['clusters', 'clear-indices', '--cluster', 'target'], filtered);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/--acknowledge-risk/);
      for (const i of mine) expect(await count(target, i)).toBe(1);
      const cleared = await consoleCli(['--json', 'clusters', 'clear-indices', '--cluster', 'target', '--acknowledge-risk'], filtered);
      expect(cleared.code).toBe(0);
      expect(JSON.parse(cleared.stdout)).toEqual({ cluster: 'target', deleted: [...mine].sort() });
      for (const i of mine) expect(await count(target, i)).toBeNull();
    } finally {
      filter.close();
    }
  });
});

describe('migration console: metadata and backfill', () => {
  it('evaluates, then migrates, an index with the metadata tool\'s code and the yaml\'s allowlist', async () => {
    const index = uniqueName('meta');
    await source.json('PUT', `/${index}`, { settings: { number_of_shards: 1 }, mappings: { properties: { title: { type: 'text' } } } });
    const mm = `${yaml}metadata_migration:\n  index_allowlist: [${index}]\n  index_template_allowlist: ['regex:(?!)']\n  component_template_allowlist: ['regex:(?!)']\n`;
    const evaluated = await consoleCli(['--json', 'metadata', 'evaluate'], mm);
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ mode: 'evaluate', issues: 0, items: [expect.objectContaining({ kind: 'index', name: index, result: 'would create' })] });
    expect((await target.request({ method: 'HEAD', path: `/${index}` })).statusCode).toBe(404);
    const migrated = await consoleCli(['metadata', 'migrate'], mm);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`index\\s+${index}\\s+created`));
    const mapping = await target.json('GET', `/${index}/_mapping`);
    expect(mapping[index].mappings.properties.title.type).toBe('text');
    // Again: the index exists, which is an issue (exit code = number of issues).
    const again = await consoleCli(['metadata', 'migrate', ...onlyIndex(index)], yaml);
    expect(again.code).toBe(1);
  });

  it('starts local backfill workers and shows per-index progress with --deep-check; pause keeps the state, stop archives it', async () => {
    const index = uniqueName('bf');
    const wsi = uniqueName('.migrations_working_state_t');
    await source.json('POST', `/${index}/_bulk?refresh=true`, Array.from({ length: 300 }, (_, i) => `{"index":{"_id":"${i}"}}\n{"n":${i}}\n`).join(''), { 'content-type': 'application/x-ndjson' });
    const worker = ['node', path.resolve(__dirname, '../../../runtime/dist/backfill/documents-cli.js'), 'run', '--source-host', env.sourceUrl, '--target-host', env.targetUrl, '--index-allowlist', index, '--working-state-index', wsi, '--progress', 'none'];
    const bf = `${yaml}backfill:\n  scale: 1\n  local:\n    command: ${JSON.stringify(worker)}\n`;
    // The backfill copies into indices that metadata migration created.
    expect((await consoleCli(['metadata', 'migrate', ...onlyIndex(index)], bf)).code).toBe(0);
    const started = await consoleCli(['--json', 'backfill', 'start'], bf);
    expect(JSON.parse(started.stdout)).toMatchObject({ service: 'backfill', where: 'local', desired: 1 });
    let deep: any;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
      deep = JSON.parse((await consoleCli(['--json', 'backfill', 'status', '--deep-check', '--working-state-index', wsi], bf)).stdout);
      if (deep.workingState?.total.left === 0 && deep.workingState.total.leased === 0 && deep.workingState.total.items > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(deep.workingState.indices).toEqual([expect.objectContaining({ index, docsDone: 300, left: 0, leased: 0 })]);
    const text = await consoleCli(['backfill', 'status', '--deep-check', '--working-state-index', wsi], bf);
    expect(text.stdout).toMatch(new RegExp(`^${index}\\s+\\d+\\s+0\\s+0\\s+300\\s`, 'm'));
    expect(await count(target, index)).toBe(300);

    expect(JSON.parse((await consoleCli(['--json', 'backfill', 'pause'], bf)).stdout)).toMatchObject({ desired: 0 });
    expect((await target.request({ method: 'HEAD', path: `/${wsi}` })).statusCode).toBe(200);
    const stopped = JSON.parse((await consoleCli(['--json', 'backfill', 'stop', '--working-state-index', wsi], bf)).stdout);
    expect(stopped).toMatchObject({ desired: 0, running: 0, archivedTo: expect.stringMatching(new RegExp(`^${wsi.replace('.', '\\.')}_archive_`)) });
    expect((await target.request({ method: 'HEAD', path: `/${wsi}` })).statusCode).toBe(404);
    expect(await count(target, stopped.archivedTo)).toBeGreaterThan(0);
    const none = await consoleCli(['backfill', 'status', '--deep-check', '--working-state-index', wsi], bf);
    expect(none.stdout).toMatch(/no backfill has started/);
  });

  it('runs local replay workers as processes, scales and stops them, and describes them', async () => {
    const replay = `replay:\n  scale: 2\n  local:\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n`;
    expect(JSON.parse((await consoleCli(['--json', 'replay', 'start'], replay)).stdout)).toMatchObject({ where: 'local', desired: 2, running: 2 });
    expect(JSON.parse((await consoleCli(['--json', 'replay', 'scale', '3'], replay)).stdout)).toMatchObject({ desired: 3 });
    const described = JSON.parse((await consoleCli(['--json', 'replay', 'describe'], replay)).stdout);
    expect(described).toMatchObject({ service: 'replay', config: { scale: 2, local: { command: expect.any(Array) } }, status: { desired: 3 } });
    expect(JSON.parse((await consoleCli(['--json', 'replay', 'stop'], replay)).stdout)).toMatchObject({ desired: 0 });
    let status: any;
    for (let i = 0; i < 40; i++) {
      status = JSON.parse((await consoleCli(['--json', 'replay', 'status'], replay)).stdout);
      if (status.running === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toMatchObject({ desired: 0, running: 0 });
    const none = await consoleCli(['--json', 'replay', 'status'], yaml);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout)).toMatchObject({ error: 'NOT_CONFIGURED', message: expect.stringContaining('"replay"') });
  });
});

describe('migration console: kafka', () => {
  it('creates, lists, describes and (only with --acknowledge-risk) deletes a topic', async () => {
    const topic = uniqueName('console-topic');
    const created = await consoleCli(['--json', 'kafka', 'create-topic', '--topic-name', topic, '--partitions', '2'], kafkaYaml);
    expect(JSON.parse(created.stdout)).toEqual({ topic, created: true });
    expect((await consoleCli(['kafka', 'create-topic', topic], kafkaYaml)).stdout).toMatch(/already exists/);
    const listed = JSON.parse((await consoleCli(['--json', 'kafka', 'list-topics'], kafkaYaml)).stdout);
    expect(listed).toContainEqual({ topic, partitions: 2 });
    expect(listed.some((t: any) => t.topic.startsWith('__'))).toBe(false);
    expect((await consoleCli(['kafka', 'list-topics'], kafkaYaml)).stdout).toMatch(new RegExp(`^${topic}\\s+2$`, 'm'));

    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'console-test' });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: 'x', partition: i % 2 })) });
    await producer.disconnect();
    const records = JSON.parse((await consoleCli(['--json', 'kafka', 'describe-topic-records', topic], kafkaYaml)).stdout);
    expect(records).toMatchObject({ topic, records: 10, partitions: [{ partition: 0, records: 5 }, { partition: 1, records: 5 }] });

    const group = uniqueName('replayers');
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '3' }] });
    await admin.disconnect();
    const described = JSON.parse((await consoleCli(['--json', 'kafka', 'describe-consumer-group', '--group-name', group], kafkaYaml)).stdout);
    // As describe-topic counts it: a partition without a committed offset lags by all its records.
    expect(described).toMatchObject({ group, lag: 7, partitions: [{ topic, partition: 0, committed: 3, latest: 5, lag: 2 }, { topic, partition: 1, committed: null, lag: 5 }] });
    const lagReport = JSON.parse((await consoleCli(['--json', 'kafka', 'describe-topic', '--topic', topic, '--group', group], kafkaYaml)).stdout);
    expect(lagReport).toMatchObject({ records: 10, lag: 7 });
    expect(lagReport.partitions).toEqual([
      { partition: 0, earliest: 0, latest: 5, committed: 3, lag: 2 },
      { partition: 1, earliest: 0, latest: 5, committed: null, lag: 5 },
    ]);
    const noGroup = await consoleCli(['--json', 'kafka', 'describe-consumer-group', uniqueName('nobody')], kafkaYaml);
    expect(noGroup.code).toBe(1);
    expect(JSON.parse(noGroup.stdout).error).toBe('CONSUMER_GROUP_MISSING');

    const refused = await consoleCli(['kafka', 'delete-topic', '--topic-name', topic], kafkaYaml);
    expect(refused.code).toBe(2);
    expect(JSON.parse((await consoleCli(['--json', 'kafka', 'describe-topic-records', topic], kafkaYaml)).stdout).records).toBe(10);
    const deleted = await consoleCli(['kafka', 'delete-topic', '--topic-name', topic, '--acknowledge-risk'], kafkaYaml);
    expect(deleted.stdout).toMatch(`deleted topic ${topic}`);
    const gone = await consoleCli(['--json', 'kafka', 'describe-topic-records', topic], kafkaYaml);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout).error).toBe('TOPIC_MISSING');
  });

  it('lists topics from MIGRATION_KAFKA_BROKER_ENDPOINTS when services.yaml has no kafka section, as the user guide\'s check does', async () => {
    const topic = uniqueName('guide-topic');
    await consoleCli(['kafka', 'create-topic', topic], kafkaYaml);
    const r = await consoleCli(['kafka', 'list-topics'], yaml, { ...process.env, MIGRATION_KAFKA_BROKER_ENDPOINTS: env.kafkaBrokers });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(topic);
    const none = await consoleCli(['kafka', 'list-topics'], yaml);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no "kafka" section and MIGRATION_KAFKA_BROKER_ENDPOINTS is not set/);
    const away = await consoleCli(['--json', 'kafka', 'list-topics'], `kafka:\n  broker_endpoints: 127.0.0.1:1\n  standard:\n`);
    expect(away.code).toBe(1);
    expect(JSON.parse(away.stdout)).toMatchObject({ error: 'KAFKA_UNREACHABLE', message: expect.stringContaining('127.0.0.1:1') });
    await consoleCli(['kafka', 'delete-topic', topic, '--acknowledge-risk'], kafkaYaml);
  });
});

describe('migration console: tuples', () => {
  it('summarizes replay tuples, mismatches first, with bodies decoded', async () => {
    const tupleDir = mkdtempSync(path.join(os.tmpdir(), 'tuples-'));
    const body = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
    const tuple = (i: number, src: number, tgt: number) => ({
      connectionId: `c.${i}`,
      sourceRequest: { Method: 'GET', 'Request-URI': `/idx/_doc/${i}`, 'HTTP-Version': 'HTTP/1.1', body: '' },
      sourceResponse: { 'Status-Code': src, 'Reason-Phrase': 'OK', response_time_ms: 4, body: body({ found: true }) },
      targetRequest: { Method: 'GET', 'Request-URI': `/idx/_doc/${i}` },
      targetResponses: [{ 'Status-Code': tgt, response_time_ms: 6, body: body({ found: tgt === 200 }) }],
      numRequests: 1,
      numErrors: 0,
      error: null,
    });
    const lines = [tuple(1, 200, 200), tuple(2, 200, 404), tuple(3, 200, 200)].map((t) => JSON.stringify(t)).join('\n');
    writeFileSync(path.join(tupleDir, 'tuples-0001.jsonl.gz'), gzipSync(lines));
    const summary = JSON.parse((await consoleCli(['--json', 'tuples', 'summary', '--tuple-dir', tupleDir])).stdout);
    expect(summary).toMatchObject({ tuples: 3, statusMatches: 2, statusMismatches: 1, sourceLatencyMsP50: 4, targetLatencyMsP50: 6 });
    expect(summary.statusPairs[0]).toEqual({ method: 'GET', source: 200, target: 404, count: 1 });
    const shown = JSON.parse((await consoleCli(['--json', 'tuples', 'show', '--tuple-dir', tupleDir, '--mismatches'])).stdout);
    expect(shown).toHaveLength(1);
    expect(shown[0].targetBody).toBe(JSON.stringify({ found: false }, null, 2));
    const text = await consoleCli(['tuples', 'summary', '--tuple-dir', tupleDir]);
    expect(text.stdout).toMatch(/^3 requests replayed: 2 same status, 1 different/);
  });
});

describe('migration console: the command line itself', () => {
  it('prints its version, help without a command (exit 2), and takes --config as --config-file', async () => {
    const version = await consoleCli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const bare = await consoleCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/Usage: migration-console/);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'services.yaml');
    writeFileSync(file, yaml);
    const alias = await consoleCli(['--config', file, '--json', 'clusters', 'connection-check']);
    expect(JSON.parse(alias.stdout).clusters).toHaveLength(2);
  });

  it('writes completion scripts that bash and fish accept and that complete the verbs', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = path.join(mkdtempSync(path.join(os.tmpdir(), 'completion-')), 'console.bash');
    writeFileSync(script, (await consoleCli(['completion', 'bash'])).stdout);
    const complete = (words: string[]) =>
      execFileSync('bash', ['-c', `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _migration_console_complete; echo "\${COMPREPLY[@]}"`]).toString().trim();
    expect(complete(['console', 'ka'])).toBe('kafka');
    expect(complete(['migration-console', '--config-file', 'x.yaml', 'kafka', 'describe-c'])).toBe('describe-consumer-group');
    expect(complete(['migration-console', 'clusters', 'clear-indices', '--ack'])).toBe('--acknowledge-risk');
    for (const shell of ['zsh', 'fish']) {
      const r = await consoleCli(['completion', shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('describe-topic-records');
    }
    expect((await consoleCli(['completion', 'powershell'])).code).toBe(2);
  });
});
