/**
 * npm run bench:report — `tuples report` over BENCH_REPORT_TUPLES (default 100000) tuples of a
 * realistic mix (searches with hits and aggregations, _bulk, gets, writes, scrolls, _cat), against
 * two baselines measured in the same run on the same files: reading and JSON-parsing every tuple
 * (the report's own reader), and `tuples summary` (status codes and latency only). No servers needed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildReport } from '../runtime/src/console/report/report';
import { readTupleRecords } from '../runtime/src/console/report/tuple-source';
import { summarizeTuples } from '../runtime/src/console/tuples';

const TOTAL = Number(process.env.BENCH_REPORT_TUPLES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_REPORT_ROUNDS ?? 3);
const PER_FILE = 20_000;

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
const headers = { Host: 'source:9200', 'User-Agent': 'bench-client/1.0', Accept: 'application/json', 'Content-Type': 'application/json', Authorization: 'Basic [masked]' };

function hits(n: number, seed: number, shift = 0) {
  return Array.from({ length: n }, (_, i) => ({ _index: 'logs-2026.12', _type: '_doc', _id: `d${seed + i + shift}`, _score: 3 - i * 0.1, _source: { message: `request ${seed + i} served in ${i} ms`, level: i % 4 ? 'info' : 'warn', host: `h${i % 7}`, at: 1764500000000 + seed + i } }));
}

/** One tuple of the mix; about 1 in 47 answered differently by the target. */
function tuple(i: number): string {
  const kind = i % 10;
  const differ = i % 47 === 3;
  let method = 'GET';
  let uri = '/logs-2026.12/_search';
  let req: unknown;
  let src: unknown;
  let tgt: unknown;
  let ss = 200;
  let ts = 200;
  if (kind <= 3) {
    method = 'POST';
    req = { query: { match: { message: `served ${i % 100}` } }, size: 10 };
    src = { took: 5, timed_out: false, _shards: { total: 3, successful: 3, skipped: 0, failed: 0 }, hits: { total: { value: 1200, relation: 'eq' }, max_score: 3, hits: hits(10, i) } };
    tgt = { took: 7, timed_out: false, _shards: { total: 3, successful: 3, skipped: 0, failed: 0 }, hits: { total: { value: 1200, relation: 'eq' }, max_score: 3.1, hits: hits(10, i, differ ? 1 : 0).map((h) => ({ ...h, _type: undefined })) } };
  } else if (kind === 4) {
    method = 'POST';
    req = { size: 0, aggs: { hosts: { terms: { field: 'host' }, aggs: { p: { avg: { field: 'ms' } } } }, per_hour: { date_histogram: { field: 'at', fixed_interval: '1h' } } } };
    const aggs = (k: number) => ({ hosts: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: Array.from({ length: 7 }, (_, h) => ({ key: `h${h}`, doc_count: 100 + h + k, p: { value: 12.5 + h / 3 } })) }, per_hour: { buckets: Array.from({ length: 24 }, (_, h) => ({ key_as_string: `2026-12-01T${String(h).padStart(2, '0')}:00:00Z`, key: 1764547200000 + h * 3600000, doc_count: 50 + h })) } });
    src = { took: 9, timed_out: false, _shards: { total: 3, successful: 3 }, hits: { total: { value: 10000, relation: 'gte' }, max_score: null, hits: [] }, aggregations: aggs(0) };
    tgt = { took: 11, timed_out: false, _shards: { total: 3, successful: 3 }, hits: { total: { value: 10000, relation: 'gte' }, max_score: null, hits: [] }, aggregations: aggs(differ ? 1 : 0) };
  } else if (kind === 5) {
    method = 'POST';
    uri = '/_bulk';
    req = Array.from({ length: 20 }, (_, d) => `{"index":{"_index":"logs-2026.12","_id":"b${i}-${d}"}}\n{"message":"bulk ${i} ${d}","level":"info"}\n`).join('');
    const items = (s: number) => ({ took: 30, errors: false, items: Array.from({ length: 20 }, (_, d) => ({ index: { _index: 'logs-2026.12', _type: '_doc', _id: `b${i}-${d}`, _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: i + d, _primary_term: 1, status: d === 3 && differ ? 400 : s } })) });
    src = items(201);
    tgt = items(201);
  } else if (kind === 6) {
    uri = `/logs-2026.12/_doc/d${i}`;
    src = { _index: 'logs-2026.12', _type: '_doc', _id: `d${i}`, _version: 3, _seq_no: 12, _primary_term: 1, found: true, _source: { message: `m ${i}` } };
    tgt = { _index: 'logs-2026.12', _id: `d${i}`, _version: 1, _seq_no: 4, _primary_term: 1, found: true, _source: { message: `m ${i}` } };
  } else if (kind === 7) {
    method = 'PUT';
    uri = `/logs-2026.12/_doc/w${i}`;
    req = { message: `write ${i}` };
    src = { _index: 'logs-2026.12', _id: `w${i}`, _version: 1, result: 'created', _shards: { total: 1, successful: 1, failed: 0 }, _seq_no: i, _primary_term: 1 };
    tgt = { ...(src as object), result: differ ? 'created' : 'updated', _seq_no: i + 1 };
    ss = 201;
    ts = differ ? 201 : 200;
  } else if (kind === 8) {
    method = 'POST';
    uri = '/_search/scroll';
    req = { scroll: '1m', scroll_id: 'DXF1ZXJ5QW5kRmV0Y2gBAAAAAAAAAD4WYm9laVYtZndUQlNsdDcwakFMNjU1QQ==' };
    src = { _scroll_id: 'x', took: 2, hits: { total: { value: 500, relation: 'eq' }, hits: hits(10, i) } };
    tgt = { error: { type: 'search_context_missing_exception', reason: 'No search context found' }, status: 404 };
    ts = 404;
  } else {
    uri = '/_cat/indices';
    src = 'green open logs-2026.12 abc 3 0 120000 0 50mb 50mb\n';
    tgt = 'green open logs-2026.12 xyz 3 0 120000 0 52mb 52mb\ngreen open .opendistro-job-scheduler-lock q 1 0 1 0 5kb 5kb\n';
  }
  const answer = (status: number, body: unknown, ms: number) => ({ 'content-type': 'application/json; charset=UTF-8', 'HTTP-Version': 'HTTP/1.1', 'Status-Code': status, 'Reason-Phrase': 'OK', response_time_ms: ms, body: b64(body) });
  const request = { ...headers, Method: method, 'Request-URI': uri, 'HTTP-Version': 'HTTP/1.1', body: req === undefined ? '' : b64(req as object) };
  return JSON.stringify({
    connectionId: `c${i % 64}.${i}`,
    nodeId: 'bench',
    timestamp: new Date(1764547200000 + i * 10).toISOString(),
    sourceRequest: request,
    sourceResponse: answer(ss, src, 5 + (i % 13)),
    targetRequest: { ...request, Host: 'target:9200' },
    targetResponses: [answer(ts, tgt, 4 + (i % 17))],
    numRequests: 1,
    numErrors: 0,
    error: null,
  });
}

