import { RemovalPolicy } from 'aws-cdk-lib';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Removal } from './config';

/** The retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS_ALLOWED = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function removalPolicy(r: Removal): RemovalPolicy {
  return r === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

export interface MigrationLogGroupProps {
  logGroupName: string;
  retentionDays: number;
  removal: Removal;
  /** @default CloudWatch Logs' own encryption */
  encryptionKey?: IKey;
}

/** A named log group that `cdk destroy` deletes unless the user asked to retain logs. */
export function migrationLogGroup(scope: Construct, id: string, props: MigrationLogGroupProps): LogGroup {
  return new LogGroup(scope, id, {
    logGroupName: props.logGroupName,
    retention: props.retentionDays as RetentionDays,
    removalPolicy: removalPolicy(props.removal),
    encryptionKey: props.encryptionKey,
  });
}
