import { ConfigError } from './errors';
import { KafkaAuth, KafkaAuthType, parseBrokers } from './kafka-client';
import { KafkaPropertySettings, readKafkaProperties } from './kafka-properties';

const AUTH_TYPES: readonly KafkaAuthType[] = ['none', 'msk-iam', 'scram-sha-512', 'ssl'];

/** A service's Kafka flags as its CLI parsed them. */
export interface KafkaOptionValues {
  brokers?: string;
  authType?: string;
  /** The reference's MSK switch: the same as authType msk-iam. */
  enableMskAuth?: boolean;
  username?: string;
  password?: string;
  /** No TLS even where the auth type implies it (a local SASL_PLAINTEXT listener). */
  plaintext?: boolean;
  /** The reference's Java client properties file. */
  propertiesFile?: string;
  clientId: string;
}

/** How that CLI spells the flags, for its error lines. */
export interface KafkaOptionNames {
  authType: string;
  enableMskAuth: string;
  username: string;
  password: string;
  propertiesFile: string;
}

/** Everything a Kafka client needs, whichever service asked. */
export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  auth: KafkaAuth;
  /** undefined: the auth type's default (kafkaConfig). */
  tls?: boolean;
  requestTimeoutMs?: number;
  /** For stderr: properties file keys that do nothing here. */
  warnings: string[];
}

/** One auth choice made concrete: the MSK IAM region comes from the given env, never from process.env. */
export function resolveKafkaAuth(choice: { type: string; username?: string; password?: string }, env: NodeJS.ProcessEnv, hint: { authFlag: string; credentials: string }): KafkaAuth {
  switch (choice.type) {
    case 'none':
    case 'ssl':
      return { type: choice.type };
    case 'msk-iam': {
      const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
      if (!region) throw new ConfigError('Kafka MSK IAM auth needs the AWS region: set AWS_REGION (e.g. AWS_REGION=us-east-1)');
      return { type: 'msk-iam', region };
    }
    case 'scram-sha-512':
      if (!choice.username || !choice.password) throw new ConfigError(`Kafka scram-sha-512 auth needs a user and a password: ${hint.credentials}`);
      return { type: 'scram-sha-512', username: choice.username, password: choice.password };
    default:
      throw new ConfigError(`${hint.authFlag} must be one of ${AUTH_TYPES.join(', ')} (got "${choice.type}")`);
  }
}

/**
 * Kafka flags (and the properties file they name) to settings; flags win over the file.
 * undefined when neither names any brokers.
 */
export function kafkaSettings(values: KafkaOptionValues, names: KafkaOptionNames, env: NodeJS.ProcessEnv): KafkaSettings | undefined {
  const props: KafkaPropertySettings = values.propertiesFile ? readKafkaProperties(values.propertiesFile, names.propertiesFile) : { ignored: [] };
  const brokers = values.brokers ?? props.bootstrapServers;
  if (!brokers) return undefined;
  const warnings = props.ignored.length ? [`${names.propertiesFile}: ${props.ignored.join(', ')} tune the reference's Java Kafka client and are ignored here`] : [];
  if (values.enableMskAuth && values.authType && values.authType !== 'msk-iam') throw new ConfigError(`${names.enableMskAuth} contradicts ${names.authType} ${values.authType}: keep one`);
  const type = values.enableMskAuth ? 'msk-iam' : (values.authType ?? props.authType ?? 'none');
  const auth = resolveKafkaAuth({ type, username: values.username ?? props.username, password: values.password ?? props.password }, env, {
    authFlag: names.authType,
    credentials: `${names.username} and ${names.password} (or sasl.jaas.config in ${names.propertiesFile})`,
  });
  return {
    brokers: parseBrokers(brokers),
    clientId: props.clientId ?? values.clientId,
    auth,
    tls: values.plaintext ? false : props.tls,
    requestTimeoutMs: props.requestTimeoutMs,
    warnings,
  };
}
