import http from 'node:http';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BulkWriter } from '../../../runtime/src/backfill/bulk-writer';
import { makeClient } from '../../../runtime/src/backfill/cluster-options';
import { FileFailedDocuments } from '../../../runtime/src/backfill/failed-documents';
import { freePort } from '../../../runtime/src/local/ports';

type Answer = 'storm' | 'reset' | { items: (id: string) => number };

/** A cluster that answers _bulk as the test says: a 429 with Retry-After, a dropped connection, or per-item statuses. */
async function stubCluster(answer: (request: number) => Answer) {
  const received: string[][] = [];
  const accepted: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (!req.url?.startsWith('/_bulk')) return res.writeHead(404).end('{}');
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
      const ids = lines.filter((_, i) => i % 2 === 0).map((l) => JSON.parse(l).index._id as string);
      received.push(ids);
      const a = answer(received.length);
      if (a === 'reset') return req.socket.destroy();
      if (a === 'storm') return res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"error":{"type":"es_rejected_execution_exception"},"status":429}');
      const items = ids.map((id) => {
        const status = a.items(id);
        if (status === 201) accepted.push(id);
        const error = status === 429 ? { type: 'es_rejected_execution_exception', reason: 'queue full' } : { type: 'mapper_parsing_exception', reason: 'failed to parse' };
        return { index: { _id: id, status, ...(status === 201 ? {} : { error }) } };
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ took: 1, errors: items.some((i) => i.index.status !== 201), items }));
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${port}`, received, accepted, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const hits = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'hot1', 'hot2', 'bad1', 'bad2'].map((id) => ({ id, source: `{"id":"${id}"}`, version: 3 }));

async function withWriter(stub: Awaited<ReturnType<typeof stubCluster>>, run: (writer: BulkWriter, failedFile: string) => Promise<void>) {
  const failedFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'bulk-storm-')), 'failed.jsonl');
  // The backfill's own client, which retries 4 times for every other request.
  const client = await makeClient({ endpoint: stub.endpoint, auth: { type: 'none' }, allowInsecure: false }, 4);
  const writer = new BulkWriter(client, { maxBulkBytes: 1 << 20, maxInFlight: 2, compress: false, failedDocuments: new FileFailedDocuments(failedFile), maxItemRetries: 3, retryBaseMs: 5 });
  try {
    await run(writer, failedFile);
  } finally {
    await client.close();
    await stub.close();
  }
}

const failedIds = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).id).sort() : []);

describe('bulk writer in a 429 storm', () => {
  it('tries a refused bulk only as often as its own limit says, then gives up with a clear error and reports nothing as done', async () => {
    const stub = await stubCluster(() => 'storm');
    await withWriter(stub, async (writer, failedFile) => {
      await expect(writer.write('idx', hits)).rejects.toMatchObject({
        code: 'BULK_RETRIES_EXHAUSTED',
        message: expect.stringMatching(/10 documents of idx were still refused .* after 4 attempts of POST \/_bulk.*not checkpointed/),
      });
      // maxItemRetries 3: four requests in all, not four times the client's five.
      expect(stub.received).toHaveLength(4);
      expect(failedIds(failedFile)).toEqual([]);
    });
  });

  it('resends only the items refused for load; a page that gives up reports none of its refusals yet (the rerun would report them twice)', async () => {
    const stub = await stubCluster(() => ({ items: (id) => (id.startsWith('hot') ? 429 : id.startsWith('bad') ? 400 : 201) }));
    await withWriter(stub, async (writer, failedFile) => {
      await expect(writer.write('idx', hits)).rejects.toMatchObject({ code: 'BULK_RETRIES_EXHAUSTED', message: expect.stringMatching(/^2 documents of idx/) });
      expect(stub.received).toEqual([hits.map((h) => h.id), ['hot1', 'hot2'], ['hot1', 'hot2'], ['hot1', 'hot2']]);
      expect(stub.accepted.sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
      expect(failedIds(failedFile)).toEqual([]);
    });
  });

  it('rides out a dropped connection and a 429 within its limit: every document written once or reported failed once', async () => {
    const stub = await stubCluster((n) => (n === 1 ? 'reset' : n === 2 ? 'storm' : { items: (id) => (id.startsWith('bad') ? 400 : 201) }));
    await withWriter(stub, async (writer, failedFile) => {
      expect(await writer.write('idx', hits)).toEqual({ written: 8, failed: 2 });
      expect(stub.received).toHaveLength(3);
      expect(stub.accepted.sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'hot1', 'hot2']);
      expect(failedIds(failedFile)).toEqual(['bad1', 'bad2']);
    });
  });
});
