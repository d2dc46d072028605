import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { applyEnv, cliOption, CliOptionSpec, envVarName } from '../core/cli/options';
import { byteSizeArg, durationArg, integerArg, isoDurationArg, portArg, urlArg } from '../core/cli/values';
import { ConfigError } from '../core/errors';
import { FramingRules, framingRulesFor } from '../core/http/framing-rules';
import type { KafkaAuth } from '../core/kafka-client';
import { kafkaSettings } from '../core/kafka-settings';
import { rewriteReferenceFlags } from '../core/cli/reference-flags';
import { referenceProxyFlags } from './reference-flags';
import { CaptureRules } from './capture-rules';
import type { UnackedPolicy } from './proxy-connection';
import { defaultThreadCount, MAX_DEFAULT_THREADS, MAX_THREADS } from './threads';

export interface ProxyConfig {
  destination: URL;
  insecureDestination: boolean;
  listenHost: string;
  listenPort: number;
  /** requireClientCert: a client without a certificate is refused (one with a bad certificate always is). */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string; requireClientCert?: boolean };
  /** Warm connections to the destination (the reference's --destinationConnectionPoolSize). */
  destinationPool: { size: number; maxIdleMs: number };
  capture: { kind: 'kafka'; brokers: string[]; topic: string; clientId: string; auth: KafkaAuth; tls?: boolean; requestTimeoutMs?: number } | { kind: 'file'; directory: string; maxFileBytes: number; worker?: number } | { kind: 'none' };
  nodeId: string;
  maxTrafficBufferSize: number;
  setHeaders: Array<[string, string]>;
  rules: CaptureRules;
  ackTimeoutMs: number;
  unackedPolicy: UnackedPolicy;
  framingRules: FramingRules;
  headerTimeoutMs: number;
  maxBufferedBytes: number;
  journalDir?: string;
  maxJournalBytes: number;
  flushIntervalMs: number;
  metricsPort?: number;
  metricsHost: string;
  shutdownGraceMs: number;
  logLevel: string;
  /** Worker processes sharing the listener (1: this process serves alone). */
  numThreads: number;
}

/** camelCase flag name -> CAPTURE_PROXY_SNAKE_CASE. */
export function envName(flag: string): string {
  return envVarName('CAPTURE_PROXY_', flag);
}

/** Documents pasted from a word processor turn `--` into an em or en dash: accept it, and say so. */
export function normalizeDashes(argv: string[], warn: (msg: string) => void): string[] {
  return argv.map((arg) => {
    const m = /^(?:\u2014|\u2013)+(?=[A-Za-z])/.exec(arg);
    if (!m) return arg;
    const fixed = `--${arg.slice(m[0].length)}`;
    warn(`warning: read "${arg}" as "${fixed}" (a dash pasted from a document; type -- to silence this)`);
    return fixed;
  });
}

function pairs(flag: string, values: string[] | undefined): Array<[string, string]> {
  if (!values || values.length === 0) return [];
  if (values.length % 2 !== 0) throw new ConfigError(`${flag} takes a NAME and a VALUE each time (got ${values.length} word(s): ${values.join(' ')})`);
  const out: Array<[string, string]> = [];
  for (let i = 0; i < values.length; i += 2) out.push([values[i], values[i + 1]]);
  return out;
}

