/*
 * The reference's CDK context keys (its cdk.context.json options), read as ours: each is mapped to
 * our key where the meaning is the same, else refused with the name of ours (or why there is
 * none). Keys that are neither ours, the reference's nor the CDK's own are unknown: an error.
 */

type Ctx = Record<string, unknown>;

/** What a reference key turns into: values for our keys (dotted paths), or a refusal; `all` is every reference key given. */
type Mapping = (value: unknown, all: Ctx) => { set?: Record<string, unknown>; refuse?: string };

const REMOVAL = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
const truthy = (v: unknown) => v === true || v === 'true';
const enabled = (ours: string): Mapping => (v) => ({ set: { [ours]: v } });
const same = (ours: string): Mapping => (v) => ({ set: { [ours]: v } });
const onlyTrue = (reason: string): Mapping => (v) => (truthy(v) ? {} : { refuse: reason });
const refuse = (reason: string): Mapping => () => ({ refuse: reason });

const DOMAIN = 'this app does not create the target domain: give the existing one in targetCluster {endpoint, version, auth}';
const NO_SNAPSHOT = 'the backfill reads the live source cluster, no snapshot is taken or read';
const NO_JVM = 'the services are not Java: size their tasks with <service>.cpu and <service>.memoryMiB';
const NO_ES_PROXY = 'no demo source cluster is deployed, so no proxy beside one: the proxy fleet (captureProxyService.*) forwards to sourceCluster.endpoint';
const FLEET_FORWARDERS = 'the load balancer\'s target route is part of the proxy fleet (captureProxyService): a forwarding service is deployed when the target\'s endpoint is a name rather than an address, with captureProxyService.desiredCount tasks';

