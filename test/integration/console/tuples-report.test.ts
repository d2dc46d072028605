import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { artifactPath, launchChromium } from '../../support/browser';
import { startCaptureProxy } from '../../support/capture-proxy';
import { consoleCli } from '../../support/console-cli';
import { stackEndpoints, uniqueName } from '../../support/env';
import { headerValue, parseResponse } from '../../../runtime/src/core/http/message';
import { createTopic, deleteTopic, httpRequest, RawConnection, startReplayer, waitAllCommitted } from '../replayer/support';

const env = stackEndpoints();
const work = mkdtempSync(path.join(os.tmpdir(), 'tuples-report-'));
const index = uniqueName('shop');
const topic = uniqueName('report-traffic');
const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'report-test' });
const source = new ClusterClient({ endpoint: env.sourceUrl });
const target = new ClusterClient({ endpoint: env.targetUrl });

const fruits = ['apple', 'pear', 'plum', 'cherry'];
const docs = Array.from({ length: 60 }, (_, i) => ({
  id: `p${i}`,
  // Hyphens and capitals: a standard analyzer splits and lowercases them, a whitespace one does not.
  name: [`${fruits[i % 4]} juice`, `Red-${fruits[i % 4]} pie`, `${fruits[(i + 1) % 4].toUpperCase()} jam`][i % 3],
  description: i % 2 ? 'fresh from the farm' : 'kept for winter',
  category: ['fruit', 'veg', 'drink'][i % 3],
  price: (i % 7) * 1.5 + 0.25,
  n: i,
  tags: [`t${i % 5}`],
}));

/** The same index and documents on a cluster; `nameAnalyzer` changes how the name field is analyzed. */
async function loadCopy(c: ClusterClient, nameAnalyzer?: string): Promise<void> {
  await c.request({ method: 'DELETE', path: `/${index}` });
  await c.json('PUT', `/${index}`, {
    settings: { number_of_shards: 2, number_of_replicas: 0 },
    mappings: { properties: { name: { type: 'text', ...(nameAnalyzer ? { analyzer: nameAnalyzer } : {}) }, description: { type: 'text' }, category: { type: 'keyword' }, price: { type: 'float' }, n: { type: 'integer' }, tags: { type: 'keyword' } } },
  });
  const body = docs.map(({ id, ...d }) => `${JSON.stringify({ index: { _index: index, _id: id } })}\n${JSON.stringify(d)}\n`).join('');
  const res = await c.json('POST', '/_bulk?refresh=true', body, { 'content-type': 'application/x-ndjson' });
  expect(res.errors).toBe(false);
}

/**
 * What clients send through the proxy: searches with sorts and aggregations, a scroll, gets,
 * writes, _cat and health. Two keep-alive connections: a replay orders one connection's requests
 * as captured, so the searches after the writes see them on the target too.
 */
async function clientTraffic(proxyUrl: URL): Promise<number> {
  const a = new RawConnection(proxyUrl);
  const b = new RawConnection(proxyUrl);
  let sent = 0;
  const send = async (c: RawConnection, method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    sent++;
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const { response } = await c.exchange(httpRequest(method, p, text, headers));
    const res = parseResponse(response, method);
    expect([method, p, res.statusCode < 500]).toEqual([method, p, true]);
    return res.body.length && /json/.test(headerValue(res.headers, 'content-type') ?? '') ? JSON.parse(res.body.toString()) : undefined;
  };
  const searches = async () => {
    await send(a, 'GET', `/${index}/_search?q=description:fresh&size=100`);
    await send(a, 'POST', `/${index}/_search`, { query: { match: { name: 'apple' } }, size: 100 });
    await send(a, 'POST', `/${index}/_search`, { query: { match: { name: 'pear' } }, size: 5 });
    await send(a, 'POST', `/${index}/_search`, { query: { term: { category: 'fruit' } }, sort: [{ price: 'asc' }, { n: 'asc' }], size: 10 });
    await send(a, 'POST', `/${index}/_search`, { sort: [{ price: 'desc' }], size: 20 });
    await send(a, 'POST', `/${index}/_search`, { size: 0, aggs: { cats: { terms: { field: 'category' }, aggs: { avg_price: { avg: { field: 'price' } } } }, prices: { histogram: { field: 'price', interval: 2 } }, price_stats: { stats: { field: 'price' } } } });
    await send(a, 'GET', `/${index}/_count?q=category:veg`);
    const msearch = [{ index }, { query: { term: { tags: 't1' } }, sort: ['n'] }, { index }, { size: 0, aggs: { tags: { terms: { field: 'tags' } } } }].map((l) => `${JSON.stringify(l)}\n`).join('');
    await send(a, 'POST', '/_msearch', msearch, { 'Content-Type': 'application/x-ndjson' });
  };
  await searches();
  await send(a, 'GET', `/${index}/_doc/p3`);
  await send(a, 'GET', `/${index}/_doc/missing`);
  await send(a, 'HEAD', `/${index}/_doc/p3`);
  await send(a, 'POST', '/_mget', { docs: [{ _index: index, _id: 'p1' }, { _index: index, _id: 'p2' }] });
  const bulk = [
    { index: { _index: index, _id: 'p5' } }, { ...docs[5], id: undefined, price: 42 },
    { create: { _index: index, _id: 'p100' } }, { name: 'plum tart', category: 'fruit', price: 3.5, n: 100, tags: ['t0'] },
    { delete: { _index: index, _id: 'p6' } },
  ].map((l) => `${JSON.stringify(l)}\n`).join('');
  await send(a, 'POST', '/_bulk?refresh=true', bulk, { 'Content-Type': 'application/x-ndjson' });
  await send(a, 'PUT', `/${index}/_doc/p200?refresh=true`, { name: 'cherry cake', category: 'fruit', price: 5.25, n: 200, tags: ['t2'] });
  await send(a, 'POST', `/${index}/_update/p2?refresh=true`, { doc: { price: 99 } });
  await send(a, 'DELETE', `/${index}/_doc/p4?refresh=true`);
  await searches();
  const first = await send(a, 'POST', `/${index}/_search?scroll=1m`, { size: 10, sort: ['n'] });
  await send(a, 'POST', '/_search/scroll', { scroll: '1m', scroll_id: first._scroll_id });
  await send(a, 'POST', '/_search/scroll', { scroll: '1m', scroll_id: first._scroll_id });
  await send(a, 'DELETE', '/_search/scroll', { scroll_id: first._scroll_id });
  for (const p of ['/_cat/indices?v', '/_cat/health', `/_cluster/health/${index}`, '/']) await send(b, 'GET', p);
  a.close();
  b.close();
  return sent;
}

