import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, Built, exampleContext, repoRoot } from './app-fixture';

/*
 * What the security review of the templates asked for: SigV4 scoped to the cluster's domain,
 * egress limited to the VPC's endpoints, MSK and the clusters, read-only task filesystems with a
 * scratch volume, log groups encrypted when asked, and an example that talks https to the source.
 */

let built: Built;
const t = (s: Stack) => Template.fromStack(s);
const allStacks = (b: Built) => Object.values(b.stacks).filter((s): s is Stack => s !== undefined);
beforeAll(() => {
  built = buildApp();
});

function statements(s: Stack): any[] {
  return Object.values(t(s).findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** Every egress rule of every security group in a template: inline ones and separate resources. */
function egressRules(s: Stack): any[] {
  const tpl = t(s);
  const inline = Object.values(tpl.findResources('AWS::EC2::SecurityGroup')).flatMap((g: any) => g.Properties.SecurityGroupEgress ?? []);
  return [...inline, ...Object.values(tpl.findResources('AWS::EC2::SecurityGroupEgress')).map((r: any) => r.Properties)];
}

test('SigV4 access is the HTTP verbs on the target\'s own domain, not es:ESHttp* on every domain of the account', () => {
  for (const s of [built.stacks.replayer!, built.stacks.backfill!, built.stacks.console!]) {
    const es = statements(s).filter((st) => [st.Action].flat().some((a: string) => a.startsWith('es:')));
    expect(es).toHaveLength(1);
    expect(es[0].Action).toEqual(['es:ESHttpDelete', 'es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPatch', 'es:ESHttpPost', 'es:ESHttpPut']);
    const resources = JSON.stringify(es[0].Resource);
    expect(resources).toContain(':es:us-east-1:123456789012:domain/target"');
    expect(resources).toContain(':es:us-east-1:123456789012:domain/target/*"');
    expect(resources).not.toContain('domain/*');
  }
  const aoss = buildApp({ targetCluster: { endpoint: 'https://abc123xyz.us-east-1.aoss.amazonaws.com', auth: { type: 'sigv4', region: 'us-east-1', serviceSigningName: 'aoss' } }, backfill: { enabled: false }, console: { enabled: false } });
  const collection = statements(aoss.stacks.replayer!).find((st) => st.Action === 'aoss:APIAccessAll');
  expect(JSON.stringify(collection.Resource)).toMatch(/:aoss:us-east-1:123456789012:collection\/abc123xyz"/);
});

test('no security group lets anything out to 0.0.0.0/0 in the example: only MSK, the VPC endpoints, S3\'s prefix list and the clusters', () => {
  for (const s of allStacks(built)) {
    for (const rule of egressRules(s)) expect(rule.CidrIp).not.toBe('0.0.0.0/0');
  }
  const services = egressRules(built.stacks.network).filter((r) => JSON.stringify(r.GroupId ?? '').includes('ServiceAccess') || r.Description?.startsWith('cluster'));
  const summary = services.map((r) => `${r.FromPort} ${r.CidrIp ?? (r.DestinationSecurityGroupId && JSON.stringify(r.DestinationSecurityGroupId).match(/(MskAccess|EndpointAccess)/)?.[1])}`).sort();
  // The source node by its address, the target's VPC domain within the VPC.
  expect(summary).toEqual(['443 10.212.0.0/16', '443 EndpointAccess', '9098 MskAccess', '9200 10.212.1.10/32']);
  t(built.stacks.infra).hasResourceProperties('AWS::EC2::SecurityGroupEgress', { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: { 'Fn::GetAtt': [expectId(/^S3PrefixList/), 'PrefixLists.0.PrefixListId'] } });
  expect(JSON.stringify(t(built.stacks.infra).findResources('Custom::AWS'))).toMatch(/describeManagedPrefixLists.*com\.amazonaws\.us-east-1\.s3/);
  // The endpoints answer the services only.
  const endpointIngress = Object.values(t(built.stacks.network).findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties).filter((p) => JSON.stringify(p.GroupId).includes('EndpointAccess'));
  expect(endpointIngress).toEqual([expect.objectContaining({ FromPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ServiceAccess/), 'GroupId'] } })]);
  t(built.stacks.network).resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { SecurityGroupIds: [{ 'Fn::GetAtt': [expectId(/^EndpointAccess/), 'GroupId'] }] }, 8);
});

