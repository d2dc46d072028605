import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LogEncryption, Removal } from './config';
import { removalPolicy } from './log-retention';

/**
 * The KMS key of the migration's log groups (context `logEncryptionKey`): one this app creates,
 * usable by CloudWatch Logs for /migration/<stage>/* only, or an existing key by ARN (whose policy
 * must let CloudWatch Logs use it). It outlives `cdk destroy` when the log groups do.
 */
export function logEncryptionKey(scope: Construct, stage: string, encryption: LogEncryption, logRemoval: Removal): IKey | undefined {
  if (encryption.kind === 'none') return undefined;
  if (encryption.kind === 'key') return Key.fromKeyArn(scope, 'LogKey', encryption.keyArn);
  const stack = Stack.of(scope);
  const key = new Key(scope, 'LogKey', {
    alias: `alias/migration-${stage}-logs`,
    description: `Encrypts the log groups /migration/${stage}/*`,
    enableKeyRotation: true,
    pendingWindow: Duration.days(7),
    removalPolicy: removalPolicy(logRemoval),
  });
  // Only for this migration's log groups: CloudWatch Logs names the group in the encryption context.
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:/migration/${stage}/*` } },
    }),
  );
  return key;
}
