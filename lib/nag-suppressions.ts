import { NagPackSuppression, NagSuppressions } from 'cdk-nag';
import { MigrationStacks } from './migration-app';
import { MigrationService } from './migration-service';

/*
 * Every cdk-nag AwsSolutions finding this app accepts, each with the reason it is acceptable.
 * Suppressions name the finding (appliesTo) wherever cdk-nag reports granular findings, so that a
 * new wildcard elsewhere in the same policy still fails the check.
 */

const re = (pattern: string) => ({ regex: `/${pattern}/` });

const serviceSuppressions: NagPackSuppression[] = [
  {
    id: 'AwsSolutions-IAM5',
    reason: 'Results bucket: the replayer puts under tuples/, the backfill under failed-documents/, the console reads those two prefixes; object actions need the prefix/* resource.',
    appliesTo: [re('^Resource::(<Results[0-9A-F]+\\.Arn>|OSMigrations-[A-Za-z0-9]+-[a-z0-9-]+-MigrationInfra:ExportsOutputFnGetAttResults[0-9A-F]+Arn[0-9A-F]+)/(tuples|failed-documents)/\\*$')],
  },
  { id: 'AwsSolutions-ECS2', reason: 'Only non-secret settings (stage, metrics namespace, parameter names, config hash) are plain environment variables; passwords and services.yaml come from Secrets Manager and SSM through `secrets`.' },
  {
    id: 'AwsSolutions-IAM5',
    reason: 'ecr:GetAuthorizationToken (image pull), ssmmessages:* (ECS Exec, the console only) and elasticloadbalancing:Describe* (the console reading its listener) do not support resource-level permissions.',
    appliesTo: ['Resource::*'],
  },
  {
    id: 'AwsSolutions-IAM5',
    reason: 'SigV4 access to the configured domain: its HTTP verbs are authorized on domain/<name>/<path>, so the path is a wildcard; every domain (collection) of the region only where the context says "*".',
    appliesTo: [re('^Resource::arn:<AWS::Partition>:es:[a-z0-9-]+:\\d+:domain/(\\*|[a-z][a-z0-9-]*/\\*)$'), re('^Resource::arn:<AWS::Partition>:aoss:[a-z0-9-]+:\\d+:collection/\\*$')],
  },
  {
    id: 'AwsSolutions-IAM5',
    reason: 'Secrets given by partial ARN: Secrets Manager appends a random 6-character suffix that the policy must match.',
    appliesTo: [re('^Resource::arn:aws[a-z-]*:secretsmanager:.*-\\?\\?\\?\\?\\?\\?$')],
  },
];

function suppressService(service: MigrationService | undefined): void {
  if (service) NagSuppressions.addResourceSuppressions(service, serviceSuppressions, true);
}

export function applyNagSuppressions(stacks: MigrationStacks): void {
  suppressService(stacks.console?.service);
  if (stacks.console) {
    NagSuppressions.addResourceSuppressions(stacks.console.apiTokenSecret, [
      { id: 'AwsSolutions-SMG4', reason: 'The console API token is read when the console task starts; rotating it means a new value and a new deployment of the console service (README), which a rotation Lambda cannot do.' },
    ]);
  }
  suppressService(stacks.replayer?.service);
  suppressService(stacks.backfill?.service);
  const fleet = stacks.captureProxyFleet;
  for (const service of [fleet?.proxy, fleet?.forwarders.source, fleet?.forwarders.target]) suppressService(service);
  if (stacks.console) {
    NagSuppressions.addResourceSuppressions(
      stacks.console.service,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason: 'The console reads the parameters of its own deployment only: /migration/<stage>/<deployId>/*.',
          appliesTo: [re('^Resource::arn:<AWS::Partition>:ssm:[a-z0-9-]+:\\d+:parameter/migration/[A-Za-z0-9]+/[A-Za-z0-9_-]+/\\*$')],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'The console lists the topics of the migration\'s own MSK cluster (DescribeTopic only); it administers the capture topic alone.',
          appliesTo: [re('^Resource::arn:<AWS::Partition>:kafka:.*:topic/.*/\\*$')],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason: 'Read and write of objects in the deployment\'s own artifacts bucket (tuples, reports); S3 object actions need the /* resource.',
          appliesTo: ['Action::s3:Abort*', 'Action::s3:DeleteObject*', 'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', re('^Resource::(<Artifacts[0-9A-F]+\\.Arn>|OSMigrations-[A-Za-z0-9]+-[a-z0-9-]+-MigrationInfra:ExportsOutputFnGetAttArtifacts[0-9A-F]+Arn[0-9A-F]+)/\\*$')],
        },
      ],
      true,
    );
  }
  const infra = stacks.infra;
  NagSuppressions.addResourceSuppressions(
    infra.artifactsBucket,
    [{ id: 'AwsSolutions-S1', reason: 'The artifacts bucket holds the migration\'s own outputs and is deleted by cdk destroy; an access-log bucket would be one more bucket left behind. CloudTrail data events cover audits where required.' }],
    true,
  );
  NagSuppressions.addResourceSuppressions(
    infra.resultsBucket,
    [{ id: 'AwsSolutions-S1', reason: 'The results bucket holds replay tuples and refused documents that the migration\'s own services write under their prefixes; it expires them and cdk destroy deletes it. CloudTrail data events cover audits where required.' }],
    true,
  );
  // CDK's singleton Lambdas behind AwsCustomResource (MSK bootstrap brokers) and bucket auto-delete.
  const cdkProvided: NagPackSuppression[] = [
    { id: 'AwsSolutions-IAM4', reason: 'CDK-provided custom resource Lambda: AWSLambdaBasicExecutionRole only lets it write its own logs.', appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'] },
    { id: 'AwsSolutions-L1', reason: 'CDK-provided custom resource Lambda: its runtime is chosen by the aws-cdk-lib version.' },
  ];
  for (const child of infra.node.children) {
    if (/^AWS679f53fac002430cb0da5b7982bd2287$|^Custom::S3AutoDeleteObjects/.test(child.node.id)) NagSuppressions.addResourceSuppressions(child, cdkProvided, true);
  }
  const prefixList = infra.node.tryFindChild('S3PrefixList');
  if (prefixList) {
    NagSuppressions.addResourceSuppressions(
      prefixList,
      [{ id: 'AwsSolutions-IAM5', reason: 'ec2:DescribeManagedPrefixLists (finding S3\'s prefix list for the services\' security group) has no resource-level permissions.', appliesTo: ['Resource::*'] }],
      true,
    );
  }
}
