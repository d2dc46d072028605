/**
 * npm run bench:replay — the replayer at full speed against a direct load generator, in the same
 * run, on the same target; and its timing error at speedup 1. Loopback only, bounded:
 * BENCH_REPLAY_REQUESTS (default 100000), BENCH_REPLAY_CONNECTIONS (default 32),
 * BENCH_TARGET_URL (default the dev stack's http://127.0.0.1:29200).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { Client } from 'undici';
import { ClusterClient } from '../runtime/src/core/cluster-client';
import { encodeTrafficStreamLine } from '../runtime/src/core/traffic-stream';
import { replayLines } from '../runtime/src/replayer/file-source';
import { ReplayerMetrics } from '../runtime/src/replayer/metrics';
import { TrafficReplayer } from '../runtime/src/replayer/replayer';
import { TupleWriter } from '../runtime/src/replayer/tuple-writer';
import { CapturedConnection, encodeConnection, interleave } from '../test/support/capture-encoder';

const TOTAL = Number(process.env.BENCH_REPLAY_REQUESTS ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_REPLAY_CONNECTIONS ?? 32);
const TARGET = process.env.BENCH_TARGET_URL ?? 'http://127.0.0.1:29200';
/** Rounds of (direct, replayer), the order alternating; the table reports each run's median. */
const ROUNDS = Number(process.env.BENCH_REPLAY_ROUNDS ?? 2);
const runId = Date.now().toString(36);

function req(method: string, path: string, body = '', type = 'application/json'): Buffer {
  return Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: source:9200\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
const OK = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}');

/** What Elasticsearch 7 answers a _bulk that created every document: the replayer reads ids and versions from it. */
function bulkCreated(index: string, ids: string[], seqNo: number): Buffer {
  const items = ids.map((id, i) => `{"index":{"_index":"${index}","_type":"_doc","_id":"${id}","_version":1,"result":"created","_shards":{"total":2,"successful":1,"failed":0},"_seq_no":${seqNo + i},"_primary_term":1,"status":201}}`);
  const body = `{"took":4,"errors":false,"items":[${items.join(',')}]}`;
  return Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * 1 in 5 a _bulk of 5 documents, else a search; spread over spanMs of capture time. Each run gets
 * the same requests on its own fresh index, so that no run indexes into (or searches) another's.
 */
function workload(index: string, total: number, connections: number, spanMs: number): CapturedConnection[] {
  const conns: CapturedConnection[] = Array.from({ length: connections }, (_, c) => ({ connectionId: `bench-${c}`, exchanges: [] }));
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const t = start + (i * spanMs) / total;
    const ids = Array.from({ length: 5 }, (_, d) => `${i}-${d}`);
    const write = i % 5 === 0;
    const request = write
      ? req('POST', `/${index}/_bulk`, ids.map((id, d) => `{"index":{"_id":"${id}"}}\n{"n":${i},"d":${d},"text":"bench document ${i}"}\n`).join(''), 'application/x-ndjson')
      : req('GET', `/${index}/_search?size=1`, `{"query":{"term":{"d":${i % 5}}}}`);
    conns[i % connections].exchanges.push({ request, response: write ? bulkCreated(index, ids, i) : OK, requestTs: t, responseTs: t + 1 });
  }
  return conns;
}

/**
 * Records as the capture proxy cuts them: it flushes a connection's capture before forwarding each
 * mutating request (to hold it until Kafka has it; the _bulk's answer is then in the next record)
 * and every --captureFlushIntervalMs, so a record holds at most about 5 exchanges.
 */
function lines(conns: CapturedConnection[]): string[] {
  return interleave(conns.map((c) => encodeConnection(c, { maxObservationsPerRecord: 15, flushBeforeForwarding: true }))).map(encodeTrafficStreamLine);
}

