import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CAPTURE_PROXY_NODE_FLAGS } from '../capture-proxy/node-flags';
import { ClusterClient } from '../core/cluster-client';
import { UserError } from '../core/errors';
import { describeTraffic, REPLAYER_GROUP, TRAFFIC_TOPIC } from '../console/kafka-admin';
import { renderHtml } from '../console/report/render-html';
import type { TuplesReport } from '../console/report/report';
import { tuplesReport } from '../console/report/tuples-report';
import { assertPortsFree } from './ports';
import { down, stackEnv, StackState, up } from './stack';

export interface DemoOptions {
  proxyPort: number;
  ports: { kafka: number; source: number; target: number };
  documents: number;
  liveSeconds: number;
  keep: boolean;
  log: (line: string) => void;
}

const DIST = path.resolve(__dirname, '..');
const INDICES = ['demo-products', 'demo-orders', 'demo-logs-2026.11'];
const ALLOW = 'regex:demo-.*';

export interface DemoResult {
  seconds: Record<string, number>;
  liveRequests: number;
  /** Of the live requests, the writes without an id (the source picked it). */
  autoIdRequests: number;
  indices: { index: string; source: number; target: number }[];
  /** The comparison of every replayed request (`tuples report`), and where its HTML is. */
  report: Pick<TuplesReport, 'tuples' | 'totals' | 'byClass' | 'expectedReasons' | 'topDifferent'> & { html: string };
  verified: boolean;
}

/*
 * Beside the local stack, not in the console: the images ship neither (runtime/Dockerfile.dockerignore).
 */

