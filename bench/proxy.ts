/**
 * npm run bench:proxy — the capture proxy against the source directly and against nginx
 * proxy_pass, same machine, same run. Needs the local stack (npm run local -- up) and nginx
 * (apt-get install nginx). Loopback only; about ten minutes.
 *
 * Variants: a = the source direct, b = nginx (1 worker), c = the proxy as `node runtime/dist/...`
 * (1 process), c2 = the same with --numThreads 2 (a primary and 2 workers), x = the release
 * executable (1 process; built by npm run build:proxy-release, or here when missing).
 *
 * Fairness on a small shared machine (the load generator, the source, Kafka and the proxy share
 * the cores): nginx runs one worker, as the proxy is one process; every cell warms each variant
 * up first, then runs BENCH_RUNS rounds (default 3) in a rotating order and reports the median rps
 * and p99. It also reports each variant's CPU time per request (from /proc, every process of it),
 * which is what it takes from the source on a shared machine and which varies far less between
 * runs than rps does. The "close" mix opens a connection per request (Connection: close), which
 * is what --numThreads costs: its primary accepts every connection and hands it to a worker.
 * Then: start time (spawn to listening) and memory of the executable and of node dist.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { buildRelease, releaseName } from '../lib/capture-proxy/release/release-tarball';
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
  for (let i = 0; i < 2000; i++) {
    const ok = await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) return;
    await new Promise((r) => setTimeout(r, 5));
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
  const newestSource = Math.max(...['proxy-connection.ts', 'kafka-offloader.ts', 'traffic-stream-builder.ts', 'cli.ts', 'cluster-primary.ts'].map((f) => statSync(path.join(src, f)).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource) return [built];
  return ['--import', 'tsx', path.join(src, 'cli.ts')];
}

/** The release executable for this machine, unpacked (built when the cache has none for these sources). */
function executable(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-exe-'));
  const release = buildRelease('x64', dir);
  spawnSyncOk('tar', ['-xzf', release.tarball, '-C', dir]);
  return path.join(dir, releaseName('x64'), 'bin', releaseName('x64'));
}

function spawnSyncOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
}

interface Launch { command: string; args: string[] }

function proxyArgs(port: number, threads: number): string[] {
  return ['--destinationUri', SOURCE.origin, '--listenPort', String(port), '--listenHost', '127.0.0.1',
    '--kafkaConnection', KAFKA, '--kafkaTopic', `bench-proxy-${run}`, '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'bench-journal-')), '--logLevel', 'warn', '--numThreads', String(threads)];
}

const nodeDist = (port: number, threads: number): Launch => ({ command: process.execPath, args: [...CAPTURE_PROXY_NODE_FLAGS, ...proxyEntry(), ...proxyArgs(port, threads)] });
const releaseExe = (exe: string) => (port: number, threads: number): Launch => ({ command: exe, args: proxyArgs(port, threads) });

/** Starts a proxy and resolves once it listens (the primary has forked and its workers listen). */
async function startProxy(launch: Launch, port: number): Promise<{ child: ChildProcess; startMs: number }> {
  const t0 = process.hrtime.bigint();
  // One process (no npx/tsx wrapper process), so its RSS and CPU time are the proxy's.
  const child = spawn(launch.command, launch.args, { stdio: 'ignore' });
  children.push(child);
  await waitPort(port);
  return { child, startMs: Number(process.hrtime.bigint() - t0) / 1e6 };
}

interface Result { rps: number; p50: number; p99: number; errors: number; cpuUsPerRequest: number }

/** The process and its children (a primary's workers). */
function processTree(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...kids.flatMap(processTree)];
  } catch {
    return [];
  }
}

/** User + system CPU time of a process and its children, in microseconds. */
function cpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime, stime in clock ticks (USER_HZ 100)
    } catch {
      // exited between the listing and the read
    }
  }
  return total;
}

type Mix = 'search' | 'bulk' | 'close';