async function replay(recordLines: string[], target: string, speedup: number, dir: string, asCaptured = false): Promise<{ ms: number; outcomes: Record<string, number> }> {
  const tupleWriter = new TupleWriter({ dir });
  const replayer = new TrafficReplayer({
    target: new URL(target), auth: { type: 'passthrough' }, transforms: [], speedupFactor: speedup, maxConcurrentRequests: 1024, maxPendingRequests: 10_000,
    packetTimeoutMs: 70_000, maxRetries: 4, connectionRetryMs: 60_000, startLeadMs: 0, tupleWriter, metrics: new ReplayerMetrics(), logger: pino({ level: 'silent' }), replayWritesAsCaptured: asCaptured,
    onFatal: (err) => { throw err; },
  });
  const started = performance.now();
  await replayLines(Readable.from(recordLines.map((l) => `${l}\n`)), replayer);
  await replayer.drain();
  const elapsed = performance.now() - started;
  await tupleWriter.close();
  await replayer.close();
  return { ms: elapsed, outcomes: replayer.summary.outcomes };
}

/** The same requests, sent straight from memory on the same number of keep-alive connections. */
async function direct(conns: CapturedConnection[], target: string): Promise<number> {
  const { parseRequest } = await import('../runtime/src/core/http/message');
  const started = performance.now();
  await Promise.all(conns.map(async (c) => {
    const client = new Client(target, { pipelining: 1 });
    for (const ex of c.exchanges) {
      const r = parseRequest(ex.request);
      // As the replayer does: keep the connection after a search (a GET with a body).
      const res = await client.request({ method: r.method as any, path: r.uri, headers: { 'content-type': 'application/json' }, body: r.body.length ? r.body : undefined, reset: false });
      await res.body.arrayBuffer();
    }
    await client.close();
  }));
  return performance.now() - started;
}

