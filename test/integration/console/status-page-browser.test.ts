import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { buildApi } from '../../../runtime/src/console/api/server';
import { CONSOLE_VERBS } from '../../../runtime/src/console/commands';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { artifactPath, launchChromium } from '../../support/browser';
import { clustersYaml, consoleCli, onlyIndex } from '../../support/console-cli';
import { stackEndpoints, uniqueName } from '../../support/env';

// The page's DOM, in the functions that run in the browser.
declare const document: any;
const run = promisify(execFile);
const env = stackEndpoints();
const TOKEN = 'status-page-token-0123456789';
const BACKFILL = path.resolve(__dirname, '../../../runtime/dist/backfill/documents-cli.js');

function tuples(dir: string): void {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
  const t = (i: number, src: number, tgt: number, req: { method?: string; uri?: string; srcMs?: number; tgtMs?: number; body?: unknown } = {}) =>
    JSON.stringify({
      connectionId: `c.${i}`,
      sourceRequest: { Method: req.method ?? 'GET', 'Request-URI': req.uri ?? `/x/_doc/${i}`, body: '' },
      sourceResponse: { 'Status-Code': src, response_time_ms: req.srcMs ?? 5, body: req.body === undefined ? '' : b64(req.body) },
      targetResponses: [{ 'Status-Code': tgt, response_time_ms: req.tgtMs ?? 7, body: req.body === undefined ? '' : b64(req.body) }],
      error: null,
    });
  const hits = { took: 1, hits: { total: { value: 1, relation: 'eq' }, hits: [{ _id: '1', _score: 1 }] } };
  writeFileSync(
    path.join(dir, 'tuples-0001.jsonl.gz'),
    gzipSync(
      [
        t(1, 200, 200),
        t(2, 200, 200),
        t(3, 201, 200),
        t(4, 404, 404),
        t(5, 201, 201, { method: 'PUT', uri: '/x/_doc/5', srcMs: 3, tgtMs: 240, body: { result: 'created' } }),
        t(6, 200, 200, { method: 'POST', uri: '/x/_search', srcMs: 12, tgtMs: 31, body: hits }),
      ].join('\n'),
    ),
  );
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
      await page.waitForFunction(() => document.querySelector('#source-docs') && document.querySelector('#kafka-lag') && document.querySelector('#tuples-count') && document.querySelector('#report-tuples'), undefined, { timeout: 60_000 });

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
      // The comparison panel: the report's verdicts by class and its latency percentiles and histogram.
      const report = await api('/api/tuples/report');
      expect(await page.locator('#report-tuples').innerText()).toBe(String(report.tuples));
      const cellsOf = async (selector: string) => (await page.locator(selector).innerText()).split('\t').map((c) => c.trim());
      expect(report.byClass.length).toBeGreaterThanOrEqual(3);
      for (const c of report.byClass) expect(await cellsOf(`#verdict-matrix tr[data-class="${c.class}"]`)).toEqual([c.label, String(c.same), String(c.expected), String(c.different), String(c.total)]);
      const t = report.totals;
      expect(await cellsOf('#verdict-matrix tr[data-class="all"]')).toEqual(['all', String(t.same), String(t.expected), String(t.different), String(t.same + t.expected + t.different)]);
      for (const l of report.latency) {
        const p = (x: any) => [x.p50, x.p90, x.p99].map((v) => (v === null ? '-' : (Math.round(v * 10) / 10).toLocaleString('en-US')));
        expect(await cellsOf(`#report-latency tr[data-class="${l.class}"]`)).toEqual([l.label, ...p(l.source), ...p(l.target)]);
      }
      expect(await cellsOf('#report-latency tr[data-class="write"]')).toEqual(['single-document write', '3', '3', '3', '240', '240', '240']);
      const histogram = (side: 'source' | 'target') => report.latencyBucketsMs.concat([0]).map((_: number, i: number) => report.latency.reduce((n: number, l: any) => n + l[side].histogram[i], 0));
      expect(JSON.parse((await page.locator('#chart-latency').getAttribute('data-source'))!)).toEqual(histogram('source'));
      expect(JSON.parse((await page.locator('#chart-latency').getAttribute('data-target'))!)).toEqual(histogram('target'));
      expect(histogram('target').reduce((a: number, b: number) => a + b, 0)).toBe(report.tuples);
      expect(await page.locator('#chart-latency canvas').count()).toBe(1);
      await page.locator('#comparison').screenshot({ path: artifactPath('status-page-comparison.png') });

      // ?format=html is the page `tuples report --html` writes, numbers and all.
      const served = await fetch(`${base}/api/tuples/report?format=html`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(served.headers.get('content-type')).toMatch(/^text\/html/);
      const htmlFile = path.join(tupleDir, '..', `${path.basename(tupleDir)}-report.html`);
      expect((await consoleCli(['tuples', 'report', '--tuple-dir', tupleDir, '--html', htmlFile])).code).toBe(1);
      const withoutTime = (html: string) => html.replace(/"generatedAt":"[^"]*"/, '').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME');
      expect(withoutTime(await served.text())).toBe(withoutTime(readFileSync(htmlFile, 'utf8')));

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
