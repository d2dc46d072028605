import type { Command } from 'commander';
import { cliOption } from '../core/cli/options';
import type { ClusterClient } from '../core/cluster-client';
import { ClusterSettings, clusterSettingsFromFlags, openClusterClient } from '../core/cluster-settings';
import { UserError } from '../core/errors';
import { secretsManagerReader } from '../core/secrets';
import { loadServicesYaml, ServicesYaml } from '../core/services-yaml';

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

/** Flags win over services.yaml; a missing host is a usage error that names both ways to give one. */
export function clusterSettings(opts: Record<string, any>, side: Side, yaml?: ServicesYaml, env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const flag = (rest: string) => opts[side + rest];
  return clusterSettingsFromFlags(
    { endpoint: flag('Host'), username: flag('Username'), password: flag('Password'), awsRegion: flag('AwsRegion'), awsServiceSigningName: flag('AwsServiceSigningName'), insecure: flag('Insecure') },
    {
      endpoint: `--${side}-host`,
      username: `--${side}-username`,
      password: `--${side}-password`,
      awsRegion: `--${side}-aws-region`,
      noEndpoint: `no ${side} cluster: pass --${side}-host <url> (or BACKFILL_${side.toUpperCase()}_HOST, or ${side}_cluster in --config)`,
    },
    side === 'source' ? yaml?.source_cluster : yaml?.target_cluster,
    env,
  );
}

export function loadConfig(opts: Record<string, any>): ServicesYaml | undefined {
  return opts.config ? loadServicesYaml(opts.config) : undefined;
}

/** basic_auth secrets (user_secret_arn, password_secret_arn) are read from Secrets Manager here. */
export function makeClient(settings: ClusterSettings, connections = 16, env: NodeJS.ProcessEnv = process.env): Promise<ClusterClient> {
  return openClusterClient(settings, { connections, userAgent: 'migration-assistant-backfill', timeoutMs: 120_000, maxRetries: 4 }, secretsManagerReader(env));
}

/** GET / first, so that a wrong password or host fails with a message about that, before any work. */
export async function checkAccess(client: ClusterClient, side: 'source' | 'target'): Promise<void> {
  const res = await client.request({ method: 'GET', path: '/' });
  if (res.statusCode === 401 || res.statusCode === 403) {
    throw new UserError('CLUSTER_AUTH', `the ${side} (${client.endpoint.origin}) answered ${res.statusCode} ${res.statusCode === 401 ? 'Unauthorized' : 'Forbidden'}: check --${side}-username/--${side}-password (or the SigV4 region and role)`, 1);
  }
  if (res.statusCode !== 200) throw new UserError('CLUSTER_REQUEST', `the ${side} (${client.endpoint.origin}) answered GET / with ${res.statusCode}: is it an Elasticsearch/OpenSearch endpoint?`);
}
