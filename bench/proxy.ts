/**
 * npm run bench:proxy — the capture proxy against the source directly and against nginx
 * proxy_pass, same machine, same run. Needs the local stack (npm run local -- up) and nginx
 * (apt-get install nginx). Loopback only; about two minutes.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { freePort } from '../runtime/src/local/ports';

const SOURCE = new URL(process.env.MIGRATION_SOURCE_URL ?? 'http://127.0.0.1:19200');
const KAFKA = process.env.MIGRATION_KAFKA_BROKERS ?? '127.0.0.1:9092';
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 4);
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

async function startProxy(port: number): Promise<ChildProcess> {
  // One process (no tsx wrapper), so its RSS is the proxy's.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'runtime/src/capture-proxy/cli.ts'),
    '--destinationUri', SOURCE.origin, '--listenPort', String(port), '--listenHost', '127.0.0.1',
    '--kafkaConnection', KAFKA, '--kafkaTopic', `bench-proxy-${run}`, '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'bench-journal-')), '--logLevel', 'warn'], { stdio: 'ignore' });
  children.push(child);
  await waitPort(port);
  return child;
}

interface Result { rps: number; p50: number; p99: number; errors: number }

async function load(port: number, mix: 'search' | 'bulk', connections: number): Promise<Result> {
  const bulkBody = Array.from({ length: 50 }, (_, i) => `{"index":{"_index":"${INDEX}"}}\n{"n":${i},"title":"document ${i}","tags":["a","b"]}\n`).join('');
  const requests = mix === 'search'
    ? [{ method: 'GET' as const, path: `/${INDEX}/_search?q=title:document&size=5` }, { method: 'GET' as const, path: '/_cluster/health' }]
    : [{ method: 'POST' as const, path: '/_bulk', body: bulkBody, headers: { 'content-type': 'application/x-ndjson' } }];
  const r = await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: DURATION_S, requests, pipelining: 1 });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
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
  for (const mix of ['search', 'bulk'] as const) {
    for (const c of [1, 16, 128]) {
      const a = await load(Number(SOURCE.port), mix, c);
      const b = await load(nginxPort, mix, c);
      const cc = await load(proxyPort, mix, c);
      rows.push([mix, String(c), fmt(a.rps), fmt(b.rps), fmt(cc.rps), (cc.rps / a.rps).toFixed(2), (cc.rps / b.rps).toFixed(2),
        `${a.p50}/${a.p99}`, `${b.p50}/${b.p99}`, `${cc.p50}/${cc.p99}`, String(a.errors + b.errors + cc.errors)]);
      process.stderr.write('.');
    }
  }
  process.stderr.write('\n');
  const header = ['mix', 'conns', 'a rps', 'b rps', 'c rps', 'c/a', 'c/b', 'a p50/p99 ms', 'b p50/p99 ms', 'c p50/p99 ms', 'errors'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |';
  console.log('a = Elasticsearch 7.10 direct, b = nginx proxy_pass, c = capture proxy with Kafka capture');
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
  const mem = await idleConnections(proxyPort, proxy.pid!, 1000);
  const nginxMem = await idleConnections(nginxPort, nginx.pid!, 1000);
  console.log(`\n1,000 idle keep-alive connections: capture proxy RSS ${fmt(mem.beforeMb)} -> ${fmt(mem.afterMb)} MB; nginx (one process) RSS ${fmt(nginxMem.beforeMb, 1)} -> ${fmt(nginxMem.afterMb, 1)} MB`);
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
