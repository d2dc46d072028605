#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { applyEnv, cliOption, CliOptionSpec, envVarName } from '../core/cli/options';
import { integerArg, numberArg, portArg } from '../core/cli/values';
import { exitWithError } from '../core/errors';
import { startEmfReporter } from '../core/emf';
import { createKafka } from '../core/kafka-client';
import { createLogger } from '../core/logging';
import { S3LineWriter } from '../core/results/s3-line-writer';
import { createSigner } from '../core/sigv4';
import { rewriteReferenceFlags } from '../core/cli/reference-flags';
import { ConfigError } from '../core/errors';
import { CliOptions, ReplayerConfig, resolveConfig } from './config';
import { DumpConfig, resolveDumpConfig, runDump } from './dump';
import { addReferenceOptions, DUMP_MODES, DumpModeName, referenceReplayerFlags } from './reference-options';
import type { ClusterAuth, ClusterClient } from '../core/cluster-client';
import { clusterClient } from '../core/cluster-settings';
import { restoreGcDeletes, TombstoneKeeper } from './tombstones';
import { replayLines } from './file-source';
import { KafkaSource } from './kafka-source';
import { ReplayerMetrics } from './metrics';
import { TrafficReplayer } from './replayer';
import { TupleWriter } from './tuple-writer';

const ENV_PREFIX = 'TRAFFIC_REPLAYER_';

/** Every long flag also reads TRAFFIC_REPLAYER_<FLAG> (e.g. TRAFFIC_REPLAYER_TARGET_URI); switches as true/false. */
export type ReplayerOption = (flags: string, description: string, spec?: Omit<CliOptionSpec, 'env'>) => Option;
const opt: ReplayerOption = (flags, description, spec = {}) => {
  const long = /--([a-z0-9-]+)/.exec(flags)![1];
  return cliOption(flags, description, { ...spec, env: envVarName(ENV_PREFIX, long) });
};

export function program(): Command {
  const cmd = new Command('traffic-replayer')
    .description('Replays captured traffic (TrafficStream records from Kafka or a file) on the target cluster with its original timing, and writes source-vs-target tuples.')
    .addOption(opt('--target-uri <uri>', 'target cluster endpoint, e.g. https://target:9200'))
    .addOption(opt('-i, --input <file>', 'read base64 TrafficStream lines from FILE (- for stdin) instead of Kafka'))
    .addOption(opt('--kafka-traffic-brokers <list>', 'Kafka bootstrap servers host:port[,host:port]'))
    .addOption(opt('--kafka-traffic-topic <topic>', 'topic holding the captured traffic', { default: 'logging-traffic-topic' }))
    .addOption(opt('--kafka-traffic-group-id <id>', 'consumer group (replayers in one group share the partitions)', { default: 'logging-group-default' }))
    .addOption(opt('--kafka-traffic-client-id <id>', 'Kafka client id', { default: 'traffic-replayer' }))
    .addOption(opt('--kafka-traffic-enable-msk-auth', 'MSK IAM auth (SASL/OAUTHBEARER over TLS; region from AWS_REGION)'))
    .addOption(opt('--kafka-traffic-auth-type <type>', 'none | msk-iam | scram-sha-512 | ssl'))
    .addOption(opt('--kafka-traffic-username <user>', 'SCRAM user'))
    .addOption(opt('--kafka-traffic-password <password>', 'SCRAM password'))
    .addOption(opt('--kafka-traffic-plaintext', 'no TLS to Kafka even with SASL (local brokers)'))
    .addOption(opt('--kafka-session-timeout-seconds <s>', 'a replayer silent this long loses its partitions to the others', { parse: numberArg({ min: 6 }), default: 30 }))
    .addOption(opt('--speedup-factor <n>', 'replay this many times faster than captured', { parse: numberArg({ above: 0 }), default: 1 }))
    .addOption(opt('--target-username <user>', 'basic auth to the target (replaces the captured Authorization)'))
    .addOption(opt('--target-password <password>', 'basic auth password'))
    .addOption(opt('--sigv4-auth-header-service-region <service,region>', 'sign each request with SigV4, e.g. es,us-east-1 (aoss for Serverless)'))
    .addOption(opt('--remove-auth-header', 'drop the captured Authorization header'))
    .addOption(opt('--insecure', 'accept any TLS certificate from the target'))
    .addOption(opt('--transformer-config <json>', 'request transforms, a JSON list: [{"TypeRemoval":{}},{"IndexRename":{"rules":[{"from":"a","to":"b"}]}},{"JsTransform":{"file":"t.js"}}]'))
    .addOption(opt('--transformer-config-file <file>', 'the same, from a file'))
    .addOption(opt('--user-agent <suffix>', 'appended to each request\'s User-Agent'))
    .addOption(opt('--max-concurrent-requests <n>', 'requests in flight to the target at most', { parse: integerArg(1), default: 1024 }))
    .addOption(opt('--max-pending-requests <n>', 'look-ahead window: requests read but not finished at most', { parse: integerArg(1), default: 10000 }))
    .addOption(opt('--packet-timeout-seconds <s>', 'a source connection idle this long is closed', { parse: numberArg({ min: 1 }), default: 70 }))
    .addOption(opt('--max-retries <n>', 'retries on 429/5xx and retryable _bulk items', { parse: integerArg(0), default: 4 }))
    .addOption(opt('--target-down-retry-seconds <s>', 'how long a request keeps retrying while the target is unreachable', { parse: numberArg({ min: 0 }), default: 600 }))
    .addOption(opt('--tuple-dir <dir>', 'where tuples go (rotated gzip JSON lines)', { default: './tuples' }))
    .addOption(opt('--tuple-file-max-mb <n>', 'start a new tuple file after this size', { parse: numberArg({ min: 1 }), default: 64 }))
    .addOption(opt('--tuple-s3-bucket <bucket>', 'write tuples to this S3 bucket (closed gzip objects) instead of --tuple-dir'))
    .addOption(opt('--tuple-s3-prefix <prefix>', 'key prefix of the tuple objects', { default: 'tuples/' }))
    .addOption(opt('--tuple-s3-region <region>', 'the bucket\'s region (default: AWS_REGION)'))
    .addOption(opt('--tuple-s3-endpoint <url>', 'an S3-compatible endpoint (moto, MinIO, LocalStack)'))
    .addOption(opt('--tuple-max-buffer-seconds <s>', 'with S3: a closed tuple object at least this often', { parse: numberArg({ min: 0.1 }), default: 5 }))
    .addOption(opt('--tuple-keep-source-auth', 'keep the Authorization (and other credential headers) clients sent in the tuples; masked by default'))
    .addOption(opt('--metrics-port <port>', 'serve Prometheus metrics on :PORT/metrics', { parse: portArg(0) }))
    .addOption(opt('--summary-interval-seconds <s>', 'how often a summary is logged', { parse: numberArg({ min: 1 }), default: 5 }))
    .addOption(opt('--shutdown-grace-seconds <s>', 'on SIGTERM, how long in-flight requests may finish', { parse: numberArg({ min: 0 }), default: 10 }))
    .addOption(opt('--replay-writes-as-captured', 'send document writes exactly as captured: without the source\'s _id and _version, and those the source refused too (the reference\'s behaviour)'))
    .addOption(opt('--replay-refused-writes', 'also send the writes and _bulk items that the source answered with an error (as captured)'))
    .addOption(opt('--target-gc-deletes <time>', 'index.gc_deletes held on target indices that get versioned deletes, so that an older write replayed late cannot bring a deleted document back (off: leave it)', { default: '24h' }))
    .addOption(opt('--restore-target-gc-deletes', 'put back the index.gc_deletes the replay raised on the target (after cutover), print them as JSON and exit'));
  return addReferenceOptions(cmd, opt)
    // A usage error is one ConfigError line (parseCli); help and version a CommanderError with exit code 0.
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
}

