import { Match, Template } from 'aws-cdk-lib/assertions';
import { readMigrationContext } from '../../bin/context';
import { buildApp, Built, exampleContext } from './app-fixture';

let built: Built;
const t = (s: any) => Template.fromStack(s);
beforeAll(() => {
  built = buildApp();
});

function statements(stack: any): any[] {
  return (Object.values(t(stack).findResources('AWS::IAM::Policy')) as any[]).flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const s3Statements = (stack: any) => statements(stack).filter((s) => JSON.stringify(s.Action).includes('s3:'));
function command(stack: any): unknown[] {
  const [td] = Object.values(t(stack).findResources('AWS::ECS::TaskDefinition')) as any[];
  return td.Properties.ContainerDefinitions[0].Command;
}

test('results bucket: encrypted, TLS only, never public, results expire, destroyed with the app unless retained', () => {
  const i = t(built.stacks.infra);
  i.hasResourceProperties('AWS::S3::Bucket', {
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' })] },
  });
  const policies = JSON.stringify(i.findResources('AWS::S3::BucketPolicy'));
  expect(policies).toContain('"aws:SecureTransport":"false"');
  const kept = t(buildApp({ resultsRetentionDays: 30, removalPolicies: { resultsBucket: 'retain' } }).stacks.infra);
  kept.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] } });
  kept.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
});

test('resultsRetentionDays is a context key of ours, checked with the rest; the reference\'s replayer output removal maps to the results bucket', () => {
  const read = (ctx: Record<string, unknown>) => readMigrationContext((k) => ctx[k], Object.keys(ctx));
  expect(read({ ...exampleContext(), resultsRetentionDays: 7 }).resultsRetentionDays).toBe(7);
  expect(() => read({ ...exampleContext(), resultsRetentionDays: 0 })).toThrow(/resultsRetentionDays/);
  expect(read({ ...exampleContext(), removalPolicies: undefined, replayerOutputEFSRemovalPolicy: 'RETAIN' }).removalPolicies.resultsBucket).toBe('retain');
});

test('the replayer writes its tuples to the results bucket, and may only put objects under tuples/', () => {
  const c = command(built.stacks.replayer!);
  expect(c[c.indexOf('--tuple-s3-prefix') + 1]).toBe('tuples/');
  expect(c[c.indexOf('--tuple-s3-region') + 1]).toBe('us-east-1');
  expect(JSON.stringify(c[c.indexOf('--tuple-s3-bucket') + 1])).toMatch(/Results/);
  const s3 = s3Statements(built.stacks.replayer!);
  expect(s3).toHaveLength(1);
  expect(s3[0].Action).toBe('s3:PutObject');
  expect(JSON.stringify(s3[0].Resource)).toMatch(/Results.*\/tuples\/\*"/);
});

test('the backfill writes refused documents under failed-documents/ only', () => {
  const c = command(built.stacks.backfill!);
  expect(c[c.indexOf('--failed-documents-s3-prefix') + 1]).toBe('failed-documents/');
  expect(c[c.indexOf('--failed-documents-s3-region') + 1]).toBe('us-east-1');
  const s3 = s3Statements(built.stacks.backfill!);
  expect(s3).toHaveLength(1);
  expect(s3[0].Action).toBe('s3:PutObject');
  expect(JSON.stringify(s3[0].Resource)).toMatch(/\/failed-documents\/\*"/);
});

test('the console reads both prefixes, lists only them, and its task says where the tuples are', () => {
  const s3 = s3Statements(built.stacks.console!).filter((s) => JSON.stringify(s.Resource).includes('Results'));
  const list = s3.find((s) => s.Action === 's3:ListBucket');
  expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['tuples/*', 'failed-documents/*'] } });
  const get = s3.find((s) => s.Action === 's3:GetObject');
  expect(JSON.stringify(get.Resource)).toMatch(/\/tuples\/\*"/);
  expect(JSON.stringify(get.Resource)).toMatch(/\/failed-documents\/\*"/);
  expect(s3.map((s) => s.Action)).toEqual(['s3:ListBucket', 's3:GetObject']);
  const [td] = Object.values(t(built.stacks.console!).findResources('AWS::ECS::TaskDefinition')) as any[];
  const env = Object.fromEntries(td.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
  expect(env.MIGRATION_TUPLE_S3_PREFIX).toBe('tuples/');
  expect(JSON.stringify(env.MIGRATION_TUPLE_S3_BUCKET)).toMatch(/Results/);
  expect(env.AWS_REGION).toBe('us-east-1');
});
