import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { embeddedScript, INSTALL_SCRIPT, REMOVE_SCRIPT } from '../../lib/capture-proxy/ssm-documents';
import { servicesYaml } from '../../lib/services-yaml';
import { readMigrationContext } from '../../bin/context';
import { ignoredKeysOf, parseServicesYaml } from '../../runtime/src/core/services-yaml';
import { buildApp, Built, exampleContext } from './app-fixture';

let built: Built;
const t = (s: { stack?: any } | any) => Template.fromStack(s);
beforeAll(() => {
  built = buildApp();
});

test('stacks are named OSMigrations-<stage>-<region>-<name>', () => {
  const names = built.app.node.children.map((c) => c.node.id).sort();
  expect(names).toEqual(['Backfill', 'CaptureProxy', 'MigrationConsole', 'MigrationInfra', 'NetworkInfra', 'TrafficReplayer'].map((n) => `OSMigrations-dev-us-east-1-${n}`));
});

test('network: a new VPC in the configured AZs, VPC endpoints, MSK reachable only from the service group', () => {
  const n = t(built.stacks.network);
  n.resourceCountIs('AWS::EC2::Subnet', 4);
  n.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'us-east-1b', MapPublicIpOnLaunch: false });
  n.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.secretsmanager', VpcEndpointType: 'Interface' });
  n.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  n.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupName: 'migration-dev-msk', SecurityGroupIngress: Match.absent() });
  const mskIngress = Object.values(n.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties).filter((p) => JSON.stringify(p.GroupId).includes('MskAccess'));
  expect(mskIngress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 9098, ToPort: 9098, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ServiceAccess/), 'GroupId'] } })]);
  n.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
});

test('an imported VPC is used as given, without lookups', () => {
  const b = buildApp({ vpcId: 'vpc-0a1b2c3d4e5f60718', vpcSubnetIds: ['subnet-0a1b2c3d4e5f6071a', 'subnet-0a1b2c3d4e5f6071b', 'subnet-0a1b2c3d4e5f6071c'], vpcSubnetAZs: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcAZCount: undefined });
  t(b.stacks.network).resourceCountIs('AWS::EC2::VPC', 0);
  t(b.stacks.infra).hasResourceProperties('AWS::MSK::Cluster', { NumberOfBrokerNodes: 3, BrokerNodeGroupInfo: Match.objectLike({ ClientSubnets: ['subnet-0a1b2c3d4e5f6071a', 'subnet-0a1b2c3d4e5f6071b', 'subnet-0a1b2c3d4e5f6071c'] }) });
});

test('infra: MSK with IAM auth over TLS and topic auto-creation, ECS cluster, bucket and logs that destroy removes', () => {
  const i = t(built.stacks.infra);
  i.hasResourceProperties('AWS::MSK::Cluster', {
    ClusterName: 'migration-dev-kafka',
    NumberOfBrokerNodes: 2,
    ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
    BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.m7g.large', StorageInfo: { EBSStorageInfo: { VolumeSize: 100 } } }),
  });
  i.hasResource('AWS::MSK::Cluster', { DeletionPolicy: 'Delete' });
  i.hasResourceProperties('AWS::MSK::Configuration', { ServerProperties: Match.stringLikeRegexp('auto.create.topics.enable=true') });
  i.hasResourceProperties('AWS::ECS::Cluster', { ClusterName: 'migration-dev-ecs-cluster', ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  i.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  // The artifacts bucket and the results bucket.
  i.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  i.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', Properties: { LogGroupName: '/migration/dev/kafka-brokers', RetentionInDays: 30 } });
  i.hasResourceProperties('AWS::SSM::Parameter', { Name: '/migration/dev/default/kafkaBrokers' });
  i.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'migration-dev-capture-replay' });
  i.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'migration-dev-backfill' });
  const body = JSON.stringify(i.findResources('AWS::CloudWatch::Dashboard'));
  expect(body).toContain('OpenSearchMigrations');
  expect(body).toContain('\\"stage\\",\\"dev\\"');
});

