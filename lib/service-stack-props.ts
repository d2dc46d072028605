import { StackProps } from 'aws-cdk-lib';
import { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { ContainerImage, ICluster } from 'aws-cdk-lib/aws-ecs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { MigrationConfig } from './config';
import { KafkaArns } from './kafka-arns';

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
export function metricsEnvironment(config: MigrationConfig): Record<string, string> {
  return { MIGRATION_STAGE: config.stage, METRICS_NAMESPACE: 'OpenSearchMigrations', METRICS_FORMAT: 'emf', AWS_REGION: config.region };
}
