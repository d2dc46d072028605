import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { basicAuthCredentials, sigv4Arg, sigv4Statements } from './cluster-access';
import { KAFKA_TOPIC, MigrationConfig } from './config';
import { MigrationService } from './migration-service';
import { putUnder, TUPLES_PREFIX } from './results-bucket';
import { ServiceStackProps, sharedServiceProps } from './service-stack-props';

/** The replayer's command line, from context (brokers and the results bucket are deploy-time values). */
export function replayerCommand(config: MigrationConfig, brokers: string, credentialArgs: string[], resultsBucket: string): string[] {
  const t = config.targetCluster;
  const args = [
    'traffic-replayer',
    '--target-uri', t.endpoint,
    '--kafka-traffic-brokers', brokers,
    '--kafka-traffic-topic', KAFKA_TOPIC,
    '--kafka-traffic-group-id', config.replayer.groupId,
    '--kafka-traffic-enable-msk-auth',
    '--speedup-factor', String(config.replayer.speedupFactor),
    '--tuple-s3-bucket', resultsBucket,
    '--tuple-s3-prefix', TUPLES_PREFIX,
    '--tuple-s3-region', config.region,
  ];
  const sigv4 = sigv4Arg(t);
  if (sigv4) args.push('--sigv4-auth-header-service-region', sigv4);
  if (t.allowInsecure) args.push('--insecure');
  return [...args, ...credentialArgs, ...config.replayer.extraArgs];
}

/** The traffic replayer: an MSK consumer in its group, sending to the target. Starts at 0 tasks. */
export class ReplayerStack extends Stack {
  readonly service: MigrationService;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    const brokers = StringParameter.valueForStringParameter(this, props.kafkaBrokersParameterName);
    const creds = basicAuthCredentials(this, 'TargetSecret', config.targetCluster, '--target-username', 'TRAFFIC_REPLAYER_TARGET_USERNAME', 'TRAFFIC_REPLAYER_TARGET_PASSWORD');
    const k = props.kafkaArns;
    this.service = new MigrationService(this, 'TrafficReplayer', {
      ...sharedServiceProps(props),
      service: 'traffic-replayer',
      command: replayerCommand(config, brokers, creds.args, props.resultsBucket.bucketName),
      secrets: creds.secrets,
      cpu: config.replayer.cpu,
      memoryMiB: config.replayer.memoryMiB,
      desiredCount: 0,
      statements: [
        new PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'], resources: [k.cluster] }),
        new PolicyStatement({ actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], resources: [k.topic] }),
        new PolicyStatement({ actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], resources: [k.group] }),
        ...sigv4Statements(this, config.targetCluster),
        putUnder(props.resultsBucket, TUPLES_PREFIX),
      ],
    });
  }
}
