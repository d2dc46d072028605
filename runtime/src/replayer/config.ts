import { readFileSync } from 'node:fs';
import { checkValue } from '../core/cli/options';
import { urlArg } from '../core/cli/values';
import { ConfigError } from '../core/errors';
import type { KafkaAuth } from '../core/kafka-client';
import { kafkaSettings } from '../core/kafka-settings';
import { s3Location, S3Location } from '../core/results/s3';
import type { TargetAuth } from './prepare';
import type { ReplayerOptions } from './replayer';
import { parseGcDeletes } from './tombstones';
import { parseTransformerConfig } from './transforms/transformer-config';

/** The CLI's options as its declarations (cli.ts) parse them: numbers already checked, strings, booleans. */
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
  kafkaSessionTimeoutSeconds: number;
  speedupFactor: number;
  targetUsername?: string;
  targetPassword?: string;
  sigv4AuthHeaderServiceRegion?: string;
  removeAuthHeader?: boolean;
  insecure?: boolean;
  transformerConfig?: string;
  transformerConfigFile?: string;
  userAgent?: string;
  maxConcurrentRequests: number;
  maxPendingRequests: number;
  packetTimeoutSeconds: number;
  maxRetries: number;
  targetDownRetrySeconds: number;
  tupleDir: string;
  tupleFileMaxMb: number;
  tupleS3Bucket?: string;
  tupleS3Prefix: string;
  tupleS3Region?: string;
  tupleS3Endpoint?: string;
  tupleMaxBufferSeconds: number;
  tupleKeepSourceAuth?: boolean;
  metricsPort?: number;
  summaryIntervalSeconds: number;
  shutdownGraceSeconds: number;
  // The reference's flags (reference-options.ts).
  authHeaderValue?: string;
  kafkaTrafficPropertyFile?: string;
  targetResponseTimeout: number;
  lookaheadTimeWindow?: number;
  quiescentPeriodMs: number;
  nonRetryableDocExceptionTypes?: string;
  transformerConfigEncoded?: string;
  numClientThreads?: string;
  otelCollectorEndpoint?: string;
  mode: string;
  startOffset?: number;
  endOffset?: number;
  startTime?: number;
  endTime?: number;
  previewBytesRead: number;
  previewBytesWrite: number;
  replayWritesAsCaptured?: boolean;
  replayRefusedWrites?: boolean;
  targetGcDeletes?: string;
  restoreTargetGcDeletes?: boolean;
}

/** The sending options the replayer takes as they are, plus what the CLI wires up itself. */
type SendingOptions = Pick<
  ReplayerOptions,
  | 'target' | 'auth' | 'userAgent' | 'transforms' | 'speedupFactor' | 'maxConcurrentRequests' | 'maxPendingRequests' | 'packetTimeoutMs' | 'maxRetries' | 'connectionRetryMs'
  | 'requestTimeoutMs' | 'lookaheadMs' | 'quiescentMs' | 'nonRetryableDocTypes'
  | 'replayWritesAsCaptured' | 'replayRefusedWrites'
>;

export type KafkaInput = { brokers: string; topic: string; groupId: string; clientId: string; auth: KafkaAuth; tls?: boolean; sessionTimeoutMs: number; requestTimeoutMs?: number };

export interface ReplayerConfig extends SendingOptions {
  mode: 'replay';
  input?: string;
  kafka?: KafkaInput;
  basic?: { username: string; password: string };
  sigv4?: { service: string; region: string };
  insecure: boolean;
  tupleDir: string;
  tupleFileMaxBytes: number;
  /** Tuples to S3 instead of tupleDir. */
  tupleS3?: S3Location;
  tupleMaxBufferMs: number;
  keepSourceAuth: boolean;
  metricsPort?: number;
  summaryIntervalMs: number;
  shutdownGraceMs: number;
  /** Lines for stderr: accepted flags that do nothing here, and why. */
  warnings: string[];
  /** index.gc_deletes to hold on the target where versioned deletes go; undefined: left as it is. */
  targetGcDeletes?: string;
  /** Put back the gc_deletes the replay raised, and exit (no input needed). */
  restoreTargetGcDeletes: boolean;
}