test('an imported VPC (endpoints unknown) may reach AWS APIs over HTTPS, and a public cluster on its port only', () => {
  const b = buildApp({
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcSubnetIds: ['subnet-0a1b2c3d4e5f6071a', 'subnet-0a1b2c3d4e5f6071b'],
    vpcSubnetAZs: ['us-east-1a', 'us-east-1b'],
    vpcAZCount: undefined,
    sourceCluster: { endpoint: 'https://source.example.com:9243', auth: { type: 'none' } },
  });
  const open = egressRules(b.stacks.network).filter((r) => r.CidrIp === '0.0.0.0/0').map((r) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort}`).sort();
  // AWS APIs and the target's VPC domain (the VPC's range is not known) share one rule.
  expect(open).toEqual(['tcp 443-443', 'tcp 9243-9243']);
  t(b.stacks.infra).resourceCountIs('AWS::EC2::SecurityGroupEgress', 0);
});

test('tasks run with a read-only root filesystem and a scratch volume on /tmp; only the console (ECS Exec) is writable', () => {
  const containerOf = (s: Stack) => (Object.values(t(s).findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties;
  for (const s of [built.stacks.replayer!, built.stacks.backfill!]) {
    const td = containerOf(s);
    expect(td.ContainerDefinitions[0]).toMatchObject({ ReadonlyRootFilesystem: true, MountPoints: [{ SourceVolume: 'scratch', ContainerPath: '/tmp', ReadOnly: false }] });
    expect(td.Volumes).toEqual([{ Name: 'scratch' }]);
    t(s).hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: false });
    expect(JSON.stringify(statements(s))).not.toContain('ssmmessages');
  }
  const console = containerOf(built.stacks.console!);
  expect(console.ContainerDefinitions[0].ReadonlyRootFilesystem).toBe(false);
  t(built.stacks.console!).hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: true });
  // ECS copies the mode of the image's directory into the volume: the image must declare /tmp as one.
  expect(readFileSync(path.join(repoRoot, 'runtime', 'Dockerfile'), 'utf8')).toMatch(/RUN chmod 1777 \/tmp\nVOLUME \["\/tmp"\]/);
});

test('log groups: CloudWatch\'s own encryption by default; with logEncryptionKey a rotated KMS key that only this migration\'s groups may use', () => {
  const logGroups = (b: Built) => allStacks(b).flatMap((s) => Object.values(t(s).findResources('AWS::Logs::LogGroup')).map((r: any) => r.Properties));
  expect(logGroups(built).every((g) => g.KmsKeyId === undefined)).toBe(true);

  const created = buildApp({ logEncryptionKey: 'create' });
  const groups = logGroups(created);
  expect(groups.length).toBeGreaterThanOrEqual(7);
  for (const g of groups) expect(JSON.stringify(g.KmsKeyId)).toMatch(/LogKey/);
  const key = t(created.stacks.network);
  key.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, PendingWindowInDays: 7 });
  key.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/migration-dev-logs' });
  const policy = (Object.values(key.findResources('AWS::KMS::Key'))[0] as any).Properties.KeyPolicy.Statement;
  const logs = policy.find((st: any) => JSON.stringify(st.Principal).includes('logs.us-east-1.amazonaws.com'));
  expect(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:/migration/dev/*']] });

  const arn = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  for (const g of logGroups(buildApp({ logEncryptionKey: arn, replayer: { enabled: false }, backfill: { enabled: false } }))) expect(g.KmsKeyId).toBe(arn);
});

test('the example context talks to the source over https', () => {
  const ctx = exampleContext() as { sourceCluster: { endpoint: string }; captureProxy: { destinationScheme: string } };
  expect(ctx.sourceCluster.endpoint).toMatch(/^https:\/\//);
  expect(ctx.captureProxy.destinationScheme).toBe('https');
});

function expectId(re: RegExp) {
  return Match.stringLikeRegexp(re.source);
}