export const REFERENCE_CONTEXT: Record<string, Mapping> = {
  migrationAssistanceEnabled: onlyTrue('the whole app is the migration assistant: remove migrationAssistanceEnabled'),
  vpcEnabled: onlyTrue('the services always run in a VPC: remove vpcEnabled (give vpcId to use an existing VPC)'),
  migrationConsoleServiceEnabled: enabled('console.enabled'),
  trafficReplayerServiceEnabled: enabled('replayer.enabled'),
  reindexFromSnapshotServiceEnabled: enabled('backfill.enabled'),
  trafficReplayerGroupId: same('replayer.groupId'),
  trafficReplayerExtraArgs: same('replayer.extraArgs'),
  trafficReplayerUserAgentSuffix: (v) => ({ set: { 'replayer.extraArgs+': ['--user-agent', String(v)] } }),
  // The reference's ECS proxy takes these; without that service, the on-node proxy does.
  captureProxyExtraArgs: (v, all) => ({ set: { [truthy(all.captureProxyServiceEnabled) ? 'captureProxyService.extraArgs' : 'captureProxy.extraArgs']: v } }),
  reindexFromSnapshotExtraArgs: same('backfill.extraArgs'),
  reindexFromSnapshotWorkerSize: (v) =>
    v === 'default' ? {} : v === 'maximum' ? { set: { 'backfill.cpu': 16384, 'backfill.memoryMiB': 32768 } } : { refuse: `expected "default" or "maximum" (got ${JSON.stringify(v)}); ours: backfill.cpu and backfill.memoryMiB` },
  artifactBucketRemovalPolicy: (v) => ({ set: { 'removalPolicies.artifactsBucket': REMOVAL(v) } }),
  mskBrokersPerAZCount: same('kafka.brokersPerAz'),
  sourceClusterEndpoint: (v) => ({ set: { 'sourceCluster.endpoint': v } }),
  targetClusterEndpoint: (v) => ({ set: { 'targetCluster.endpoint': v } }),
  defaultFargateCpuArch: (v) => (String(v).toUpperCase() === 'X86_64' ? {} : { refuse: 'the services\' image is built for X86_64 only: remove defaultFargateCpuArch' }),
  otelCollectorEnabled: onlyTrue('metrics reach CloudWatch as EMF log lines, no collector runs: there is nothing to turn off'),
  addOnMigrationDeployId: refuse('ours: deployId (a separate set of SSM parameters and services for another replay)'),
  // Its replayer's output (tuples) lived on EFS; ours lives in the results bucket.
  replayerOutputEFSRemovalPolicy: (v) => ({ set: { 'removalPolicies.resultsBucket': REMOVAL(v) } }),
  captureProxyServiceEnabled: (v) => ({ set: truthy(v) ? { 'captureProxyService.enabled': true, 'captureProxy.enabled': false } : { 'captureProxyService.enabled': false } }),
  captureProxyDesiredCount: same('captureProxyService.desiredCount'),
  albAcmCertArn: same('captureProxyService.certificateArn'),
  targetClusterProxyServiceEnabled: (v, all) => (!truthy(v) || truthy(all.captureProxyServiceEnabled) ? {} : { refuse: `${FLEET_FORWARDERS}: set captureProxyServiceEnabled (ours: captureProxyService.enabled) too` }),
  targetClusterProxyDesiredCount: refuse(FLEET_FORWARDERS),
  captureProxyJvmArgs: refuse(NO_JVM),
  trafficReplayerJvmArgs: refuse(NO_JVM),
  reindexFromSnapshotJvmArgs: refuse(NO_JVM),
  trafficReplayerMaxUptime: refuse('the replayer runs until stopped (it does not need periodic restarts); ours: none'),
  kafkaBrokerServiceEnabled: refuse('Kafka is always MSK; ours: kafka {brokersPerAz, instanceType, volumeSizeGiB, kafkaVersion}'),
  mskARN: refuse('an existing MSK cluster cannot be used: one is created (kafka.*)'),
  MskEbsStorage: refuse('ours: kafka.volumeSizeGiB (fixed size per broker)'),
  snapshot: refuse(NO_SNAPSHOT),
  managedServiceSourceSnapshotEnabled: refuse(NO_SNAPSHOT),
  reindexFromSnapshotMaxShardSizeGiB: refuse('documents stream from the live source, no shard is downloaded; ours: backfill.ephemeralStorageGiB'),
  sourceClusterDisabled: refuse('a live source cluster is required (the capture proxy forwards to it and the backfill reads it): give sourceCluster'),
  elasticsearchServiceEnabled: refuse('no demo source cluster is deployed: give your source in sourceCluster'),
  osContainerServiceEnabled: refuse(DOMAIN),
  captureProxyESServiceEnabled: refuse(NO_ES_PROXY),
  captureProxyESExtraArgs: refuse(`${NO_ES_PROXY}; ours: captureProxyService.extraArgs`),
  captureProxySourceEndpoint: (v) => ({ set: { 'sourceCluster.endpoint': v } }),
  trafficReplayerEnableClusterFGACAuth: refuse('no domain is created; give the replayer\'s auth in targetCluster.auth or replayer.extraArgs'),
  fetchMigrationEnabled: refuse('Fetch Migration (Data Prepper) is not deployed; the backfill does its job (backfill.*)'),
  dpPipelineTemplatePath: refuse('Fetch Migration (Data Prepper) is not deployed'),
  ...Object.fromEntries(
    [
      'engineVersion', 'domainName', 'dataNodeType', 'dataNodeCount', 'dedicatedManagerNodeType', 'dedicatedManagerNodeCount', 'warmNodeType', 'warmNodeCount', 'accessPolicies',
      'useUnsignedBasicAuth', 'fineGrainedManagerUserARN', 'fineGrainedManagerUserSecretARN', 'enableDemoAdmin', 'enforceHTTPS', 'tlsSecurityPolicy', 'ebsEnabled', 'ebsIops',
      'ebsVolumeSize', 'ebsVolumeType', 'encryptionAtRestEnabled', 'encryptionAtRestKmsKeyARN', 'loggingAppLogEnabled', 'loggingAppLogGroupARN', 'nodeToNodeEncryptionEnabled',
      'vpcSecurityGroupIds', 'openAccessPolicyEnabled', 'domainRemovalPolicy',
    ].map((k) => [k, refuse(DOMAIN)]),
  ),
};

/** Keys the CDK itself keeps in context: feature flags (@aws-cdk/...), its aws:cdk:* settings, lookups. */
export function isCdkOwnKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || key === 'acknowledged-issue-numbers' || key === 'cli-telemetry';
}