/**
 * The local demo migration, end to end on real servers: a source with typed ES 7 mappings, a
 * template and custom routing; the capture proxy in front of it recording live traffic to Kafka
 * while metadata and documents are backfilled by two workers; the replayer catching the target up
 * from Kafka; then a document-by-document verification.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const { log } = opts;
  const seconds: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    log(`\n== ${name}`);
    const out = await fn();
    seconds[name] = (Date.now() - t0) / 1000;
    log(`   done in ${seconds[name].toFixed(1)} s`);
    return out;
  };
  const work = mkdtempSync(path.join(os.tmpdir(), 'migration-demo-'));
  const children: ChildProcess[] = [];
  let state: StackState | undefined;
  try {
    await assertPortsFree({ 'capture proxy': opts.proxyPort });
    // A running stack named by the environment (as the tests do) is used as it is.
    const reused = process.env.MIGRATION_SOURCE_URL && process.env.MIGRATION_TARGET_URL && process.env.MIGRATION_KAFKA_BROKERS;
    let env: Record<string, string>;
    if (reused) {
      env = { MIGRATION_SOURCE_URL: process.env.MIGRATION_SOURCE_URL!, MIGRATION_TARGET_URL: process.env.MIGRATION_TARGET_URL!, MIGRATION_KAFKA_BROKERS: process.env.MIGRATION_KAFKA_BROKERS! };
      log(`Using the running stack: source ${env.MIGRATION_SOURCE_URL}, target ${env.MIGRATION_TARGET_URL}, Kafka ${env.MIGRATION_KAFKA_BROKERS}`);
    } else {
      state = await phase('Start Kafka, Elasticsearch 7.10 (source) and OpenSearch 2.19 (target)', () => up({ name: 'demo', ports: opts.ports, log: (l) => log(`   ${l}`) }));
      env = stackEnv(state);
    }
    // On a shared stack, a topic and group of this run's own keep earlier captures out of the replay.
    const suffix = reused ? `-${Date.now().toString(36)}` : '';
    const topic = `${TRAFFIC_TOPIC}${suffix}`;
    const group = `${REPLAYER_GROUP}${suffix}`;
    const workingState = `.migrations_working_state${suffix}`;
    const source = new ClusterClient({ endpoint: env.MIGRATION_SOURCE_URL });
    const target = new ClusterClient({ endpoint: env.MIGRATION_TARGET_URL });
    const clusterArgs = ['--source-host', env.MIGRATION_SOURCE_URL, '--target-host', env.MIGRATION_TARGET_URL];

    await phase(`Seed the source: ${INDICES.length} indices, a legacy template, ${opts.documents} documents`, async () => {
      // A kept stack may hold an earlier demo's indices and work items: start clean on both sides.
      for (const index of INDICES) await target.request({ method: 'DELETE', path: `/${index}` });
      await target.request({ method: 'DELETE', path: '/_template/demo-logs' });
      await target.request({ method: 'DELETE', path: `/${workingState}` });
      await seedSource(source, opts.documents);
    });

    const proxyUrl = `http://127.0.0.1:${opts.proxyPort}`;
    await phase(`Capture proxy on ${proxyUrl} -> source, recording to Kafka topic ${topic}`, async () => {
      children.push(
        startService('capture-proxy/cli.js', ['--destinationUri', env.MIGRATION_SOURCE_URL, '--listenPort', String(opts.proxyPort), '--listenHost', '127.0.0.1', '--kafkaConnection', env.MIGRATION_KAFKA_BROKERS, '--kafkaTopic', topic], work, 'capture-proxy', CAPTURE_PROXY_NODE_FLAGS),
      );
      await waitFor(async () => (await fetch(proxyUrl).catch(() => undefined))?.ok === true, 30_000, 'the capture proxy did not answer within 30 s');
    });

    const live = startLiveTraffic(new ClusterClient({ endpoint: proxyUrl, connections: 4 }));
    await phase('Backfill while clients keep writing through the proxy: metadata, then documents with 2 workers', async () => {
      await runService('backfill/metadata-cli.js', ['migrate', ...clusterArgs, '--index-allowlist', ALLOW, '--index-template-allowlist', 'demo-logs', '--json'], work, 'metadata', [0]);
      const workerArgs = ['run', ...clusterArgs, '--index-allowlist', ALLOW, '--working-state-index', workingState, '--progress', 'none', '--failed-documents-file', path.join(work, 'failed-documents.jsonl')];
      await Promise.all([1, 2].map((n) => runService('backfill/documents-cli.js', [...workerArgs, '--worker-id', `demo-worker-${n}`], work, `backfill-worker-${n}`, [0])));
      const remaining = opts.liveSeconds * 1000 - live.elapsedMs();
      if (remaining > 0) await sleep(remaining);
    });
    const { sent: liveRequests, autoId: autoIdRequests } = await phase('Stop the clients and let the proxy flush its capture', async () => {
      const sent = await live.stop();
      const proxy = children.pop()!;
      proxy.kill('SIGTERM');
      await new Promise((r) => proxy.once('exit', r));
      log(`   ${sent.sent} live requests went through the proxy, ${sent.autoId} of them writes without an id`);
      return sent;
    });

    const tupleDir = path.join(work, 'tuples');
    await phase('Replay the captured traffic on the target (10x speed, ES 7 types removed) until the replayer has caught up', async () => {
      const replayer = startService(
        'replayer/cli.js',
        ['--target-uri', env.MIGRATION_TARGET_URL, '--kafka-traffic-brokers', env.MIGRATION_KAFKA_BROKERS, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', group, '--speedup-factor', '10', '--tuple-dir', tupleDir, '--transformer-config', '[{"TypeRemoval":{}}]'],
        work,
        'traffic-replayer',
      );
      children.push(replayer);
      const kafka = { broker_endpoints: env.MIGRATION_KAFKA_BROKERS, standard: null };
      await waitFor(async () => (await describeTraffic(kafka, topic, group).catch(() => undefined))?.lag === 0, 300_000, 'the replayer did not catch up within 5 minutes');
      replayer.kill('SIGTERM');
      await new Promise((r) => replayer.once('exit', r));
      children.pop();
    });

    const result = await phase('Compare every replayed answer, and verify every document', async () => {
      await target.json('POST', '/demo-*/_refresh');
      const indices = [];
      for (const index of INDICES) {
        const count = async (c: ClusterClient) => (await c.json('GET', `/${index}/_count`)).count as number;
        indices.push({ index, source: await count(source), target: await count(target) });
      }
      const verified = (await runService('backfill/documents-cli.js', ['verify', ...clusterArgs, '--index-allowlist', ALLOW], work, 'verify', [0, 1])) === 0;
      const full = await tuplesReport({ location: { dir: tupleDir } });
      const html = path.join(work, 'replay-report.html');
      writeFileSync(html, renderHtml(full));
      log(`   ${full.tuples} replayed requests compared: ${full.totals.same} same, ${full.totals.expected} expected, ${full.totals.different} different`);
      const { tuples, totals, byClass, expectedReasons, topDifferent } = full;
      return { indices, report: { tuples, totals, byClass, expectedReasons, topDifferent, html }, verified };
    });
    await source.close();
    await target.close();
    log(`\nWork files and service logs: ${work}`);
    return { seconds, liveRequests, autoIdRequests, ...result };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    if (state && !opts.keep) {
      log('Stopping the local stack (keep it with --keep)');
      await down('demo');
    }
  }
}

