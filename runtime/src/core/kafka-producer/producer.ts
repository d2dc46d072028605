import type { Logger } from '../logging';
import { ApiKey, BrokerConnection, ConnectionConfig } from './broker-connection';
import { KafkaProtocolError } from './errors';
import { partitionForKey } from './murmur2';
import { ProducerRecord, recordBatchSize, writeRecordBatch } from './record-batch';
import { Reader, stringSize } from './wire';

export interface LeanProducerOptions extends ConnectionConfig {
  brokers: string[];
  /** Attempts after a retriable failure (leader moved, topic being created, timeouts). */
  retries?: number;
  retryBackoffMs?: number;
  log?: Logger;
}

interface TopicInfo {
  /** Leader node id per partition index (-1: none right now). */
  leaders: number[];
}

// Produce v7 and Metadata v7: the newest non-flexible versions, served by Kafka 2.1 to 4.x and MSK.
const PRODUCE_VERSION = 7;
const METADATA_VERSION = 7;

/**
 * A Kafka producer for one job: uncompressed record batches with acks, keyed records on the
 * partition the Java client would choose. It encodes each produce request into one buffer with
 * one copy of each value and a table-driven CRC-32C; kafkajs spent ~400 µs of CPU per produce
 * and its growing encoders caused a full GC every 30 ms under capture load.
 */
export class LeanProducer {
  private readonly bootstrap: BrokerConnection[];
  private readonly nodes = new Map<number, BrokerConnection>();
  private readonly topics = new Map<string, TopicInfo>();
  private readonly retries: number;
  private readonly backoffMs: number;

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
    let pending = records;
    for (let attempt = 0; ; attempt++) {
      try {
        pending = await this.produceOnce(topic, pending, acks, attempt > 0);
        if (pending.length === 0) return;
        if (attempt >= this.retries) throw new Error(`Kafka: ${pending.length} records were not acknowledged after ${attempt + 1} attempts`);
      } catch (err) {
        if (attempt >= this.retries || !(err as { retriable?: boolean }).retriable) throw err;
        this.opts.log?.debug({ err: (err as Error).message, attempt }, 'Kafka produce failed; retrying');
      }
      this.topics.delete(topic);
      await new Promise((r) => setTimeout(r, this.backoffMs * 2 ** attempt));
    }
  }

  /** One produce per leader; returns the records of partitions that failed retriably. */
  private async produceOnce(topic: string, records: ProducerRecord[], acks: number, refresh: boolean): Promise<ProducerRecord[]> {
    const info = await this.topicInfo(topic, refresh);
    const n = info.leaders.length;
    const byPartition = new Map<number, ProducerRecord[]>();
    for (const r of records) {
      const p = r.key ? partitionForKey(r.key, n) : 0;
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(r);
    }
    const byLeader = new Map<number, Array<[number, ProducerRecord[]]>>();
    for (const entry of byPartition) {
      const leader = info.leaders[entry[0]];
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(entry);
    }
    const failed: ProducerRecord[] = [];
    let firstError: Error | undefined;
    await Promise.all(
      [...byLeader].map(async ([leader, partitions]) => {
        try {
          const errors = await this.produceTo(leader, topic, partitions, acks);
          for (const [p, code] of errors) {
            const err = new KafkaProtocolError(code, `producing to ${topic}-${p}`);
            if (!err.retriable) throw err;
            firstError ??= err;
            failed.push(...byPartition.get(p)!);
          }
        } catch (err) {
          if (!(err as { retriable?: boolean }).retriable) throw err;
          firstError ??= err as Error;
          for (const [, list] of partitions) failed.push(...list);
        }
      }),
    );
    if (failed.length > 0) this.opts.log?.debug({ err: firstError?.message, records: failed.length }, 'Kafka produce partly failed');
    // Keep submit order among the records that go again.
    if (failed.length > 0 && failed.length < records.length) {
      const again = new Set(failed);
      return records.filter((r) => again.has(r));
    }
    return failed;
  }

  /** Sends one Produce request; resolves with the partitions that answered with an error. */
  private async produceTo(leader: number, topic: string, partitions: Array<[number, ProducerRecord[]]>, acks: number): Promise<Array<[number, number]>> {
    const conn = leader >= 0 ? this.nodes.get(leader) : undefined;
    if (!conn) throw new KafkaProtocolError(5, `for ${topic} (no known leader)`);
    let size = 2 + 2 + 4 + 4 + stringSize(topic) + 4;
    for (const [, list] of partitions) size += 4 + 4 + recordBatchSize(list);
    const now = Date.now();
    const response = await conn.request(
      ApiKey.Produce,
      PRODUCE_VERSION,
      (w) => {
        w.string(null).int16(acks).int32(this.opts.requestTimeoutMs).int32(1).string(topic).int32(partitions.length);
        for (const [p, list] of partitions) {
          const at = w.int32(p).int32(0).pos;
          writeRecordBatch(w, list, now);
          w.buf.writeInt32BE(w.pos - at, at - 4);
        }
      },
      size,
    );
    const errors: Array<[number, number]> = [];
    response.array((t) => {
      t.string();
      t.array((p) => {
        const index = p.int32();
        const code = p.int16();
        p.int64(); // base offset
        p.int64(); // log append time
        p.int64(); // log start offset
        if (code !== 0) errors.push([index, code]);
      });
    });
    return errors;
  }

  private async topicInfo(topic: string, refresh: boolean): Promise<TopicInfo> {
    const cached = this.topics.get(topic);
    if (cached && !refresh) return cached;
    // A topic that is being auto-created has no leaders for a moment.
    for (let i = 0; ; i++) {
      const info = (await this.metadata([topic])).get(topic);
      if (info && info.code === 0 && info.leaders.length > 0 && info.leaders.every((l) => l >= 0)) {
        this.topics.set(topic, info);
        return info;
      }
      const code = info?.code || 5;
      if (i >= 20 || (code !== 3 && code !== 5)) throw new KafkaProtocolError(code, `in the metadata of topic ${topic}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Asks any reachable broker; learns the brokers' addresses on the way. */
  private async metadata(topics: string[]): Promise<Map<string, TopicInfo & { code: number }>> {
    const candidates = [...this.nodes.values(), ...this.bootstrap];
    let lastError: unknown;
    for (const conn of candidates) {
      let r: Reader;
      try {
        r = await conn.request(ApiKey.Metadata, METADATA_VERSION, (w) => {
          w.int32(topics.length);
          for (const t of topics) w.string(t);
          w.int8(1); // allow auto topic creation
        });
      } catch (err) {
        lastError = err;
        continue;
      }
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
    throw lastError ?? new Error('Kafka: no brokers configured');
  }
}
