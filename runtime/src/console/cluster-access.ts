import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClusterAuth, ClusterClient, ClusterClientOptions } from '../core/cluster-client';
import { ConfigError, UserError } from '../core/errors';
import { ClusterYaml, clusterAuth } from '../core/services-yaml';
import type { ServicesYaml } from '../core/services-yaml';
import { requireSection } from './context';

async function readSecretString(arn: string): Promise<string> {
  const sm = new SecretsManagerClient({ region: regionOfArn(arn) ?? process.env.AWS_REGION });
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
    return out.SecretString ?? '';
  } catch (err) {
    throw new UserError('SECRET_UNREADABLE', `cannot read secret ${arn}: ${(err as Error).name}: ${(err as Error).message}`);
  } finally {
    sm.destroy();
  }
}

/** A password secret is the password itself, or JSON with a "password" field. */
export async function readPasswordSecret(arn: string): Promise<string> {
  const text = await readSecretString(arn);
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed?.password === 'string') return parsed.password;
  } catch {
    /* a plain string */
  }
  return text;
}

/** A basic-auth secret holds {"username": ..., "password": ...}, as the reference expects. */
export async function readUserSecret(arn: string): Promise<{ username: string; password: string }> {
  let parsed: any;
  try {
    parsed = JSON.parse(await readSecretString(arn));
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
  if (typeof parsed?.username !== 'string' || typeof parsed?.password !== 'string') {
    throw new ConfigError(`secret ${arn} must be JSON with string "username" and "password" fields`);
  }
  return { username: parsed.username, password: parsed.password };
}

function regionOfArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:secretsmanager:([\w-]+):/.exec(arn)?.[1];
}

export async function clusterClientFor(cluster: ClusterYaml, userAgent?: string, overrides: Partial<ClusterClientOptions> = {}): Promise<ClusterClient> {
  const auth = clusterAuth(cluster);
  let clientAuth: ClusterAuth;
  if (auth.type === 'basic') {
    const creds = auth.userSecretArn
      ? await readUserSecret(auth.userSecretArn)
      : { username: auth.username!, password: auth.password ?? (await readPasswordSecret(auth.passwordSecretArn!)) };
    clientAuth = { type: 'basic', ...creds };
  } else {
    clientAuth = auth;
  }
  return new ClusterClient({ endpoint: cluster.endpoint, auth: clientAuth, allowInsecure: cluster.allow_insecure, version: cluster.version, userAgent, maxRetries: 1, timeoutMs: 30_000, ...overrides });
}

export type ClusterSide = 'source' | 'target';

/** `source`, `target`, or the reference's `source_cluster` / `target_cluster`. */
export function parseClusterName(name: string): ClusterSide {
  const m = /^(source|target)(_cluster)?$/i.exec(name.trim());
  if (!m) throw new UserError('CLUSTER_MISSING', `unknown cluster "${name}": expected source or target (source_cluster and target_cluster work too)`);
  return m[1].toLowerCase() as ClusterSide;
}

/** The named cluster's section of services.yaml; NOT_CONFIGURED when it is not there. */
export function clusterSection(config: ServicesYaml, side: ClusterSide): ClusterYaml {
  return requireSection(config, `${side}_cluster`);
}

/** Runs fn with a client for the cluster, closed afterwards. */
export async function withCluster<T>(cluster: ClusterYaml, fn: (client: ClusterClient) => Promise<T>, userAgent?: string): Promise<T> {
  const client = await clusterClientFor(cluster, userAgent);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