test('removal policies "retain" keep the buckets, the logs and MSK', () => {
  const b = buildApp({ removalPolicies: { artifactsBucket: 'retain', resultsBucket: 'retain', logGroups: 'retain', kafka: 'retain' } });
  const i = t(b.stacks.infra);
  i.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  i.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  i.hasResource('AWS::MSK::Cluster', { DeletionPolicy: 'Retain' });
  i.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
});

test('replayer: desired count 0, arguments from context, MSK consumer rights only', () => {
  const r = t(built.stacks.replayer!);
  r.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'migration-dev-traffic-replayer', DesiredCount: 0 });
  const [td] = Object.values(r.findResources('AWS::ECS::TaskDefinition')) as any[];
  const command: unknown[] = td.Properties.ContainerDefinitions[0].Command;
  expect(command.slice(0, 3)).toEqual(['traffic-replayer', '--target-uri', 'https://vpc-target-abc123.us-east-1.es.amazonaws.com:443']);
  expect(command).toEqual(expect.arrayContaining(['--kafka-traffic-topic', 'logging-traffic-topic', '--kafka-traffic-group-id', 'logging-group-default', '--kafka-traffic-enable-msk-auth']));
  expect(command[command.indexOf('--kafka-traffic-brokers') + 1]).toEqual({ Ref: expect.stringMatching(/^SsmParameterValue/) });
  expect(command[command.indexOf('--sigv4-auth-header-service-region') + 1]).toBe('es,us-east-1');
  const policies = JSON.stringify(r.findResources('AWS::IAM::Policy'));
  expect(policies).toContain('kafka-cluster:ReadData');
  expect(policies).not.toContain('kafka-cluster:WriteData');
  const statements = (Object.values(r.findResources('AWS::IAM::Policy')) as any[]).flatMap((p) => p.Properties.PolicyDocument.Statement);
  const group = statements.find((s) => JSON.stringify(s.Action) === JSON.stringify(['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup']));
  expect(JSON.stringify(group.Resource)).toMatch(/:group\/.*\/logging-group-default/);
});

