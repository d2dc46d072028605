import type { Logger } from '../logging';
import { Backoff, sleep } from '../retry';
import { ApiKey, BrokerConnection, ConnectionConfig } from './broker-connection';
import { KafkaProtocolError, PRODUCER_IDENTITY_LOST } from './errors';
import { INIT_PRODUCER_ID, readInitProducerIdResponse, writeInitProducerIdRequest } from './init-producer-id';
import { partitionForKey } from './murmur2';
import { BatchIdentity, NO_IDENTITY, ProducerRecord, recordBatchSize, writeRecordBatch } from './record-batch';
import { Reader, stringSize } from './wire';

export interface LeanProducerOptions extends ConnectionConfig {
  brokers: string[];
  /** Attempts after a retriable failure (leader moved, topic being created, timeouts). */
  retries?: number;
  retryBackoffMs?: number;
  /** Idempotent batches (producer id, epoch, sequence numbers; acks=all). @default true */
  idempotent?: boolean;
  log?: Logger;
}

interface TopicInfo {
  /** Leader node id per partition index (-1: none right now). */
  leaders: number[];
}

/**
 * Records bound for one partition with the idempotence fields they are sent with, every time:
 * a retry of the same sealed batch is one the broker recognises and does not append twice.
 */
export interface SealedBatch extends BatchIdentity {
  partition: number;
  records: ProducerRecord[];
}

// Produce v7 and Metadata v7: the newest non-flexible versions, served by Kafka 2.1 to 4.x and MSK.
const PRODUCE_VERSION = 7;
const METADATA_VERSION = 7;
/** Kafka's sequence numbers wrap to 0 after Integer.MAX_VALUE. */
const SEQUENCE_SPACE = 2 ** 31;

/**
 * A Kafka producer for one job: uncompressed record batches with acks, keyed records on the
 * partition the Java client would choose, idempotent as Kafka defines it (an InitProducerId
 * producer id and epoch, and per-partition sequence numbers in each batch, acks=all), so that
 * resending a batch whose answer was lost cannot write it twice. It encodes each produce request
 * into one buffer with one copy of each value and a table-driven CRC-32C; kafkajs spent ~400 µs
 * of CPU per produce and its growing encoders caused a full GC every 30 ms under capture load.
 */
export class LeanProducer {
  private readonly bootstrap: BrokerConnection[];
  private readonly nodes = new Map<number, BrokerConnection>();
  private readonly topics = new Map<string, TopicInfo>();
  private readonly retries: number;
  private readonly backoffMs: number;
  private identity: Promise<BatchIdentity> | undefined;
  /** Next sequence number per `topic:partition` for the current producer id. */
  private readonly sequences = new Map<string, number>();

  constructor(private readonly opts: LeanProducerOptions) {
    this.bootstrap = opts.brokers.map((b) => {
      const i = b.lastIndexOf(':');
      return new BrokerConnection(b.slice(0, i), Number(b.slice(i + 1)), opts);
    });
    this.retries = opts.retries ?? 2;
    this.backoffMs = opts.retryBackoffMs ?? 100;
  }

  /** Reaches a broker (TLS and SASL included); throws when none answers. */
  async connect(): Promise<void> {
    await this.metadata([]);
  }

  async disconnect(): Promise<void> {
    for (const c of [...this.bootstrap, ...this.nodes.values()]) c.close();
  }

  /**
   * Appends the records to the topic (created on first use when the brokers allow it); resolves
   * when every partition leader has acknowledged them with `acks`. Records of one key keep their
   * order. Retriable failures are retried; anything else, or the last failure, is thrown.
   */
  async send(topic: string, records: ProducerRecord[], acks: -1 | 0 | 1 = -1): Promise<void> {
    await this.sendSealed(topic, await this.seal(topic, records, acks), acks);
  }

  /**
   * Groups records into one batch per partition (in order) and gives each batch its producer id,
   * epoch and base sequence (idempotent only with acks=all). A batch sealed here must be sent,
   * until acknowledged, as it is: the next batch of its partition follows on from its sequence.
   */
  async seal(topic: string, records: ProducerRecord[], acks: -1 | 0 | 1 = -1): Promise<SealedBatch[]> {
    const info = await this.topicInfo(topic, false);
    const id = acks === -1 ? await this.producerIdentity() : NO_IDENTITY;
    const byPartition = new Map<number, ProducerRecord[]>();
    for (const r of records) {
      const p = r.key ? partitionForKey(r.key, info.leaders.length) : 0;
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(r);
    }
    const batches: SealedBatch[] = [];
    for (const [partition, list] of byPartition) batches.push({ partition, records: list, ...this.nextIdentity(id, topic, partition, list.length) });
    return batches;
  }

