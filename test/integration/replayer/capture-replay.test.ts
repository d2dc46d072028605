import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { HttpBoundaryParser, ParseEvent } from '../../../runtime/src/core/http/boundary-parser';
import { parseRequest, parseResponse } from '../../../runtime/src/core/http/message';
import type { Tuple } from '../../../runtime/src/replayer/tuple';
import { stackEndpoints } from '../../support/env';
import { createTopic, httpRequest, RawConnection, readTuples, kafkaReplayFixture, startCaptureProxy } from './support';

const { sourceUrl, kafkaBrokers } = stackEndpoints();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function chunked(body: Buffer, size = 40): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const piece = body.subarray(i, i + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Writes every request at once on one socket (HTTP pipelining) and splits the answers, in order. */
async function pipelined(port: number, requests: Buffer[]): Promise<Buffer[]> {
  const methods = requests.map((r) => parseRequest(r).method);
  const socket = net.connect(port, '127.0.0.1');
  const answers: Buffer[] = [];
  let current: Buffer[] = [];
  const parser = new HttpBoundaryParser('response', { requestMethod: () => methods[answers.length] });
  await new Promise<void>((res, rej) => {
    socket.on('data', (chunk: Buffer) => {
      let pos = 0;
      for (;;) {
        const ev = parser.execute(chunk, pos);
        if (ev === ParseEvent.Error) return rej(new Error(`bad answer: ${parser.error}`));
        current.push(chunk.subarray(pos, parser.offset));
        pos = parser.offset;
        if (ev === ParseEvent.NeedMore) break;
        if (ev === ParseEvent.MessageComplete && parser.head!.statusCode >= 200) {
          answers.push(Buffer.concat(current));
          current = [];
          if (answers.length === requests.length) return res();
        }
      }
    });
    socket.once('error', rej);
    socket.write(Buffer.concat(requests));
  });
  socket.end();
  return answers;
}

const body = (b: string | number | undefined) => Buffer.from(String(b ?? ''), 'base64');
const json = (b: string | number | undefined) => JSON.parse(body(b).toString('utf8'));

describe('traffic replayer: traffic captured by the real capture proxy, pipelined connections included', () => {
  const { index, topic, tupleDir, kafka, source, target, replayAll } = kafkaReplayFixture('replay-cap', { forwarder: false });

  it('pairs every request with its own source answer and ends with the same documents on the target', async () => {
    await createTopic(kafka, topic, 2, []);
    const proxy = await startCaptureProxy(sourceUrl, kafkaBrokers, topic);
    /** What each client saw: request bytes -> the answer bytes it got. */
    const seen: { request: Buffer; response: Buffer }[] = [];
    let proxyExit: number | null = null;
    try {
      const proxyUrl = new URL(proxy.url);
      const port = Number(proxyUrl.port);
      const typedBulk = (ids: number[]) => Buffer.from(ids.map((i) => `{"index":{"_index":"${index}","_type":"mytype","_id":"${i}"}}\n${JSON.stringify({ title: `doc ${i}`, n: i })}\n`).join(''));

      // Keep-alive: a typed (ES 7) index creation, then a typed _bulk.
      const a = new RawConnection(proxyUrl);
      for (const r of [
        httpRequest('PUT', `/${index}?include_type_name=true`, JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { mytype: { properties: { title: { type: 'text' }, n: { type: 'integer' } } } } })),
        httpRequest('POST', '/_bulk', typedBulk([0, 1, 2, 3, 4, 5]), { 'Content-Type': 'application/x-ndjson' }),
      ]) seen.push(await a.exchange(r));
      a.close();
      await sleep(300);

      // Keep-alive: a gzip _bulk, a chunked request, a HEAD.
      const b = new RawConnection(proxyUrl);
      for (const r of [
        httpRequest('POST', `/${index}/_bulk`, gzipSync(typedBulk([10, 11, 12])), { 'Content-Type': 'application/x-ndjson', 'Content-Encoding': 'gzip' }),
        httpRequest('PUT', `/${index}/_doc/20`, chunked(Buffer.from(JSON.stringify({ title: 'chunked', n: 20, pad: 'x'.repeat(100) }))), { 'Transfer-Encoding': 'chunked' }),
        httpRequest('HEAD', `/${index}/_doc/20`),
      ]) seen.push(await b.exchange(r));
      b.close();

      await sleep(300);

      // Pipelined: every request written at once, HEADs in the middle, answers in order. The source
      // may run pipelined requests side by side, so none of them depends on another in its batch.
      const piped = [
        httpRequest('PUT', `/${index}/_doc/30`, '{"title":"p30","n":30}'),
        httpRequest('HEAD', `/${index}`),
        httpRequest('PUT', `/${index}/_doc/31`, '{"title":"p31","n":31}'),
        httpRequest('DELETE', `/${index}/_doc/3`),
        httpRequest('HEAD', `/${index}/_doc/10`),
        httpRequest('GET', `/${index}/_doc/1`),
        httpRequest('POST', `/${index}/_doc/32/_create`, '{"title":"p32","n":32}'),
        httpRequest('GET', `/${index}/_doc/404`),
      ];
      const answers = await pipelined(port, piped);
      piped.forEach((request, i) => seen.push({ request, response: answers[i] }));
      // Replay keeps the order of one connection; across connections, only time orders requests.
      await sleep(300);
      const piped2 = [httpRequest('POST', `/${index}/_update/31`, '{"doc":{"n":310}}'), httpRequest('HEAD', `/${index}/_doc/3`), httpRequest('POST', `/${index}/_refresh`)];
      const answers2 = await pipelined(port, piped2);
      piped2.forEach((request, i) => seen.push({ request, response: answers2[i] }));
    } finally {
      proxyExit = await proxy.stop();
    }
    expect(proxyExit).toBe(0);

    const { ends, exitCode } = await replayAll(['--transformer-config', '[{"TypeRemoval":{}}]']);
    expect(ends.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    expect(exitCode).toBe(0);

    const tuples = readTuples(tupleDir);
    const key = (method: string, uri: string) => `${method} ${uri}`;
    const byRequest = new Map<string, Tuple>(tuples.map((t) => [key(String(t.sourceRequest?.Method), String(t.sourceRequest?.['Request-URI'])), t]));
    expect(tuples).toHaveLength(seen.length);
    expect(byRequest.size).toBe(seen.length);
    for (const { request, response } of seen) {
      const sent = parseRequest(request);
      const t = byRequest.get(key(sent.method, sent.uri));
      const what = key(sent.method, sent.uri);
      expect([what, t !== undefined]).toEqual([what, true]);
      // The tuple's source answer is the one this client got for this request, byte for byte in the body.
      const got = parseResponse(response, sent.method);
      expect([what, t!.sourceResponse?.['Status-Code']]).toEqual([what, got.statusCode]);
      expect([what, body(t!.sourceResponse?.body).toString()]).toEqual([what, got.body.toString()]);
      // And it answers this request: the document id in the path is the one answered.
      const docId = /\/_(?:doc|update)\/(\d+)/.exec(sent.uri)?.[1];
      if (docId && sent.method !== 'HEAD') expect([what, json(t!.sourceResponse?.body)._id]).toEqual([what, docId]);
      if (sent.method === 'HEAD') expect([what, body(t!.sourceResponse?.body).length]).toEqual([what, 0]);
      const last = t!.targetResponses[t!.targetResponses.length - 1];
      const targetSaid = body(last?.body).toString().slice(0, 300);
      expect([what, last?.['Status-Code'], targetSaid]).toEqual([what, got.statusCode, targetSaid]);
    }
    const bulk = byRequest.get(key('POST', '/_bulk'))!;
    expect(json(bulk.sourceResponse?.body).items.map((i: any) => i.index._id)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(json(bulk.targetResponses[0].body).items.map((i: any) => i.index._id)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(byRequest.get(key('DELETE', `/${index}/_doc/3`))!.sourceResponse?.['Status-Code']).toBe(200);
    expect(byRequest.get(key('HEAD', `/${index}/_doc/3`))!.sourceResponse?.['Status-Code']).toBe(404);
    // Per source connection, the target got the requests in capture order: numbering is dense.
    const perConnection = new Map<string, number[]>();
    for (const t of tuples) {
      const [conn, i] = [t.connectionId.slice(0, t.connectionId.lastIndexOf('.')), Number(t.connectionId.slice(t.connectionId.lastIndexOf('.') + 1))];
      perConnection.set(conn, [...(perConnection.get(conn) ?? []), i].sort((x, y) => x - y));
    }
    expect([...perConnection.values()].map((l) => l.length).sort()).toEqual([2, 3, 3, 8]);
    for (const l of perConnection.values()) expect(l).toEqual(l.map((_, i) => i));

    const docs = async (client: ClusterClient) => {
      await client.json('POST', `/${index}/_refresh`);
      const res = await client.json('GET', `/${index}/_search?size=1000`);
      return res.hits.hits.map((h: any) => ({ id: h._id, source: h._source })).sort((x: any, y: any) => x.id.localeCompare(y.id));
    };
    const sourceDocs = await docs(source);
    expect(sourceDocs.map((d: any) => d.id)).toEqual(['0', '1', '10', '11', '12', '2', '20', '30', '31', '32', '4', '5']);
    expect(await docs(target)).toEqual(sourceDocs);
  });
});