test('passwords reach tasks from Secrets Manager, never as plain environment', () => {
  const b = buildApp({ targetCluster: { endpoint: 'https://target:9200', auth: { type: 'basic', username: 'admin', passwordSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:target-pw-AbCdEf' } } });
  const [td] = Object.values(t(b.stacks.replayer!).findResources('AWS::ECS::TaskDefinition')) as any[];
  const c = td.Properties.ContainerDefinitions[0];
  expect(c.Command).toEqual(expect.arrayContaining(['--target-username', 'admin']));
  expect(c.Secrets).toEqual([{ Name: 'TRAFFIC_REPLAYER_TARGET_PASSWORD', ValueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:target-pw-AbCdEf' }]);
  expect(JSON.stringify(c.Environment)).not.toContain('secret');
});

test('backfill: desired count 0, sized by context, source and target from context', () => {
  const source = { endpoint: 'http://10.212.1.10:9200', version: 'ES_7.10', auth: { type: 'basic', username: 'admin', passwordSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:source-admin-password-AbCdEf' } };
  const bf = t(buildApp({ sourceCluster: source }).stacks.backfill!);
  bf.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'migration-dev-backfill', DesiredCount: 0 });
  bf.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '2048', Memory: '4096', EphemeralStorage: { SizeInGiB: 50 } });
  const [td] = Object.values(bf.findResources('AWS::ECS::TaskDefinition')) as any[];
  const c = td.Properties.ContainerDefinitions[0];
  expect(c.Command).toEqual(expect.arrayContaining(['document-backfill', 'run', '--source-host', 'http://10.212.1.10:9200', '--source-username', 'admin', '--target-aws-region', 'us-east-1']));
  expect(c.Secrets).toEqual([expect.objectContaining({ Name: 'BACKFILL_SOURCE_PASSWORD' })]);
});

test('console: services.yaml in SSM, its hash in the task environment, least-privilege control of its services', () => {
  const c = t(built.stacks.console!);
  c.hasResourceProperties('AWS::SSM::Parameter', { Name: '/migration/dev/default/servicesYamlFile' });
  c.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'migration-dev-migration-console', DesiredCount: 1 });
  const [td] = Object.values(c.findResources('AWS::ECS::TaskDefinition')) as any[];
  const env = Object.fromEntries(td.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
  expect(env.MIGRATION_SERVICES_YAML_HASH).toMatch(/^[0-9a-f]{16}$/);
  expect(env).toMatchObject({ MIGRATION_STAGE: 'dev', METRICS_NAMESPACE: 'OpenSearchMigrations', MIGRATION_SERVICES_YAML_PARAMETER: '/migration/dev/default/servicesYamlFile' });
  c.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['ecs:DescribeServices', 'ecs:UpdateService'],
          Resource: Match.arrayWith([Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':ecs:us-east-1:123456789012:service/migration-dev-ecs-cluster/migration-dev-traffic-replayer'])] })]),
        }),
      ]),
    },
  });
  const policies = JSON.stringify(c.findResources('AWS::IAM::Policy'));
  expect(policies).toContain('parameter/migration/dev/default/*');
  expect(policies).toContain('secretsmanager:GetSecretValue');
  expect(policies).toContain('kafka-cluster:DeleteGroup');

  // The API beyond loopback, with its token from a secret this app makes; the brokers as the reference's console task has them.
  const container = td.Properties.ContainerDefinitions[0];
  expect(container.Command).toEqual(['migration-console', 'api', '--host', '0.0.0.0', '--port', '8000']);
  expect(env.MIGRATION_KAFKA_BROKER_ENDPOINTS).toEqual(expect.objectContaining({ Ref: expect.stringMatching(/kafkaBrokers/i) }));
  c.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'migration/dev/default/console-api-token', GenerateSecretString: Match.objectLike({ PasswordLength: 48, ExcludePunctuation: true }) });
  const [tokenId] = Object.keys(c.findResources('AWS::SecretsManager::Secret'));
  expect(container.Secrets).toEqual(expect.arrayContaining([{ Name: 'MIGRATION_CONSOLE_API_TOKEN', ValueFrom: { Ref: tokenId } }]));
  expect(JSON.stringify(container.Environment)).not.toMatch(/API_TOKEN/);

  const other = buildApp({ replayer: { speedupFactor: 2, groupId: 'other-group' } });
  const [td2] = Object.values(t(other.stacks.console!).findResources('AWS::ECS::TaskDefinition')) as any[];
  const env2 = Object.fromEntries(td2.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
  const sameAgain = buildApp();
  const [td3] = Object.values(t(sameAgain.stacks.console!).findResources('AWS::ECS::TaskDefinition')) as any[];
  const env3 = Object.fromEntries(td3.Properties.ContainerDefinitions[0].Environment.map((e: any) => [e.Name, e.Value]));
  expect(env3.MIGRATION_SERVICES_YAML_HASH).toBe(env.MIGRATION_SERVICES_YAML_HASH);
  expect(built.stacks.console!.servicesYamlHash).toBe(env.MIGRATION_SERVICES_YAML_HASH);
  expect(other.stacks.console!.servicesYamlHash).toBe(env2.MIGRATION_SERVICES_YAML_HASH);
});

