import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { basicAuthCredentials, sigv4Arg, sigv4Statements } from './cluster-access';
import { ClusterConfig, MigrationConfig } from './config';
import { MigrationService } from './migration-service';
import { FAILED_DOCUMENTS_PREFIX, putUnder } from './results-bucket';
import { ServiceStackProps, sharedServiceProps } from './service-stack-props';

function clusterArgs(side: 'source' | 'target', c: ClusterConfig): string[] {
  const args = [`--${side}-host`, c.endpoint];
  const sigv4 = sigv4Arg(c);
  if (sigv4) {
    const [service, region] = sigv4.split(',');
    args.push(`--${side}-aws-service-signing-name`, service, `--${side}-aws-region`, region);
  }
  if (c.allowInsecure) args.push(`--${side}-insecure`);
  return args;
}

/** The backfill workers' command line: live source to target, sharing work through leases; refused documents to S3. */
export function backfillCommand(config: MigrationConfig, credentialArgs: string[], resultsBucket: string): string[] {
  const failed = ['--failed-documents-s3-bucket', resultsBucket, '--failed-documents-s3-prefix', FAILED_DOCUMENTS_PREFIX, '--failed-documents-s3-region', config.region];
  return ['document-backfill', 'run', ...clusterArgs('source', config.sourceCluster), ...clusterArgs('target', config.targetCluster), ...failed, ...credentialArgs, ...config.backfill.extraArgs];
}

/** Backfill workers: a Fargate service at 0 tasks that the console scales up. */
export class BackfillStack extends Stack {
  readonly service: MigrationService;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    const source = basicAuthCredentials(this, 'SourceSecret', config.sourceCluster, '--source-username', 'BACKFILL_SOURCE_USERNAME', 'BACKFILL_SOURCE_PASSWORD');
    const target = basicAuthCredentials(this, 'TargetSecret', config.targetCluster, '--target-username', 'BACKFILL_TARGET_USERNAME', 'BACKFILL_TARGET_PASSWORD');
    this.service = new MigrationService(this, 'Backfill', {
      ...sharedServiceProps(props),
      service: 'backfill',
      command: backfillCommand(config, [...source.args, ...target.args], props.resultsBucket.bucketName),
      secrets: { ...source.secrets, ...target.secrets },
      cpu: config.backfill.cpu,
      memoryMiB: config.backfill.memoryMiB,
      ephemeralStorageGiB: config.backfill.ephemeralStorageGiB,
      desiredCount: 0,
      statements: [...sigv4Statements(this, config.sourceCluster), ...sigv4Statements(this, config.targetCluster), putUnder(props.resultsBucket, FAILED_DOCUMENTS_PREFIX)],
    });
  }
}
