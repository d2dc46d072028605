import { ConfigError } from '../core/errors';
import { createKafka, KafkaAuth } from '../core/kafka-client';
import type { ServicesYaml } from '../core/services-yaml';
import { readPasswordSecret } from './clusters';

export const TRAFFIC_TOPIC = 'logging-traffic-topic';
export const REPLAYER_GROUP = 'logging-group-default';

type KafkaYaml = NonNullable<ServicesYaml['kafka']>;

export async function kafkaAuthFor(kafka: KafkaYaml): Promise<KafkaAuth> {
  if (kafka.msk !== undefined) {
    const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigError('kafka.msk needs the AWS region: set AWS_REGION');
    return { type: 'msk-iam', region };
  }
  if (kafka.scram) {
    const password = kafka.scram.password ?? (kafka.scram.password_secret_arn ? await readPasswordSecret(kafka.scram.password_secret_arn) : undefined);
    if (!password) throw new ConfigError('kafka.scram needs password or password_secret_arn');
    return { type: 'scram-sha-512', username: kafka.scram.username, password };
  }
  return { type: 'none' };
}

export interface PartitionLag {
  partition: number;
  earliest: number;
  latest: number;
  committed: number | null;
  lag: number;
}

export interface TopicReport {
  topic: string;
  group: string;
  records: number;
  lag: number;
  partitions: PartitionLag[];
}

/** Records in the capture topic and how far the replayer's consumer group is behind, per partition. */
export async function describeTraffic(kafka: KafkaYaml, topic = TRAFFIC_TOPIC, group = REPLAYER_GROUP): Promise<TopicReport> {
  const admin = createKafka({ brokers: kafka.broker_endpoints, clientId: 'migration-console', auth: await kafkaAuthFor(kafka), tls: kafka.scram ? true : undefined }).admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) throw new ConfigError(`topic ${topic} does not exist on ${[kafka.broker_endpoints].flat().join(',')}: has the capture proxy recorded anything yet?`);
    const offsets = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
    const partitions = offsets
      .map((o) => {
        const earliest = Number(o.low);
        const latest = Number(o.high);
        const c = byPartition.get(o.partition);
        const committedOffset = c !== undefined && c >= 0 ? c : null;
        return { partition: o.partition, earliest, latest, committed: committedOffset, lag: latest - (committedOffset ?? earliest) };
      })
      .sort((a, b) => a.partition - b.partition);
    return {
      topic,
      group,
      records: partitions.reduce((n, p) => n + p.latest - p.earliest, 0),
      lag: partitions.reduce((n, p) => n + p.lag, 0),
      partitions,
    };
  } finally {
    await admin.disconnect();
  }
}
