import type { Command } from 'commander';
import { integerArg, numberArg } from '../core/cli/values';
import type { ReferenceFlags } from '../core/cli/reference-flags';
import type { ReplayerOption } from './cli';

/*
 * The reference replayer's flags that ours lacked, with its names and meanings, and the names
 * under which it knows flags we already have. Grouped here so that the CLI's own list stays ours.
 */

export const DUMP_MODES = ['dump-raw', 'dump-http', 'dump-both'] as const;
export type DumpModeName = (typeof DUMP_MODES)[number];
export type ReplayMode = 'replay' | DumpModeName;

/** The reference's other names of our flags (its camelCase spellings are mapped generically). */
export const referenceReplayerFlags: ReferenceFlags = {
  aliases: {
    '-t': '--packet-timeout-seconds',
    '--observedPacketConnectionTimeout': '--packet-timeout-seconds',
    '--kafkaBrokers': '--kafka-traffic-brokers',
    '--kafkaTopic': '--kafka-traffic-topic',
    '--kafkaGroupId': '--kafka-traffic-group-id',
    '--kafkaTrafficEnabledMskAuth': '--kafka-traffic-enable-msk-auth',
    '--kafkaTrafficEnableMSKAuth': '--kafka-traffic-enable-msk-auth',
    '--kafkaPropertyFile': '--kafka-traffic-property-file',
    '--kafkaAuthType': '--kafka-traffic-auth-type',
    '--kafka-traffic-user-name': '--kafka-traffic-username',
    '--kafkaTrafficUserName': '--kafka-traffic-username',
    '--kafkaUserName': '--kafka-traffic-username',
    '--kafkaPassword': '--kafka-traffic-password',
    '--targetServerResponseTimeoutSeconds': '--target-response-timeout',
    '--lookaheadTimeSeconds': '--lookahead-time-window',
  },
  refused: {
    '--kafkaSecretName': 'it names a Kubernetes secret; give --kafka-traffic-username and TRAFFIC_REPLAYER_KAFKA_TRAFFIC_PASSWORD',
    '--kafka-traffic-secret-name': 'it names a Kubernetes secret; give --kafka-traffic-username and TRAFFIC_REPLAYER_KAFKA_TRAFFIC_PASSWORD',
    '--kafkaListenerName': 'it picks a Strimzi listener; give the brokers of that listener with --kafka-traffic-brokers',
    '--kafka-traffic-listener-name': 'it picks a Strimzi listener; give the brokers of that listener with --kafka-traffic-brokers',
  },
};

/** Declares the reference's flags on the replayer's command; `opt` gives each its TRAFFIC_REPLAYER_* variable. */
export function addReferenceOptions(cmd: Command, opt: ReplayerOption): Command {
  return cmd
    .argument('[targetUri]', 'the target, as the reference took it (same as --target-uri)')
    .addOption(opt('--auth-header-value <value>', 'send this Authorization header on every request'))
    .addOption(opt('--kafka-traffic-property-file <file>', 'Kafka client properties (security.protocol, sasl.mechanism, sasl.jaas.config, client.id, request.timeout.ms, bootstrap.servers)'))
    .addOption(opt('--target-response-timeout <s>', 'seconds to wait for each answer of the target', { parse: numberArg({ min: 1 }), default: 60 }))
    .addOption(opt('--lookahead-time-window <s>', 'read input at most this many seconds (of replay time) ahead of the requests being sent', { parse: numberArg({ min: 1 }) }))
    .addOption(opt('--quiescent-period-ms <ms>', 'delay the first request of a connection the input joined mid-way (after a partition moved) by this long', { parse: integerArg(0), default: 0 }))
    .addOption(opt('--non-retryable-doc-exception-types <types>', 'comma-separated _bulk item error types never retried; with it, other failed items are retried'))
    .addOption(opt('--transformer-config-encoded <base64>', 'the --transformer-config text, base64-encoded'))
    .addOption(opt('--num-client-threads <n>', 'accepted and ignored: the replayer sends from one event loop'))
    .addOption(opt('--otel-collector-endpoint <endpoint>', 'accepted and ignored: metrics are served by --metrics-port (Prometheus) or as EMF logs'))
    .addOption(opt('--mode <mode>', `replay, or print the capture without replaying: ${DUMP_MODES.join(', ')}`, { default: 'replay' }))
    .addOption(opt('--start-offset <n>', 'dump modes: start at this offset on every partition', { parse: integerArg(0) }))
    .addOption(opt('--end-offset <n>', 'dump modes: stop after this offset on every partition', { parse: integerArg(0) }))
    .addOption(opt('--start-time <epochSeconds>', 'dump modes: start at the first record at or after this time', { parse: numberArg({ min: 0 }) }))
    .addOption(opt('--end-time <epochSeconds>', 'dump modes: stop at the first record after this time', { parse: numberArg({ min: 0 }) }))
    .addOption(opt('--preview-bytes-read <n>', 'dump-raw: bytes of each read shown', { parse: integerArg(0), default: 24 }))
    .addOption(opt('--preview-bytes-write <n>', 'dump-raw: bytes of each write shown', { parse: integerArg(0), default: 24 }));
}
