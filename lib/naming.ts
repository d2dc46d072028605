/* Names of everything this app makes in AWS, in one place (DESIGN.md "Names in AWS"). */

export function stackName(stage: string, region: string, name: string): string {
  return `OSMigrations-${stage}-${region}-${name}`;
}

export function ecsClusterName(stage: string): string {
  return `migration-${stage}-ecs-cluster`;
}

export type ServiceId = 'migration-console' | 'traffic-replayer' | 'backfill' | 'capture-proxy' | 'source-forwarder' | 'target-forwarder';

export function serviceName(stage: string, service: ServiceId): string {
  return `migration-${stage}-${service}`;
}

export function parameterName(stage: string, deployId: string, name: string): string {
  return `/migration/${stage}/${deployId}/${name}`;
}

export const PARAM_SERVICES_YAML = 'servicesYamlFile';

/** The Secrets Manager name of the console API's bearer token. */
export function consoleApiTokenSecretName(stage: string, deployId: string): string {
  return `migration/${stage}/${deployId}/console-api-token`;
}
export const PARAM_KAFKA_BROKERS = 'kafkaBrokers';

export function logGroupName(stage: string, what: string): string {
  return `/migration/${stage}/${what}`;
}
