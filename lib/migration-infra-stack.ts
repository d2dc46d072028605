import * as path from 'node:path';
import { Fn, IgnoreMode, Stack, StackProps } from 'aws-cdk-lib';
import { CfnSecurityGroupEgress, ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import { Cluster, ContainerImage, ContainerInsights } from 'aws-cdk-lib/aws-ecs';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnCluster, CfnConfiguration } from 'aws-cdk-lib/aws-msk';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { KafkaConfig, RemovalPolicies } from './config';
import { KafkaArns, kafkaArns } from './kafka-arns';
import { migrationLogGroup, removalPolicy } from './log-retention';
import { ecsClusterName, logGroupName, PARAM_KAFKA_BROKERS, parameterName } from './naming';
import { resultsBucket } from './results-bucket';
import { runtimeImageExcludes } from './runtime-image';

export interface MigrationInfraStackProps extends StackProps {
  stage: string;
  deployId: string;
  vpc: IVpc;
  /** Private subnets, one per AZ (2 or 3): MSK places brokers in each. */
  subnets: SubnetSelection;
  mskSecurityGroup: ISecurityGroup;
  /** The services' group: given HTTPS to S3's prefix list when the VPC reaches S3 through its gateway endpoint. */
  serviceSecurityGroup: ISecurityGroup;
  s3ThroughGateway: boolean;
  logKey?: IKey;
  kafka: KafkaConfig;
  logRetentionDays: number;
  resultsRetentionDays: number;
  removalPolicies: RemovalPolicies;
  /** Repository root: the runtime image is built from it with runtime/Dockerfile. */
  repoRoot: string;
  /** Consumer group of the replayer (for IAM ARNs). */
  replayerGroupId: string;
}

/** MSK (IAM auth over TLS), the ECS cluster, the artifacts bucket and the runtime image. */
export class MigrationInfraStack extends Stack {
  readonly kafkaClusterArn: string;
  readonly kafkaArns: KafkaArns;
  /** SSM parameter holding the SASL/IAM bootstrap brokers (read by other stacks at deploy time). */
  readonly kafkaBrokersParameterName: string;
  readonly ecsCluster: Cluster;
  readonly artifactsBucket: Bucket;
  /** Tuples (tuples/) and refused documents (failed-documents/): each service writes only its prefix. */
  readonly resultsBucket: Bucket;
  readonly image: ContainerImage;
  /** S3's prefix list in this region, when the VPC reaches S3 through its gateway endpoint. */
  readonly s3PrefixListId?: string;

  constructor(scope: Construct, id: string, props: MigrationInfraStackProps) {
    super(scope, id, props);
    const logs = (id: string, what: string) =>
      migrationLogGroup(this, id, { logGroupName: logGroupName(props.stage, what), retentionDays: props.logRetentionDays, removal: props.removalPolicies.logGroups, encryptionKey: props.logKey });

    const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;
    const kafkaConfig = new CfnConfiguration(this, 'KafkaConfiguration', {
      name: `migration-${props.stage}-kafka-config`,
      description: 'Capture topics are created on first write',
      kafkaVersionsList: [props.kafka.kafkaVersion],
      serverProperties: ['auto.create.topics.enable=true', 'num.partitions=3', 'default.replication.factor=2'].join('\n'),
    });
    const brokerLogs = logs('KafkaBrokerLogs', 'kafka-brokers');
    const kafka = new CfnCluster(this, 'Kafka', {
      clusterName: `migration-${props.stage}-kafka`,
      kafkaVersion: props.kafka.kafkaVersion,
      numberOfBrokerNodes: props.kafka.brokersPerAz * subnetIds.length,
      brokerNodeGroupInfo: {
        instanceType: props.kafka.instanceType,
        clientSubnets: subnetIds,
        securityGroups: [props.mskSecurityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: props.kafka.volumeSizeGiB } },
      },
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      configurationInfo: { arn: kafkaConfig.attrArn, revision: kafkaConfig.attrLatestRevisionRevision },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
    });
    kafka.applyRemovalPolicy(removalPolicy(props.removalPolicies.kafka));
    this.kafkaClusterArn = kafka.attrArn;
    this.kafkaArns = kafkaArns(this, kafka.attrArn, props.replayerGroupId);

    // MSK does not return its bootstrap brokers to CloudFormation: ask the Kafka API once deployed.
    const brokers = new AwsCustomResource(this, 'KafkaBootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: kafka.attrArn },
        physicalResourceId: PhysicalResourceId.of(Fn.join('-', ['brokers', Fn.select(2, Fn.split('/', kafka.attrArn))])),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [kafka.attrArn] }),
      installLatestAwsSdk: false,
      logGroup: logs('KafkaBrokersLookupLogs', 'custom-resource-kafka-brokers'),
    });
    this.kafkaBrokersParameterName = parameterName(props.stage, props.deployId, PARAM_KAFKA_BROKERS);
    new StringParameter(this, 'KafkaBrokersParameter', {
      parameterName: this.kafkaBrokersParameterName,
      description: 'MSK bootstrap brokers, SASL/IAM over TLS',
      stringValue: brokers.getResponseField('BootstrapBrokerStringSaslIam'),
    });

    if (props.s3ThroughGateway) this.s3PrefixListId = this.allowS3(props.serviceSecurityGroup, logs);

    this.ecsCluster = new Cluster(this, 'EcsCluster', {
      vpc: props.vpc,
      clusterName: ecsClusterName(props.stage),
      containerInsightsV2: ContainerInsights.ENABLED,
    });

    const retain = props.removalPolicies.artifactsBucket === 'retain';
    this.artifactsBucket = new Bucket(this, 'Artifacts', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: removalPolicy(props.removalPolicies.artifactsBucket),
      autoDeleteObjects: !retain,
    });

    this.resultsBucket = resultsBucket(this, 'Results', { removal: props.removalPolicies.resultsBucket, retentionDays: props.resultsRetentionDays });

    const imageAsset = new DockerImageAsset(this, 'RuntimeImage', {
      directory: props.repoRoot,
      file: path.join('runtime', 'Dockerfile'),
      target: 'runtime',
      exclude: runtimeImageExcludes(props.repoRoot),
      ignoreMode: IgnoreMode.DOCKER,
    });
    this.image = ContainerImage.fromDockerImageAsset(imageAsset);
  }

  /**
   * Image layers (ECR keeps them in S3), tuples and artifacts go to S3 through the gateway endpoint,
   * i.e. to S3's public addresses: the services' group may reach S3's prefix list, which
   * CloudFormation cannot name, so it is looked up once deployed.
   */
  private allowS3(group: ISecurityGroup, logs: (id: string, what: string) => ILogGroup): string {
    const lookup = new AwsCustomResource(this, 'S3PrefixList', {
      onUpdate: {
        service: 'EC2',
        action: 'describeManagedPrefixLists',
        parameters: { Filters: [{ Name: 'prefix-list-name', Values: [`com.amazonaws.${this.region}.s3`] }] },
        physicalResourceId: PhysicalResourceId.of(`s3-prefix-list-${this.region}`),
        outputPaths: ['PrefixLists.0.PrefixListId'],
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
      logGroup: logs('S3PrefixListLookupLogs', 'custom-resource-s3-prefix-list'),
    });
    const prefixListId = lookup.getResponseField('PrefixLists.0.PrefixListId');
    // The group is the network stack's: its rule lives here, where the lookup is.
    new CfnSecurityGroupEgress(this, 'ServicesToS3', {
      groupId: group.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      destinationPrefixListId: prefixListId,
      description: 'S3 through the gateway endpoint (image layers, artifacts)',
    });
    return prefixListId;
  }
}
