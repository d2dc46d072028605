import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ClusterClient } from '../../runtime/src/core/cluster-client';
import { createKafka } from '../../runtime/src/core/kafka-client';
import { LOCAL_SCRAM_USER } from '../../runtime/src/local/servers';
import { stackEndpoints, uniqueName } from '../support/env';

const env = stackEndpoints();

describe('local Kafka', () => {
  it('creates a topic, produces and consumes 1,000 messages in order per key', async () => {
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'foundation-test' });
    const topic = uniqueName('foundation');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    const sent = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 10}`, value: `message-${i}` }));
    for (let i = 0; i < sent.length; i += 100) await producer.send({ topic, messages: sent.slice(i, i + 100) });

    const consumer = kafka.consumer({ groupId: uniqueName('foundation-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string }[] = [];
    await new Promise<void>((resolve) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: message.key!.toString(), value: message.value!.toString() });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();

    expect(received).toHaveLength(1000);
    for (let k = 0; k < 10; k++) {
      const key = `k${k}`;
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
    }
  });

  it('authenticates with SCRAM-SHA-512 on the SASL listener, and refuses a wrong password', async () => {
    const brokers = env.kafkaScramBrokers!;
    const good = createKafka({ brokers, clientId: 'scram-test', auth: { type: 'scram-sha-512', ...LOCAL_SCRAM_USER }, tls: false }).admin();
    await good.connect();
    expect(Array.isArray(await good.listTopics())).toBe(true);
    await good.disconnect();
    const bad = createKafka({ brokers, clientId: 'scram-test', auth: { type: 'scram-sha-512', username: LOCAL_SCRAM_USER.username, password: 'wrong' }, tls: false }).admin();
    await expect(bad.connect()).rejects.toThrow(/SASL|authentication/i);
  });
});

describe.each([
  ['Elasticsearch 7.10 (source)', env.sourceUrl, { flavor: 'ES', major: 7, minor: 10 }],
  ['OpenSearch 2.19 (target)', env.targetUrl, { flavor: 'OS', major: 2, minor: 19 }],
])('%s', (_name, endpoint, expected) => {
  const client = new ClusterClient({ endpoint });
  afterAll(() => client.close());

  it('reports its version', async () => {
    expect(await client.detectVersion()).toMatchObject(expected);
  });

  it('indexes and searches documents', async () => {
    const index = uniqueName('foundation');
    const lines = Array.from({ length: 50 }, (_, i) => `{"index":{"_index":"${index}","_id":"${i}"}}\n{"n":${i},"title":"doc ${i % 2 ? 'odd' : 'even'}"}\n`).join('');
    const bulk = await client.json('POST', '/_bulk?refresh=true', lines, { 'content-type': 'application/x-ndjson' });
    expect(bulk.errors).toBe(false);
    const found = await client.json('POST', `/${index}/_search`, { query: { match: { title: 'odd' } }, size: 0, track_total_hits: true });
    expect(found.hits.total.value).toBe(25);
    const doc = await client.json('GET', `/${index}/_doc/7`);
    expect(doc._source).toEqual({ n: 7, title: 'doc odd' });
    await client.json('DELETE', `/${index}`);
  });
});

describe('cluster client', () => {
  it('retries 429 and 503 with backoff, then returns the answer', async () => {
    let calls = 0;
    const server = http.createServer((req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '0' }).end('{}');
      else if (calls === 2) res.writeHead(503).end('{}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new ClusterClient({ endpoint: `http://127.0.0.1:${(server.address() as any).port}`, retryBaseDelayMs: 5 });
    try {
      expect(await client.json('GET', '/')).toEqual({ ok: true });
      expect(calls).toBe(3);
      calls = 0;
      const once = await client.request({ method: 'POST', path: '/x', retry: false });
      expect(once.statusCode).toBe(429);
      expect(calls).toBe(1);
    } finally {
      await client.close();
      server.close();
    }
  });

  it('verifies TLS certificates unless allow-insecure is set', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`], { stdio: 'ignore' });
    const server = https.createServer({ key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) }, (_req, res) => res.end('{"version":{"number":"2.19.1","distribution":"opensearch"}}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `https://127.0.0.1:${(server.address() as any).port}`;
    const strict = new ClusterClient({ endpoint, maxRetries: 0 });
    const lax = new ClusterClient({ endpoint, allowInsecure: true });
    try {
      await expect(strict.detectVersion()).rejects.toThrow(/certificate/i);
      expect(await lax.detectVersion()).toMatchObject({ flavor: 'OS', major: 2 });
    } finally {
      await strict.close();
      await lax.close();
      server.close();
    }
  });

  it('says clearly when a cluster is unreachable', async () => {
    const client = new ClusterClient({ endpoint: 'http://127.0.0.1:1', maxRetries: 1, retryBaseDelayMs: 1 });
    await expect(client.detectVersion()).rejects.toThrow(/GET http:\/\/127.0.0.1:1\/ failed: ECONNREFUSED/);
    await client.close();
  });

  it('takes its version from config for OpenSearch Serverless, without GET /', async () => {
    const client = new ClusterClient({ endpoint: 'https://127.0.0.1:1', version: 'AOSS' });
    expect((await client.detectVersion()).flavor).toBe('AOSS');
    await client.close();
  });
});
