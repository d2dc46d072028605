import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';

/** What every console verb gets: the migration's services.yaml and where local state lives. */
export interface ConsoleContext {
  /** services.yaml, read (and validated) when a verb first needs it. */
  config(): Promise<ServicesYaml>;
  /** Pid files of local workers, archived working states. */
  stateDir: string;
  /** The replayer's tuple directory, for the tuple verbs and the status page. */
  tupleDir?: string;
  env: NodeJS.ProcessEnv;
  /** Progress lines for people (stderr in the CLI; nowhere in the API). */
  progress(line: string): void;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIGRATION_CONSOLE_STATE ?? path.join(os.tmpdir(), 'migration-console');
}

type Section = 'source_cluster' | 'target_cluster' | 'backfill' | 'replay' | 'kafka' | 'metrics_source' | 'load_balancer';

const HOW_TO_ADD: Record<Section, string> = {
  source_cluster: 'add source_cluster: {endpoint, no_auth | basic_auth | sigv4}',
  target_cluster: 'add target_cluster: {endpoint, no_auth | basic_auth | sigv4}',
  backfill: 'add backfill: with ecs: {cluster_name, service_name} or local: {command: [...]}',
  replay: 'add replay: with ecs: {cluster_name, service_name} or local: {command: [...]}',
  kafka: 'add kafka: {broker_endpoints, msk | standard | scram}',
  metrics_source: 'add metrics_source: {cloudwatch: {aws_region, qualifier}} or {prometheus: {endpoint}}',
  load_balancer: 'deploy the proxy fleet (CDK context captureProxyService.enabled: its services.yaml has it), or add load_balancer: {listener_arn, target_groups: {proxy, source, target}}',
};

/** The section a verb needs, or one NOT_CONFIGURED error that says how to add it. */
export function requireSection<S extends Section>(config: ServicesYaml, section: S): NonNullable<ServicesYaml[S]> {
  const value = config[section];
  if (!value) throw new UserError('NOT_CONFIGURED', `services.yaml has no "${section}" section: ${HOW_TO_ADD[section]}`);
  return value as NonNullable<ServicesYaml[S]>;
}
