/*
 * The typed, already-validated configuration of one staged migration. bin/context.ts builds it
 * from CDK context; stacks and constructs only ever see these types, never raw context.
 */

export type ClusterAuth =
  | { type: 'none' }
  /** A username plus a Secrets Manager secret whose whole string value is the password. */
  | { type: 'basic'; username: string; passwordSecretArn: string }
  /** A Secrets Manager secret holding JSON {"username": ..., "password": ...} (the reference's form). */
  | { type: 'basic'; userSecretArn: string }
  /**
   * `resourceName`: the domain (es) or collection id (aoss) the SigV4 permissions are scoped to,
   * read from the endpoint or given; '*' is every domain (collection) of the account in the region.
   */
  | { type: 'sigv4'; region: string; serviceSigningName: 'es' | 'aoss'; resourceName: string };

export interface ClusterConfig {
  /** URL of the cluster, e.g. https://vpc-x.us-east-1.es.amazonaws.com:443 */
  endpoint: string;
  /** ES_7.10, OS_2.19, AOSS ... */
  version?: string;
  auth: ClusterAuth;
  /** Skip TLS certificate verification. @default false */
  allowInsecure: boolean;
}

export type NetworkConfig =
  | { kind: 'new'; azCount: number; availabilityZones: string[]; natGateways: number; cidr: string }
  | { kind: 'imported'; vpcId: string; vpcCidr?: string; subnets: { subnetId: string; availabilityZone: string }[] };

export interface KafkaConfig {
  /** Brokers in each AZ (MSK subnet). @default 1 */
  brokersPerAz: number;
  /** @default kafka.m7g.large */
  instanceType: string;
  /** EBS storage per broker. @default 100 */
  volumeSizeGiB: number;
  /** @default 3.6.0 */
  kafkaVersion: string;
}

export interface TaskSize {
  /** Fargate CPU units. */
  cpu: number;
  memoryMiB: number;
}

export interface ConsoleConfig extends TaskSize {
  enabled: boolean;
}

export interface ReplayerConfig extends TaskSize {
  enabled: boolean;
  /** Kafka consumer group. @default logging-group-default */
  groupId: string;
  /** @default 1 */
  speedupFactor: number;
  /** Appended to the replayer's command line, already split into arguments. */
  extraArgs: string[];
}

export interface BackfillConfig extends TaskSize {
  enabled: boolean;
  /** Fargate ephemeral storage. @default 21 (the Fargate default) */
  ephemeralStorageGiB: number;
  /** Upper bound the console may scale the workers to. @default 5 */
  maxWorkers: number;
  extraArgs: string[];
}

export interface CaptureProxyConfig {
  enabled: boolean;
  /** The port the proxy takes over on the node. @default 9200 */
  listenPort: number;
  /** The port the node moves to. @default 19200 */
  nodePort: number;
  /** Scheme the proxy uses to reach the node on nodePort. @default http */
  destinationScheme: 'http' | 'https';
  /** Appended to the proxy's command line. */
  extraArgs: string[];
}

/** The capture proxy as a Fargate fleet behind an ALB whose listener weights source, proxy and target. */
export interface CaptureProxyServiceConfig {
  enabled: boolean;
  /** Proxy tasks (and tasks of each forwarder). @default 2 */
  desiredCount: number;
  /** @default 1024 */
  cpu: number;
  /** @default 2048 */
  memoryMiB: number;
  /** The ALB's HTTPS listener port, where clients connect. @default 9200 */
  listenerPort: number;
  /** ACM certificate of the listener (required when enabled). */
  certificateArn: string;
  /** Internet-facing ALB in the public subnets. @default false (internal) */
  internetFacing: boolean;
  /** Who may connect to the listener. @default the VPC's CIDR */
  clientCidrs: string[];
  /** Appended to the proxy's command line. */
  extraArgs: string[];
}

/** CloudWatch Logs encryption: none (the service's own keys), a key this app creates, or an existing key. */
export type LogEncryption = { kind: 'none' } | { kind: 'create' } | { kind: 'key'; keyArn: string };

export type Removal = 'destroy' | 'retain';

export interface RemovalPolicies {
  artifactsBucket: Removal;
  resultsBucket: Removal;
  logGroups: Removal;
  kafka: Removal;
}

export interface MigrationConfig {
  /** Short name of this migration; part of every resource name (at most 15 characters). */
  stage: string;
  /** @default default */
  deployId: string;
  account: string;
  region: string;
  sourceCluster: ClusterConfig;
  targetCluster: ClusterConfig;
  network: NetworkConfig;
  kafka: KafkaConfig;
  console: ConsoleConfig;
  replayer: ReplayerConfig;
  backfill: BackfillConfig;
  captureProxy: CaptureProxyConfig;
  captureProxyService: CaptureProxyServiceConfig;
  /** CloudWatch Logs retention. @default 30 */
  logRetentionDays: number;
  /** Tuples and refused documents in the results bucket expire after this. @default 90 */
  resultsRetentionDays: number;
  /** @default none */
  logEncryption: LogEncryption;
  removalPolicies: RemovalPolicies;
}

export const KAFKA_TOPIC = 'logging-traffic-topic';
export const METRICS_NAMESPACE = 'OpenSearchMigrations';