function startService(entry: string, args: string[], work: string, name: string, nodeFlags: string[] = []): ChildProcess {
  mkdirSync(work, { recursive: true });
  const fd = openSync(path.join(work, `${name}.log`), 'a');
  const child = spawn(process.execPath, [...nodeFlags, path.join(DIST, entry), ...args], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

async function runService(entry: string, args: string[], work: string, name: string, okCodes: number[]): Promise<number> {
  const child = startService(entry, args, work, name);
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (!okCodes.includes(code)) throw new UserError('DEMO_STEP_FAILED', `${name} exited with code ${code}: see ${path.join(work, `${name}.log`)}`);
  return code;
}

async function seedSource(source: ClusterClient, documents: number): Promise<void> {
  for (const index of INDICES) await source.request({ method: 'DELETE', path: `/${index}` });
  await source.json('PUT', '/_template/demo-logs', {
    index_patterns: ['demo-logs-*'],
    settings: { number_of_shards: 2, number_of_replicas: 0 },
    mappings: { properties: { '@timestamp': { type: 'date' }, level: { type: 'keyword' }, message: { type: 'text' } } },
  });
  // Typed (ES 6 style) mappings, which the migration must unwrap for OpenSearch.
  await source.json('PUT', '/demo-products?include_type_name=true', {
    settings: { number_of_shards: 2, number_of_replicas: 0 },
    mappings: { product: { properties: { name: { type: 'text' }, price: { type: 'float' }, tags: { type: 'keyword' } } } },
    aliases: { products: {} },
  });
  await source.json('PUT', '/demo-orders', {
    settings: { number_of_shards: 3, number_of_replicas: 0 },
    mappings: { _routing: { required: true }, properties: { customer: { type: 'keyword' }, total: { type: 'double' } } },
  });
  const per = Math.ceil(documents / INDICES.length);
  for (let start = 0; start < per; start += 2000) {
    let body = '';
    for (let i = start; i < Math.min(per, start + 2000); i++) {
      body += `{"index":{"_index":"demo-products","_id":"p${i}"}}\n{"name":"product ${i}","price":${(i % 500) + 0.99},"tags":["t${i % 7}"]}\n`;
      body += `{"index":{"_index":"demo-orders","_id":"o${i}","routing":"c${i % 50}"}}\n{"customer":"c${i % 50}","total":${i % 300}}\n`;
      body += `{"index":{"_index":"demo-logs-2026.11","_id":"l${i}"}}\n{"@timestamp":"2026-11-0${(i % 9) + 1}T10:00:00Z","level":"${i % 10 ? 'info' : 'error'}","message":"event ${i}"}\n`;
    }
    const res = await source.json('POST', '/_bulk', body, { 'content-type': 'application/x-ndjson' });
    if (res.errors) throw new UserError('DEMO_SEED_FAILED', 'seeding the source failed: the _bulk answer had errors');
  }
  await source.json('POST', '/demo-*/_refresh');
}

/**
 * Clients writing and reading through the proxy: single-document writes and deletes, _bulk with
 * _type, auto-id writes (POST /index/_doc, _bulk index and create without _id), searches,
 * aggregations and a scroll. The reads read seeded documents that no write
 * touches, so their answers do not depend on when the backfill copied what: every difference the
 * report finds is one to look at.
 */
function startLiveTraffic(client: ClusterClient) {
  const started = Date.now();
  let stopped = false;
  let sent = 0;
  let autoId = 0;
  const send = async (req: Parameters<ClusterClient['request']>[0]) => {
    sent++;
    return client.request({ ...req, retry: false });
  };
  const loop = async (worker: number) => {
    for (let i = 0; !stopped; i++) {
      const id = `live-${worker}-${i}`;
      const step = i % 9;
      if (step === 0) await send({ method: 'PUT', path: `/demo-products/_doc/${id}`, body: { name: `live ${id}`, price: i, tags: ['live'] } });
      else if (step === 1) await send({ method: 'POST', path: `/demo-orders/_doc/${id}?routing=c${i % 50}`, body: { customer: `c${i % 50}`, total: i, live: true } });
      else if (step === 2) await send({ method: 'GET', path: `/demo-products/_search?q=tags:t${i % 7}&size=5` });
      else if (step === 3) await send({ method: 'POST', path: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, body: `{"index":{"_index":"demo-logs-2026.11","_type":"_doc","_id":"${id}"}}\n{"@timestamp":"2026-11-24T00:00:00Z","level":"info","message":"live ${id}"}\n` });
      // A seeded info log (ids ending in 1; errors end in 0): no read below looks at those.
      else if (step === 4) await send({ method: 'DELETE', path: `/demo-logs-2026.11/_doc/l${worker * 2500 + ((i * 10 + 1) % 2500)}` });
      else if (step === 5) {
        await send({
          method: 'POST',
          path: '/demo-orders/_search',
          body: { size: 0, query: { bool: { must_not: { exists: { field: 'live' } } } }, aggs: { top_customers: { terms: { field: 'customer', size: 5 }, aggs: { spent: { sum: { field: 'total' } } } }, total: { stats: { field: 'total' } } } },
        });
      } else if (step === 7) {
        // Auto-id writes: the source picks the id, and the replay must write the same one.
        autoId++;
        await send({ method: 'POST', path: '/demo-products/_doc', body: { name: `auto ${id}`, price: i, tags: ['live'] } });
      } else if (step === 8) {
        autoId++;
        const log = (n: number) => `{"@timestamp":"2026-11-25T00:00:00Z","level":"info","message":"auto ${id}-${n}"}`;
        await send({ method: 'POST', path: '/_bulk', headers: { 'content-type': 'application/x-ndjson' }, body: `{"index":{"_index":"demo-logs-2026.11"}}\n${log(0)}\n{"create":{"_index":"demo-logs-2026.11"}}\n${log(1)}\n{"index":{"_index":"demo-products"}}\n{"name":"auto ${id}","price":${i},"tags":["live"]}\n` });
      } else {
        const first = await send({ method: 'GET', path: '/demo-logs-2026.11/_search?scroll=1m&size=20&q=level:error' });
        const scrollId = first.statusCode === 200 ? JSON.parse(first.body.toString())._scroll_id : undefined;
        if (scrollId) {
          await send({ method: 'POST', path: '/_search/scroll', body: { scroll: '1m', scroll_id: scrollId } });
          await send({ method: 'DELETE', path: '/_search/scroll', body: { scroll_id: scrollId } });
        }
      }
      await sleep(20);
    }
  };
  const loops = [0, 1, 2, 3].map(loop);
  return {
    elapsedMs: () => Date.now() - started,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      await client.close();
      return { sent, autoId };
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(500);
  }
  throw new UserError('DEMO_TIMEOUT', message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a person reads at the end of the demo. */
export function demoResultText(r: DemoResult): string {
  return [
    '',
    'Migration result',
    ...r.indices.map((i) => `  ${i.index.padEnd(20)} source ${String(i.source).padStart(7)}  target ${String(i.target).padStart(7)}  ${i.source === i.target ? 'same' : 'DIFFERENT'}`),
    `  ${r.liveRequests} live requests captured (${r.autoIdRequests} writes without an id), ${r.report.tuples} replayed and compared: ${r.report.totals.same} same, ${r.report.totals.expected} expected, ${r.report.totals.different} different`,
    ...r.report.byClass.map((c) => `    ${c.label.padEnd(22)} ${String(c.total).padStart(5)}: ${c.same} same, ${c.expected} expected, ${c.different} different`),
    ...r.report.expectedReasons.map((e) => `    expected x${e.count}: ${e.text}`),
    ...r.report.topDifferent.map((e) => `    DIFFERENT x${e.count}: ${e.endpoint} at ${e.paths.map((p) => p.path).join(', ')}`),
    `  the comparison report with its charts: ${r.report.html}`,
    `  verify (content hash of every document): ${r.verified ? 'source and target hold the same documents' : 'DIFFERENCES FOUND'}`,
    `  time: ${Object.values(r.seconds).reduce((a, b) => a + b, 0).toFixed(0)} s in all`,
  ].join('\n');
}
