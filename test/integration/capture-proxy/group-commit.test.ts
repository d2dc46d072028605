import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { stackEndpoints, uniqueName } from '../../support/env';
import { byConnection, closedConnections, rawExchange, readTopic, startProxy, statusOf } from './support';

const { sourceUrl, kafkaBrokers } = stackEndpoints();
const source = new URL(sourceUrl);
const topic = uniqueName('capture-group-commit');
const index = uniqueName('capture-group-commit-idx');
let proxy: RunningProxy;

beforeAll(async () => {
  proxy = await startProxy(['--destinationUri', sourceUrl, '--kafkaConnection', kafkaBrokers, '--kafkaTopic', topic, '--journalDirectory', mkdtempSync(path.join(os.tmpdir(), 'cp-journal-'))]);
});

afterAll(async () => {
  await proxy?.stop();
  await fetch(`${sourceUrl}/${index}`, { method: 'DELETE' });
});

function put(id: string, n: number): Buffer {
  const body = JSON.stringify({ n });
  return Buffer.from(`PUT /${index}/_doc/${id}?refresh=wait_for HTTP/1.1\r\nHost: ${source.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}

describe('capture proxy group commit', () => {
  it('acknowledges many connections\' mutating requests with fewer produce requests than records, keeping each connection\'s order', async () => {
    const connections = 24;
    const perConnection = 5;
    const producesBefore = proxy.stats.kafkaProduces;
    const recordsBefore = proxy.stats.recordsAcked;
    // Pipelined on each connection: the capture has to show each connection's writes in the order sent.
    const answers = await Promise.all(
      Array.from({ length: connections }, (_, c) => rawExchange(proxy.port, Array.from({ length: perConnection }, (_, i) => put(`doc-${c}-${i}`, i)), perConnection, { delayMs: 1 })),
    );
    for (const a of answers) expect(statusOf(a)).toBeLessThan(300);
    expect(proxy.stats.mutatingHeld).toBeGreaterThanOrEqual(connections * perConnection);
    expect(proxy.stats.mutatingForwardedWithoutAck).toBe(0);
    const produces = proxy.stats.kafkaProduces - producesBefore;
    const records = proxy.stats.recordsAcked - recordsBefore;
    // Each held request needed its own record acknowledged; records ready together shared a produce.
    expect(records).toBeGreaterThanOrEqual(connections * perConnection);
    expect(produces).toBeLessThan(records);

    const streams = await readTopic(kafkaBrokers, topic, (s) => closedConnections(s) >= connections);
    const captured = byConnection(streams); // also checks chunk numbers 1..n in order per connection
    expect(captured.size).toBe(connections);
    for (const c of captured.values()) {
      const ns = [...c.reads.toString('latin1').matchAll(/\{"n":(\d+)\}/g)].map((m) => Number(m[1]));
      expect(ns).toEqual([0, 1, 2, 3, 4]);
      expect(c.requests).toBe(perConnection);
    }
    const count = (await (await fetch(`${sourceUrl}/${index}/_count`)).json()) as { count: number };
    expect(count.count).toBe(connections * perConnection);
  });
});
