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
  // The one form the reference console has no key for (see REFERENCE_GAP).
  else out.basic_auth = { username: a.username, password_secret_arn: a.passwordSecretArn };
  return out;
}

/** The proxy fleet's listener and target groups, as the console's `traffic route|status` reads them (may be CDK tokens). */
export interface LoadBalancerRefs {
  endpoint: string;
  listenerArn: string;
  targetGroupArns: { proxy: string; source: string; target: string };
}

/** Why a deployment's services.yaml is not one the reference console can load, if it is not. */
export function referenceConsoleGap(config: MigrationConfig): string | undefined {
  const named = [config.sourceCluster.auth, config.targetCluster.auth].some((a) => a.type === 'basic' && 'passwordSecretArn' in a);
  const gaps = [
    named && 'basic auth with username + passwordSecretArn is written as basic_auth.password_secret_arn, which the reference console does not read: use auth.userSecretArn (a secret with username and password) for a services.yaml both consoles load',
    config.captureProxyService.enabled && 'the proxy fleet\'s load_balancer section (listener and target groups for traffic route|status) has no counterpart in the reference console, which refuses the file with it',
  ].filter(Boolean);
  return gaps.length ? gaps.join('; ') : undefined;
}

/**
 * The console's services.yaml (DESIGN.md "services.yaml") for this deployment, in the layout the
 * reference console also loads (its backfill is a reindex_from_snapshot section, its CloudWatch
 * source takes only aws_region). `kafkaBrokers` may be a CDK token: it stays a single plain
 * scalar (no line folding), resolved at deploy.
 */
export function servicesYaml(config: MigrationConfig, kafkaBrokers: string, loadBalancer?: LoadBalancerRefs): string {
  const cluster = ecsClusterName(config.stage);
  const doc: Record<string, unknown> = {
    source_cluster: clusterSection(config.sourceCluster),
    target_cluster: clusterSection(config.targetCluster),
  };
  if (config.backfill.enabled) {
    doc.backfill = { reindex_from_snapshot: { scale: config.backfill.maxWorkers, ecs: { cluster_name: cluster, service_name: serviceName(config.stage, 'backfill'), aws_region: config.region } } };
  }
  if (config.replayer.enabled) {
    doc.replay = { scale: 1, ecs: { cluster_name: cluster, service_name: serviceName(config.stage, 'traffic-replayer'), aws_region: config.region } };
  }
  doc.kafka = { broker_endpoints: kafkaBrokers, msk: null };
  doc.metrics_source = { cloudwatch: { aws_region: config.region } };
  if (loadBalancer) {
    const tg = loadBalancer.targetGroupArns;
    doc.load_balancer = { endpoint: loadBalancer.endpoint, aws_region: config.region, listener_arn: loadBalancer.listenerArn, target_groups: { proxy: tg.proxy, source: tg.source, target: tg.target } };
  }
  return stringify(doc, { lineWidth: 0 });
}
