import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from 'undici';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { DOCUMENTS_CLI, runCli, startCli } from '../../support/backfill-helpers';
import { createTopic, endOffsets, kafkaReplayFixture, readTuples, startCaptureProxy, startReplayer, waitAllCommitted, waitFor } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mapping = { properties: { n: { type: 'integer' }, who: { type: 'keyword' }, r: { type: 'integer' }, msg: { type: 'text' } } };

interface Doc {
  version: number;
  source: unknown;
}

/** Every document of an index: id -> version and source (the index is small: one search). */
async function documents(client: ClusterClient, index: string): Promise<Map<string, Doc>> {
  await client.json('POST', `/${index}/_refresh`);
  const res = await client.json('POST', `/${index}/_search`, { size: 10_000, version: true, query: { match_all: {} } });
  expect(res.hits.hits.length).toBeLessThan(10_000);
  return new Map(res.hits.hits.map((h: any) => [h._id, { version: h._version, source: h._source }]));
}

/** One client connection through the proxy (keep-alive, one request at a time), as a shipper holds it. */
function connection(url: string): { send: (method: string, path: string, body?: string | Buffer, headers?: Record<string, string>) => Promise<number>; close: () => Promise<void> } {
  const client = new Client(url, { pipelining: 1 });
  return {
    send: async (method, path, body, headers = {}) => {
      const res = await client.request({ method: method as any, path, body, headers: { 'content-type': 'application/json', ...headers } });
      await res.body.arrayBuffer();
      return res.statusCode;
    },
    close: () => client.close(),
  };
}

const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

/**
 * A log-shipper workload through the capture proxy while two backfill workers copy the index:
 * _bulk with auto ids (every third gzip, a few items the mapping refuses), single auto-id POSTs,
 * explicit-id PUTs and DELETEs of seeded documents (some already copied, some not), two
 * connections writing the same ids interleaved, and idempotent partial updates.
 */
async function workload(proxyUrl: string, index: string): Promise<{ sent: number; refusedItems: number }> {
  let sent = 0;
  let refusedItems = 0;
  const shipper = async () => {
    const c = connection(proxyUrl);
    for (let b = 0; b < 12; b++) {
      const lines: unknown[] = [];
      for (let i = 0; i < 20; i++) {
        const bad = i === 7 && b % 2 === 0;
        if (bad) refusedItems++;
        lines.push(i % 2 ? { create: {} } : { index: {} }, { n: bad ? 'not a number' : b * 100 + i, msg: `line ${b}-${i}` });
      }
      const body = ndjson(lines);
      const gzip = b % 3 === 0;
      expect(await c.send('POST', `/${index}/_bulk`, gzip ? gzipSync(body) : body, { 'content-type': 'application/x-ndjson', 'accept-encoding': 'gzip', ...(gzip ? { 'content-encoding': 'gzip' } : {}) })).toBe(200);
      sent++;
      await sleep(250);
    }
    await c.close();
  };
  const singles = async () => {
    const c = connection(proxyUrl);
    for (let i = 0; i < 30; i++) {
      const status = await c.send('POST', `/${index}/_doc`, JSON.stringify({ n: i === 13 ? 'bad' : 5000 + i, msg: `single ${i}` }));
      expect(status).toBe(i === 13 ? 400 : 201);
      sent++;
      await sleep(90);
    }
    await c.close();
  };
  // Two connections writing the same ids a moment apart: the source's order must win on the target.
  const rivals = async () => {
    const [c, d] = [connection(proxyUrl), connection(proxyUrl)];
    for (let r = 0; r < 6; r++) {
      await Promise.all(
        [c, d].map(async (conn, w) => {
          for (let k = 0; k < 20; k++) {
            await conn.send('PUT', `/${index}/_doc/shared-${k}`, JSON.stringify({ who: w ? 'D' : 'C', r, n: k }));
            sent++;
          }
        }),
      );
      await sleep(300);
    }
    for (let k = 15; k < 20; k++) {
      expect(await c.send('DELETE', `/${index}/_doc/shared-${k}`)).toBe(200);
      sent++;
    }
    await Promise.all([c.close(), d.close()]);
  };
  // Seeded documents changed while the backfill copies them.
  const editor = async () => {
    const c = connection(proxyUrl);
    for (let i = 0; i < 30; i++) {
      expect(await c.send('DELETE', `/${index}/_doc/seed-${i}`)).toBe(200);
      expect(await c.send('PUT', `/${index}/_doc/seed-${100 + i}`, JSON.stringify({ n: -i, msg: 'overwritten' }))).toBe(200);
      expect(await c.send('POST', `/${index}/_update/seed-${200 + (i % 10)}`, JSON.stringify({ doc: { msg: 'partly updated' } }))).toBe(200);
      sent += 3;
      await sleep(80);
    }
    // Deleted and written again within gc_deletes: the version goes on from the tombstone's.
    expect(await c.send('PUT', `/${index}/_doc/seed-0`, JSON.stringify({ n: 1, msg: 'back again' }))).toBe(201);
    // A conditional write with a stale sequence number: the source refuses it.
    expect(await c.send('PUT', `/${index}/_doc/seed-50?if_seq_no=0&if_primary_term=1`, JSON.stringify({ n: 0, msg: 'stale' }))).toBe(409);
    sent += 2;
    await c.close();
  };
  await Promise.all([shipper(), singles(), rivals(), editor()]);
  return { sent, refusedItems };
}

