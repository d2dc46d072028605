import { readFileSync } from 'node:fs';
import { ClusterAuth, ClusterClient, ClusterClientOptions } from './cluster-client';
import { ConfigError } from './errors';
import { readPasswordSecret, readUserSecret, SecretReader } from './secrets';
import { AuthConfig, clusterAuth, ClusterYaml } from './services-yaml';

/**
 * One cluster as a service connects to it, from a services.yaml section or from flags: the auth
 * may still name Secrets Manager ARNs, read only when the client is opened.
 */
export interface ClusterSettings {
  endpoint: string;
  auth: AuthConfig;
  allowInsecure: boolean;
  /** services.yaml ca_file: a PEM CA bundle the cluster's certificate is checked against. */
  caFile?: string;
  /** ES_7.10, OS_2.19, AOSS...: when given, the client does not ask GET /. */
  version?: string;
}

/** What differs between services: pool size, timeouts, retries, user agent. */
export type ClusterTuning = Omit<ClusterClientOptions, 'endpoint' | 'auth' | 'allowInsecure' | 'version' | 'ca'>;

/** A services.yaml source_cluster / target_cluster; a SigV4 region falls back to env's AWS_REGION. */
export function clusterSettingsFromYaml(cluster: ClusterYaml, env: NodeJS.ProcessEnv): ClusterSettings {
  return { endpoint: cluster.endpoint, auth: clusterAuth(cluster, env), allowInsecure: Boolean(cluster.allow_insecure), caFile: cluster.ca_file, version: cluster.version };
}

/** A CLI's cluster flags as commander parsed them. */
export interface ClusterFlagValues {
  endpoint?: string;
  username?: string;
  password?: string;
  awsRegion?: string;
  awsServiceSigningName?: string;
  insecure?: boolean;
}

/** How the CLI spells those flags, for its error lines. */
export interface ClusterFlagNames {
  endpoint: string;
  username: string;
  password: string;
  awsRegion: string;
  /** The whole error line when there is no endpoint at all. */
  noEndpoint: string;
}

/** Flags win over the services.yaml section (fallback), auth and TLS alike; one usage error per contradiction. */
export function clusterSettingsFromFlags(values: ClusterFlagValues, names: ClusterFlagNames, fallback: ClusterYaml | undefined, env: NodeJS.ProcessEnv): ClusterSettings {
  const endpoint = values.endpoint ?? fallback?.endpoint;
  if (!endpoint) throw new ConfigError(names.noEndpoint);
  if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw new ConfigError(`${names.endpoint} must be a URL such as https://host:9200 (got "${endpoint}")`);
  const { username, password, awsRegion } = values;
  let auth: AuthConfig = { type: 'none' };
  if (username !== undefined || password !== undefined) {
    if (!username || !password) throw new ConfigError(`${names.username} and ${names.password} go together: pass both`);
    if (awsRegion) throw new ConfigError(`${names.username} and ${names.awsRegion} are two different auths: pass one`);
    auth = { type: 'basic', username, password };
  } else if (awsRegion) {
    auth = { type: 'sigv4', region: awsRegion, service: (values.awsServiceSigningName ?? 'es') as 'es' | 'aoss' };
  } else if (fallback) {
    auth = clusterAuth(fallback, env);
  }
  return { endpoint, auth, allowInsecure: Boolean(values.insecure ?? fallback?.allow_insecure), caFile: fallback?.ca_file, version: fallback?.version };
}

/** The auth the client sends: basic-auth secrets read (user_secret_arn, password_secret_arn), the rest as it is. */
export async function resolveClusterAuth(auth: AuthConfig, readSecret: SecretReader): Promise<ClusterAuth> {
  if (auth.type !== 'basic') return auth;
  if (auth.userSecretArn) return { type: 'basic', ...(await readUserSecret(auth.userSecretArn, readSecret)) };
  if (!auth.username) throw new ConfigError('basic auth needs a username (or user_secret_arn)');
  const password = auth.password ?? (auth.passwordSecretArn ? await readPasswordSecret(auth.passwordSecretArn, readSecret) : undefined);
  if (password === undefined) throw new ConfigError(`basic auth of ${auth.username} needs a password (or password_secret_arn)`);
  return { type: 'basic', username: auth.username, password };
}

function readCaFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`ca_file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A client for settings whose auth is already resolved (no secrets to read). */
export function clusterClient(settings: Omit<ClusterSettings, 'auth'> & { auth: ClusterAuth }, tuning: ClusterTuning = {}): ClusterClient {
  return new ClusterClient({ ...tuning, endpoint: settings.endpoint, auth: settings.auth, allowInsecure: settings.allowInsecure, ca: settings.caFile ? readCaFile(settings.caFile) : undefined, version: settings.version });
}

/** A client for any settings: secrets are read first (their values never reach an error or a log). */
export async function openClusterClient(settings: ClusterSettings, tuning: ClusterTuning, readSecret: SecretReader): Promise<ClusterClient> {
  return clusterClient({ ...settings, auth: await resolveClusterAuth(settings.auth, readSecret) }, tuning);
}