function setPath(target: Ctx, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = target;
  for (const p of parts.slice(0, -1)) {
    if (!o[p] || typeof o[p] !== 'object' || Array.isArray(o[p])) o[p] = {};
    o = o[p] as Ctx;
  }
  o[parts[parts.length - 1]] = value;
}

function getPath(source: Ctx, path: string): unknown {
  let v: unknown = source;
  for (const p of path.split('.')) v = v && typeof v === 'object' ? (v as Ctx)[p] : undefined;
  return v;
}

/** -c values arrive as strings: objects given as JSON are read as objects. */
function decodeObject(v: unknown): unknown {
  if (typeof v === 'string' && /^\s*\{/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

/**
 * Applies the reference's keys present in `values` onto a copy of our keys: returns the values to
 * read and the problems (refusals, and a reference key that says something else than ours).
 */
export function applyReferenceContext(values: Ctx): { values: Ctx; problems: string[] } {
  const out: Ctx = {};
  const problems: string[] = [];
  // A copy: the mappings below write into our objects, never into the app's context.
  for (const [k, v] of Object.entries(values)) if (!(k in REFERENCE_CONTEXT)) out[k] = structuredClone(decodeObject(v));
  // The reference's cluster objects: allow_insecure and "ES 7.10" are ours under other spellings.
  for (const side of ['sourceCluster', 'targetCluster']) {
    const c = out[side];
    if (!c || typeof c !== 'object' || Array.isArray(c)) continue;
    const cluster = { ...(c as Ctx) };
    if ('allow_insecure' in cluster) {
      if ('allowInsecure' in cluster && cluster.allowInsecure !== cluster.allow_insecure) problems.push(`${side}.allow_insecure: contradicts ${side}.allowInsecure: keep one`);
      cluster.allowInsecure = cluster.allow_insecure;
      delete cluster.allow_insecure;
    }
    if (typeof cluster.version === 'string') cluster.version = cluster.version.replace(/^(ES|OS) (\d)/i, '$1_$2');
    if (cluster.disabled === true) problems.push(`${side}.disabled: ${side === 'sourceCluster' ? REFERENCE_CONTEXT.sourceClusterDisabled(true, values).refuse : 'a target cluster is required: give targetCluster {endpoint, version, auth}'}`);
    delete cluster.disabled;
    out[side] = cluster;
  }
  const appends: [string, string, unknown[]][] = [];
  for (const [k, v] of Object.entries(values)) {
    const mapping = REFERENCE_CONTEXT[k];
    if (!mapping || v === undefined) continue;
    const { set, refuse: reason } = mapping(decodeObject(v), values);
    if (reason) {
      problems.push(`${k}: a key of the reference that is not used here: ${reason}`);
      continue;
    }
    for (const [path, value] of Object.entries(set ?? {})) {
      if (path.endsWith('+')) {
        appends.push([k, path.slice(0, -1), value as unknown[]]);
        continue;
      }
      const prev = getPath(out, path);
      if (prev !== undefined && JSON.stringify(prev) !== JSON.stringify(value)) {
        problems.push(`${k}: says ${JSON.stringify(value)} where ${path} says ${JSON.stringify(prev)}: keep one (ours is ${path})`);
        continue;
      }
      setPath(out, path, value);
    }
  }
  // Additions (a user agent to the replayer's arguments) go after what the arguments already say.
  for (const [, path, value] of appends) {
    const prev = getPath(out, path);
    // Arguments given as one string are split later (quotes group words): add to the string.
    if (typeof prev === 'string') setPath(out, path, `${prev} ${value.map((a) => `"${String(a).replace(/"/g, '')}"`).join(' ')}`);
    else setPath(out, path, [...(Array.isArray(prev) ? prev : []), ...value]);
  }
  // A source given only by the reference's sourceClusterEndpoint has no auth: none, as there.
  for (const side of ['sourceCluster', 'targetCluster']) {
    const c = out[side] as Ctx | undefined;
    if (c && c.endpoint !== undefined && c.auth === undefined && values[side] === undefined) c.auth = { type: 'none' };
  }
  return { values: out, problems };
}
