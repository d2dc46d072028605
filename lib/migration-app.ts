import { App, Environment, Stack } from 'aws-cdk-lib';
import { BackfillStack } from './backfill-stack';
import { CaptureProxyFleetStack } from './capture-proxy-fleet-stack';
import { CaptureProxyStack } from './capture-proxy-stack';
import { MigrationConfig } from './config';
import { ConsoleStack } from './console-stack';
import { MigrationDashboards } from './dashboards';
import { MigrationInfraStack } from './migration-infra-stack';
import { stackName } from './naming';
import { NetworkStack } from './network-stack';
import { ReplayerStack } from './replayer-stack';
import { ServiceStackProps } from './service-stack-props';

export interface MigrationStacks {
  network: NetworkStack;
  infra: MigrationInfraStack;
  console?: ConsoleStack;
  replayer?: ReplayerStack;
  backfill?: BackfillStack;
  captureProxy?: CaptureProxyStack;
  captureProxyFleet?: CaptureProxyFleetStack;
}

/** Builds every stack of one staged migration from validated configuration. */
export function buildMigrationStacks(app: App, config: MigrationConfig, repoRoot: string): MigrationStacks {
  const env: Environment = { account: config.account, region: config.region };
  const name = (n: string) => stackName(config.stage, config.region, n);
  // Offline synth: the configured AZs stand in for the lookup a new VPC would otherwise make.
  const azKey = `availability-zones:account=${config.account}:region=${config.region}`;
  if (config.network.kind === 'new' && app.node.tryGetContext(azKey) === undefined) app.node.setContext(azKey, config.network.availabilityZones);
  const common = (n: string, description: string) => ({ env, stackName: name(n), description: `Migration Assistant (${config.stage}): ${description}` });

  const network = new NetworkStack(app, name('NetworkInfra'), {
    ...common('NetworkInfra', 'VPC and security groups'),
    stage: config.stage,
    network: config.network,
    logRetentionDays: config.logRetentionDays,
    logRemoval: config.removalPolicies.logGroups,
    logEncryption: config.logEncryption,
    clusterEndpoints: [config.sourceCluster.endpoint, config.targetCluster.endpoint],
    loadBalancingEndpoint: config.captureProxyService.enabled,
  });
  const infra = new MigrationInfraStack(app, name('MigrationInfra'), {
    ...common('MigrationInfra', 'MSK, ECS cluster, artifacts bucket, runtime image'),
    stage: config.stage,
    deployId: config.deployId,
    vpc: network.vpc,
    subnets: network.subnets,
    mskSecurityGroup: network.mskSecurityGroup,
    serviceSecurityGroup: network.serviceSecurityGroup,
    s3ThroughGateway: network.hasEndpoints,
    logKey: network.logKey,
    kafka: config.kafka,
    logRetentionDays: config.logRetentionDays,
    resultsRetentionDays: config.resultsRetentionDays,
    removalPolicies: config.removalPolicies,
    repoRoot,
    replayerGroupId: config.replayer.groupId,
  });
  new MigrationDashboards(infra, 'Dashboards', { stage: config.stage });

  const serviceProps = (n: string, description: string): ServiceStackProps => ({
    ...common(n, description),
    config,
    vpc: network.vpc,
    subnets: network.subnets,
    serviceSecurityGroup: network.serviceSecurityGroup,
    cluster: infra.ecsCluster,
    image: infra.image,
    kafkaArns: infra.kafkaArns,
    kafkaBrokersParameterName: infra.kafkaBrokersParameterName,
    resultsBucket: infra.resultsBucket,
    logEncryptionKey: network.logKey,
  });
  // Brokers are read from SSM at deploy time: the infra stack must be there first.
  const after = <T extends Stack>(s: T): T => {
    s.addStackDependency(infra);
    return s;
  };
  const stacks: MigrationStacks = { network, infra };
  if (config.captureProxyService.enabled) {
    stacks.captureProxyFleet = after(
      new CaptureProxyFleetStack(app, name('CaptureProxyFleet'), {
        ...serviceProps('CaptureProxyFleet', 'capture proxy fleet behind a load balancer that routes clients to the source, the proxies or the target'),
        endpointSecurityGroup: network.endpointSecurityGroup,
        s3PrefixListId: infra.s3PrefixListId,
        mskSecurityGroup: network.mskSecurityGroup,
        vpcCidr: network.vpcCidr,
        artifactsBucket: infra.artifactsBucket,
      }),
    );
  }
  if (config.console.enabled) {
    const fleet = stacks.captureProxyFleet;
    const loadBalancer = fleet && {
      endpoint: fleet.endpoint,
      listenerArn: fleet.listener.listenerArn,
      targetGroupArns: { proxy: fleet.targetGroups.proxy.targetGroupArn, source: fleet.targetGroups.source.targetGroupArn, target: fleet.targetGroups.target.targetGroupArn },
    };
    stacks.console = after(new ConsoleStack(app, name('MigrationConsole'), { ...serviceProps('MigrationConsole', 'migration console'), artifactsBucket: infra.artifactsBucket, loadBalancer }));
  }
  if (config.replayer.enabled) stacks.replayer = after(new ReplayerStack(app, name('TrafficReplayer'), serviceProps('TrafficReplayer', 'traffic replayer')));
  if (config.backfill.enabled) stacks.backfill = after(new BackfillStack(app, name('Backfill'), serviceProps('Backfill', 'backfill workers')));
  if (config.captureProxy.enabled) {
    stacks.captureProxy = after(
      new CaptureProxyStack(app, name('CaptureProxy'), {
        ...common('CaptureProxy', 'capture proxy artifact, SSM documents, node policy'),
        stage: config.stage,
        captureProxy: config.captureProxy,
        insecureDestination: config.sourceCluster.allowInsecure,
        sourceVersion: config.sourceCluster.version,
        kafkaArns: infra.kafkaArns,
        kafkaBrokersParameterName: infra.kafkaBrokersParameterName,
        repoRoot,
      }),
    );
  }
  return stacks;
}
