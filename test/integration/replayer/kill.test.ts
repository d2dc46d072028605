import { encodeConnection, interleave, toKafkaMessages } from '../../support/capture-encoder';
import { kafkaReplayFixture, committedOffsets, createTopic, endOffsets, readTuples, startReplayer, waitFor } from './support';
import { putWorkload } from './synthetic';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('traffic replayer under kill -9', () => {
  const { index, topic, groupId, tupleDir, kafka, target, forwarder, kafkaBrokers } = kafkaReplayFixture('replay-kill');

  it('replays every request at least once when killed 5 times and restarted', async () => {
    const connections = putWorkload(index, 4, 50, 15_000);
    const records = interleave(connections.map((c) => encodeConnection(c, { maxRecordBytes: 600 })));
    await createTopic(kafka, topic, 2, toKafkaMessages(records));
    const ends = await endOffsets(kafka, topic);
    const args = ['--target-uri', forwarder.url, '--kafka-traffic-brokers', kafkaBrokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', groupId, '--tuple-dir', tupleDir, '--kafka-session-timeout-seconds', '6'];

    for (let kill = 0; kill < 5; kill++) {
      const seen = forwarder.log.length;
      const run = startReplayer(args);
      // Kill while it is replaying: after it has sent something, at a random moment.
      await waitFor('the replayer to send requests', () => (forwarder.log.length > seen ? true : undefined), 60_000, 50);
      await sleep(200 + Math.random() * 1500);
      run.child.kill('SIGKILL');
      await run.exited;
    }
    expect(forwarder.log.length).toBeLessThan(200);

    const last = startReplayer(args);
    await waitFor('every offset committed', async () => {
      const committed = await committedOffsets(kafka, groupId, topic);
      return committed.every((o, i) => o === ends[i] || ends[i] === 0) || undefined;
    }, 90_000, 500).finally(() => last.child.kill('SIGTERM'));
    expect(await last.exited).toBe(0);

    const sent = new Set(forwarder.log.map((r) => r.url));
    const expected = connections.flatMap((c) => c.exchanges.map((_, i) => `/${index}/_doc/${c.connectionId.slice(4)}-${i}`));
    expect(expected.filter((url) => !sent.has(url))).toEqual([]);
    await target.json('POST', `/${index}/_refresh`);
    expect((await target.json('GET', `/${index}/_count`)).count).toBe(200);
    // Tuples too: at least one per request, whatever was replayed twice.
    expect(new Set(readTuples(tupleDir).map((t) => t.connectionId)).size).toBe(200);
  });
});
