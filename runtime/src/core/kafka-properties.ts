import { readFileSync } from 'node:fs';
import { ConfigError } from './errors';
import type { KafkaAuthType } from './kafka-client';

/**
 * The reference's Kafka client properties files (--kafkaPropertyFile, --kafka-traffic-property-file):
 * Java properties for its Kafka client. The keys that say how to connect are read; the rest tune
 * the Java client, which we are not, and are listed so that the caller can say they are ignored.
 */
export interface KafkaPropertySettings {
  authType?: KafkaAuthType;
  username?: string;
  password?: string;
  /** From security.protocol: SSL/SASL_SSL true, PLAINTEXT/SASL_PLAINTEXT false. */
  tls?: boolean;
  clientId?: string;
  requestTimeoutMs?: number;
  bootstrapServers?: string;
  /** Keys present and not applied. */
  ignored: string[];
}

const READ = new Set(['security.protocol', 'sasl.mechanism', 'sasl.jaas.config', 'sasl.client.callback.handler.class', 'client.id', 'request.timeout.ms', 'bootstrap.servers']);

/** Java-style key=value (or key: value) lines; # and ! start comments. */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) props.set(m[1], m[2]);
  }
  return props;
}

export function kafkaSettingsFromProperties(props: Map<string, string>, source = 'Kafka properties'): KafkaPropertySettings {
  const out: KafkaPropertySettings = { ignored: [...props.keys()].filter((k) => !READ.has(k)) };
  const protocol = props.get('security.protocol')?.toUpperCase();
  if (protocol !== undefined) {
    if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw new ConfigError(`${source}: security.protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (got "${protocol}")`);
    out.tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  }
  const mechanism = props.get('sasl.mechanism')?.toUpperCase();
  if (mechanism === 'SCRAM-SHA-512') out.authType = 'scram-sha-512';
  else if (mechanism === 'AWS_MSK_IAM' || mechanism === 'OAUTHBEARER') out.authType = 'msk-iam';
  else if (mechanism !== undefined) throw new ConfigError(`${source}: sasl.mechanism ${mechanism} is not supported (SCRAM-SHA-512, AWS_MSK_IAM or OAUTHBEARER for MSK IAM)`);
  else if (protocol === 'SSL') out.authType = 'ssl';
  const jaas = props.get('sasl.jaas.config') ?? '';
  out.username = /username\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
  out.password = /password\s*=\s*"([^"]*)"/.exec(jaas)?.[1];
  out.clientId = props.get('client.id');
  out.bootstrapServers = props.get('bootstrap.servers');
  const timeout = props.get('request.timeout.ms');
  if (timeout !== undefined) {
    out.requestTimeoutMs = Number(timeout);
    if (!Number.isInteger(out.requestTimeoutMs) || out.requestTimeoutMs <= 0) throw new ConfigError(`${source}: request.timeout.ms must be a whole number of milliseconds (got "${timeout}")`);
  }
  return out;
}

export function readKafkaProperties(file: string, flag: string): KafkaPropertySettings {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return kafkaSettingsFromProperties(parseProperties(text), `${flag} ${file}`);
}
