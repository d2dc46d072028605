import type { ConnectionOptions } from 'node:tls';
import { generateAuthToken, generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, KafkaConfig, logLevel, SASLOptions } from 'kafkajs';
import { ConfigError } from './errors';
import { LeanProducer } from './kafka-producer/producer';
import type { SaslConfig } from './kafka-producer/sasl';
import type { Logger } from './logging';

export type KafkaAuthType = 'none' | 'msk-iam' | 'scram-sha-512' | 'ssl';

export type KafkaAuth =
  | { type: 'none' }
  | { type: 'msk-iam'; region: string; credentialsProvider?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> }
  | { type: 'scram-sha-512'; username: string; password: string }
  | { type: 'ssl' };

export interface KafkaClientOptions {
  /** host:port list, or a comma-separated string as in the reference's flags. */
  brokers: string[] | string;
  clientId: string;
  auth?: KafkaAuth;
  /** TLS: on for msk-iam and ssl, and by default for SCRAM (MSK serves it over TLS); set false for a plain SASL listener. */
  tls?: boolean | ConnectionOptions;
  logger?: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export function parseBrokers(brokers: string[] | string): string[] {
  const list = (Array.isArray(brokers) ? brokers : brokers.split(',')).map((b) => b.trim()).filter(Boolean);
  if (list.length === 0) throw new ConfigError('Kafka brokers: expected host:port[,host:port...] (got none)');
  for (const b of list) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(b)) throw new ConfigError(`Kafka brokers: expected host:port, got "${b}"`);
  }
  return list;
}

/** The SASL/OAUTHBEARER provider for MSK IAM: a fresh signed token whenever kafkajs asks. */
export function mskIamOAuthBearerProvider(region: string, credentialsProvider?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>) {
  return async () => {
    const { token } = credentialsProvider
      ? await generateAuthTokenFromCredentialsProvider({ region, awsCredentialsProvider: credentialsProvider })
      : await generateAuthToken({ region });
    return { value: token };
  };
}

export function kafkaConfig(opts: KafkaClientOptions): KafkaConfig {
  const auth = opts.auth ?? { type: 'none' };
  let sasl: SASLOptions | undefined;
  let defaultTls = false;
  switch (auth.type) {
    case 'none':
      break;
    case 'ssl':
      defaultTls = true;
      break;
    case 'msk-iam':
      if (!auth.region) throw new ConfigError('Kafka msk-iam auth needs an AWS region (AWS_REGION or the msk section)');
      sasl = { mechanism: 'oauthbearer', oauthBearerProvider: mskIamOAuthBearerProvider(auth.region, auth.credentialsProvider) };
      defaultTls = true;
      break;
    case 'scram-sha-512':
      if (!auth.username || !auth.password) throw new ConfigError('Kafka scram-sha-512 auth needs a username and a password');
      sasl = { mechanism: 'scram-sha-512', username: auth.username, password: auth.password };
      defaultTls = true;
      break;
    default:
      throw new ConfigError(`Kafka auth type must be one of none, msk-iam, scram-sha-512, ssl (got "${(auth as { type: string }).type}")`);
  }
  const log = opts.logger?.child({ component: 'kafkajs' });
  return {
    clientId: opts.clientId,
    brokers: parseBrokers(opts.brokers),
    ssl: opts.tls ?? defaultTls,
    sasl,
    connectionTimeout: opts.connectionTimeoutMs ?? 10_000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    logLevel: log ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry) => {
      if (!log) return;
      const { message, ...rest } = entry.log;
      const level = entry.level === logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'debug';
      log[level]({ ...rest, namespace: entry.namespace }, message);
    },
  };
}

export function createKafka(opts: KafkaClientOptions): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  return new Kafka(kafkaConfig(opts));
}

/** The lean producer (the capture proxy's), on the same brokers, TLS and auth as kafkaConfig. */
export function createLeanProducer(opts: KafkaClientOptions): LeanProducer {
  const config = kafkaConfig(opts);
  return new LeanProducer({
    brokers: config.brokers as string[],
    clientId: opts.clientId,
    tls: config.ssl ?? false,
    sasl: config.sasl as SaslConfig | undefined,
    connectionTimeoutMs: config.connectionTimeout ?? 10_000,
    requestTimeoutMs: config.requestTimeout ?? 30_000,
    log: opts.logger?.child({ component: 'kafka-producer' }),
  });
}
