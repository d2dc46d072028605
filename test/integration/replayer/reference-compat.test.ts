import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { encodeTrafficStreamLine, TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { CapturedConnection, encodeConnection, interleave, toKafkaMessages } from '../../support/capture-encoder';
import { stackEndpoints, uniqueName } from '../../support/env';
import { assertBuilt, createTopic, deleteTopic, httpRequest, readTuples, startReplayer } from './support';
import { createKafka } from '../../../runtime/src/core/kafka-client';

/*
 * A user of the reference switching to ours: its transformer configs, its command lines, its
 * capture exports and its inspection modes work unchanged, against the real target.
 */

const { targetUrl, kafkaBrokers } = stackEndpoints();
const target = new ClusterClient({ endpoint: targetUrl });
const dir = mkdtempSync(join(tmpdir(), 'reference-compat-'));
const OK = (body = '{"result":"created"}') => Buffer.from(`HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

let t = Date.now();
function connection(id: string, requests: Buffer[]): CapturedConnection {
  return { connectionId: id, exchanges: requests.map((request) => ({ request, response: OK(), requestTs: (t += 5), responseTs: (t += 2) })) };
}

function captureFile(name: string, conns: CapturedConnection[], form: (r: TrafficStream) => string = encodeTrafficStreamLine, gzip = false): string {
  const lines = interleave(conns.map((c) => encodeConnection(c))).map(form).join('\n') + '\n';
  const file = join(dir, name);
  writeFileSync(file, gzip ? gzipSync(lines) : lines);
  return file;
}

async function replay(args: string[]): Promise<{ code: number | null; summary: any; stderr: string }> {
  const p = startReplayer([...args, '--tuple-dir', join(dir, uniqueName('tuples'))]);
  const code = await p.exited;
  const last = p.stdout().trim().split('\n').pop() ?? '';
  let summary: unknown;
  try {
    summary = JSON.parse(last);
  } catch {
    summary = undefined;
  }
  return { code, summary, stderr: p.stderr() };
}

async function docs(index: string): Promise<Record<string, unknown>> {
  await target.request({ method: 'POST', path: `/${index}/_refresh` });
  const res = await target.request({ method: 'GET', path: `/${index}/_search?size=100` });
  if (res.statusCode !== 200) return {};
  return Object.fromEntries(JSON.parse(res.body.toString()).hits.hits.map((h: any) => [h._id, h._source]));
}

const created: string[] = [];
beforeAll(() => assertBuilt());
afterAll(async () => {
  for (const index of created) await target.request({ method: 'DELETE', path: `/${index}` });
  await target.close();
});

describe('the reference\'s transformers on the real target', () => {
  it('routes each type of a multi-type ES 6 index to the index staticMappings names, and sends nothing for an unmapped type', async () => {
    const [activity, users, posts, mixed, merged] = ['activity', 'users', 'posts', 'mixed', 'merged'].map((n) => uniqueName(n));
    created.push(users, posts, merged, activity, mixed);
    const bulk = [
      { index: { _index: activity, _type: 'user', _id: 'u2' } }, { name: 'second user' },
      { index: { _index: activity, _type: 'comment', _id: 'c2' } }, { text: 'no index for comments' },
      { index: { _index: activity, _type: 'post', _id: 'p2' } }, { content: 'second post' },
    ].map((l) => JSON.stringify(l)).join('\n') + '\n';
    const file = captureFile('multi-type.log', [
      connection('es6-client', [
        httpRequest('PUT', `/${mixed}`, JSON.stringify({ settings: { number_of_shards: 1 }, mappings: { a: { properties: { x: { type: 'keyword' } } }, b: { properties: { y: { type: 'long' } } } } })),
        httpRequest('PUT', `/${activity}/user/u1`, JSON.stringify({ name: 'first user' })),
        httpRequest('PUT', `/${activity}/post/p1`, JSON.stringify({ content: 'first post' })),
        httpRequest('PUT', `/${activity}/comment/c1`, JSON.stringify({ text: 'dropped' })),
        httpRequest('POST', '/_bulk', bulk, { 'Content-Type': 'application/x-ndjson' }),
        httpRequest('PUT', `/${mixed}/b/m1`, JSON.stringify({ y: 7 })),
      ]),
    ]);
    const config = join(dir, 'type-mappings.json');
    writeFileSync(config, JSON.stringify([{ TypeMappingSanitizationTransformerProvider: { staticMappings: { [activity]: { user: users, post: posts }, [mixed]: { a: merged, b: merged } }, sourceProperties: { version: { major: 6, minor: 8 } } } }]));
    const run = await replay(['--target-uri', targetUrl, '-i', file, '--speedup-factor', '50', '--transformer-config-file', config]);
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({ requests: 6, droppedByTransform: 1, bulkItemsDroppedByTransform: 1, transformErrors: 0 });
    expect(await docs(users)).toEqual({ u1: { name: 'first user' }, u2: { name: 'second user' } });
    expect(await docs(posts)).toEqual({ p1: { content: 'first post' }, p2: { content: 'second post' } });
    expect(await docs(merged)).toEqual({ m1: { y: 7 } });
    const mapping = await target.json('GET', `/${merged}/_mapping`);
    expect(mapping[merged].mappings.properties).toEqual({ x: { type: 'keyword' }, y: { type: 'long' } });
    // Nothing went to the source index names, where the reference would not send either.
    expect((await target.request({ method: 'GET', path: `/${activity}` })).statusCode).toBe(404);
  });

  it('runs a reference-style JavaScript transform (main(bindings) over its message format) on the wire', async () => {
    const [from, to] = [uniqueName('legacy'), uniqueName('renamed')];
    created.push(to);
    const script = join(dir, 'rename.js');
    writeFileSync(
      script,
      `function main(bindings) {
         return (msg) => {
           msg.URI = msg.URI.replace(bindings.from, bindings.to);
           if (msg.payload && msg.payload.inlinedJsonBody) msg.payload.inlinedJsonBody.migratedBy = bindings.tag;
           return msg;
         };
       }
       (() => main)()`,
    );
    const config = [{ JsonJSTransformerProvider: { initializationScriptFile: script, bindingsObject: JSON.stringify({ from, to, tag: 'reference-js' }) } }];
    const file = captureFile('js.log', [connection('js-client', [httpRequest('PUT', `/${from}/_doc/1?refresh=true`, '{"a":1}')])]);
    // The reference's command-line form: the target as an argument, camelCase flags, the config base64-encoded.
    const run = await replay([targetUrl, '-i', file, '--speedupFactor', '50', '--transformerConfigEncoded', Buffer.from(JSON.stringify(config)).toString('base64')]);
    expect(run.code).toBe(0);
    expect(await docs(to)).toEqual({ 1: { a: 1, migratedBy: 'reference-js' } });
  });
});

describe('-i with the reference\'s topic exports', () => {
  it('replays a gzipped key|base64 export', async () => {
    const index = uniqueName('export');
    created.push(index);
    const conns = [connection('c1', [httpRequest('PUT', `/${index}/_doc/1`, '{"n":1}'), httpRequest('PUT', `/${index}/_doc/2`, '{"n":2}')]), connection('c2', [httpRequest('PUT', `/${index}/_doc/3`, '{"n":3}')])];
    const file = captureFile('export.gz', conns, (r) => `${r.connectionId}|${encodeTrafficStreamLine(r)}`, true);
    const run = await replay(['--target-uri', targetUrl, '-i', file, '--speedup-factor', '50']);
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({ requests: 3, malformedRecords: 0 });
    expect(Object.keys(await docs(index)).sort()).toEqual(['1', '2', '3']);
  });

  it('exits non-zero when no record of the input decodes', async () => {
    const file = join(dir, 'not-a-capture.txt');
    writeFileSync(file, 'this is a log file\nkey|not base64 at all!\n{"json": true}\n');
    const run = await replay(['--target-uri', targetUrl, '-i', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('none of the 3 records');
  });
});

/** A target that records what it receives and answers as each test wants. */
async function fakeTarget(answer: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      answer(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen, close };
}

describe('the reference\'s replayer flags, honoured', () => {
  it('--auth-header-value replaces the Authorization header; --target-response-timeout bounds the wait for an answer', async () => {
    const t2 = await fakeTarget((req, _b, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('{}'), 3000);
      else res.end('{}');
    });
    try {
      const file = captureFile('auth.log', [connection('a', [httpRequest('GET', '/fast', undefined, { Authorization: 'Basic c291cmNl' }), httpRequest('GET', '/slow')])]);
      const tupleDir = join(dir, uniqueName('auth-tuples'));
      const p = startReplayer(['--target-uri', t2.url, '-i', file, '--speedup-factor', '50', '--auth-header-value', 'Bearer replayer-token', '--target-response-timeout', '1', '--target-down-retry-seconds', '0', '--tuple-dir', tupleDir]);
      expect(await p.exited).toBe(0);
      expect(t2.seen.find((s) => s.url === '/fast')!.headers.authorization).toBe('Bearer replayer-token');
      const slow = readTuples(tupleDir).find((tp) => tp.targetRequest?.['Request-URI'] === '/slow')!;
      expect(String(slow.targetResponses[0].error)).toMatch(/timeout|timed out/i);
    } finally {
      await t2.close();
    }
  });

  it('--non-retryable-doc-exception-types: the listed item errors are not retried, the others are', async () => {
    const t2 = await fakeTarget((_req, body, res) => {
      const items = body.trim().split('\n').filter((_, i) => i % 2 === 0).map((line) => {
        const id = JSON.parse(line).index._id;
        return { index: { _id: id, status: 400, error: { type: id === 'bad-mapping' ? 'mapper_parsing_exception' : 'illegal_argument_exception' } } };
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ errors: true, items }));
    });
    try {
      const bulk = '{"index":{"_index":"i","_id":"bad-mapping"}}\n{"a":1}\n{"index":{"_index":"i","_id":"bad-argument"}}\n{"a":2}\n';
      const file = captureFile('bulk.log', [connection('b', [httpRequest('POST', '/_bulk', bulk, { 'Content-Type': 'application/x-ndjson' })])]);
      const p = startReplayer(['--target-uri', t2.url, '-i', file, '--speedup-factor', '50', '--max-retries', '1', '--non-retryable-doc-exception-types', 'mapper_parsing_exception', '--tuple-dir', join(dir, uniqueName('bulk-tuples'))]);
      expect(await p.exited).toBe(0);
      expect(t2.seen.map((s) => s.body.includes('bad-mapping'))).toEqual([true, false]);
      expect(t2.seen[1].body).toContain('bad-argument');
    } finally {
      await t2.close();
    }
  });

  it('--quiescent-period-ms holds back the first request of a connection the input joined mid-way', async () => {
    const t2 = await fakeTarget((_req, _b, res) => res.end('{}'));
    try {
      const resumed = encodeConnection(connection('resumed', [httpRequest('GET', '/resumed')]));
      // Its first record says three requests came before it: another replayer had them.
      resumed[0].priorRequestsReceived = 3;
      t += 300;
      const fresh = encodeConnection(connection('fresh', [httpRequest('GET', '/fresh')]));
      const file = join(dir, 'quiescent.log');
      writeFileSync(file, [...resumed, ...fresh].map(encodeTrafficStreamLine).join('\n') + '\n');
      const p = startReplayer(['--target-uri', t2.url, '-i', file, '--quiescent-period-ms', '3000', '--tuple-dir', join(dir, uniqueName('q-tuples'))]);
      expect(await p.exited).toBe(0);
      // Captured 300 ms apart, resumed first; sent fresh first.
      expect(t2.seen.map((s) => s.url)).toEqual(['/fresh', '/resumed']);
    } finally {
      await t2.close();
    }
  });
});

describe('--mode dump-raw, dump-http, dump-both', () => {
  const kafka = createKafka({ brokers: kafkaBrokers, clientId: 'dump-test' });
  const topic = uniqueName('dump-topic');
  afterAll(() => deleteTopic(kafka, topic));

  it('prints a topic\'s records and its requests with their responses, between offsets and times, without replaying', async () => {
    const conns = [connection('d1', [httpRequest('GET', '/one'), httpRequest('PUT', '/i/_doc/2', '{"two":2}')]), connection('d2', [httpRequest('GET', '/three')])];
    const records = interleave(conns.map((c) => encodeConnection(c, { maxObservationsPerRecord: 2 })));
    await createTopic(kafka, topic, 1, toKafkaMessages(records));
    const dump = async (...args: string[]) => {
      const p = startReplayer(['--kafka-traffic-brokers', kafkaBrokers, '--kafka-traffic-topic', topic, ...args]);
      if ((await p.exited) !== 0) throw new Error(`dump ${args.join(' ')} failed: ${p.stderr()}`);
      return p.stdout().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    };
    const raw = await dump('--mode', 'dump-raw', '--start-offset', '1', '--end-offset', '2', '--preview-bytes-read', '8');
    expect(raw.map((r) => [r.type, r.partition, r.offset])).toEqual([['record', 0, 1], ['record', 0, 2]]);
    expect(raw.flatMap((r) => r.observations).find((o: any) => o.kind === 'read')).toMatchObject({ preview: expect.any(String) });
    expect(raw.flatMap((r) => r.observations).every((o: any) => o.preview === undefined || o.preview.length <= 8 || o.kind.startsWith('write'))).toBe(true);

    const httpLines = await dump('--mode', 'dump-http');
    expect(httpLines.map((h) => [h.type, h.request.method, h.request.uri, h.response?.statusCode])).toEqual(
      expect.arrayContaining([['http', 'GET', '/one', 201], ['http', 'PUT', '/i/_doc/2', 201], ['http', 'GET', '/three', 201]]),
    );
    expect(httpLines).toHaveLength(3);
    expect(httpLines.find((h) => h.request.uri === '/i/_doc/2').request.body).toBe('{"two":2}');

    const both = await dump('--mode', 'dump-both');
    expect(new Set(both.map((l) => l.type))).toEqual(new Set(['record', 'http']));
    expect(both.filter((l) => l.type === 'record')).toHaveLength(records.length);

    const future = String(Math.floor(Date.now() / 1000) + 3600);
    expect(await dump('--mode', 'dump-raw', '--start-time', future)).toEqual([]);
    const past = String(Math.floor(Date.now() / 1000) - 3600);
    expect(await dump('--mode', 'dump-raw', '--end-time', past)).toEqual([]);
  });
});
