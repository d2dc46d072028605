import { encodeConnection, interleave, toKafkaMessages } from '../../support/capture-encoder';
import { kafkaReplayFixture, committedOffsets, createTopic, startReplayer, waitFor } from './support';
import { putWorkload } from './synthetic';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('traffic replayer with malformed records and a target that is down for 30 s', () => {
  const { index, topic, groupId, tupleDir, kafka, forwarder, kafkaBrokers } = kafkaReplayFixture('replay-down');

  it('neither crashes nor commits past a request the target has not received', async () => {
    const connections = putWorkload(index, 2, 40, 8_000);
    const messages = toKafkaMessages(interleave(connections.map((c) => encodeConnection(c))));
    // What each offset carries: the paths of the requests whose bytes are in it.
    const paths: string[][] = messages.map((m) => [...m.value.toString('latin1').matchAll(/PUT (\S+) HTTP/g)].map((x) => x[1]));
    const garbage = [
      { key: 'bad-1', value: Buffer.from('this is not a TrafficStream') },
      { key: 'bad-2', value: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]) },
      { key: 'bad-3', value: Buffer.from([0x0a, 0x90]) },
    ];
    for (const [at, g] of [[5, garbage[0]], [20, garbage[1]], [40, garbage[2]]] as const) {
      messages.splice(at, 0, g);
      paths.splice(at, 0, []);
    }
    await createTopic(kafka, topic, 1, messages);

    const run = startReplayer(['--target-uri', forwarder.url, '--kafka-traffic-brokers', kafkaBrokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', groupId, '--tuple-dir', tupleDir, '--target-down-retry-seconds', '300']);
    const committedIsReplayed = async () => {
      const [committed] = await committedOffsets(kafka, groupId, topic);
      const received = new Set(forwarder.log.map((r) => r.url));
      const missing = paths.slice(0, Math.max(0, committed)).flat().filter((p) => !received.has(p));
      expect(missing).toEqual([]);
      return committed;
    };
    try {
      await waitFor('some requests replayed', () => (forwarder.log.length >= 10 ? true : undefined), 60_000, 50);
      await forwarder.stop();
      const downAt = Date.now();
      while (Date.now() - downAt < 30_000) {
        await sleep(3_000);
        await committedIsReplayed();
      }
      expect(run.child.exitCode).toBeNull();
      const committedWhileDown = await committedIsReplayed();
      expect(committedWhileDown).toBeLessThan(messages.length);
      await forwarder.start(forwarder.port);
      await waitFor('every offset committed', async () => ((await committedIsReplayed()) === messages.length ? true : undefined), 90_000, 500);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    const summary = JSON.parse(run.stdout().trim().split('\n').pop()!);
    expect(summary.malformedRecords).toBe(3);
    expect(summary.retries).toBeGreaterThan(0);
    const received = new Set(forwarder.log.map((r) => r.url));
    expect(paths.flat().filter((p) => !received.has(p))).toEqual([]);
  });
});
