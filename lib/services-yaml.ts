import { stringify } from 'yaml';
import { ClusterConfig, MigrationConfig } from './config';
import { ecsClusterName, serviceName } from './naming';

function clusterSection(c: ClusterConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { endpoint: c.endpoint, allow_insecure: c.allowInsecure };
  if (c.version) out.version = c.version;
  const a = c.auth;
  if (a.type === 'none') out.no_auth = {};
  else if (a.type === 'sigv4') out.sigv4 = { region: a.region, service: a.serviceSigningName };
  else if ('userSecretArn' in a) out.basic_auth = { user_secret_arn: a.userSecretArn };
  else out.basic_auth = { username: a.username, password_secret_arn: a.passwordSecretArn };
  return out;
}

/**
 * The console's services.yaml (DESIGN.md "services.yaml") for this deployment. `kafkaBrokers`
 * may be a CDK token: it stays a single plain scalar (no line folding), resolved at deploy.
 */
export function servicesYaml(config: MigrationConfig, kafkaBrokers: string): string {
  const cluster = ecsClusterName(config.stage);
  const doc: Record<string, unknown> = {
    source_cluster: clusterSection(config.sourceCluster),
    target_cluster: clusterSection(config.targetCluster),
  };
  if (config.backfill.enabled) {
    doc.backfill = { scale: config.backfill.maxWorkers, ecs: { cluster_name: cluster, service_name: serviceName(config.stage, 'backfill'), aws_region: config.region } };
  }
  if (config.replayer.enabled) {
    doc.replay = { scale: 1, ecs: { cluster_name: cluster, service_name: serviceName(config.stage, 'traffic-replayer'), aws_region: config.region } };
  }
  doc.kafka = { broker_endpoints: kafkaBrokers, msk: {} };
  doc.metrics_source = { cloudwatch: { aws_region: config.region, qualifier: config.stage } };
  return stringify(doc, { lineWidth: 0 });
}
