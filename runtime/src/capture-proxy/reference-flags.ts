import type { ReferenceFlags } from '../core/cli/reference-flags';

/** The reference proxy's flag names that ours carry under another name, and those refused. */
export const referenceProxyFlags: ReferenceFlags = {
  aliases: {
    '--kafkaBrokers': '--kafkaConnection',
    '--kafkaPropertyFile': '--kafkaConfigFile',
    '--kafkaUserName': '--kafkaScramUsername',
    '--kafkaPassword': '--kafkaScramPassword',
  },
  refused: {
    '--sslConfigFile': 'it configures TLS through the OpenSearch security plugin; give the PEM files with --sslCertChainFile and --sslKeyFile (client certificates: --sslTrustCertFile, --requireClientAuth)',
  },
};