/** The proxy's flags, each with its CAPTURE_PROXY_<FLAG> variable; `env` gives LOG_LEVEL's default. */
export function buildCommand(env: NodeJS.ProcessEnv = process.env): Command {
  const cmd = new Command('capture-proxy')
    .description('Relays HTTP traffic to the source cluster and records every request and response (TrafficStream records) to Kafka or files.')
    .showHelpAfterError('(run capture-proxy --help for the flags)');
  const opt = (flags: string, description: string, parse?: CliOptionSpec['parse'], dflt?: unknown, spec: CliOptionSpec = {}) => {
    const long = /--([A-Za-z0-9]+)/.exec(flags)![1];
    cmd.addOption(cliOption(flags, description, { ...spec, parse, default: dflt, env: envName(long) }));
  };
  opt('--destinationUri <uri>', 'the source node to forward to, e.g. http://localhost:19200', urlArg('http://localhost:19200'));
  opt('--listenPort <port>', 'port to listen on', portArg(0));
  opt('--listenHost <host>', 'address to listen on', undefined, '0.0.0.0');
  opt('--insecureDestination', 'do not verify the certificate of an https destination');
  opt('--sslCertChainFile <file>', 'PEM certificate chain: listen with TLS (with --sslKeyFile)');
  opt('--sslKeyFile <file>', 'PEM private key of the TLS listener');
  opt('--sslClientCaFile <file>', 'PEM CA bundle: require and verify client certificates');
  opt('--sslTrustCertFile <file>', 'PEM CA bundle that client certificates are verified against (the reference\'s name; required with --requireClientAuth)');
  opt('--requireClientAuth', 'refuse clients without a certificate signed by --sslTrustCertFile (mutual TLS)');
  opt('--destinationConnectionPoolSize <n>', 'connections to the destination kept open ahead of clients (0: none)', integerArg(0, 1024), 0);
  opt('--destinationConnectionPoolTimeout <duration>', 'how long a warm connection waits before it is replaced (ISO-8601, e.g. PT30S)', isoDurationArg(), 30_000);
  opt('--otelCollectorEndpoint <endpoint>', 'accepted for the reference\'s command lines and ignored: metrics are served by --metricsPort (Prometheus) or as EMF logs');
  opt('--kafkaConnection <brokers>', 'Kafka bootstrap servers, host:port[,host:port]');
  opt('--kafkaTopic <topic>', 'Kafka topic of the capture', undefined, 'logging-traffic-topic');
  opt('--kafkaClientId <id>', 'Kafka client id', undefined, 'HttpCaptureProxyProducer');
  opt('--enableMSKAuth', 'Kafka auth with AWS MSK IAM (same as --kafkaAuthType msk-iam)');
  opt('--kafkaAuthType <type>', 'Kafka auth', undefined, undefined, { choices: ['none', 'msk-iam', 'scram-sha-512', 'ssl'] });
  opt('--kafkaScramUsername <name>', 'SCRAM user (scram-sha-512)');
  opt('--kafkaScramPassword <password>', `SCRAM password (prefer the ${envName('kafkaScramPassword')} variable)`);
  opt('--kafkaConfigFile <file>', 'Kafka producer properties (security.protocol, sasl.mechanism, sasl.jaas.config, client.id, request.timeout.ms)');
  opt('--traceDirectory <dir>', 'write the capture to files here (base64 TrafficStream lines) instead of Kafka');
  opt('--traceFileMaxBytes <n>', 'rotate capture files at this size', byteSizeArg(4096), 100 * 1024 * 1024);
  opt('--noCapture', 'relay only, record nothing');
  opt('--nodeId <id>', 'nodeId written in every record', undefined, os.hostname());
  opt('--maxTrafficBufferSize <bytes>', 'largest TrafficStream record', byteSizeArg(4096, 64 * 1024 * 1024), 1024 * 1024);
  opt('--setHeader <nameValue...>', 'set a header on every forwarded request: NAME VALUE (repeatable)');
  opt('--suppressCaptureForHeaderMatch <nameRegex...>', 'do not capture requests with a header matching: NAME REGEX (repeatable)');
  opt('--suppressCaptureForMethod <regex>', 'do not capture requests whose method matches (with --suppressCaptureForUriPath: both must match)');
  opt('--suppressCaptureForUriPath <regex>', 'do not capture requests whose path matches');
  opt('--suppressMethodAndPath <regex>', 'do not capture requests whose "METHOD /path" matches');
  opt('--captureAckTimeoutMs <ms>', 'how long a POST/PUT/DELETE/PATCH waits for Kafka to acknowledge its capture', durationArg({ unit: 'ms', minMs: 1 }), 10_000);
  opt('--unackedCapturePolicy <policy>', 'when that wait times out: forward (the capture is appended and fsync\'d to the journal first, then the request goes on; while Kafka is away, later writes go through the journal without the wait; 503 if the journal cannot take it) or reject (503, the request never reaches the source)', undefined, 'forward', { choices: ['forward', 'reject'] });
  opt('--sourceVersion <version>', 'the source cluster (ES_7.10, ES_6.8, OS_2.19, OS_1.3...): requests are framed as its HTTP server frames them', undefined, 'ES_7.10');
  opt('--sourceMaxHeaderSize <bytes>', "the source's http.max_header_size", byteSizeArg(1, 16 * 1024 * 1024), 8192);
  opt('--sourceMaxInitialLineLength <bytes>', "the source's http.max_initial_line_length", byteSizeArg(1, 16 * 1024 * 1024), 4096);
  opt('--sourceMaxContentLength <bytes>', "the source's http.max_content_length (an Expect: 100-continue request above it is refused 413 and its body read as requests; unset: not modelled)", byteSizeArg(1));
  opt('--headerTimeoutMs <ms>', 'close a connection whose request head is not complete after this long, recorded as a close (0: never, as Elasticsearch does by default)', durationArg({ unit: 'ms' }), 0);
  opt('--maxBufferedCaptureBytes <bytes>', 'capture held in memory for Kafka before it spills to the journal', byteSizeArg(1024 * 1024), 64 * 1024 * 1024);
  opt('--journalDirectory <dir>', 'spill journal while Kafka is away (default: <tmp>/capture-proxy-journal-<listenPort>)');
  opt('--maxJournalBytes <bytes>', 'journal size beyond which capture is dropped (counted, logged, metric)', byteSizeArg(0), 1024 * 1024 * 1024);
  opt('--captureFlushIntervalMs <ms>', 'emit the capture of quiet connections at least this often', durationArg({ unit: 'ms', minMs: 10 }), 1000);
  opt('--metricsPort <port>', 'serve Prometheus /metrics on this port', portArg(0));
  opt('--metricsHost <host>', 'address of the metrics listener', undefined, '0.0.0.0');
  opt('--shutdownGraceMs <ms>', 'on SIGTERM, how long requests in flight may finish', durationArg({ unit: 'ms' }), 30_000);
  opt('--numThreads <n>', `worker processes sharing the port, each connection in one of them (0: the number of cores, at most ${MAX_DEFAULT_THREADS})`, integerArg(0, MAX_THREADS), 0);
  opt('--logLevel <level>', 'fatal, error, warn, info, debug', undefined, env.LOG_LEVEL ?? 'info', { choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] });
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  return cmd;
}

