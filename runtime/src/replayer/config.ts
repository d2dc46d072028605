import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors';
import type { KafkaAuth } from '../core/kafka-client';
import type { TargetAuth } from './prepare';
import type { ReplayerOptions } from './replayer';
import { parseTransformerConfig } from './transforms/transformer-config';

/** The CLI's options as commander hands them over (strings, booleans). */
export interface CliOptions {
  targetUri?: string;
  input?: string;
  kafkaTrafficBrokers?: string;
  kafkaTrafficTopic: string;
  kafkaTrafficGroupId: string;
  kafkaTrafficClientId: string;
  kafkaTrafficEnableMskAuth?: boolean;
  kafkaTrafficAuthType?: string;
  kafkaTrafficUsername?: string;
  kafkaTrafficPassword?: string;
  kafkaTrafficPlaintext?: boolean;
  kafkaSessionTimeoutSeconds: string;
  speedupFactor: string;
  targetUsername?: string;
  targetPassword?: string;
  sigv4AuthHeaderServiceRegion?: string;
  removeAuthHeader?: boolean;
  insecure?: boolean;
  transformerConfig?: string;
  transformerConfigFile?: string;
  userAgent?: string;
  maxConcurrentRequests: string;
  maxPendingRequests: string;
  packetTimeoutSeconds: string;
  maxRetries: string;
  targetDownRetrySeconds: string;
  tupleDir: string;
  tupleFileMaxMb: string;
  metricsPort?: string;
  summaryIntervalSeconds: string;
  shutdownGraceSeconds: string;
}

/** The sending options the replayer takes as they are, plus what the CLI wires up itself. */
type SendingOptions = Pick<
  ReplayerOptions,
  'target' | 'auth' | 'userAgent' | 'transforms' | 'speedupFactor' | 'maxConcurrentRequests' | 'maxPendingRequests' | 'packetTimeoutMs' | 'maxRetries' | 'connectionRetryMs'
>;

export interface ReplayerConfig extends SendingOptions {
  input?: string;
  kafka?: { brokers: string; topic: string; groupId: string; clientId: string; auth: KafkaAuth; tls?: boolean; sessionTimeoutMs: number };
  basic?: { username: string; password: string };
  sigv4?: { service: string; region: string };
  insecure: boolean;
  tupleDir: string;
  tupleFileMaxBytes: number;
  metricsPort?: number;
  summaryIntervalMs: number;
  shutdownGraceMs: number;
}

function number(flag: string, value: string, opts: { min: number; integer?: boolean }): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < opts.min || (opts.integer && !Number.isInteger(n))) {
    throw new ConfigError(`--${flag} must be ${opts.integer ? 'an integer' : 'a number'} >= ${opts.min} (got "${value}")`);
  }
  return n;
}

