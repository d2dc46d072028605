import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { encodeTrafficStreamLine } from '../../../runtime/src/core/traffic-stream';
import { CapturedConnection, encodeConnection } from '../../support/capture-encoder';
import { stackEndpoints, uniqueName } from '../../support/env';
import { assertBuilt, httpRequest, RawConnection, readTuples, startReplayer } from './support';

const { sourceUrl, targetUrl } = stackEndpoints();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends requests to the real source on one connection and keeps what a capture would. */
async function capture(connectionId: string, requests: Buffer[]): Promise<CapturedConnection> {
  const conn = new RawConnection(new URL(sourceUrl));
  const exchanges = [];
  for (const r of requests) exchanges.push(await conn.exchange(r));
  conn.close();
  return { connectionId, exchanges };
}

describe('traffic replayer: deleted documents stay deleted', () => {
  const source = new ClusterClient({ endpoint: sourceUrl });
  const target = new ClusterClient({ endpoint: targetUrl });
  const dir = mkdtempSync(join(tmpdir(), 'tombstones-'));
  const kept = uniqueName('tomb-kept');
  const plain = uniqueName('tomb-plain');
  beforeAll(assertBuilt);
  afterAll(async () => {
    for (const c of [source, target]) {
      for (const i of [kept, plain]) await c.request({ method: 'DELETE', path: `/${i}` }).catch(() => undefined);
      await c.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('an older write replayed after the tombstone would have expired does not bring the document back (index.gc_deletes held)', async () => {
    const files: Record<string, { writes: string; delete: string }> = {};
    for (const index of [kept, plain]) {
      await source.json('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
      // A short gc_deletes on the target: what 60 s do to a long replay, in a second.
      await target.json('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0, 'index.gc_deletes': '1s' } });
      const writes = await capture(`w-${index}`, [httpRequest('PUT', `/${index}/_doc/a`, '{"v":1}'), httpRequest('PUT', `/${index}/_doc/a`, '{"v":2}')]);
      const del = await capture(`d-${index}`, [httpRequest('DELETE', `/${index}/_doc/a`)]);
      files[index] = { writes: join(dir, `${index}-writes.log`), delete: join(dir, `${index}-delete.log`) };
      writeFileSync(files[index].writes, encodeConnection(writes).map(encodeTrafficStreamLine).join('\n') + '\n');
      writeFileSync(files[index].delete, encodeConnection(del).map(encodeTrafficStreamLine).join('\n') + '\n');
    }
    const replay = async (file: string, tuples: string, extra: string[] = []) => {
      const run = startReplayer(['--target-uri', targetUrl, '-i', file, '--tuple-dir', join(dir, tuples), ...extra]);
      expect([await run.exited, run.stderr().slice(-1000)]).toEqual([0, run.stderr().slice(-1000)]);
    };
    // The writes and the delete are replayed; the second index without holding its tombstones.
    for (const index of [kept, plain]) {
      const off = index === plain ? ['--target-gc-deletes', 'off'] : [];
      await replay(files[index].writes, `${index}-1`, off);
      await replay(files[index].delete, `${index}-2`, off);
    }
    const gc = async (index: string) => (await target.json('GET', `/${index}/_settings/index.gc_deletes?flat_settings=true`))[index].settings['index.gc_deletes'];
    expect([await gc(kept), await gc(plain)]).toEqual(['24h', '1s']);
    // Past the original gc_deletes (pruned on refresh), the older writes come again (a restart, a lagging partition).
    await sleep(2500);
    for (const index of [kept, plain]) await target.json('POST', `/${index}/_refresh`);
    for (const index of [kept, plain]) await replay(files[index].writes, `${index}-3`);

    const exists = async (index: string) => (await target.request({ method: 'GET', path: `/${index}/_doc/a` })).statusCode;
    // Without the held tombstone the deleted document is back: the hazard is real.
    expect(await exists(plain)).toBe(200);
    expect(await exists(kept)).toBe(404);
    expect(readTuples(join(dir, `${kept}-3`)).map((t) => t.outcome)).toEqual(['superseded', 'superseded']);
  });
});
