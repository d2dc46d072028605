import type { ClusterClient, ClusterClientOptions } from '../core/cluster-client';
import { clusterSettingsFromYaml, openClusterClient } from '../core/cluster-settings';
import { UserError } from '../core/errors';
import { secretsManagerReader } from '../core/secrets';
import type { ClusterYaml, ServicesYaml } from '../core/services-yaml';
import { requireSection } from './context';

/** The console's client for a services.yaml cluster: one retry and 30 s, so that a verb answers soon. */
export async function clusterClientFor(cluster: ClusterYaml, userAgent?: string, overrides: Partial<ClusterClientOptions> = {}, env: NodeJS.ProcessEnv = process.env): Promise<ClusterClient> {
  return openClusterClient(clusterSettingsFromYaml(cluster, env), { userAgent, maxRetries: 1, timeoutMs: 30_000, ...overrides }, secretsManagerReader(env));
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
export async function withCluster<T>(cluster: ClusterYaml, fn: (client: ClusterClient) => Promise<T>, userAgent?: string, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const client = await clusterClientFor(cluster, userAgent, {}, env);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}