async function load(port: number, mix: Mix, connections: number, pid?: number, seconds = DURATION_S): Promise<Result> {
  const bulkBody = Array.from({ length: 50 }, (_, i) => `{"index":{"_index":"${INDEX}"}}\n{"n":${i},"title":"document ${i}","tags":["a","b"]}\n`).join('');
  const requests = mix === 'search'
    ? [{ method: 'GET' as const, path: `/${INDEX}/_search?q=title:document&size=5` }, { method: 'GET' as const, path: '/_cluster/health' }]
    : mix === 'close'
      ? [{ method: 'GET' as const, path: '/_cluster/health', headers: { connection: 'close' } }]
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

/** Resident memory of a process tree (shared pages counted in each process) and its private part (pages no other process maps), in MB. */
function memoryMb(pid: number): { rss: number; private: number } {
  let rss = 0;
  let priv = 0;
  for (const p of processTree(pid)) {
    const rollup = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
    rss += kb('Rss');
    priv += kb('Private_Clean') + kb('Private_Dirty');
  }
  return { rss: rss / 1024, private: priv / 1024 };
}

async function idleConnections(port: number, pid: number, n: number): Promise<{ beforeMb: number; afterMb: number }> {
  const before = memoryMb(pid).rss;
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
  const after = memoryMb(pid).rss;
  for (const s of sockets) s.destroy();
  return { beforeMb: before, afterMb: after };
}

/** Start time (median of 5 starts) and memory once started and idle, of one way to run the proxy. */
async function startup(launch: (port: number, threads: number) => Launch, threads: number): Promise<{ startMs: number; rss: number; private: number }> {
  const times: number[] = [];
  let mem = { rss: 0, private: 0 };
  for (let i = 0; i < 5; i++) {
    const port = await freePort();
    const { child, startMs } = await startProxy(launch(port, threads), port);
    times.push(startMs);
    await new Promise((r) => setTimeout(r, 1000));
    mem = memoryMb(child.pid!);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  return { startMs: median(times), ...mem };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  await fetch(`${SOURCE.origin}/${INDEX}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"title":"document 1"}' });
  const exe = executable();
  const nginxPort = await freePort();
  const nginx = await startNginx(nginxPort);
  const ports = { c: await freePort(), c2: await freePort(), x: await freePort() };
  const c = (await startProxy(nodeDist(ports.c, 1), ports.c)).child;
  const c2 = (await startProxy(nodeDist(ports.c2, 2), ports.c2)).child;
  const x = (await startProxy(releaseExe(exe)(ports.x, 1), ports.x)).child;
  const variants = [
    { key: 'a', label: 'source direct', port: Number(SOURCE.port), pid: undefined as number | undefined },
    { key: 'b', label: 'nginx, 1 worker', port: nginxPort, pid: nginx.pid },
    { key: 'c', label: 'proxy, node dist, 1 process', port: ports.c, pid: c.pid },
    { key: 'c2', label: 'proxy, node dist, --numThreads 2', port: ports.c2, pid: c2.pid },
    { key: 'x', label: 'proxy, executable, 1 process', port: ports.x, pid: x.pid },
  ];
  const rows: string[][] = [];
  const fmt = (n: number, d = 0) => n.toFixed(d);
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const cells: Array<[Mix, number]> = [['search', 1], ['search', 16], ['search', 128], ['bulk', 1], ['bulk', 16], ['bulk', 128], ['close', 16]];
  for (const [mix, conns] of cells) {
    const results: Result[][] = variants.map(() => []);
    for (const v of variants) await load(v.port, mix, conns, v.pid, 1); // warm-up
    for (let r = 0; r < RUNS; r++) {
      for (let k = 0; k < variants.length; k++) {
        const i = (r + k) % variants.length;
        results[i].push(await load(variants[i].port, mix, conns, variants[i].pid));
      }
    }
    const [a, b, cc] = results.map(summarize);
    for (const [i, v] of variants.entries()) {
      const m = summarize(results[i]);
      rows.push([mix, String(conns), v.key, fmt(m.rps), (m.rps / a.rps).toFixed(2), (m.rps / b.rps).toFixed(2), (m.rps / cc.rps).toFixed(2), `${m.p50}/${m.p99}`, v.pid ? fmt(m.cpuUsPerRequest) : '', String(m.errors)]);
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(variants.map((v) => `${v.key} = ${v.label}`).join(', '));
  console.log(`${os.cpus().length} cores; load average before ${loadBefore}, after ${loadAfter}; medians of ${RUNS} runs of ${DURATION_S} s per cell, rotating order, after a warm-up; cpu = every process of the variant`);
  console.log(table(['mix', 'conns', 'variant', 'rps', '/a', '/b', '/c', 'p50/p99 ms', 'cpu µs/req', 'errors'], rows));
  const mem = await idleConnections(ports.c, c.pid!, 1000);
  const nginxMem = await idleConnections(nginxPort, nginx.pid!, 1000);
  const perConn = (m: { beforeMb: number; afterMb: number }) => fmt(((m.afterMb - m.beforeMb) * 1024) / 1000, 1);
  console.log(`\n1,000 idle keep-alive connections: capture proxy RSS ${fmt(mem.beforeMb)} -> ${fmt(mem.afterMb)} MB (${perConn(mem)} KB each, with its own source connection); nginx (one process) RSS ${fmt(nginxMem.beforeMb, 1)} -> ${fmt(nginxMem.afterMb, 1)} MB (${perConn(nginxMem)} KB each)`);
  for (const child of [c, c2, x]) child.kill('SIGTERM');
  const startRows: string[][] = [];
  for (const [label, launch] of [['node dist', nodeDist], ['executable', releaseExe(exe)]] as const) {
    for (const threads of [1, 2]) {
      const s = await startup(launch, threads);
      startRows.push([label, String(threads), fmt(s.startMs), fmt(s.rss), fmt(s.private)]);
    }
  }
  console.log(`\nStart (spawn to listening, median of 5) and memory 1 s later, idle, over every process (RSS counts shared pages in each; private: pages no other process maps); executable ${fmt(statSync(exe).size / 1024 / 1024, 1)} MB`);
  console.log(table(['form', 'threads', 'start ms', 'RSS MB', 'private MB'], startRows));
}

// Interrupted (Ctrl-C, kill): the proxies, nginx and their workers go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGTERM');
    process.exit(130);
  });
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const child of children) child.kill('SIGTERM');
    await fetch(`${SOURCE.origin}/${INDEX}`, { method: 'DELETE' }).catch(() => undefined);
  });