describe('exact replay: the target ends with exactly the source\'s documents', () => {
  const f = kafkaReplayFixture('exact', { forwarder: true });
  const { index, topic, kafka, source, target, sourceUrl, targetUrl, kafkaBrokers, forwarder } = f;
  const captured = `${index}-captured`;
  const workDir = mkdtempSync(join(tmpdir(), 'exact-'));
  afterAll(async () => {
    await target.request({ method: 'DELETE', path: `/${captured}` }).catch(() => undefined);
    await target.request({ method: 'DELETE', path: `/.ws-${index}` }).catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('after a log-shipper workload overlapping the backfill, replayed with 3 kill -9s: same ids, sources and versions; as captured: duplicates', async () => {
    await source.json('PUT', `/${index}`, { settings: { number_of_shards: 2, number_of_replicas: 0 }, mappings: mapping });
    for (const name of [index, captured]) await target.json('PUT', `/${name}`, { settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: mapping });
    const seed = Array.from({ length: 300 }, (_, i) => [{ index: { _id: `seed-${i}` } }, { n: i, msg: `seed ${i}` }]).flat();
    expect((await source.json('POST', `/${index}/_bulk?refresh=true`, ndjson(seed), { 'content-type': 'application/x-ndjson' })).errors).toBe(false);
    await createTopic(kafka, topic, 3, []);

    // Capture and backfill at the same time: small pages, so that the copy is still running while the clients write.
    const proxy = await startCaptureProxy(sourceUrl, kafkaBrokers, topic);
    const backfillArgs = (id: string) => [
      'run', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index, '--working-state-index', `.ws-${index}`, '--worker-id', id,
      '--page-size', '25', '--pages-in-flight', '1', '--items-in-flight', '1', '--docs-per-item', '60', '--failed-documents-file', join(workDir, `failed-${id}.jsonl`), '--progress', 'none',
    ];
    const workers = ['bf-1', 'bf-2'].map((id) => startCli(DOCUMENTS_CLI, backfillArgs(id)));
    let load: Awaited<ReturnType<typeof workload>>;
    try {
      load = await workload(proxy.url, index);
    } finally {
      expect(await proxy.stop()).toBe(0);
    }
    for (const r of await Promise.all(workers.map((w) => w.done))) expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, stderr: '' });
    // The target as the backfill left it, copied (with its versions) for the replay as captured.
    await target.json('POST', `/${index}/_refresh`);
    await target.json('POST', '/_reindex?refresh=true', { source: { index }, dest: { index: captured, version_type: 'external' } });

    // Replay at 10x, killed with kill -9 three times while it sends, then to the end.
    const ends = await endOffsets(kafka, topic);
    const args = ['--target-uri', forwarder.url, '--kafka-traffic-brokers', kafkaBrokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', f.groupId, '--tuple-dir', f.tupleDir, '--speedup-factor', '10', '--kafka-session-timeout-seconds', '6'];
    for (let kill = 0; kill < 3; kill++) {
      const seen = forwarder.log.length;
      const run = startReplayer(args);
      await waitFor('the replayer to send requests', () => (forwarder.log.length > seen ? true : undefined), 60_000, 20).catch((err: Error) => {
        throw new Error(`${err.message}\nreplayer stderr:\n${run.stderr().slice(-2000)}`);
      });
      await sleep(100 + Math.random() * 500);
      run.child.kill('SIGKILL');
      await run.exited;
    }
    const last = startReplayer(args);
    try {
      await waitAllCommitted(kafka, f.groupId, f.topic, last);
      if (last.stderr().includes("gc_deletes")) throw new Error(last.stderr().slice(-2000));
    } finally {
      last.child.kill('SIGTERM');
    }
    expect(await last.exited).toBe(0);
    const summary = JSON.parse(last.stdout().trim().split('\n').pop()!);

    // The same capture replayed as captured, into the copy of the backfill's target.
    const asCapturedTuples = join(workDir, 'tuples-as-captured');
    const plain = startReplayer(['--target-uri', targetUrl, '--kafka-traffic-brokers', kafkaBrokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', `${f.groupId}-as-captured`, '--tuple-dir', asCapturedTuples, '--speedup-factor', '10', '--replay-writes-as-captured',
      '--transformer-config', JSON.stringify([{ IndexRename: { rules: [{ from: index, to: captured } ] } }])]);
    try {
      await waitAllCommitted(kafka, `${f.groupId}-as-captured`, f.topic, plain);
    } finally {
      plain.child.kill('SIGTERM');
    }
    expect(await plain.exited).toBe(0);

    // The independent doc-by-doc check: ids, source hashes and counts.
    const verify = await runCli(DOCUMENTS_CLI, ['verify', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', index, '--json']);
    expect({ code: verify.code, out: verify.code === 0 ? '' : verify.stdout.slice(0, 3000) }).toEqual({ code: 0, out: '' });
    const src = await documents(source, index);
    const dst = await documents(target, index);
    expect([...dst.keys()].filter((id) => !src.has(id))).toEqual([]);
    expect([...src.keys()].filter((id) => !dst.has(id))).toEqual([]);
    expect(dst.size).toBe(src.size);
    for (const [id, d] of src) expect([id, dst.get(id)!.source]).toEqual([id, d.source]);
    // Versions: every document but those touched by partial updates (they cannot carry one).
    const unversioned = new Set(Array.from({ length: 10 }, (_, i) => `seed-${200 + i}`));
    const versionDiffers = [...src].filter(([id, d]) => !unversioned.has(id) && dst.get(id)!.version !== d.version).map(([id, d]) => `${id}: source ${d.version}, target ${dst.get(id)!.version}`);
    expect(versionDiffers).toEqual([]);
    // The rivals' last writes won, whatever the order their replays reached the target in.
    expect(src.get('shared-3')!.version).toBe(12);
    expect(src.has('shared-17')).toBe(false);

    // What the tuples and the summary say about it.
    const tuples = readTuples(f.tupleDir);
    const bulks = tuples.filter((t) => String(t.sourceRequest?.['Request-URI']).endsWith('/_bulk'));
    expect(bulks.length).toBeGreaterThanOrEqual(12);
    expect(bulks.every((t) => t.bulkItems?.length === 20)).toBe(true);
    expect(bulks.flatMap((t) => t.bulkItems!).filter((i) => i.outcome === 'sourceRefused' && i.sourceStatus === 400 && i.targetStatus === null).length).toBeGreaterThanOrEqual(load.refusedItems);
    const outcomeOf = (method: string, uri: string) => tuples.find((t) => t.sourceRequest?.Method === method && t.sourceRequest?.['Request-URI'] === uri)?.outcome;
    expect(outcomeOf('PUT', `/${index}/_doc/seed-50?if_seq_no=0&if_primary_term=1`)).toBe('sourceRefused');
    expect(outcomeOf('POST', `/${index}/_update/seed-200`)).toBe('unversioned');
    expect(tuples.filter((t) => t.outcome === 'asCaptured').map((t) => `${t.sourceRequest?.Method} ${t.sourceRequest?.['Request-URI']}: ${t.outcomeDetail}`)).toEqual([]);
    expect(summary.outcomes.sourceRefused).toBeGreaterThan(0);
    // Statuses differ only where the versions say why (the replayer's own comparison).
    const status = (m: { 'Status-Code'?: unknown } | null | undefined) => m?.['Status-Code'];
    const lastStatus = (t: (typeof tuples)[0]) => status(t.targetResponses[t.targetResponses.length - 1]);
    const differing = tuples.filter((t) => t.targetResponses.length && status(t.sourceResponse) !== lastStatus(t) && t.outcome !== 'superseded' && t.outcome !== 'alreadyPresent');
    expect(differing.filter((t) => !t.outcomeDetail).map((t) => `${t.sourceRequest?.Method} ${t.sourceRequest?.['Request-URI']}: ${status(t.sourceResponse)} vs ${lastStatus(t)} (${t.outcome})`)).toEqual([]);
    expect(summary.statusDiffered).toBe(0);
    expect(tuples.some((t) => t.outcome === 'superseded' || t.outcome === 'alreadyPresent')).toBe(true);

    // After cutover the tombstones need not last: the original gc_deletes comes back.
    const settings = async () => (await target.json('GET', `/${index}/_settings/index.gc_deletes?flat_settings=true`))[index]?.settings['index.gc_deletes'];
    expect(await settings()).toBe('24h');
    const restore = startReplayer(['--target-uri', targetUrl, '--restore-target-gc-deletes']);
    expect(await restore.exited).toBe(0);
    expect(JSON.parse(restore.stdout()).restored).toContainEqual({ index, restoredTo: null });
    expect(await settings()).toBeUndefined();

    // Without the fix: the documents the backfill copied and the replay wrote again, under new ids.
    const plainDocs = await documents(target, captured);
    const extra = [...plainDocs.keys()].filter((id) => !src.has(id)).length;
    const missing = [...src.keys()].filter((id) => !plainDocs.has(id)).length;
    // Each shipped line and single POST is one document on the source: more than one copy is a duplicate.
    const copies = new Map<string, number>();
    for (const d of plainDocs.values()) {
      const msg = (d.source as { msg?: string }).msg ?? '';
      if (/^(line|single) /.test(msg)) copies.set(msg, (copies.get(msg) ?? 0) + 1);
    }
    const duplicates = [...copies.values()].reduce((n, c) => n + c - 1, 0);
    const fixedCopies = new Map<string, number>();
    for (const d of dst.values()) fixedCopies.set(String((d.source as { msg?: string }).msg), (fixedCopies.get(String((d.source as { msg?: string }).msg)) ?? 0) + 1);
    expect([...fixedCopies].filter(([msg, n]) => /^(line|single) /.test(msg) && n > 1)).toEqual([]);
    expect(duplicates).toBeGreaterThan(0);
    expect(plainDocs.size).toBeGreaterThan(src.size);
    process.stderr.write(
      `exact replay workload: ${load.sent} client requests (${load.refusedItems} _bulk items and 1 POST refused by the mapping), ${ends.reduce((a, b) => a + b, 0)} records; ` +
        `source ${src.size} documents; replayed with ids and versions (3 kill -9s): target ${dst.size}, 0 extra, 0 missing, 0 duplicates; ` +
        `as captured: target ${plainDocs.size}, ${duplicates} duplicates, ${extra} ids the source does not have, ${missing} source ids missing; ` +
        `outcomes of the last run ${JSON.stringify(summary.outcomes)}, its bulk items ${JSON.stringify(summary.bulkItemOutcomes)}\n`,
    );
  });
});