/** Lateness of each arrival against its due time, on a loopback server that answers at once. */
async function timingError(dir: string): Promise<{ p50: number; p99: number }> {
  const arrivals: { path: string; at: number }[] = [];
  const server = http.createServer((rq, rs) => {
    arrivals.push({ path: rq.url!, at: performance.now() });
    rq.resume();
    rq.on('end', () => rs.end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const n = 2000;
  const conns: CapturedConnection[] = Array.from({ length: 20 }, (_, c) => ({ connectionId: `timing-${c}`, exchanges: [] }));
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const t = start + i * 5 + (i % 7);
    conns[i % 20].exchanges.push({ request: req('GET', `/t/${i}`), response: OK, requestTs: t, responseTs: t + 1 });
  }
  await replay(lines(conns), `http://127.0.0.1:${port}`, 1, dir);
  server.close();
  const due = new Map(conns.flatMap((c) => c.exchanges).map((ex) => [ex.request.toString('latin1').split(' ')[1], ex.requestTs - start]));
  // Deviation from the schedule once the constant start offset (first connects) is taken out.
  const offsets = arrivals.map((a) => a.at - due.get(a.path)!).sort((a, b) => a - b);
  const median = offsets[Math.floor(offsets.length / 2)];
  const errors = offsets.map((o) => Math.abs(o - median)).sort((a, b) => a - b);
  return { p50: errors[Math.floor(errors.length * 0.5)], p99: errors[Math.floor(errors.length * 0.99)] };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  const cluster = new ClusterClient({ endpoint: TARGET });
  const indices: string[] = [];
  const freshIndex = async (name: string) => {
    const index = `bench-replay-${runId}-${name}`;
    indices.push(index);
    await cluster.json('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' } });
    return index;
  };
  const load = () => (readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?');
  try {
    process.stderr.write(`${TOTAL} requests (${TOTAL / 5} _bulk of 5, the rest searches) on ${CONNECTIONS} connections to ${TARGET}, ${ROUNDS} rounds\n`);
    // Warm-up: connections, JIT, the target's caches; not measured.
    await direct(workload(await freshIndex('warmup'), Math.min(TOTAL, 5000), CONNECTIONS, 1000), TARGET);
    const directRps: number[] = [];
    const replayRps: number[] = [];
    const capturedRps: number[] = [];
    // CPU of this process (main thread, gzip and the other pool threads) per request: steadier than
    // requests/s when other jobs share the machine, and what the target loses to the load generator.
    const directCpu: number[] = [];
    const replayCpu: number[] = [];
    const capturedCpu: number[] = [];
    const cpuUs = (since: NodeJS.CpuUsage) => {
      const u = process.cpuUsage(since);
      return (u.user + u.system) / TOTAL;
    };
    for (let round = 0; round < ROUNDS; round++) {
      const runDirect = async () => {
        const conns = workload(await freshIndex(`direct-${round}`), TOTAL, CONNECTIONS, 1000);
        const cpu = process.cpuUsage();
        const rps = TOTAL / ((await direct(conns, TARGET)) / 1000);
        directRps.push(rps);
        directCpu.push(cpuUs(cpu));
        process.stderr.write(`round ${round + 1}: direct ${rps.toFixed(0)} req/s, ${directCpu[round].toFixed(1)} µs CPU/req (load ${load()})\n`);
      };
      const runReplay = (asCaptured: boolean) => async () => {
        const recordLines = lines(workload(await freshIndex(`replay-${asCaptured ? 'captured-' : ''}${round}`), TOTAL, CONNECTIONS, 1000));
        const cpu = process.cpuUsage();
        const { ms, outcomes } = await replay(recordLines, TARGET, 1e9, join(dir, `tuples-${asCaptured}-${round}`), asCaptured);
        const rps = TOTAL / (ms / 1000);
        const used = cpuUs(cpu);
        (asCaptured ? capturedRps : replayRps).push(rps);
        (asCaptured ? capturedCpu : replayCpu).push(used);
        process.stderr.write(`round ${round + 1}: replayer${asCaptured ? ' --replay-writes-as-captured' : ''} ${rps.toFixed(0)} req/s, ${used.toFixed(1)} µs CPU/req (load ${load()}), writes ${JSON.stringify(outcomes)}\n`);
        // The row must measure what it names: every _bulk versioned (or every one as captured).
        if ((asCaptured ? outcomes.asCaptured : outcomes.replayed + outcomes.alreadyPresent + outcomes.superseded) !== Math.ceil(TOTAL / 5)) throw new Error(`the replayer did not replay the writes as intended: ${JSON.stringify(outcomes)}`);
      };
      // Alternate the order: the target's state (merges, caches) drifts over a run.
      const runs = [runDirect, runReplay(false), runReplay(true)];
      for (let k = 0; k < runs.length; k++) await runs[(k + round) % runs.length]();
    }
    const timing = await timingError(join(dir, 'timing'));
    const d = median(directRps);
    const r = median(replayRps);
    const c = median(capturedRps);
    const runs = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
    const rows = [
      ['direct load generator (baseline)', d.toFixed(0), runs(directRps), '1.00', '-'],
      ['traffic replayer, full speed (+ tuples, gzip, fsync), writes with the source\'s ids and versions', r.toFixed(0), runs(replayRps), (r / d).toFixed(2), '-'],
      ['the same, --replay-writes-as-captured', c.toFixed(0), runs(capturedRps), (c / d).toFixed(2), '-'],
      ['timing error at speedup 1 (2000 req, 20 conns)', '-', '-', '-', `p50 ${timing.p50.toFixed(1)} ms / p99 ${timing.p99.toFixed(1)} ms`],
    ];
    process.stdout.write(`| run | requests/s (median) | each run | ratio | timing |\n|---|---|---|---|---|\n${rows.map((row) => `| ${row.join(' | ')} |`).join('\n')}\n`);
    process.stdout.write(`CPU per request (median): direct ${median(directCpu).toFixed(1)} µs, replayer ${median(replayCpu).toFixed(1)} µs, as captured ${median(capturedCpu).toFixed(1)} µs\n`);
    process.stdout.write(`load average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()} (${cpus().length} CPUs)\n`);
  } finally {
    for (const index of indices) await cluster.request({ method: 'DELETE', path: `/${index}` }).catch(() => undefined);
    await cluster.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
