import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClusterAuth, ClusterClient } from '../core/cluster-client';
import { ConfigError } from '../core/errors';
import { ClusterYaml, clusterAuth } from '../core/services-yaml';
import { formatVersion } from '../core/version';

async function readSecretString(arn: string): Promise<string> {
  const sm = new SecretsManagerClient({ region: regionOfArn(arn) ?? process.env.AWS_REGION });
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
    return out.SecretString ?? '';
  } catch (err) {
    throw new ConfigError(`cannot read secret ${arn}: ${(err as Error).name}: ${(err as Error).message}`);
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
    if (err instanceof ConfigError) throw err;
  }
  if (typeof parsed?.username !== 'string' || typeof parsed?.password !== 'string') {
    throw new ConfigError(`secret ${arn} must be JSON with string "username" and "password" fields`);
  }
  return { username: parsed.username, password: parsed.password };
}

function regionOfArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:secretsmanager:([\w-]+):/.exec(arn)?.[1];
}

export async function clusterClientFor(cluster: ClusterYaml, userAgent?: string): Promise<ClusterClient> {
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
  return new ClusterClient({ endpoint: cluster.endpoint, auth: clientAuth, allowInsecure: cluster.allow_insecure, version: cluster.version, userAgent, maxRetries: 1, timeoutMs: 30_000 });
}

export interface ConnectionCheck {
  cluster: 'source' | 'target';
  endpoint: string;
  ok: boolean;
  version?: string;
  health?: string;
  error?: string;
}

/** What `console clusters connection-check` prints: can we reach it, which version, how healthy. */
export async function checkConnection(name: 'source' | 'target', cluster: ClusterYaml): Promise<ConnectionCheck> {
  let client: ClusterClient | undefined;
  try {
    client = await clusterClientFor(cluster);
    const version = await client.detectVersion();
    const health = version.flavor === 'AOSS' ? undefined : (await client.json('GET', '/_cluster/health')).status;
    return { cluster: name, endpoint: cluster.endpoint, ok: true, version: formatVersion(version), health };
  } catch (err) {
    return { cluster: name, endpoint: cluster.endpoint, ok: false, error: (err as Error).message };
  } finally {
    await client?.close();
  }
}

export interface IndexRow {
  index: string;
  health: string;
  docs: number;
  sizeBytes: number;
}

export async function catIndices(cluster: ClusterYaml, includeSystem = false): Promise<IndexRow[]> {
  const client = await clusterClientFor(cluster);
  try {
    const rows: any[] = await client.json('GET', '/_cat/indices?format=json&bytes=b&h=index,health,docs.count,store.size');
    return rows
      .filter((r) => includeSystem || !String(r.index).startsWith('.'))
      .map((r) => ({ index: r.index, health: r.health, docs: Number(r['docs.count'] ?? 0), sizeBytes: Number(r['store.size'] ?? 0) }))
      .sort((a, b) => a.index.localeCompare(b.index));
  } finally {
    await client.close();
  }
}