/** Checks the flags together and turns them into typed settings; every problem is a ConfigError. */
export function resolveConfig(o: CliOptions, env: NodeJS.ProcessEnv = process.env): ReplayerConfig {
  if (!o.targetUri) throw new ConfigError('--target-uri is required (e.g. https://target:9200, or TRAFFIC_REPLAYER_TARGET_URI)');
  // Checked here, not by the option: the reference's positional form gives it too.
  const target = new URL(checkValue('--target-uri', o.targetUri, urlArg('https://target:9200')));
  const warnings: string[] = [];
  // The restore of gc_deletes needs the target only.
  const kafka = o.restoreTargetGcDeletes && !o.input && !o.kafkaTrafficBrokers ? undefined : resolveInput(o, warnings, env);

  const authFlags = [
    o.targetUsername || o.targetPassword ? '--target-username/--target-password' : '',
    o.sigv4AuthHeaderServiceRegion ? '--sigv4-auth-header-service-region' : '',
    o.removeAuthHeader ? '--remove-auth-header' : '',
    o.authHeaderValue !== undefined ? '--auth-header-value' : '',
  ].filter(Boolean);
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
  else if (o.authHeaderValue !== undefined) {
    if (!o.authHeaderValue.trim() || /[\r\n]/.test(o.authHeaderValue)) throw new ConfigError('--auth-header-value must be one line, the whole Authorization value (e.g. "Basic dXNlcjpwYXNz")');
    auth = { type: 'basic', header: o.authHeaderValue };
  }

  const transformFlags = [o.transformerConfig && '--transformer-config', o.transformerConfigFile && '--transformer-config-file', o.transformerConfigEncoded && '--transformer-config-encoded'].filter(Boolean);
  if (transformFlags.length > 1) throw new ConfigError(`give one of --transformer-config, --transformer-config-file and --transformer-config-encoded (got ${transformFlags.join(' and ')})`);
  let transformText = o.transformerConfig;
  if (o.transformerConfigFile) {
    try {
      transformText = readFileSync(o.transformerConfigFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`--transformer-config-file: cannot read "${o.transformerConfigFile}" (${(err as Error).message})`);
    }
  }
  if (o.transformerConfigEncoded) {
    transformText = Buffer.from(o.transformerConfigEncoded, 'base64').toString('utf8');
    if (!transformText.trim() || Buffer.from(transformText, 'utf8').toString('base64').replace(/=+$/, '') !== o.transformerConfigEncoded.trim().replace(/=+$/, '')) {
      throw new ConfigError('--transformer-config-encoded must be the base64 of the --transformer-config text');
    }
  }
  const transforms = transformText ? parseTransformerConfig(transformText, transformFlags[0] || '--transformer-config') : [];

  const packetTimeoutMs = o.packetTimeoutSeconds * 1000;
  let lookaheadMs: number | undefined;
  if (o.lookaheadTimeWindow !== undefined) {
    lookaheadMs = o.lookaheadTimeWindow * 1000;
    // As the reference: connections must be able to expire within the window that is read ahead.
    if (lookaheadMs <= packetTimeoutMs) throw new ConfigError(`--lookahead-time-window (${o.lookaheadTimeWindow}) must be greater than --packet-timeout-seconds (${o.packetTimeoutSeconds})`);
  }
  const nonRetryable = o.nonRetryableDocExceptionTypes?.split(',').map((t) => t.trim()).filter(Boolean);
  if (o.nonRetryableDocExceptionTypes !== undefined && !nonRetryable?.length) throw new ConfigError('--non-retryable-doc-exception-types needs a comma-separated list of error types, e.g. mapper_parsing_exception,illegal_argument_exception');
  if (o.numClientThreads !== undefined) warnings.push(`--num-client-threads ${o.numClientThreads} is ignored: the replayer sends from one event loop (--max-concurrent-requests bounds what is in flight)`);
  if (o.otelCollectorEndpoint !== undefined) warnings.push(`--otel-collector-endpoint ${o.otelCollectorEndpoint} is ignored: metrics are served by --metrics-port (Prometheus) or as EMF log lines (METRICS_FORMAT=emf)`);

  let tupleS3: S3Location | undefined;
  if (o.tupleS3Bucket) {
    const region = o.tupleS3Region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigError('--tuple-s3-bucket needs the bucket\'s region: --tuple-s3-region (or AWS_REGION)');
    tupleS3 = s3Location('--tuple-s3-bucket', o.tupleS3Bucket, o.tupleS3Prefix, region, o.tupleS3Endpoint);
  }

  return {
    mode: 'replay',
    target,
    input: o.input,
    kafka,
    auth,
    basic,
    sigv4,
    userAgent: o.userAgent,
    transforms,
    speedupFactor: o.speedupFactor,
    maxConcurrentRequests: o.maxConcurrentRequests,
    maxPendingRequests: o.maxPendingRequests,
    packetTimeoutMs,
    requestTimeoutMs: o.targetResponseTimeout * 1000,
    lookaheadMs,
    quiescentMs: o.quiescentPeriodMs,
    nonRetryableDocTypes: nonRetryable ? new Set(nonRetryable) : undefined,
    warnings,
    maxRetries: o.maxRetries,
    connectionRetryMs: o.targetDownRetrySeconds * 1000,
    insecure: !!o.insecure,
    tupleDir: o.tupleDir,
    tupleFileMaxBytes: o.tupleFileMaxMb * 1024 * 1024,
    tupleS3,
    tupleMaxBufferMs: o.tupleMaxBufferSeconds * 1000,
    keepSourceAuth: !!o.tupleKeepSourceAuth,
    metricsPort: o.metricsPort,
    summaryIntervalMs: o.summaryIntervalSeconds * 1000,
    shutdownGraceMs: o.shutdownGraceSeconds * 1000,
    replayWritesAsCaptured: !!o.replayWritesAsCaptured,
    replayRefusedWrites: !!o.replayRefusedWrites,
    // Versioned deletes only: as captured, a replay has no tombstone versions to keep.
    targetGcDeletes: o.replayWritesAsCaptured ? undefined : parseGcDeletes(o.targetGcDeletes ?? '24h'),
    restoreTargetGcDeletes: !!o.restoreTargetGcDeletes,
  };
}