/** Replays the whole capture topic on the target into a tuple directory of its own. */
async function replayTo(name: string): Promise<string> {
  const tupleDir = path.join(work, name);
  const groupId = uniqueName(`report-${name}`);
  const replayer = startReplayer(['--target-uri', env.targetUrl, '--kafka-traffic-brokers', env.kafkaBrokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', groupId, '--tuple-dir', tupleDir, '--speedup-factor', '5']);
  try {
    await waitAllCommitted(kafka, groupId, topic, replayer);
  } finally {
    replayer.child.kill('SIGTERM');
  }
  expect(await replayer.exited).toBe(0);
  return tupleDir;
}

describe('tuples report on a replay captured in front of Elasticsearch 7.10 and replayed on OpenSearch', () => {
  let sent = 0;
  let selfReplay = '';

  beforeAll(async () => {
    await Promise.all([loadCopy(source), loadCopy(target)]);
    await createTopic(kafka, topic, 2, []);
    const proxy = await startCaptureProxy({ sourceUrl: env.sourceUrl, kafkaBrokers: env.kafkaBrokers, topic });
    try {
      sent = await clientTraffic(proxy.url);
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
  });

  afterAll(async () => {
    for (const c of [source, target]) {
      await c.request({ method: 'DELETE', path: `/${index}` }).catch(() => undefined);
      await c.close();
    }
    await deleteTopic(kafka, topic);
  });

  it('finds no difference when the target holds a copy of the same data', async () => {
    selfReplay = await replayTo('self');
    const html = path.join(work, 'self-replay.html');
    const r = await consoleCli(['--json', 'tuples', 'report', '--tuple-dir', selfReplay, '--html', html]);
    const report = JSON.parse(r.stdout);
    process.stderr.write(`self-replay: ${JSON.stringify(report.totals)} by class ${JSON.stringify(report.byClass.map((c: any) => [c.class, c.same, c.expected, c.different]))}; expected ${JSON.stringify(report.expectedReasons.map((e: any) => [e.reason, e.count]))}\n`);
    expect(report.tuples).toBe(sent);
    expect(report.topDifferent).toEqual([]);
    expect(report.totals.different).toBe(0);
    expect(r.code).toBe(0);
    expect(report.byClass.map((c: any) => c.class).sort()).toEqual(['admin', 'bulk', 'count', 'get', 'scroll', 'search', 'write']);
    // The scroll's continuations carry the source's scroll id, which the target cannot know.
    expect(report.expectedReasons).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'foreignScroll' })]));
    expect(report.htmlFile).toBe(html);
    expect((await consoleCli(['tuples', 'report', '--tuple-dir', selfReplay, '--html', html])).stdout).toContain(`HTML report: ${html}`);
  });

  it('renders the HTML report in Chromium with the numbers of the --json output', async () => {
    const html = path.join(work, 'self-replay.html');
    const report = JSON.parse((await consoleCli(['--json', 'tuples', 'report', '--tuple-dir', selfReplay])).stdout);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(`file://${html}`);
      const text = async (id: string) => (await page.getByTestId(id).innerText()).trim();
      expect(await text('tuples')).toBe(String(report.tuples));
      for (const v of ['same', 'expected', 'different']) expect(await text(`total-${v}`)).toBe(String(report.totals[v]));
      for (const c of report.byClass) for (const v of ['same', 'expected', 'different']) expect(await text(`class-${c.class}-${v}`)).toBe(String(c[v]));
      for (const cell of report.statusMatrix) expect(await text(`status-${cell.source ?? 'none'}-${cell.target ?? 'none'}`)).toBe(String(cell.count));
      for (const l of report.latency) expect(await text(`latency-${l.class}-target-p50`)).toBe(String(l.target.p50 ?? '-'));
      expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(1 + report.latency.length);
      // Self-contained: the page loaded nothing but itself.
      expect(requests).toEqual([`file://${html}`]);
      await page.screenshot({ path: artifactPath('tuples-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it('puts the searches on a field whose analyzer changed, and nothing else, under different, with the hit ids', async () => {
    await loadCopy(target, 'whitespace');
    const dir = await replayTo('analyzer');
    const html = path.join(work, 'analyzer.html');
    const r = await consoleCli(['--json', 'tuples', 'report', '--tuple-dir', dir, '--html', html]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    process.stderr.write(`changed analyzer: ${JSON.stringify(report.totals)}; different endpoints ${JSON.stringify(report.topDifferent.map((e: any) => [e.endpoint, e.count, e.paths]))}\n`);
    expect(report.topDifferent.map((e: any) => e.endpoint)).toEqual([`POST /${index}/_search`]);
    const [e] = report.topDifferent;
    expect(e.paths.map((p: any) => p.path)).toContain('hits.hits[]._id');
    expect(e.example.differences.find((d: any) => d.path === 'hits.hits[]._id').source).toMatch(/only here: \["p\d+"/);
    // Exactly the name searches: two before the writes and two after.
    const shown = JSON.parse((await consoleCli(['--json', 'tuples', 'show', '--tuple-dir', dir, '--verdict', 'different', '--limit', '1000'])).stdout);
    expect(shown).toHaveLength(4);
    for (const s of shown) expect(JSON.parse(s.requestBody).query.match).toHaveProperty('name');
    expect(report.totals.different).toBe(4);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${html}`);
      expect((await page.getByTestId('endpoint-0').innerText()).trim()).toBe(`POST /${index}/_search`);
      await page.screenshot({ path: artifactPath('tuples-report-changed-analyzer.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('tuples report --baseline source', () => {
  const idx = uniqueName('random');
  const c = { source: new ClusterClient({ endpoint: env.sourceUrl }), target: new ClusterClient({ endpoint: env.targetUrl }) };

  afterAll(async () => {
    for (const client of Object.values(c)) {
      await client.request({ method: 'DELETE', path: `/${idx}` }).catch(() => undefined);
      await client.close();
    }
  });

  it('learns a field that is random in every answer and stops reporting it', async () => {
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    for (const client of Object.values(c)) {
      await client.json('PUT', `/${idx}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
      await client.json('POST', '/_bulk?refresh=true', Array.from({ length: 50 }, (_, i) => `{"index":{"_index":"${idx}","_id":"d${i}"}}\n{"n":${i}}\n`).join(''), { 'content-type': 'application/x-ndjson' });
    }
    // A search with random_score answered by both clusters, as the replayer would record it.
    const query = JSON.stringify({ query: { function_score: { query: { match_all: {} }, random_score: {} } }, size: 3 });
    const lines: string[] = [];
    for (let i = 0; i < 4; i++) {
      const answers = await Promise.all([c.source, c.target].map((client) => client.request({ method: 'POST', path: `/${idx}/_search`, body: query, headers: { 'content-type': 'application/json' } })));
      const msg = (a: { statusCode: number; body: Buffer }) => ({ 'content-type': 'application/json', 'Status-Code': a.statusCode, response_time_ms: 2, body: b64(a.body) });
      lines.push(JSON.stringify({ connectionId: `r.${i}`, sourceRequest: { 'content-type': 'application/json', Method: 'POST', 'Request-URI': `/${idx}/_search`, body: b64(query) }, sourceResponse: msg(answers[0]), targetResponses: [msg(answers[1])], error: null }));
    }
    const dir = mkdtempSync(path.join(work, 'baseline-'));
    writeFileSync(path.join(dir, 'tuples-0001.log.gz'), gzipSync(lines.join('\n')));

    const plain = JSON.parse((await consoleCli(['--json', 'tuples', 'report', '--tuple-dir', dir])).stdout);
    expect(plain.totals.different).toBeGreaterThan(0);
    expect(plain.topDifferent[0].paths.map((p: any) => p.path)).toEqual(['hits.hits[]._id']);

    const r = await consoleCli(['--json', 'tuples', 'report', '--tuple-dir', dir, '--baseline', 'source'], `source_cluster:\n  endpoint: ${env.sourceUrl}\n  no_auth:\n`);
    const learned = JSON.parse(r.stdout);
    expect(learned.totals).toEqual({ same: 4, expected: 0, different: 0 });
    expect(learned.noise.learned).toEqual([{ endpoint: `POST /${idx}/_search`, paths: ['hits.hits[]._id'] }]);
    expect(learned.baseline).toMatchObject({ resent: 4, failed: 0 });
    expect(r.code).toBe(0);
  });
});
