import { gzipSync } from 'node:zlib';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { CapturedConnection, CapturedExchange, encodeConnection, interleave, toKafkaMessages } from '../../support/capture-encoder';
import { stackEndpoints } from '../../support/env';
import { createTopic, httpRequest, RawConnection, readTuples, kafkaReplayFixture } from './support';

const { sourceUrl, targetUrl } = stackEndpoints();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends requests to the real source on one keep-alive connection and keeps what a capture would. */
async function capture(connectionId: string, requests: Buffer[], gapMs = 20): Promise<CapturedConnection> {
  const conn = new RawConnection(new URL(sourceUrl));
  const exchanges: CapturedExchange[] = [];
  for (const r of requests) {
    exchanges.push(await conn.exchange(r));
    await sleep(gapMs);
  }
  conn.close();
  return { connectionId, exchanges };
}

function chunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += 50) {
    const piece = body.subarray(i, i + 50);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('traffic replayer: an Elasticsearch 7 workload replayed to OpenSearch', () => {
  const { index, topic, tupleDir, kafka, source, target, replayAll } = kafkaReplayFixture('replay-wl', { forwarder: false });

  it('ends with the same documents on the target, matching statuses, and every offset committed', async () => {
    const typedBulk = (ids: number[]) => Buffer.from(ids.map((i) => `{"index":{"_index":"${index}","_type":"mytype","_id":"${i}"}}\n${JSON.stringify({ title: `doc ${i}`, n: i })}\n`).join(''));
    const a = await capture('conn-a', [
      httpRequest('PUT', `/${index}?include_type_name=true`, JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { mytype: { properties: { title: { type: 'text' }, n: { type: 'integer' } } } } })),
      httpRequest('POST', '/_bulk', typedBulk([...Array(30).keys()]), { 'Content-Type': 'application/x-ndjson' }),
    ]);
    await sleep(300);
    const b = await capture('conn-b', [
      httpRequest('PUT', `/${index}/mytype/100`, '{"title":"put typed","n":100}'),
      httpRequest('POST', `/${index}/mytype/101`, '{"title":"post typed","n":101}'),
      httpRequest('PUT', `/${index}/_doc/102`, '{"title":"put typeless","n":102}'),
      httpRequest('DELETE', `/${index}/mytype/5`),
      httpRequest('POST', `/${index}/mytype/7/_update`, '{"doc":{"n":700}}'),
      httpRequest('POST', `/${index}/_update/8`, '{"doc":{"n":800}}'),
    ]);
    const c = await capture('conn-c', [
      httpRequest('POST', `/${index}/_bulk`, chunked(gzipSync(typedBulk([200, 201, 202, 203, 204]))), { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip', 'Transfer-Encoding': 'chunked' }),
      httpRequest('POST', `/${index}/_refresh`),
      httpRequest('GET', `/${index}/_search?size=0`, '{"query":{"match_all":{}}}'),
      httpRequest('GET', `/${index}/mytype/_search?q=n:3`),
      httpRequest('GET', `/${index}/_count`),
      httpRequest('GET', `/${index}/mytype/1`),
      httpRequest('HEAD', `/${index}`),
    ]);
    const connections = [a, b, c];
    const total = connections.reduce((n, conn) => n + conn.exchanges.length, 0);
    // Small records and packets: requests span chunks and segments as they do in real captures.
    const records = interleave(connections.map((conn) => encodeConnection(conn, { maxRecordBytes: 1500, readPacketBytes: 400 })));
    await createTopic(kafka, topic, 3, toKafkaMessages(records));

    const { exitCode } = await replayAll(['--transformer-config', '[{"TypeRemoval":{}}]']);
    expect(exitCode).toBe(0);

    const tuples = readTuples(tupleDir);
    expect(tuples).toHaveLength(total);
    const mismatches = tuples.filter((t) => t.sourceResponse?.['Status-Code'] !== t.targetResponses[t.targetResponses.length - 1]?.['Status-Code']);
    const describe = (t: (typeof tuples)[0]) => {
      const last = t.targetResponses[t.targetResponses.length - 1];
      return `${t.sourceRequest?.Method} ${t.sourceRequest?.['Request-URI']}: source ${t.sourceResponse?.['Status-Code']}, target ${last?.['Status-Code']} ${Buffer.from(String(last?.body ?? ''), 'base64').toString().slice(0, 300)}`;
    };
    expect(mismatches.map(describe)).toEqual([]);
    expect(new Set(tuples.map((t) => t.connectionId))).toEqual(new Set(connections.flatMap((conn) => conn.exchanges.map((_, i) => `${conn.connectionId}.${i}`))));
    const typed = tuples.find((t) => t.sourceRequest?.['Request-URI'] === `/${index}/mytype/100`)!;
    // Typeless on the target, with the version the source gave the document.
    expect(typed.targetRequest?.['Request-URI']).toBe(`/${index}/_doc/100?version=1&version_type=external_gte`);
    expect(typed.outcome).toBe('replayed');
    expect(tuples.find((t) => t.sourceRequest?.['Request-URI'] === `/${index}/mytype/7/_update`)?.outcome).toBe('unversioned');
    expect(typed.targetRequest?.Host).toBe(new URL(targetUrl).host);

    const docs = async (client: ClusterClient) => {
      await client.json('POST', `/${index}/_refresh`);
      const res = await client.json('GET', `/${index}/_search?size=1000`);
      return res.hits.hits.map((h: any) => ({ id: h._id, source: h._source })).sort((x: any, y: any) => x.id.localeCompare(y.id));
    };
    const sourceDocs = await docs(source);
    expect(sourceDocs.length).toBe(30 - 1 + 3 + 5);
    expect(await docs(target)).toEqual(sourceDocs);
    const mapping = await target.json('GET', `/${index}/_mapping`);
    expect(mapping[index].mappings.properties.n).toEqual({ type: 'integer' });
  });
});