/** Exactly one input: a file (-i) or Kafka; the Kafka settings when it is Kafka. */
export function resolveInput(o: CliOptions, warnings: string[], env: NodeJS.ProcessEnv): KafkaInput | undefined {
  const kafka = resolveKafka(o, warnings, env);
  if (!o.input && !kafka) throw new ConfigError('give an input: --kafka-traffic-brokers host:port (with --kafka-traffic-topic), or -i FILE (- for stdin)');
  if (o.input && kafka) throw new ConfigError('give one input: either -i/--input or --kafka-traffic-brokers, not both');
  return kafka;
}

/** The Kafka input: brokers, auth (flags, then the properties file) and group. */
export function resolveKafka(o: CliOptions, warnings: string[], env: NodeJS.ProcessEnv): KafkaInput | undefined {
  const kafka = kafkaSettings(
    { brokers: o.kafkaTrafficBrokers, authType: o.kafkaTrafficAuthType, enableMskAuth: o.kafkaTrafficEnableMskAuth, username: o.kafkaTrafficUsername, password: o.kafkaTrafficPassword, plaintext: o.kafkaTrafficPlaintext, propertiesFile: o.kafkaTrafficPropertyFile, clientId: o.kafkaTrafficClientId },
    { authType: '--kafka-traffic-auth-type', enableMskAuth: '--kafka-traffic-enable-msk-auth', username: '--kafka-traffic-username', password: '--kafka-traffic-password', propertiesFile: '--kafka-traffic-property-file' },
    env,
  );
  if (!kafka) return undefined;
  warnings.push(...kafka.warnings);
  if (!o.kafkaTrafficTopic) throw new ConfigError('--kafka-traffic-topic is required with --kafka-traffic-brokers');
  return {
    brokers: kafka.brokers.join(','),
    topic: o.kafkaTrafficTopic,
    groupId: o.kafkaTrafficGroupId,
    clientId: kafka.clientId,
    auth: kafka.auth,
    tls: kafka.tls,
    sessionTimeoutMs: o.kafkaSessionTimeoutSeconds * 1000,
    requestTimeoutMs: kafka.requestTimeoutMs,
  };
}