test('services.yaml holds clusters, ECS services and MSK, and the console\'s own parser accepts it', () => {
  const ctx = {
    ...exampleContext(),
    sourceCluster: { endpoint: 'http://10.212.1.10:9200', version: 'ES_7.10', auth: { type: 'basic', userSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:src-AbCdEf' } },
  };
  const config = readMigrationContext((k) => (ctx as Record<string, unknown>)[k]);
  const text = servicesYaml(config, 'b-1.msk:9098,b-2.msk:9098');
  const doc = parse(text);
  expect(doc).toMatchObject({
    source_cluster: { endpoint: 'http://10.212.1.10:9200', version: 'ES_7.10', basic_auth: { user_secret_arn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:src-AbCdEf' } },
    target_cluster: { endpoint: 'https://vpc-target-abc123.us-east-1.es.amazonaws.com:443', sigv4: { region: 'us-east-1', service: 'es' } },
    backfill: { reindex_from_snapshot: { scale: 5, ecs: { cluster_name: 'migration-dev-ecs-cluster', service_name: 'migration-dev-backfill', aws_region: 'us-east-1' } } },
    replay: { ecs: { cluster_name: 'migration-dev-ecs-cluster', service_name: 'migration-dev-traffic-replayer' } },
    kafka: { broker_endpoints: 'b-1.msk:9098,b-2.msk:9098', msk: null },
    metrics_source: { cloudwatch: { aws_region: 'us-east-1' } },
  });
  const ours = parseServicesYaml(text);
  expect(ours.backfill).toMatchObject({ scale: 5, ecs: { service_name: 'migration-dev-backfill' } });
  expect(ignoredKeysOf(ours)).toEqual([]);
});

test('capture proxy: SSM documents embed the real scripts, with MSK brokers from SSM and the ports from context', () => {
  const p = t(built.stacks.captureProxy!);
  const docs = p.findResources('AWS::SSM::Document');
  const byName = Object.fromEntries(Object.values(docs).map((d: any) => [d.Properties.Name, d.Properties.Content]));
  const install = byName['migration-dev-InstallCaptureProxy'];
  const remove = byName['migration-dev-RemoveCaptureProxy'];
  expect(install.parameters.kafkaBrokers.default).toBe('{{ssm:/migration/dev/default/kafkaBrokers}}');
  expect(install.parameters.listenPort.default).toBe('9200');
  expect(install.parameters.nodePort.default).toBe('19200');
  // Both CPUs' releases are downloaded, each into the directory the script looks in.
  expect(install.mainSteps.slice(0, 2)).toEqual([
    expect.objectContaining({ action: 'aws:downloadContent', inputs: expect.objectContaining({ sourceType: 'S3', destinationPath: '/var/lib/capture-proxy/download/CaptureProxyX64' }) }),
    expect.objectContaining({ action: 'aws:downloadContent', inputs: expect.objectContaining({ sourceType: 'S3', destinationPath: '/var/lib/capture-proxy/download/CaptureProxyArm64' }) }),
  ]);
  const lines: string[] = install.mainSteps[2].inputs.runCommand;
  expect(lines.join('\n')).toContain(embeddedScript(INSTALL_SCRIPT).trimEnd());
  // The shared part travels inside the document: a node has no node-common.sh to source.
  expect(lines.join('\n')).not.toContain('node-common.sh"');
  expect(lines.join('\n')).toContain('wait_for_port() {');
  expect(lines).toEqual(expect.arrayContaining(["export KAFKA_BROKERS='{{ kafkaBrokers }}'", "export ENABLE_MSK_AUTH='true'", "export AWS_REGION='us-east-1'", "export LISTEN_PORT='{{ listenPort }}'"]));
  // The proxy frames requests as the source's server does.
  expect(install.parameters.extraArgs.default).toContain('--sourceVersion ES_7.10');
  expect(remove.mainSteps[0].inputs.runCommand.join('\n')).toContain(embeddedScript(REMOVE_SCRIPT).trimEnd());
  p.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    ManagedPolicyName: 'migration-dev-capture-proxy-node',
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'] }),
        Match.objectLike({ Action: ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'] }),
      ]),
    },
  });
  expect(JSON.stringify(p.findResources('AWS::IAM::ManagedPolicy'))).toMatch(/:topic\/.*\/logging-traffic-topic"/);
  const [lt] = Object.values(p.findResources('AWS::EC2::LaunchTemplate')) as any[];
  const userData = JSON.stringify(lt.Properties.LaunchTemplateData.UserData);
  expect(userData).toContain('aws s3 cp');
  expect(userData).toMatch(/case \\"\$\(uname -m\)\\" in aarch64 \| arm64\) release_uri='s3:\/\/.*CaptureProxyArm64.tar.gz/);
  expect(userData).toContain('install-capture-proxy.sh');
});

test('disabled services build no stack', () => {
  const b = buildApp({ replayer: { enabled: false }, backfill: { enabled: false }, captureProxy: { enabled: false } });
  expect(b.stacks.replayer).toBeUndefined();
  expect(b.stacks.backfill).toBeUndefined();
  expect(b.stacks.captureProxy).toBeUndefined();
  const ctx: Record<string, unknown> = { ...exampleContext(), replayer: { enabled: false } };
  expect(parse(servicesYaml(readMigrationContext((k) => ctx[k]), 'x:9098')).replay).toBeUndefined();
});
