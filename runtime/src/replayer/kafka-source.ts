import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../core/logging';
import { decodeTrafficStream } from '../core/traffic-stream';
import type { ReplayerMetrics } from './metrics';
import { PartitionOffsets } from './offset-tracker';
import type { TrafficReplayer } from './replayer';

export interface KafkaSourceOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  replayer: TrafficReplayer;
  metrics: ReplayerMetrics;
  logger: Logger;
  /** A member silent this long leaves the group (a killed replayer's partitions move on after it). @default 30000 */
  sessionTimeoutMs?: number;
  /** How often finished offsets are committed. @default 1000 */
  commitIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Reads the capture topic as a member of the consumer group. Offsets are committed by hand, up to
 * the first record that still has a request without a durable tuple (at least once); a rebalance
 * drops every partition's bookkeeping, since kafkajs then reads again from the committed offsets.
 */
export class KafkaSource {
  private readonly consumer: Consumer;
  private trackers = new Map<string, PartitionOffsets>();
  private stopping = false;
  private commitTimer?: NodeJS.Timeout;
  private committing: Promise<void> = Promise.resolve();
  private joinedOnce = false;

  constructor(private readonly opts: KafkaSourceOptions) {
    const sessionTimeout = opts.sessionTimeoutMs ?? 30_000;
    this.consumer = opts.kafka.consumer({ groupId: opts.groupId, sessionTimeout, heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)), allowAutoTopicCreation: false });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      if (this.joinedOnce) {
        opts.logger.warn({ memberAssignment: e.payload.memberAssignment }, 'consumer group rebalanced: unfinished work will be read again from the committed offsets');
        for (const t of this.trackers.values()) t.revoked = true;
        this.trackers = new Map();
        opts.replayer.endAllConnections(true);
      }
      this.joinedOnce = true;
    });
  }

  async start(): Promise<void> {
    const { replayer, metrics } = this.opts;
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const key = `${batch.topic}:${batch.partition}`;
        let tracker = this.trackers.get(key);
        if (!tracker) {
          tracker = new PartitionOffsets();
          this.trackers.set(key, tracker);
        }
        let sliceStart = performance.now();
        for (let i = 0; i < batch.messages.length; i++) {
          const message = batch.messages[i];
          // As in file-source: a batch is decoded in slices, so that the target connections'
          // answers (and their next requests) are not held behind a whole fetch of records.
          if ((i & 15) === 0 && performance.now() - sliceStart > 2) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            sliceStart = performance.now();
          }
          while (!replayer.hasRoom() && !this.stopping && isRunning() && !isStale()) {
            // The look-ahead window is full: wait, but stay in the group.
            replayer.expireIdle(true);
            await Promise.race([replayer.waitForRoom(), sleep(1000)]);
            await heartbeat();
          }
          if (this.stopping || !isRunning() || isStale() || tracker.revoked) return;
          const ref = tracker.add(Number(message.offset));
          try {
            if (!message.value) throw new Error('empty record value');
            replayer.addRecord(decodeTrafficStream(message.value), ref);
          } catch (err) {
            replayer.addMalformed(err, `${key}@${message.offset}`);
          }
          ref.release();
          resolveOffset(message.offset);
          metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(batch.highWatermark) - Number(message.offset) - 1));
        }
        await heartbeat();
      },
    });
    this.commitTimer = setInterval(() => void this.commit(), this.opts.commitIntervalMs ?? 1000);
  }

  /** Commits, per partition, every offset whose records are fully replayed. */
  commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      const marks: [PartitionOffsets, number][] = [];
      for (const [key, tracker] of this.trackers) {
        const next = tracker.commitOffset();
        if (next === undefined || tracker.revoked) continue;
        const sep = key.lastIndexOf(':');
        offsets.push({ topic: key.slice(0, sep), partition: Number(key.slice(sep + 1)), offset: String(next) });
        marks.push([tracker, next]);
      }
      if (!offsets.length) return;
      try {
        await this.consumer.commitOffsets(offsets);
        for (const [tracker, next] of marks) tracker.markCommitted(next);
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'offset commit failed; it is retried with the next commit');
      }
    });
    return this.committing;
  }

  /**
   * Graceful stop (SIGTERM): read no more, give in-flight requests up to graceMs to finish, commit
   * what is finished, leave the group. Unfinished work stays uncommitted and is read again.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.consumer.pause([{ topic: this.opts.topic }]);
    await this.opts.replayer.drain(graceMs);
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.commit();
    await this.consumer.disconnect();
  }
}