/** The flags and CAPTURE_PROXY_* variables as the declarations parse them, before they are checked together. */
export function parseProxyOptions(argv: string[], env: NodeJS.ProcessEnv = process.env, warn: (msg: string) => void = () => undefined): Record<string, any> {
  const cmd = buildCommand(env);
  try {
    cmd.parse(rewriteReferenceFlags(normalizeDashes(argv, warn), cmd, referenceProxyFlags), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode !== 0) throw new ConfigError(err.message.replace(/^error: /, ''));
    throw err;
  }
  applyEnv(cmd, env);
  return cmd.opts();
}

/**
 * Parses the command line (and CAPTURE_PROXY_* variables) into a checked config. Throws
 * ConfigError for anything wrong; CommanderError for help/version (exit code in it).
 */
export function parseProxyArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, warn: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): ProxyConfig {
  const o = parseProxyOptions(argv, env, warn);

  if (!o.destinationUri) throw new ConfigError(`--destinationUri is required (e.g. --destinationUri http://localhost:19200, or ${envName('destinationUri')})`);
  const destination = new URL(o.destinationUri);
  if (o.listenPort === undefined) throw new ConfigError(`--listenPort is required (e.g. --listenPort 9200, or ${envName('listenPort')})`);

  if (Boolean(o.sslCertChainFile) !== Boolean(o.sslKeyFile)) throw new ConfigError('--sslCertChainFile and --sslKeyFile go together: give both for a TLS listener, or neither');
  if (o.sslClientCaFile && !o.sslCertChainFile) throw new ConfigError('--sslClientCaFile needs a TLS listener: add --sslCertChainFile and --sslKeyFile');
  if (o.sslTrustCertFile && !o.sslCertChainFile) throw new ConfigError('--sslTrustCertFile needs a TLS listener: add --sslCertChainFile and --sslKeyFile');
  if (o.sslTrustCertFile && o.sslClientCaFile) throw new ConfigError('--sslTrustCertFile and --sslClientCaFile both name the client CA: give one');
  if (o.requireClientAuth && !o.sslTrustCertFile && !o.sslClientCaFile) throw new ConfigError('--requireClientAuth needs the CA that client certificates are checked against: add --sslTrustCertFile <ca.pem>');
  if (o.otelCollectorEndpoint) warn(`warning: --otelCollectorEndpoint ${o.otelCollectorEndpoint} is ignored: this proxy serves metrics with --metricsPort (Prometheus) or as EMF log lines (METRICS_FORMAT=emf)`);
  for (const f of [o.sslCertChainFile, o.sslKeyFile, o.sslClientCaFile, o.sslTrustCertFile, o.kafkaConfigFile]) {
    if (f) {
      try {
        readFileSync(f);
      } catch (err) {
        throw new ConfigError(`cannot read ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }

  const destinations = [o.kafkaConnection && '--kafkaConnection', o.traceDirectory && '--traceDirectory', o.noCapture && '--noCapture'].filter(Boolean);
  if (destinations.length === 0) throw new ConfigError('say where the capture goes: --kafkaConnection <brokers>, --traceDirectory <dir>, or --noCapture');
  if (destinations.length > 1) throw new ConfigError(`choose one capture destination (got ${destinations.join(' and ')})`);

  let capture: ProxyConfig['capture'];
  if (o.kafkaConnection) {
    const kafka = kafkaSettings(
      { brokers: o.kafkaConnection, authType: o.kafkaAuthType, enableMskAuth: o.enableMSKAuth, username: o.kafkaScramUsername, password: o.kafkaScramPassword, propertiesFile: o.kafkaConfigFile, clientId: o.kafkaClientId },
      { authType: '--kafkaAuthType', enableMskAuth: '--enableMSKAuth', username: '--kafkaScramUsername', password: envName('kafkaScramPassword'), propertiesFile: '--kafkaConfigFile' },
      env,
    )!;
    for (const w of kafka.warnings) warn(`warning: ${w}`);
    capture = { kind: 'kafka', brokers: kafka.brokers, topic: o.kafkaTopic, clientId: kafka.clientId, auth: kafka.auth, tls: kafka.tls, requestTimeoutMs: kafka.requestTimeoutMs };
  } else if (o.traceDirectory) {
    capture = { kind: 'file', directory: o.traceDirectory, maxFileBytes: o.traceFileMaxBytes };
  } else {
    capture = { kind: 'none' };
  }

  const setHeaders = pairs('--setHeader', o.setHeader);
  for (const [name] of setHeaders) if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new ConfigError(`--setHeader: "${name}" is not a valid header name`);
  const rules = new CaptureRules({
    headerMatches: pairs('--suppressCaptureForHeaderMatch', o.suppressCaptureForHeaderMatch),
    method: o.suppressCaptureForMethod,
    uriPath: o.suppressCaptureForUriPath,
    methodAndPath: o.suppressMethodAndPath,
  });
  const sourceRules = framingRulesFor(o.sourceVersion);
  if (!sourceRules) throw new ConfigError(`--sourceVersion must name an Elasticsearch or OpenSearch version such as ES_7.10 or OS_2.19 (got "${o.sourceVersion}")`);
  const framingRules: FramingRules = { ...sourceRules, maxHeaderSize: o.sourceMaxHeaderSize, maxInitialLineLength: o.sourceMaxInitialLineLength, maxContentLength: o.sourceMaxContentLength };

  return {
    destination,
    insecureDestination: Boolean(o.insecureDestination),
    listenHost: o.listenHost,
    listenPort: o.listenPort,
    tls: o.sslCertChainFile
      ? { certFile: o.sslCertChainFile, keyFile: o.sslKeyFile, clientCaFile: o.sslClientCaFile ?? o.sslTrustCertFile, requireClientCert: Boolean(o.sslClientCaFile || o.requireClientAuth) }
      : undefined,
    destinationPool: { size: o.destinationConnectionPoolSize, maxIdleMs: o.destinationConnectionPoolTimeout },
    capture,
    nodeId: o.nodeId,
    maxTrafficBufferSize: o.maxTrafficBufferSize,
    setHeaders,
    rules,
    ackTimeoutMs: o.captureAckTimeoutMs,
    unackedPolicy: o.unackedCapturePolicy,
    framingRules,
    headerTimeoutMs: o.headerTimeoutMs,
    maxBufferedBytes: o.maxBufferedCaptureBytes,
    journalDir: capture.kind === 'kafka' ? (o.journalDirectory ?? path.join(os.tmpdir(), `capture-proxy-journal-${o.listenPort}`)) : undefined,
    maxJournalBytes: o.maxJournalBytes,
    flushIntervalMs: o.captureFlushIntervalMs,
    metricsPort: o.metricsPort,
    metricsHost: o.metricsHost,
    shutdownGraceMs: o.shutdownGraceMs,
    logLevel: o.logLevel,
    numThreads: o.numThreads || defaultThreadCount(),
  };
}