  /**
   * Sends sealed batches, each exactly as sealed (at most one per partition in a request, in
   * order), until every one is acknowledged. Throws on a failure that retries did not cure; the
   * batches stay sealed and may be sent again.
   */
  async sendSealed(topic: string, batches: SealedBatch[], acks: -1 | 0 | 1 = -1): Promise<void> {
    let rest = batches;
    while (rest.length > 0) {
      const round: SealedBatch[] = [];
      const later: SealedBatch[] = [];
      const taken = new Set<number>();
      for (const b of rest) {
        if (taken.has(b.partition)) later.push(b);
        else {
          taken.add(b.partition);
          round.push(b);
        }
      }
      await this.sendRound(topic, round, acks);
      rest = later;
    }
  }

  private async sendRound(topic: string, batches: SealedBatch[], acks: number): Promise<void> {
    let pending = batches;
    const backoff = new Backoff({ baseMs: this.backoffMs, capMs: 5_000, maxAttempts: this.retries + 1 });
    for (;;) {
      const attempt = backoff.attempts;
      let failure: Error;
      try {
        pending = await this.produceOnce(topic, pending, acks, attempt > 1);
        if (pending.length === 0) return;
        failure = new Error(`Kafka: ${pending.reduce((n, b) => n + b.records.length, 0)} records were not acknowledged after ${attempt} attempts`);
      } catch (err) {
        if (!(err as { retriable?: boolean }).retriable) throw err;
        failure = err as Error;
      }
      const wait = backoff.next();
      if (wait === undefined) throw failure;
      this.opts.log?.debug({ err: failure.message, attempt }, 'Kafka produce failed; retrying');
      this.topics.delete(topic);
      await sleep(wait);
    }
  }

  /** The identity for a new batch of `count` records on the partition; advances its sequence. */
  private nextIdentity(id: BatchIdentity, topic: string, partition: number, count: number): BatchIdentity {
    if (id.producerId < 0) return NO_IDENTITY;
    const key = `${topic}:${partition}`;
    const baseSequence = this.sequences.get(key) ?? 0;
    this.sequences.set(key, (baseSequence + count) % SEQUENCE_SPACE);
    return { producerId: id.producerId, producerEpoch: id.producerEpoch, baseSequence };
  }

  /** The broker lost this batch's producer state: a new producer id, the batch sealed with it. */
  private async reseal(topic: string, batch: SealedBatch): Promise<void> {
    const lost = batch.producerId;
    const current = this.identity ? await this.identity.catch(() => undefined) : undefined;
    if (current?.producerId === lost) {
      this.identity = undefined;
      this.sequences.clear();
    }
    this.opts.log?.warn({ topic, partition: batch.partition, producerId: lost }, 'Kafka no longer knows this producer id; sending the batch under a new one (a copy of it may already be in the topic)');
    Object.assign(batch, this.nextIdentity(await this.producerIdentity(), topic, batch.partition, batch.records.length));
  }

  /**
   * The producer id and epoch from InitProducerId, asked once. A cluster that refuses it (an ACL
   * or IAM policy without idempotent writes) gets plain batches, said once in the log.
   */
  private producerIdentity(): Promise<BatchIdentity> {
    if (this.opts.idempotent === false) return Promise.resolve(NO_IDENTITY);
    this.identity ??= this.initProducerId().catch((err) => {
      this.identity = undefined;
      throw err;
    });
    return this.identity;
  }

  private async initProducerId(): Promise<BatchIdentity> {
    const backoff = new Backoff({ baseMs: 100, capMs: 1000, maxAttempts: 21 });
    for (;;) {
      const r = readInitProducerIdResponse(await this.anyBroker((conn) => conn.request(INIT_PRODUCER_ID.apiKey, INIT_PRODUCER_ID.version, writeInitProducerIdRequest)));
      if (r.errorCode === 0) return { producerId: r.producerId, producerEpoch: r.producerEpoch, baseSequence: 0 };
      const err = new KafkaProtocolError(r.errorCode, 'asking for an idempotent producer id');
      if (r.errorCode === 31 || r.errorCode === 35 || r.errorCode === 53) {
        this.opts.log?.error({ err: err.message }, 'Kafka refused an idempotent producer id: capture is produced without idempotence (a retried batch may be written twice). Allow idempotent writes: kafka-cluster:WriteDataIdempotently for MSK IAM, or the IdempotentWrite ACL on the cluster');
        return NO_IDENTITY;
      }
      const wait = err.retriable ? backoff.next() : undefined;
      if (wait === undefined) throw err;
      await sleep(wait);
    }
  }

