/*
 * Backfill benchmark: the same documents copied source -> target four ways, in one run, on loopback.
 *   (a) document-backfill (our workers)   (b) reindex-from-remote run by the target
 *   (c) elasticdump (npm)                  (d) raw _bulk ingest of the same documents from an NDJSON file
 * Env: MIGRATION_SOURCE_URL / MIGRATION_TARGET_URL (default: the local stack's 19200/29200),
 * BENCH_DOCS (default 500000), BENCH_WORKERS (default 2), BENCH_ELASTICDUMP_DOCS (default 50000: elasticdump
 * is measured on a prefix, it would take many minutes for all), BENCH_BACKFILL_ARGS (extra flags for (a), e.g.
 * "--items-in-flight 3 --page-size 2000"; several variants separated by ';'), BENCH_ONLY (e.g. "d,a": the methods to run; (a) always runs).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';

const SOURCE = process.env.MIGRATION_SOURCE_URL ?? 'http://127.0.0.1:19200';
const TARGET = process.env.MIGRATION_TARGET_URL ?? 'http://127.0.0.1:29200';
const DOCS = Number(process.env.BENCH_DOCS ?? 500_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const DUMP_DOCS = Math.min(DOCS, Number(process.env.BENCH_ELASTICDUMP_DOCS ?? 50_000));
// Several variants of (a), separated by ';', run one after another (the table's ratios use the fastest).
const VARIANTS = (process.env.BENCH_BACKFILL_ARGS ?? '').split(';').map((v) => v.split(/\s+/).filter(Boolean));
const ONLY = new Set((process.env.BENCH_ONLY ?? 'd,a,b,c').split(',').map((x) => x.trim()));
const root = join(__dirname, '..');
const tag = `bench-bf-${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'bench-bf-'));
const mapping = { properties: { title: { type: 'text' }, body: { type: 'text' }, tags: { type: 'keyword' }, price: { type: 'double' }, at: { type: 'date' }, user: { type: 'keyword' } } };

async function es(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await request(`${base}${path}`, { method: method as any, headers: { 'content-type': typeof body === 'string' ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headersTimeout: 0, bodyTimeout: 0 });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ');
function doc(i: number): string {
  let body = '';
  for (let w = 0; body.length < 1000; w++) body += `${words[(i * 7 + w * 13) % words.length]} `;
  return JSON.stringify({ title: `document ${i} ${words[i % words.length]}`, body, tags: [words[i % 5], words[i % 11]], price: (i % 10000) / 100, at: 1700000000000 + i * 1000, user: `user-${i % 997}` });
}

/** Writes the NDJSON file (used by (d)) and loads the source from it. */
async function prepare(): Promise<string> {
  const file = join(dir, 'docs.ndjson');
  const out = createWriteStream(file);
  for (let i = 0; i < DOCS; i++) {
    if (!out.write(`{"index":{"_id":"${i}"}}\n${doc(i)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  await es(SOURCE, 'PUT', `/${tag}`, { settings: { number_of_shards: 4, number_of_replicas: 0, refresh_interval: -1 }, mappings: mapping });
  await bulkFromFile(SOURCE, tag, file);
  await es(SOURCE, 'PUT', `/${tag}/_settings`, { index: { refresh_interval: '1s' } });
  await es(SOURCE, 'POST', `/${tag}/_refresh`);
  await es(SOURCE, 'POST', `/${tag}/_forcemerge?max_num_segments=5`);
  return file;
}

/** The NDJSON file in requests of 5000 documents, read as a stream: the file may be larger than a string can be. */
async function* bulkChunks(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let chunk: string[] = [];
  for await (const line of lines) {
    if (!line) continue;
    chunk.push(line);
    if (chunk.length === 10_000) {
      yield chunk.join('\n') + '\n';
      chunk = [];
    }
  }
  if (chunk.length) yield chunk.join('\n') + '\n';
}

/** _bulk of the NDJSON file in 5000-document requests, 4 in flight. */
async function bulkFromFile(base: string, index: string, file: string): Promise<void> {
  const chunks = bulkChunks(file);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        const res = await es(base, 'POST', `/${index}/_bulk`, next.value);
        if (res.errors) throw new Error(`bulk into ${index} had errors`);
      }
    }),
  );
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} exited ${code}: ${err}`))));
  });
}

async function targetIndex(name: string): Promise<void> {
  await es(TARGET, 'PUT', `/${name}`, { settings: { number_of_shards: 4, number_of_replicas: 0 }, mappings: mapping });
}