/** Checks the flags together and turns them into typed settings; every problem is a ConfigError. */
export function resolveConfig(o: CliOptions): ReplayerConfig {
  if (!o.targetUri) throw new ConfigError('--target-uri is required (e.g. https://target:9200, or TRAFFIC_REPLAYER_TARGET_URI)');
  let target: URL;
  try {
    target = new URL(o.targetUri);
  } catch {
    throw new ConfigError(`--target-uri must be a URL such as https://target:9200 (got "${o.targetUri}")`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new ConfigError(`--target-uri must be http:// or https:// (got "${target.protocol}")`);
  if (!o.input && !o.kafkaTrafficBrokers) throw new ConfigError('give an input: --kafka-traffic-brokers host:port (with --kafka-traffic-topic), or -i FILE (- for stdin)');
  if (o.input && o.kafkaTrafficBrokers) throw new ConfigError('give one input: either -i/--input or --kafka-traffic-brokers, not both');

  const authFlags = [o.targetUsername || o.targetPassword ? '--target-username/--target-password' : '', o.sigv4AuthHeaderServiceRegion ? '--sigv4-auth-header-service-region' : '', o.removeAuthHeader ? '--remove-auth-header' : ''].filter(Boolean);
  if (authFlags.length > 1) throw new ConfigError(`choose one way to authenticate to the target (got ${authFlags.join(' and ')})`);
  let auth: TargetAuth = { type: 'passthrough' };
  let basic: ReplayerConfig['basic'];
  let sigv4: ReplayerConfig['sigv4'];
  if (o.targetUsername || o.targetPassword) {
    if (!o.targetUsername || !o.targetPassword) throw new ConfigError('--target-username and --target-password go together');
    basic = { username: o.targetUsername, password: o.targetPassword };
    auth = { type: 'basic', header: `Basic ${Buffer.from(`${o.targetUsername}:${o.targetPassword}`).toString('base64')}` };
  } else if (o.sigv4AuthHeaderServiceRegion) {
    const [service, region, extra] = o.sigv4AuthHeaderServiceRegion.split(',').map((s) => s.trim());
    if (!service || !region || extra !== undefined || !/^(es|aoss)$/.test(service)) {
      throw new ConfigError(`--sigv4-auth-header-service-region must be SERVICE,REGION with SERVICE es or aoss, e.g. es,us-east-1 (got "${o.sigv4AuthHeaderServiceRegion}")`);
    }
    sigv4 = { service, region };
    auth = { type: 'sigv4' };
  } else if (o.removeAuthHeader) auth = { type: 'remove' };

  if (o.transformerConfig && o.transformerConfigFile) throw new ConfigError('give --transformer-config or --transformer-config-file, not both');
  let transformText = o.transformerConfig;
  if (o.transformerConfigFile) {
    try {
      transformText = readFileSync(o.transformerConfigFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`--transformer-config-file: cannot read "${o.transformerConfigFile}" (${(err as Error).message})`);
    }
  }
  const transforms = transformText ? parseTransformerConfig(transformText) : [];

  let kafka: ReplayerConfig['kafka'];
  if (o.kafkaTrafficBrokers) {
    const type = o.kafkaTrafficEnableMskAuth ? 'msk-iam' : (o.kafkaTrafficAuthType ?? 'none');
    let kauth: KafkaAuth;
    if (type === 'none' || type === 'ssl') kauth = { type };
    else if (type === 'msk-iam') {
      const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new ConfigError('MSK IAM auth needs the AWS region: set AWS_REGION');
      kauth = { type, region };
    }
    else if (type === 'scram-sha-512') {
      if (!o.kafkaTrafficUsername || !o.kafkaTrafficPassword) throw new ConfigError('--kafka-traffic-auth-type scram-sha-512 needs --kafka-traffic-username and --kafka-traffic-password');
      kauth = { type, username: o.kafkaTrafficUsername, password: o.kafkaTrafficPassword };
    } else throw new ConfigError(`--kafka-traffic-auth-type must be none, msk-iam, scram-sha-512 or ssl (got "${type}")`);
    if (!o.kafkaTrafficTopic) throw new ConfigError('--kafka-traffic-topic is required with --kafka-traffic-brokers');
    kafka = { brokers: o.kafkaTrafficBrokers, topic: o.kafkaTrafficTopic, groupId: o.kafkaTrafficGroupId, clientId: o.kafkaTrafficClientId, auth: kauth, tls: o.kafkaTrafficPlaintext ? false : undefined,
      sessionTimeoutMs: number('kafka-session-timeout-seconds', o.kafkaSessionTimeoutSeconds, { min: 6 }) * 1000,
    };
  }

  return {
    target,
    input: o.input,
    kafka,
    auth,
    basic,
    sigv4,
    userAgent: o.userAgent,
    transforms,
    speedupFactor: (() => {
      const n = number('speedup-factor', o.speedupFactor, { min: 0 });
      if (n <= 0) throw new ConfigError(`--speedup-factor must be greater than 0 (got "${o.speedupFactor}")`);
      return n;
    })(),
    maxConcurrentRequests: number('max-concurrent-requests', o.maxConcurrentRequests, { min: 1, integer: true }),
    maxPendingRequests: number('max-pending-requests', o.maxPendingRequests, { min: 1, integer: true }),
    packetTimeoutMs: number('packet-timeout-seconds', o.packetTimeoutSeconds, { min: 1 }) * 1000,
    maxRetries: number('max-retries', o.maxRetries, { min: 0, integer: true }),
    connectionRetryMs: number('target-down-retry-seconds', o.targetDownRetrySeconds, { min: 0 }) * 1000,
    insecure: !!o.insecure,
    tupleDir: o.tupleDir,
    tupleFileMaxBytes: number('tuple-file-max-mb', o.tupleFileMaxMb, { min: 1 }) * 1024 * 1024,
    metricsPort: o.metricsPort === undefined ? undefined : number('metrics-port', o.metricsPort, { min: 0, integer: true }),
    summaryIntervalMs: number('summary-interval-seconds', o.summaryIntervalSeconds, { min: 1 }) * 1000,
    shutdownGraceMs: number('shutdown-grace-seconds', o.shutdownGraceSeconds, { min: 0 }) * 1000,
  };
}
