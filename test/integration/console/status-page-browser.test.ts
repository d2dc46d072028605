import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildApi } from '../../../runtime/src/console/api/server';
import { CONSOLE_VERBS } from '../../../runtime/src/console/commands';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { artifactPath, launchChromium } from '../support/browser';
import { clustersYaml, consoleCli, onlyIndex } from '../support/console-cli';
import { stackEndpoints, uniqueName } from '../support/env';

// The page's DOM, in the functions that run in the browser.
declare const document: any;
const run = promisify(execFile);
const env = stackEndpoints();
const TOKEN = 'status-page-token-0123456789';
const BACKFILL = path.resolve(__dirname, '../../../runtime/dist/backfill/documents-cli.js');

function tuples(dir: string): void {
  const t = (i: number, src: number, tgt: number) =>
    JSON.stringify({
      connectionId: `c.${i}`,
      sourceRequest: { Method: 'GET', 'Request-URI': `/x/_doc/${i}`, body: '' },
      sourceResponse: { 'Status-Code': src, response_time_ms: 5, body: '' },
      targetResponses: [{ 'Status-Code': tgt, response_time_ms: 7, body: '' }],
      error: null,
    });
  writeFileSync(path.join(dir, 'tuples-0001.jsonl.gz'), gzipSync([t(1, 200, 200), t(2, 200, 200), t(3, 201, 200), t(4, 404, 404)].join('\n')));
}

describe('status page in Chromium', () => {
  it('shows the API\'s numbers, draws backfill and Kafka charts that follow the migration, and works behind the token', async () => {
    const index = uniqueName('page');
    const wsi = uniqueName('.migrations_working_state_page');
    const topic = uniqueName('page-traffic');
    const group = uniqueName('page-replayers');
    const source = new ClusterClient({ endpoint: env.sourceUrl });
    await source.json('POST', `/${index}/_bulk?refresh=true`, Array.from({ length: 400 }, (_, i) => `{"index":{"_id":"${i}"}}\n{"n":${i}}\n`).join(''), { 'content-type': 'application/x-ndjson' });
    await source.close();
    const yaml = `${clustersYaml(env.sourceUrl, env.targetUrl)}kafka:\n  broker_endpoints: ${env.kafkaBrokers}\n  standard:\n`;
    expect((await consoleCli(['metadata', 'migrate', ...onlyIndex(index)], yaml)).code).toBe(0);

    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'page-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ key: `c${i}`, value: 'x' })) });
    await producer.disconnect();
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '2' }] });

    const tupleDir = mkdtempSync(path.join(os.tmpdir(), 'page-tuples-'));
    tuples(tupleDir);
    const config = parseServicesYaml(yaml);
    const app = await buildApi({
      context: { config: async () => config, stateDir: mkdtempSync(path.join(os.tmpdir(), 'page-state-')), tupleDir, env: process.env, progress: () => undefined },
      verbs: CONSOLE_VERBS,
      token: TOKEN,
      sampleIntervalMs: 500,
      watch: { topic, group, workingStateIndex: wsi },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as any).port}`;
    const api = async (p: string) => (await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<any>;
    const browser = await launchChromium();
    try {
      const page = await (await browser.newContext({ httpCredentials: { username: 'operator', password: TOKEN }, viewport: { width: 1280, height: 900 } })).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/`);
      await page.waitForFunction(() => document.querySelector('#source-docs') && document.querySelector('#kafka-lag') && document.querySelector('#tuples-count'), undefined, { timeout: 60_000 });

      // The clusters: document counts and the index row as the API gives them.
      const indices = await api('/api/clusters/cat-indices');
      const sum = (rows: any[]) => rows.reduce((n, r) => n + r.docs, 0);
      await page.waitForFunction((v) => document.querySelector('#source-docs')?.getAttribute('data-value') === String(v), sum(indices.source), { timeout: 30_000 });
      expect(await page.locator('#target-docs').getAttribute('data-value')).toBe(String(sum((await api('/api/clusters/cat-indices')).target)));
      expect(await page.locator(`#indices tr[data-index="${index}"]`).innerText()).toMatch(/400\s+0\s/);
      const checks = (await api('/api/clusters/connection-check')).clusters;
      expect(await page.locator('#card-source').innerText()).toContain(checks[0].version);
      expect(await page.locator('#card-target').innerText()).toContain(checks[1].version);

      // Replay results and Kafka: the API's numbers.
      const summary = await api('/api/tuples/summary');
      expect(await page.locator('#tuples-count').innerText()).toBe(String(summary.tuples));
      const matrix = await page.locator('#status-matrix').innerText();
      expect(matrix).toMatch(/200\s+2/);
      expect(matrix).toMatch(/201\s+1/);
      const lag = await api(`/api/kafka/describe-topic?topic=${topic}&group=${group}`);
      expect(await page.locator('#kafka-lag').innerText()).toBe(String(lag.lag));
      await page.waitForFunction(() => document.querySelector('#chart-lag')?.getAttribute('data-last') === '[4]', undefined, { timeout: 30_000 });

      // No backfill yet: the chart says so. Then the backfill runs and the chart follows it.
      expect(await page.locator('#chart-backfill').innerText()).toMatch(/no backfill has started/);
      await run('node', [BACKFILL, 'run', '--source-host', env.sourceUrl, '--target-host', env.targetUrl, '--index-allowlist', index, '--working-state-index', wsi, '--progress', 'none']);
      await page.waitForFunction((i) => document.querySelector('#chart-backfill')?.getAttribute('data-last') === '[400]' && document.querySelector(`#backfill-items tr[data-index="${i}"]`), index, { timeout: 60_000 });
      const items = (await api(`/api/backfill/status?deepCheck=true&workingStateIndex=${encodeURIComponent(wsi)}`)).workingState.indices[0];
      expect(await page.locator(`#backfill-items tr[data-index="${index}"]`).innerText()).toMatch(new RegExp(`${items.done}\\s+0\\s+0\\s+400`));

      // The replayer moves on: the lag chart comes down and the throughput chart has points.
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '5' }] });
      await page.waitForFunction(() => document.querySelector('#chart-lag')?.getAttribute('data-last') === '[1]', undefined, { timeout: 30_000 });
      expect(Number(await page.locator('#chart-throughput').getAttribute('data-points'))).toBeGreaterThan(2);
      expect(await page.locator('#chart-backfill canvas').count()).toBe(1);
      expect(errors).toEqual([]);
      await page.screenshot({ path: artifactPath('status-page.png'), fullPage: true });
    } finally {
      await browser.close();
      await app.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
