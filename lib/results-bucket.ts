import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { Removal } from './config';
import { removalPolicy } from './log-retention';

/** Where the replayer's tuples go in the results bucket (the reference's default prefix). */
export const TUPLES_PREFIX = 'tuples/';
/** Where the backfill's refused documents go. */
export const FAILED_DOCUMENTS_PREFIX = 'failed-documents/';

export interface ResultsBucketProps {
  /** @default destroy (objects deleted with the bucket) */
  removal: Removal;
  /** Results older than this are deleted. */
  retentionDays: number;
}

/**
 * Replay tuples and refused documents: what outlives the tasks that wrote them, for the console
 * to read. Encrypted, TLS only, never public; results expire after the retention period.
 */
export function resultsBucket(scope: Construct, id: string, props: ResultsBucketProps): Bucket {
  return new Bucket(scope, id, {
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    lifecycleRules: [{ id: 'expire-results', expiration: Duration.days(props.retentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    removalPolicy: removalPolicy(props.removal),
    autoDeleteObjects: props.removal !== 'retain',
  });
}

/** A writer's right: new objects under its own prefix, nothing else (no read, no delete). */
export function putUnder(bucket: IBucket, prefix: string): PolicyStatement {
  return new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${prefix}*`)] });
}

/** A reader's rights: list and get under the given prefixes only. */
export function readUnder(bucket: IBucket, prefixes: string[]): PolicyStatement[] {
  return [
    new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } } }),
    new PolicyStatement({ actions: ['s3:GetObject'], resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)) }),
  ];
}