/** The command line and TRAFFIC_REPLAYER_* variables as the options resolveConfig checks. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const cmd = program();
  try {
    cmd.parse(rewriteReferenceFlags(argv, cmd, referenceReplayerFlags), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode !== 0) throw new ConfigError(err.message.replace(/^error: /, ''));
    throw err;
  }
  applyEnv(cmd, env);
  const o = cmd.opts<CliOptions>();
  // The reference's target was a positional argument; --target-uri is the same.
  const positional = cmd.args[0];
  if (positional !== undefined) {
    if (o.targetUri !== undefined && cmd.getOptionValueSource('targetUri') === 'cli') throw new ConfigError(`give the target once: "${positional}" and --target-uri ${o.targetUri}`);
    o.targetUri = positional;
  }
  return o;
}

/** Replay, or one of the dump modes (which need no target). */
export function resolveCli(o: CliOptions, env: NodeJS.ProcessEnv = process.env): ReplayerConfig | DumpConfig {
  if (o.mode === 'replay') return resolveConfig(o, env);
  if ((DUMP_MODES as readonly string[]).includes(o.mode)) return resolveDumpConfig(o, o.mode as DumpModeName, env);
  throw new ConfigError(`--mode must be replay, ${DUMP_MODES.join(', ')} (got "${o.mode}")`);
}

async function dump(config: DumpConfig): Promise<void> {
  const logger = createLogger({ name: 'traffic-replayer' });
  const { records, malformed } = await runDump(config, process.stdout, logger);
  logger.flush?.();
  if (records === 0 && malformed > 0) throw new ConfigError(`none of the ${malformed} records of the input is a TrafficStream: is it a capture (base64 or key|base64 lines, gzipped or not)?`);
}

/** The target as a cluster client with the replayer's own credentials (for settings, not for replay). */
function targetClient(config: ReturnType<typeof resolveConfig>): ClusterClient {
  const auth: ClusterAuth = config.basic ? { type: 'basic', ...config.basic } : config.sigv4 ? { type: 'sigv4', ...config.sigv4 } : { type: 'none' };
  return clusterClient({ endpoint: config.target.href, auth, allowInsecure: config.insecure }, { connections: 2 });
}