  /** One produce per leader; returns the batches of partitions that failed retriably. */
  private async produceOnce(topic: string, batches: SealedBatch[], acks: number, refresh: boolean): Promise<SealedBatch[]> {
    const info = await this.topicInfo(topic, refresh);
    const byLeader = new Map<number, SealedBatch[]>();
    for (const b of batches) {
      const leader = info.leaders[b.partition] ?? -1;
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(b);
    }
    const failed = new Set<SealedBatch>();
    let firstError: Error | undefined;
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        try {
          const errors = await this.produceTo(leader, topic, list, acks);
          for (const [batch, code] of errors) {
            const err = new KafkaProtocolError(code, `producing to ${topic}-${batch.partition}`);
            if (PRODUCER_IDENTITY_LOST.has(code) && batch.producerId >= 0) await this.reseal(topic, batch);
            else if (!err.retriable) throw err;
            firstError ??= err;
            failed.add(batch);
          }
        } catch (err) {
          if (!(err as { retriable?: boolean }).retriable) throw err;
          firstError ??= err as Error;
          for (const b of list) failed.add(b);
        }
      }),
    );
    if (failed.size > 0) this.opts.log?.debug({ err: firstError?.message, batches: failed.size }, 'Kafka produce partly failed');
    return batches.filter((b) => failed.has(b));
  }

  /** Sends one Produce request; resolves with the batches whose partitions answered with an error. */
  private async produceTo(leader: number, topic: string, batches: SealedBatch[], acks: number): Promise<Array<[SealedBatch, number]>> {
    const conn = leader >= 0 ? this.nodes.get(leader) : undefined;
    if (!conn) throw new KafkaProtocolError(5, `for ${topic} (no known leader)`);
    let size = 2 + 2 + 4 + 4 + stringSize(topic) + 4;
    for (const b of batches) size += 4 + 4 + recordBatchSize(b.records);
    const now = Date.now();
    const response = await conn.request(
      ApiKey.Produce,
      PRODUCE_VERSION,
      (w) => {
        w.string(null).int16(acks).int32(this.opts.requestTimeoutMs).int32(1).string(topic).int32(batches.length);
        for (const b of batches) {
          const at = w.int32(b.partition).int32(0).pos;
          writeRecordBatch(w, b.records, now, b);
          w.buf.writeInt32BE(w.pos - at, at - 4);
        }
      },
      size,
    );
    const byPartition = new Map(batches.map((b) => [b.partition, b]));
    const errors: Array<[SealedBatch, number]> = [];
    response.array((t) => {
      t.string();
      t.array((p) => {
        const index = p.int32();
        const code = p.int16();
        p.int64(); // base offset
        p.int64(); // log append time
        p.int64(); // log start offset
        // DUPLICATE_SEQUENCE_NUMBER: the broker already has this batch.
        const batch = byPartition.get(index);
        if (code !== 0 && code !== 46 && batch) errors.push([batch, code]);
      });
    });
    return errors;
  }

  private async topicInfo(topic: string, refresh: boolean): Promise<TopicInfo> {
    const cached = this.topics.get(topic);
    if (cached && !refresh) return cached;
    // A topic that is being auto-created has no leaders for a moment.
    const backoff = new Backoff({ baseMs: 100, capMs: 200, maxAttempts: 21 });
    for (;;) {
      const info = (await this.metadata([topic])).get(topic);
      if (info && info.code === 0 && info.leaders.length > 0 && info.leaders.every((l) => l >= 0)) {
        this.topics.set(topic, info);
        return info;
      }
      const code = info?.code || 5;
      const wait = code === 3 || code === 5 ? backoff.next() : undefined;
      if (wait === undefined) throw new KafkaProtocolError(code, `in the metadata of topic ${topic}`);
      await sleep(wait);
    }
  }

  /** Asks any reachable broker; learns the brokers' addresses on the way. */
  private async metadata(topics: string[]): Promise<Map<string, TopicInfo & { code: number }>> {
    const r = await this.anyBroker((conn) =>
      conn.request(ApiKey.Metadata, METADATA_VERSION, (w) => {
        w.int32(topics.length);
        for (const t of topics) w.string(t);
        w.int8(1); // allow auto topic creation
      }),
    );
    r.int32(); // throttle time
    for (const b of r.array((x) => ({ id: x.int32(), host: x.string()!, port: x.int32(), rack: x.string() }))) {
      const known = this.nodes.get(b.id);
      if (!known || known.host !== b.host || known.port !== b.port) {
        known?.close();
        this.nodes.set(b.id, new BrokerConnection(b.host, b.port, this.opts));
      }
    }
    r.string(); // cluster id
    r.int32(); // controller id
    const out = new Map<string, TopicInfo & { code: number }>();
    r.array((t) => {
      const code = t.int16();
      const name = t.string()!;
      t.bool();
      const leaders: number[] = [];
      t.array((p) => {
        p.int16();
        const index = p.int32();
        leaders[index] = p.int32();
        p.int32(); // leader epoch
        p.array((x) => x.int32());
        p.array((x) => x.int32());
        p.array((x) => x.int32());
      });
      out.set(name, { code, leaders });
    });
    return out;
  }

  /** The first answer of the known brokers, then the bootstrap ones; the last failure when none answers. */
  private async anyBroker(ask: (conn: BrokerConnection) => Promise<Reader>): Promise<Reader> {
    let lastError: unknown;
    for (const conn of [...this.nodes.values(), ...this.bootstrap]) {
      try {
        return await ask(conn);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError ?? new Error('Kafka: no brokers configured');
  }
}
