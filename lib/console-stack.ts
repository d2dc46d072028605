import { createHash } from 'node:crypto';
import { Annotations, Stack } from 'aws-cdk-lib';
import { Secret as EcsSecret } from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { importSecret, sigv4Statements } from './cluster-access';
import { ClusterConfig } from './config';
import { MigrationService } from './migration-service';
import { consoleApiTokenSecretName, ecsClusterName, PARAM_SERVICES_YAML, parameterName, serviceName } from './naming';
import { FAILED_DOCUMENTS_PREFIX, readUnder, TUPLES_PREFIX } from './results-bucket';
import { ServiceStackProps, sharedServiceProps } from './service-stack-props';
import { LoadBalancerRefs, referenceConsoleGap, servicesYaml } from './services-yaml';

export interface ConsoleStackProps extends ServiceStackProps {
  artifactsBucket: IBucket;
  /** The proxy fleet's listener: the console may change its weights (and no other listener's). */
  loadBalancer?: LoadBalancerRefs;
}

function secretArns(c: ClusterConfig): string[] {
  if (c.auth.type !== 'basic') return [];
  return ['userSecretArn' in c.auth ? c.auth.userSecretArn : c.auth.passwordSecretArn];
}

/**
 * The migration console: services.yaml in SSM, one always-on task that reads it, controls the
 * other services and reads both clusters, Kafka and the metrics.
 */
export class ConsoleStack extends Stack {
  readonly service: MigrationService;
  readonly servicesYamlParameter: StringParameter;
  /** The API's bearer token: the console listens beyond loopback only with it. */
  readonly apiTokenSecret: Secret;
  /** sha256 of the services.yaml template: in the task's environment so that a change rolls it. */
  readonly servicesYamlHash: string;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const { config } = props;
    const brokers = StringParameter.valueForStringParameter(this, props.kafkaBrokersParameterName);
    const yamlText = servicesYaml(config, brokers, props.loadBalancer);
    const gap = referenceConsoleGap(config);
    if (gap) Annotations.of(this).addWarningV2('migration:servicesYamlReferenceConsole', gap);
    this.servicesYamlParameter = new StringParameter(this, 'ServicesYaml', {
      parameterName: parameterName(config.stage, config.deployId, PARAM_SERVICES_YAML),
      description: 'services.yaml of the migration console',
      stringValue: yamlText,
    });
    this.servicesYamlHash = createHash('sha256').update(JSON.stringify(this.resolve(yamlText))).digest('hex').slice(0, 16);

    this.apiTokenSecret = new Secret(this, 'ApiToken', {
      secretName: consoleApiTokenSecretName(config.stage, config.deployId),
      description: 'Bearer token of the migration console API (Authorization: Bearer <token>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const k = props.kafkaArns;
    const ecsCluster = ecsClusterName(config.stage);
    const serviceArn = (s: 'traffic-replayer' | 'backfill' | 'migration-console') => `arn:${this.partition}:ecs:${this.region}:${this.account}:service/${ecsCluster}/${serviceName(config.stage, s)}`;
    const secretStatements = [...secretArns(config.sourceCluster), ...secretArns(config.targetCluster)].map((arn, i) => importSecret(this, `ClusterSecret${i}`, arn));
    const statements = [
      new PolicyStatement({ actions: ['ecs:UpdateService', 'ecs:DescribeServices'], resources: [serviceArn('traffic-replayer'), serviceArn('backfill'), serviceArn('migration-console')] }),
      new PolicyStatement({ actions: ['ssm:GetParameter', 'ssm:GetParameters'], resources: [`arn:${this.partition}:ssm:${this.region}:${this.account}:parameter/migration/${config.stage}/${config.deployId}/*`] }),
      new PolicyStatement({ actions: ['kafka:GetBootstrapBrokers', 'kafka:DescribeClusterV2'], resources: [k.cluster] }),
      new PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'], resources: [k.cluster] }),
      new PolicyStatement({ actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:CreateTopic', 'kafka-cluster:DeleteTopic', 'kafka-cluster:AlterTopic', 'kafka-cluster:ReadData'], resources: [k.topic] }),
      new PolicyStatement({ actions: ['kafka-cluster:DescribeTopic'], resources: [k.allTopics] }),
      new PolicyStatement({ actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup', 'kafka-cluster:DeleteGroup'], resources: [k.group] }),
      // CloudWatch metric reads have no resource-level permissions.
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData', 'cloudwatch:ListMetrics'], resources: ['*'] }),
      ...sigv4Statements(this, config.sourceCluster),
      ...sigv4Statements(this, config.targetCluster),
      ...readUnder(props.resultsBucket, [TUPLES_PREFIX, FAILED_DOCUMENTS_PREFIX]),
      ...(props.loadBalancer
        ? [
            new PolicyStatement({ actions: ['elasticloadbalancing:ModifyListener'], resources: [props.loadBalancer.listenerArn] }),
            // Elastic Load Balancing's Describe* calls have no resource-level permissions.
            new PolicyStatement({ actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'], resources: ['*'] }),
          ]
        : []),
    ];

    const shared = sharedServiceProps(props);
    this.service = new MigrationService(this, 'MigrationConsole', {
      ...shared,
      service: 'migration-console',
      // Beyond loopback (other tasks in the VPC reach it through the service security group), so with the token.
      command: ['migration-console', 'api', '--host', '0.0.0.0', '--port', '8000'],
      environment: {
        ...shared.environment,
        MIGRATION_SERVICES_YAML_PARAMETER: parameterName(config.stage, config.deployId, PARAM_SERVICES_YAML),
        MIGRATION_SERVICES_YAML_HASH: this.servicesYamlHash,
        MIGRATION_ARTIFACTS_BUCKET: props.artifactsBucket.bucketName,
        // Where the replayer's tuples are, for the tuples verbs: here rather than in services.yaml, which stays a file the reference console loads.
        MIGRATION_TUPLE_S3_BUCKET: props.resultsBucket.bucketName,
        MIGRATION_TUPLE_S3_PREFIX: TUPLES_PREFIX,
        // As the reference's console task has it: the user guide's Kafka check reads it.
        MIGRATION_KAFKA_BROKER_ENDPOINTS: brokers,
      },
      secrets: { MIGRATION_SERVICES_YAML: EcsSecret.fromSsmParameter(this.servicesYamlParameter), MIGRATION_CONSOLE_API_TOKEN: EcsSecret.fromSecretsManager(this.apiTokenSecret) },
      cpu: config.console.cpu,
      memoryMiB: config.console.memoryMiB,
      desiredCount: 1,
      statements,
      // How operators reach the console (aws ecs execute-command).
      operatorShell: true,
    });
    for (const s of secretStatements) s.grantRead(this.service.taskDefinition.taskRole);
    props.artifactsBucket.grantReadWrite(this.service.taskDefinition.taskRole);
  }
}
