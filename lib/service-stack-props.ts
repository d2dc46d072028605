import { StackProps } from 'aws-cdk-lib';
import { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { ContainerImage, ICluster } from 'aws-cdk-lib/aws-ecs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { MigrationConfig } from './config';
import { KafkaArns } from './kafka-arns';
import type { MigrationServiceProps } from './migration-service';

/** What every service stack takes from the network and infra stacks. */
export interface ServiceStackProps extends StackProps {
  config: MigrationConfig;
  vpc: IVpc;
  subnets: SubnetSelection;
  serviceSecurityGroup: ISecurityGroup;
  cluster: ICluster;
  image: ContainerImage;
  kafkaArns: KafkaArns;
  /** SSM parameter with the bootstrap brokers, resolved at deploy time. */
  kafkaBrokersParameterName: string;
  /** Tuples and refused documents, each service under its own prefix. */
  resultsBucket: IBucket;
  /** The log groups' KMS key (context logEncryptionKey). */
  logEncryptionKey?: IKey;
}

/** Settings every service reads to publish metrics (embedded metric format on stdout). */
function metricsEnvironment(config: MigrationConfig): Record<string, string> {
  return { MIGRATION_STAGE: config.stage, METRICS_NAMESPACE: 'OpenSearchMigrations', METRICS_FORMAT: 'emf', AWS_REGION: config.region };
}

/** The part of a MigrationService's props that every service stack passes the same way. */
export type SharedServiceProps = Pick<MigrationServiceProps, 'stage' | 'cluster' | 'vpc' | 'subnets' | 'securityGroup' | 'image' | 'environment' | 'logRetentionDays' | 'logRemoval' | 'logEncryptionKey'>;

/**
 * Those props from the stack's: where the task runs, its image, the metrics settings (services
 * add their own variables to `environment`) and its logs. A stack overrides what differs.
 */
export function sharedServiceProps(props: ServiceStackProps): SharedServiceProps {
  const { config } = props;
  return {
    stage: config.stage,
    cluster: props.cluster,
    vpc: props.vpc,
    subnets: props.subnets,
    securityGroup: props.serviceSecurityGroup,
    image: props.image,
    environment: metricsEnvironment(config),
    logRetentionDays: config.logRetentionDays,
    logRemoval: config.removalPolicies.logGroups,
    logEncryptionKey: props.logEncryptionKey,
  };
}
