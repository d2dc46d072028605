import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { Admin, Kafka } from 'kafkajs';
import { ConfigError, UserError } from '../core/errors';
import { KafkaAuth, kafkaConfig } from '../core/kafka-client';
import { resolveKafkaAuth } from '../core/kafka-settings';
import type { ServicesYaml } from '../core/services-yaml';
import { readPasswordSecret, secretsManagerReader } from '../core/secrets';

export const TRAFFIC_TOPIC = 'logging-traffic-topic';
export const REPLAYER_GROUP = 'logging-group-default';

export type KafkaYaml = NonNullable<ServicesYaml['kafka']>;

/**
 * The Kafka the console talks to: services.yaml's kafka section, or else the brokers in
 * MIGRATION_KAFKA_BROKER_ENDPOINTS (as the reference's console task carries them), without auth.
 */
export function kafkaSection(config: ServicesYaml, env: NodeJS.ProcessEnv = process.env): KafkaYaml {
  if (config.kafka) return config.kafka;
  const brokers = env.MIGRATION_KAFKA_BROKER_ENDPOINTS;
  if (brokers) return { broker_endpoints: brokers, standard: null };
  throw new UserError('NOT_CONFIGURED', 'services.yaml has no "kafka" section and MIGRATION_KAFKA_BROKER_ENDPOINTS is not set: add kafka: {broker_endpoints, msk | standard | scram}');
}

/** services.yaml's kafka auth through the same resolution as the services' flags; a SCRAM password may sit in Secrets Manager. */
export async function kafkaAuthFor(kafka: KafkaYaml, env: NodeJS.ProcessEnv = process.env): Promise<KafkaAuth> {
  const hint = { authFlag: 'kafka', credentials: 'kafka.scram.username and password or password_secret_arn' };
  if (kafka.msk !== undefined) return resolveKafkaAuth({ type: 'msk-iam' }, env, hint);
  if (kafka.scram) {
    const password = kafka.scram.password ?? (kafka.scram.password_secret_arn ? await readPasswordSecret(kafka.scram.password_secret_arn, secretsManagerReader(env)) : undefined);
    if (!password) throw new ConfigError('kafka.scram needs password or password_secret_arn');
    return resolveKafkaAuth({ type: 'scram-sha-512', username: kafka.scram.username, password }, env, hint);
  }
  return { type: 'none' };
}

const MSK_ARN = /^arn:aws[\w-]*:kafka:([\w-]+):\d+:cluster\/[^\s]+$/;

/** What GetBootstrapBrokers answers, by listener. */
export interface BootstrapBrokers {
  BootstrapBrokerString?: string;
  BootstrapBrokerStringTls?: string;
  BootstrapBrokerStringSaslScram?: string;
  BootstrapBrokerStringSaslIam?: string;
}

/** The bootstrap string for the auth the yaml names: IAM for msk, SCRAM for scram, TLS (else plain) for standard. */
export function pickBootstrapBrokers(kafka: KafkaYaml, out: BootstrapBrokers, arn: string): string {
  const [value, listener] = kafka.msk !== undefined
    ? [out.BootstrapBrokerStringSaslIam, 'IAM']
    : kafka.scram
      ? [out.BootstrapBrokerStringSaslScram, 'SASL/SCRAM']
      : [out.BootstrapBrokerStringTls ?? out.BootstrapBrokerString, 'TLS or plaintext'];
  if (!value) throw new UserError('KAFKA_UNREACHABLE', `MSK cluster ${arn} has no ${listener} listener: enable it, or change the auth in services.yaml's kafka section`);
  return value;
}

export type GetBootstrapBrokers = (arn: string, region: string) => Promise<BootstrapBrokers>;

const awsGetBootstrapBrokers: GetBootstrapBrokers = async (arn, region) => {
  const client = new KafkaClient({ region });
  try {
    return await client.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
  } catch (err) {
    throw new UserError('AWS_CALL_FAILED', `MSK GetBootstrapBrokers for ${arn}: ${(err as Error).name}: ${(err as Error).message}`);
  } finally {
    client.destroy();
  }
};

/** broker_endpoints as host:port list; an MSK cluster ARN is resolved through GetBootstrapBrokers. */
export async function resolveBrokers(kafka: KafkaYaml, getBrokers: GetBootstrapBrokers = awsGetBootstrapBrokers): Promise<string> {
  const endpoints = [kafka.broker_endpoints].flat().join(',').trim();
  const m = MSK_ARN.exec(endpoints);
  if (!m) return endpoints;
  return pickBootstrapBrokers(kafka, await getBrokers(endpoints, m[1]), endpoints);
}

/** A kafkajs client for the console: short timeouts and few retries, so that an unreachable broker is one clear error soon. */
export async function consoleKafka(kafka: KafkaYaml, env: NodeJS.ProcessEnv = process.env): Promise<{ kafka: Kafka; brokers: string }> {
  const brokers = await resolveBrokers(kafka);
  const config = kafkaConfig({ brokers, clientId: 'migration-console', auth: await kafkaAuthFor(kafka, env), tls: kafka.scram ? true : undefined, connectionTimeoutMs: 5000, requestTimeoutMs: 15_000 });
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return { kafka: new Kafka({ ...config, retry: { retries: 2, initialRetryTime: 300 } }), brokers };
}

/** Runs fn with a connected admin client; kafkajs failures become one KAFKA_* error line. */
export async function withAdmin<T>(section: KafkaYaml, fn: (admin: Admin) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const { kafka, brokers } = await consoleKafka(section, env);
  const admin = kafka.admin();
  try {
    try {
      await admin.connect();
    } catch (err) {
      throw new UserError('KAFKA_UNREACHABLE', `cannot reach Kafka at ${brokers}: ${(err as Error).message}`);
    }
    return await fn(admin);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError('KAFKA_REQUEST', `Kafka at ${brokers}: ${(err as Error).name}: ${(err as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
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

export async function requireTopic(admin: Admin, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) throw new UserError('TOPIC_MISSING', `topic ${topic} does not exist: has the capture proxy recorded anything yet? (kafka list-topics shows the topics there are)`);
}

/** Per partition of one topic: the offsets, the group's committed offset and its lag. */
export async function topicLag(admin: Admin, topic: string, group: string): Promise<PartitionLag[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  return offsets
    .map((o) => {
      const earliest = Number(o.low);
      const latest = Number(o.high);
      const c = byPartition.get(o.partition);
      const committedOffset = c !== undefined && c >= 0 ? c : null;
      return { partition: o.partition, earliest, latest, committed: committedOffset, lag: latest - (committedOffset ?? earliest) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** Records in the capture topic and how far the replayer's consumer group is behind, per partition. */
export async function describeTraffic(kafka: KafkaYaml, topic = TRAFFIC_TOPIC, group = REPLAYER_GROUP): Promise<TopicReport> {
  return withAdmin(kafka, async (admin) => {
    await requireTopic(admin, topic);
    const partitions = await topicLag(admin, topic, group);
    return {
      topic,
      group,
      records: partitions.reduce((n, p) => n + p.latest - p.earliest, 0),
      lag: partitions.reduce((n, p) => n + p.lag, 0),
      partitions,
    };
  });
}
