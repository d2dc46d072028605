/**
 * npm run bench:proxy — the capture proxy against the source directly and against nginx
 * proxy_pass, same machine, same run. Needs the local stack (npm run local -- up) and nginx
 * (apt-get install nginx). Loopback only; about five minutes.
 *
 * Fairness on a small shared machine (the load generator, the source, Kafka and the proxy share
 * the cores): nginx runs one worker, as the proxy is one process; every cell warms each variant
 * up first, then runs BENCH_RUNS rounds (default 3) in a rotating order (a b c, b c a, c a b) and
 * reports the median rps and p99. It also reports the proxy's and nginx's CPU time per request
 * (from /proc), which is what they take from the source on a shared machine and which varies far
 * less between runs than rps does. The proxy runs as built (runtime/dist) when built, as deployed.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { CAPTURE_PROXY_NODE_FLAGS } from '../runtime/src/capture-proxy/node-flags';
import { freePort } from '../runtime/src/local/ports';

const SOURCE = new URL(process.env.MIGRATION_SOURCE_URL ?? 'http://127.0.0.1:19200');
const KAFKA = process.env.MIGRATION_KAFKA_BROKERS ?? '127.0.0.1:9092';
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 4);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROOT = path.resolve(__dirname, '..');
const run = `${Date.now().toString(36)}`;
const INDEX = `bench-proxy-${run}`;
const children: ChildProcess[] = [];

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function startNginx(port: number): Promise<ChildProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-nginx-'));
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, `
worker_processes 1;
master_process off;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;
  client_max_body_size 100m;
  upstream source { server ${SOURCE.host}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://source;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
    }
  }
}
`);
  const child = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  children.push(child);
  await waitPort(port);
  return child;
}

/** The built CLI when it is at least as new as the sources (as deployed), else the sources via tsx. */
function proxyEntry(): string[] {
  const built = path.join(ROOT, 'runtime/dist/capture-proxy/cli.js');
  const src = path.join(ROOT, 'runtime/src/capture-proxy');
  const newestSource = Math.max(...['proxy-connection.ts', 'kafka-offloader.ts', 'traffic-stream-builder.ts', 'cli.ts'].map((f) => statSync(path.join(src, f)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource) return [built];
  return ['--import', 'tsx', path.join(src, 'cli.ts')];
}

async function startProxy(port: number): Promise<ChildProcess> {
  // One process (no npx/tsx wrapper process), so its RSS and CPU time are the proxy's.
  const entry = proxyEntry();
  process.stderr.write(`capture proxy: node ${[...CAPTURE_PROXY_NODE_FLAGS, ...entry].join(' ')}\n`);
  const child = spawn(process.execPath, [...CAPTURE_PROXY_NODE_FLAGS, ...entry,
    '--destinationUri', SOURCE.origin, '--listenPort', String(port), '--listenHost', '127.0.0.1',
    '--kafkaConnection', KAFKA, '--kafkaTopic', `bench-proxy-${run}`, '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'bench-journal-')), '--logLevel', 'warn'], { stdio: 'ignore' });
  children.push(child);
  await waitPort(port);
  return child;
}

interface Result { rps: number; p50: number; p99: number; errors: number; cpuUsPerRequest: number }

/** User + system CPU time of a process, in microseconds. */
function cpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function load(port: number, mix: 'search' | 'bulk', connections: number, pid?: number, seconds = DURATION_S): Promise<Result> {
  const bulkBody = Array.from({ length: 50 }, (_, i) => `{"index":{"_index":"${INDEX}"}}\n{"n":${i},"title":"document ${i}","tags":["a","b"]}\n`).join('');
  const requests = mix === 'search'
    ? [{ method: 'GET' as const, path: `/${INDEX}/_search?q=title:document&size=5` }, { method: 'GET' as const, path: '/_cluster/health' }]
    : [{ method: 'POST' as const, path: '/_bulk', body: bulkBody, headers: { 'content-type': 'application/x-ndjson' } }];
  const cpu0 = cpuUs(pid);
  const r = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests, pipelining: 1 });
  const cpu = cpuUs(pid) - cpu0;
  const total = (r.requests as { total?: number }).total ?? 0; // autocannon's count (not in our minimal types)
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, cpuUsPerRequest: total > 0 ? cpu / total : 0 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Medians over the runs (p50 and p99 each their own median). */
function summarize(results: Result[]): Result {
  return {
    rps: median(results.map((r) => r.rps)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    errors: results.reduce((n, r) => n + r.errors, 0),
    cpuUsPerRequest: median(results.map((r) => r.cpuUsPerRequest)),
  };
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

async function idleConnections(port: number, pid: number, n: number): Promise<{ beforeMb: number; afterMb: number }> {
  const before = rssKb(pid);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    sockets.push(s);
    await new Promise<void>((resolve) => {
      s.once('data', () => resolve());
      s.write(`GET /_cluster/health HTTP/1.1\r\nHost: ${SOURCE.host}\r\n\r\n`);
    });
  }
  await new Promise((r) => setTimeout(r, 1500));
  const after = rssKb(pid);
  for (const s of sockets) s.destroy();
  return { beforeMb: before / 1024, afterMb: after / 1024 };
}

async function main(): Promise<void> {
  await fetch(`${SOURCE.origin}/${INDEX}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"title":"document 1"}' });
  const nginxPort = await freePort();
  const nginx = await startNginx(nginxPort);
  const proxyPort = await freePort();
  const proxy = await startProxy(proxyPort);
  const rows: string[][] = [];
  const fmt = (n: number, d = 0) => n.toFixed(d);
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const variants = [
    { port: Number(SOURCE.port), pid: undefined },
    { port: nginxPort, pid: nginx.pid },
    { port: proxyPort, pid: proxy.pid },
  ];
  for (const mix of ['search', 'bulk'] as const) {
    for (const c of [1, 16, 128]) {
      const results: Result[][] = [[], [], []];
      for (const v of variants) await load(v.port, mix, c, v.pid, 1); // warm-up
      for (let run = 0; run < RUNS; run++) {
        for (let k = 0; k < 3; k++) {
          const i = (run + k) % 3;
          results[i].push(await load(variants[i].port, mix, c, variants[i].pid));
        }
      }
      const [a, b, cc] = results.map(summarize);
      rows.push([mix, String(c), fmt(a.rps), fmt(b.rps), fmt(cc.rps), (cc.rps / a.rps).toFixed(2), (cc.rps / b.rps).toFixed(2),
        `${a.p50}/${a.p99}`, `${b.p50}/${b.p99}`, `${cc.p50}/${cc.p99}`, fmt(b.cpuUsPerRequest), fmt(cc.cpuUsPerRequest), `${a.errors}/${b.errors}/${cc.errors}`]);
      process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const header = ['mix', 'conns', 'a rps', 'b rps', 'c rps', 'c/a', 'c/b', 'a p50/p99 ms', 'b p50/p99 ms', 'c p50/p99 ms', 'b cpu µs/req', 'c cpu µs/req', 'errors a/b/c'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |';
  console.log('a = Elasticsearch 7.10 direct, b = nginx proxy_pass (1 worker), c = capture proxy with Kafka capture (1 process)');
  console.log(`${os.cpus().length} cores; load average before ${loadBefore}, after ${loadAfter}; medians of ${RUNS} runs of ${DURATION_S} s per cell, rotating order, after a warm-up`);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
  const mem = await idleConnections(proxyPort, proxy.pid!, 1000);
  const nginxMem = await idleConnections(nginxPort, nginx.pid!, 1000);
  const perConn = (m: { beforeMb: number; afterMb: number }) => fmt(((m.afterMb - m.beforeMb) * 1024) / 1000, 1);
  console.log(`\n1,000 idle keep-alive connections: capture proxy RSS ${fmt(mem.beforeMb)} -> ${fmt(mem.afterMb)} MB (${perConn(mem)} KB each, with its own source connection); nginx (one process) RSS ${fmt(nginxMem.beforeMb, 1)} -> ${fmt(nginxMem.afterMb, 1)} MB (${perConn(nginxMem)} KB each)`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of children) c.kill('SIGTERM');
    await fetch(`${SOURCE.origin}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
  });