async function main(): Promise<void> {
  const resolved = resolveCli(parseCli(process.argv.slice(2), process.env), process.env);
  for (const w of resolved.warnings) process.stderr.write(`warning: ${w}\n`);
  if (resolved.mode !== 'replay') return dump(resolved);
  const config = resolved;
  if (config.restoreTargetGcDeletes) {
    const client = targetClient(config);
    const restored = await restoreGcDeletes(client);
    await client.close();
    process.stdout.write(`${JSON.stringify({ restored })}\n`);
    return;
  }
  const logger = createLogger({ name: 'traffic-replayer' });
  const metrics = new ReplayerMetrics();
  const tupleWriter = config.tupleS3
    ? // Half the look-ahead window a batch at most: a full window never waits on the clock.
      new S3LineWriter({ location: config.tupleS3, kind: 'tuples', maxBufferMs: config.tupleMaxBufferMs, maxObjectLines: Math.max(1, Math.floor(config.maxPendingRequests / 2)) })
    : new TupleWriter({ dir: config.tupleDir, maxFileBytes: config.tupleFileMaxBytes });
  const sign = config.sigv4 ? createSigner(config.sigv4) : undefined;
  const settingsClient = config.targetGcDeletes ? targetClient(config) : undefined;
  const tombstones = settingsClient && new TombstoneKeeper(settingsClient, config.targetGcDeletes!, logger);
  const replayer = new TrafficReplayer({
    ...config,
    sign,
    tombstones,
    tupleWriter,
    metrics,
    logger,
    onFatal: (err) => {
      // Without durable tuples nothing may be committed: stop here and let a restart resume.
      logger.fatal({ err: err.message }, 'cannot write tuples; exiting without committing');
      process.exit(1);
    },
  });
  const metricsServer = config.metricsPort !== undefined ? await metrics.serve(config.metricsPort) : undefined;
  const summaryTimer = setInterval(() => logger.info({ summary: replayer.summary.snapshot({ pending: replayer.pending }) }, 'replay summary'), config.summaryIntervalMs);
  const expiryTimer = setInterval(() => replayer.expireIdle(!replayer.hasRoom()), 1000);
  // On ECS with METRICS_FORMAT=emf: the replay dashboard's metrics as log lines for CloudWatch.
  const emf = startEmfReporter({
    metrics: {
      replayRequests: { kind: 'counter' },
      replayErrors: { kind: 'counter' },
      replayStatusMismatches: { kind: 'counter' },
      replayPending: { kind: 'gauge' },
      replayLatencyMs: { kind: 'gauge', unit: 'Milliseconds' },
    },
    read: () => {
      const s = replayer.summary;
      const latency = s.snapshot().targetLatencyMs as { p50?: number } | undefined;
      return {
        replayRequests: s.requests,
        replayErrors: s.targetErrors + s.transformErrors,
        replayStatusMismatches: s.statusDiffered,
        replayPending: replayer.pending,
        replayLatencyMs: latency?.p50 ?? Number.NaN,
      };
    },
  });
  const tuples = config.tupleS3 ? `s3://${config.tupleS3.bucket}/${config.tupleS3.prefix}` : config.tupleDir;
  logger.info({ target: config.target.origin, input: config.input ?? `kafka:${config.kafka?.topic}`, speedup: config.speedupFactor, tuples }, 'replayer starting');

  let stopping = false;
  const finish = async (code: number) => {
    clearInterval(summaryTimer);
    clearInterval(expiryTimer);
    await tupleWriter.close();
    await replayer.close();
    await tombstones?.settled();
    await settingsClient?.close();
    metricsServer?.close();
    emf?.stop();
    process.stdout.write(`${JSON.stringify(replayer.summary.snapshot({ pending: replayer.pending }))}\n`);
    logger.flush?.();
    process.exit(code);
  };

  if (config.kafka) {
    const kafka = createKafka({ ...config.kafka, logger });
    const source = new KafkaSource({ kafka, topic: config.kafka.topic, groupId: config.kafka.groupId, sessionTimeoutMs: config.kafka.sessionTimeoutMs, replayer, metrics, logger });
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping: finishing in-flight requests, committing finished offsets');
      source.stop(config.shutdownGraceMs).then(() => finish(0), (err) => {
        logger.error({ err: (err as Error).message }, 'error while stopping');
        void finish(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    await source.start();
  } else {
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      replayer.drain(config.shutdownGraceMs).then(() => finish(0), () => finish(1));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const read = await replayLines(config.input!, replayer, () => stopping);
    if (stopping) return;
    await replayer.drain();
    if (read.records === 0 && read.malformed > 0) {
      logger.error({ malformed: read.malformed }, `none of the ${read.malformed} records of ${config.input} is a TrafficStream: is it a capture (base64 or key|base64 lines, gzipped or not)?`);
      await finish(1);
    }
    await finish(0);
  }
}

if (require.main === module) {
  main().catch((err) => (err instanceof CommanderError ? process.exit(err.exitCode) : exitWithError(err)));
}
