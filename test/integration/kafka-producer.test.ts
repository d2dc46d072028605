import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Kafka } from 'kafkajs';
import { createKafka, createLeanProducer } from '../../runtime/src/core/kafka-client';
import { BrokerConnection } from '../../runtime/src/core/kafka-producer/broker-connection';
import { LOCAL_SCRAM_USER } from '../../runtime/src/local/servers';
import { stackEndpoints, uniqueName } from '../support/env';

const env = stackEndpoints();

/** Every record of the topic as kafkajs's consumer decodes it, with its partition. */
async function consumeAll(kafka: Kafka, topic: string, count: number): Promise<Array<{ partition: number; key: string; value: Buffer }>> {
  const consumer = kafka.consumer({ groupId: uniqueName('lean-check') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: Array<{ partition: number; key: string; value: Buffer }> = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, key: message.key!.toString(), value: message.value! });
        if (received.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return received;
}

describe('lean Kafka producer', () => {
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'lean-producer-test' });

  it('writes records that kafkajs reads back byte for byte, on the partitions kafkajs would pick, in order per key', async () => {
    const topic = uniqueName('lean');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = createLeanProducer({ brokers: env.kafkaBrokers, clientId: 'lean-producer-test' });
    await producer.connect();
    // Sizes across the varint boundaries, an empty value and a 1 MiB one.
    const sizes = [0, 1, 63, 64, 127, 128, 8191, 8192, 16384, 1 << 20];
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `connection-${i % 7}`, value: randomBytes(sizes[i % sizes.length]) }));
    for (let i = 0; i < sent.length; i += 37) await producer.send(topic, sent.slice(i, i + 37).map((m) => ({ key: Buffer.from(m.key), value: m.value })));
    await producer.disconnect();

    const kafkajsProducer = kafka.producer();
    await kafkajsProducer.connect();
    await kafkajsProducer.send({ topic, messages: Array.from({ length: 7 }, (_, k) => ({ key: `connection-${k}`, value: 'kafkajs' })) });
    await kafkajsProducer.disconnect();

    const received = await consumeAll(kafka, topic, sent.length + 7);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    for (let k = 0; k < 7; k++) {
      const key = `connection-${k}`;
      const mine = received.filter((m) => m.key === key);
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
      expect(mine.map((m) => m.value.toString('base64'))).toEqual([...sent.filter((m) => m.key === key).map((m) => m.value.toString('base64')), Buffer.from('kafkajs').toString('base64')]);
    }
  });

  it('is idempotent: a sealed batch sent again, also by a new producer, is in the topic once', async () => {
    const topic = uniqueName('lean-idem');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = createLeanProducer({ brokers: env.kafkaBrokers, clientId: 'lean-idem' });
    const rec = (n: number) => ({ key: Buffer.from(`conn-${n % 3}`), value: Buffer.from(`record-${n}`) });
    const first = await producer.seal(topic, [0, 1, 2, 3].map(rec));
    const second = await producer.seal(topic, [4, 5, 6].map(rec));
    expect(first.every((b) => b.producerId >= 0 && b.baseSequence === 0)).toBe(true);
    await producer.sendSealed(topic, first);
    // The answer was lost: the same batches go again, then the next ones.
    await producer.sendSealed(topic, first);
    await producer.sendSealed(topic, second);
    await producer.disconnect();
    // A restarted proxy sends what its journal kept, sealed as it was.
    const restarted = createLeanProducer({ brokers: env.kafkaBrokers, clientId: 'lean-idem' });
    await restarted.sendSealed(topic, second);
    await restarted.send(topic, [rec(7)]);
    await restarted.disconnect();
    const received = await consumeAll(kafka, topic, 8);
    await new Promise((r) => setTimeout(r, 1000));
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    expect(received.map((m) => m.value.toString()).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => `record-${n}`));
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(8);
  });

  it('creates a missing topic on first send', async () => {
    const topic = uniqueName('lean-auto');
    const producer = createLeanProducer({ brokers: env.kafkaBrokers, clientId: 'lean-producer-test' });
    await producer.send(topic, [{ key: Buffer.from('k'), value: Buffer.from('first') }]);
    await producer.disconnect();
    const received = await consumeAll(kafka, topic, 1);
    expect(received.map((m) => m.value.toString())).toEqual(['first']);
  });

  it('authenticates with SCRAM-SHA-512, and says so when the password is wrong', async () => {
    const brokers = env.kafkaScramBrokers!;
    const topic = uniqueName('lean-scram');
    const good = createLeanProducer({ brokers, clientId: 'lean-scram', auth: { type: 'scram-sha-512', ...LOCAL_SCRAM_USER }, tls: false });
    await good.send(topic, [{ key: Buffer.from('k'), value: Buffer.from('over SCRAM') }]);
    await good.disconnect();
    expect((await consumeAll(kafka, topic, 1)).map((m) => m.value.toString())).toEqual(['over SCRAM']);
    const bad = createLeanProducer({ brokers, clientId: 'lean-scram', auth: { type: 'scram-sha-512', username: LOCAL_SCRAM_USER.username, password: 'wrong' }, tls: false });
    await expect(bad.connect()).rejects.toThrow(/SCRAM-SHA-512 authentication failed/);
    await bad.disconnect();
  });

  it('fails fast with the broker named when nothing listens', async () => {
    const producer = createLeanProducer({ brokers: '127.0.0.1:1', clientId: 'lean-down', connectionTimeoutMs: 1000 });
    await expect(producer.send('any', [{ key: null, value: Buffer.from('x') }])).rejects.toThrow(/127\.0\.0\.1:1: ECONNREFUSED/);
    await producer.disconnect();
  });

  it('does not keep a connection that was closed while it was being opened', async () => {
    // A listener that accepts and never answers: only the client can end the connection.
    const closed: Promise<void>[] = [];
    const server = net.createServer((socket) => closed.push(new Promise((resolve) => socket.once('close', () => resolve()))));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    const conn = new BrokerConnection('127.0.0.1', port, { clientId: 'race', tls: false, connectionTimeoutMs: 2000, requestTimeoutMs: 30_000 });
    const pending = conn.request(3, 7, (w) => w.int32(0).int8(0));
    conn.close();
    await expect(pending).rejects.toThrow(/closed while it was being opened/);
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toHaveLength(1);
    await closed[0];
    server.close();
  });
});