/** The report's own reading (gunzip, lines, JSON.parse of each): what every verb pays before it compares. */
async function parseOnly(dir: string): Promise<number> {
  let n = 0;
  for await (const t of readTupleRecords({ dir })) if (t) n++;
  return n;
}

async function timed(fn: () => Promise<number>): Promise<{ n: number; perSecond: number }> {
  const t0 = process.hrtime.bigint();
  const n = await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { n, perSecond: n / s };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  try {
    for (let f = 0; f * PER_FILE < TOTAL; f++) {
      const lines: string[] = [];
      for (let i = f * PER_FILE; i < Math.min(TOTAL, (f + 1) * PER_FILE); i++) lines.push(tuple(i));
      writeFileSync(join(dir, `tuples-bench-${String(f).padStart(4, '0')}.log.gz`), gzipSync(lines.join('\n') + '\n', { level: 1 }));
    }
    const runs: Record<string, number[]> = { 'read + JSON.parse (baseline)': [], 'tuples summary': [], 'tuples report': [] };
    let last: Awaited<ReturnType<typeof buildReport>> | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      runs['read + JSON.parse (baseline)'].push((await timed(() => parseOnly(dir))).perSecond);
      runs['tuples summary'].push((await timed(async () => (await summarizeTuples({ dir })).tuples)).perSecond);
      runs['tuples report'].push(
        (
          await timed(async () => {
            last = await buildReport({ location: { dir } });
            return last.tuples;
          })
        ).perSecond,
      );
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
    const base = median(runs['read + JSON.parse (baseline)']);
    process.stdout.write(`${TOTAL} tuples, ${ROUNDS} rounds (median), node ${process.version}\n\n| run | tuples/s | ratio to read + parse |\n|---|---|---|\n`);
    for (const [name, v] of Object.entries(runs)) process.stdout.write(`| ${name} | ${Math.round(median(v))} | ${(median(v) / base).toFixed(2)} |\n`);
    process.stdout.write(`\nreport verdicts: ${JSON.stringify(last?.totals)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
