import type { Command } from 'commander';
import { cliOption } from '../core/cli/options';
import { ClusterAuth, ClusterClient } from '../core/cluster-client';
import { ConfigError, UserError } from '../core/errors';
import { clusterAuth, ClusterYaml, loadServicesYaml, ServicesYaml } from '../core/services-yaml';

type Side = 'source' | 'target';

/** Adds --<side>-host and friends (RFS-like names), each with a BACKFILL_<SIDE>_<FLAG> env fallback (switches as true/false). */
export function addClusterOptions(cmd: Command, sides: Side[] = ['source', 'target']): Command {
  cmd.addOption(cliOption('--config <file>', 'services.yaml to read clusters and allowlists from', { env: 'BACKFILL_CONFIG' }));
  for (const side of sides) {
    const env = (flag: string) => `BACKFILL_${side.toUpperCase()}_${flag}`;
    cmd
      .addOption(cliOption(`--${side}-host <url>`, `${side} cluster URL, e.g. https://host:9200`, { env: env('HOST') }))
      .addOption(cliOption(`--${side}-username <name>`, `${side} basic auth user`, { env: env('USERNAME') }))
      .addOption(cliOption(`--${side}-password <password>`, `${side} basic auth password`, { env: env('PASSWORD') }))
      .addOption(cliOption(`--${side}-insecure`, `accept any TLS certificate from the ${side}`, { env: env('INSECURE') }))
      .addOption(cliOption(`--${side}-aws-region <region>`, `sign ${side} requests with SigV4 in this region`, { env: env('AWS_REGION') }))
      .addOption(cliOption(`--${side}-aws-service-signing-name <name>`, 'SigV4 service name: es or aoss', { env: env('AWS_SERVICE_SIGNING_NAME') }));
  }
  return cmd;
}

export interface ClusterSettings {
  endpoint: string;
  auth: ClusterAuth;
  allowInsecure: boolean;
  version?: string;
}

const camel = (side: Side, rest: string) => side + rest;

/** Flags win over services.yaml; a missing host is a usage error that names both ways to give one. */
export function clusterSettings(opts: Record<string, any>, side: Side, yaml?: ServicesYaml): ClusterSettings {
  const fromYaml: ClusterYaml | undefined = side === 'source' ? yaml?.source_cluster : yaml?.target_cluster;
  const endpoint: string | undefined = opts[camel(side, 'Host')] ?? fromYaml?.endpoint;
  if (!endpoint) throw new ConfigError(`no ${side} cluster: pass --${side}-host <url> (or BACKFILL_${side.toUpperCase()}_HOST, or ${side}_cluster in --config)`);
  if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw new ConfigError(`--${side}-host must be a URL such as https://host:9200 (got "${endpoint}")`);
  const username = opts[camel(side, 'Username')];
  const password = opts[camel(side, 'Password')];
  const region = opts[camel(side, 'AwsRegion')];
  let auth: ClusterAuth = { type: 'none' };
  if (username !== undefined || password !== undefined) {
    if (!username || !password) throw new ConfigError(`--${side}-username and --${side}-password go together: pass both`);
    if (region) throw new ConfigError(`--${side}-username and --${side}-aws-region are two different auths: pass one`);
    auth = { type: 'basic', username, password };
  } else if (region) {
    auth = { type: 'sigv4', region, service: opts[camel(side, 'AwsServiceSigningName')] ?? 'es' };
  } else if (fromYaml) {
    const a = clusterAuth(fromYaml);
    if (a.type === 'basic') {
      if (!a.username || !a.password) throw new ConfigError(`${side}_cluster.basic_auth with a secret ARN is not read by this CLI: pass --${side}-username and --${side}-password`);
      auth = { type: 'basic', username: a.username, password: a.password };
    } else auth = a;
  }
  return { endpoint, auth, allowInsecure: Boolean(opts[camel(side, 'Insecure')] ?? fromYaml?.allow_insecure), version: fromYaml?.version };
}

export function loadConfig(opts: Record<string, any>): ServicesYaml | undefined {
  return opts.config ? loadServicesYaml(opts.config) : undefined;
}

export function makeClient(settings: ClusterSettings, connections = 16): ClusterClient {
  return new ClusterClient({ ...settings, connections, userAgent: 'migration-assistant-backfill', timeoutMs: 120_000, maxRetries: 4 });
}

/** GET / first, so that a wrong password or host fails with a message about that, before any work. */
export async function checkAccess(client: ClusterClient, side: 'source' | 'target'): Promise<void> {
  const res = await client.request({ method: 'GET', path: '/' });
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new UserError('CLUSTER_AUTH', `the ${side} (${client.endpoint.origin}) answered ${res.statusCode} ${res.statusCode === 401 ? 'Unauthorized' : 'Forbidden'}: check --${side}-username/--${side}-password (or the SigV4 region and role)`, 1);
  }
  if (res.statusCode !== 200) throw new UserError('CLUSTER_REQUEST', `the ${side} (${client.endpoint.origin}) answered GET / with ${res.statusCode}: is it an Elasticsearch/OpenSearch endpoint?`);
}