async function count(name: string): Promise<number> {
  await es(TARGET, 'POST', `/${name}/_refresh`);
  return (await es(TARGET, 'GET', `/${name}/_count`)).count;
}

async function timed(label: string, docs: number, name: string, fn: () => Promise<void>): Promise<{ label: string; docs: number; seconds: number; rate: number }> {
  const t0 = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const got = await count(name);
  if (got !== docs) throw new Error(`${label}: the target has ${got} documents, expected ${docs}`);
  await es(TARGET, 'DELETE', `/${name}`);
  process.stderr.write(`${label}: ${docs} docs in ${seconds.toFixed(1)} s\n`);
  return { label, docs, seconds, rate: docs / seconds };
}

async function main(): Promise<void> {
  process.stderr.write(`preparing ${DOCS} documents of ~1.2 KB in ${SOURCE}/${tag} ...\n`);
  const file = await prepare();
  const results = [];
  try {
    // (d) first: the ceiling of what the target can ingest.
    if (ONLY.has('d')) results.push(await timed('(d) raw _bulk from NDJSON file', DOCS, `${tag}-d`, async () => {
      await targetIndex(`${tag}-d`);
      await bulkFromFile(TARGET, `${tag}-d`, file);
    }));
    for (const extra of VARIANTS) {
      results.push(await timed(`(a) document-backfill, ${WORKERS} workers${extra.length ? ` ${extra.join(' ')}` : ''}`, DOCS, tag, async () => {
        await targetIndex(tag);
        const args = ['run', '--source-host', SOURCE, '--target-host', TARGET, '--index-allowlist', tag, '--working-state-index', `.ws-${tag}`, '--progress', 'none', '--failed-documents-file', join(dir, 'failed.jsonl'), ...extra];
        await Promise.all(Array.from({ length: WORKERS }, (_, i) => run(process.execPath, [join(root, 'runtime/dist/backfill/documents-cli.js'), ...args, '--worker-id', `bench-${i}`])));
      }));
      await es(TARGET, 'DELETE', `/.ws-${tag}`);
    }
    // The old _id-sorted reads loaded every id of the index into the source's heap (fielddata).
    const fielddata = (await es(SOURCE, 'GET', `/${tag}/_stats/fielddata`))._all.total.fielddata.memory_size_in_bytes;
    process.stderr.write(`source fielddata after (a): ${fielddata} bytes\n`);
    if (ONLY.has('b')) results.push(await timed('(b) reindex-from-remote', DOCS, `${tag}-b`, async () => {
      await targetIndex(`${tag}-b`);
      await es(TARGET, 'POST', '/_reindex?wait_for_completion=true', { source: { remote: { host: SOURCE }, index: tag, size: 1000 }, dest: { index: `${tag}-b` } });
    }));
    if (ONLY.has('c')) results.push(await timed(`(c) elasticdump (first ${DUMP_DOCS} docs)`, DUMP_DOCS, `${tag}-c`, async () => {
      await targetIndex(`${tag}-c`);
      await run(join(root, 'node_modules/.bin/elasticdump'), [`--input=${SOURCE}/${tag}`, `--output=${TARGET}/${tag}-c`, '--type=data', `--size=${DUMP_DOCS}`, '--quiet']);
    }));
  } finally {
    await es(SOURCE, 'DELETE', `/${tag}`).catch(() => undefined);
    for (const s of ['', '-b', '-c', '-d']) await es(TARGET, 'DELETE', `/${tag}${s}`).catch(() => undefined);
    await es(TARGET, 'DELETE', `/.ws-${tag}`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const a = results.filter((r) => r.label.startsWith('(a)')).sort((x, y) => y.rate - x.rate)[0];
  const rows = results.map((r) => [r.label, String(r.docs), r.seconds.toFixed(1), Math.round(r.rate).toString(), r === a ? '1.00' : (a.rate / r.rate).toFixed(2)]);
  const header = ['method', 'docs', 'seconds', 'docs/s', '(a) / this'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
  process.stdout.write([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n');
  process.stdout.write('targets: (a)/(b) >= 1.5, (a)/(c) >= 5, (a)/(d) >= 0.85\n');
  process.stdout.write(`BENCH_DOCS=${DOCS} BENCH_WORKERS=${WORKERS} BENCH_ELASTICDUMP_DOCS=${DUMP_DOCS} BENCH_BACKFILL_ARGS="${process.env.BENCH_BACKFILL_ARGS ?? ''}"; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
