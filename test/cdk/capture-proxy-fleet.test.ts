import { Match, Template } from 'aws-cdk-lib/assertions';
import { parse } from 'yaml';
import { readMigrationContext } from '../../bin/context';
import { servicesYaml } from '../../lib/services-yaml';
import { parseServicesYaml } from '../../runtime/src/core/services-yaml';
import { buildApp, Built, exampleContext } from './app-fixture';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const FLEET = { captureProxy: { enabled: false }, captureProxyService: { enabled: true, certificateArn: CERT } };

let built: Built;
let fleet: Template;
beforeAll(() => {
  built = buildApp(FLEET);
  fleet = Template.fromStack(built.stacks.captureProxyFleet!);
});

const taskDefinitions = (tpl: Template) => Object.values(tpl.findResources('AWS::ECS::TaskDefinition')).map((r: any) => r.Properties);
const byFamily = (tpl: Template, family: string) => taskDefinitions(tpl).find((td) => td.Family === family);
const refOf = (tpl: Template, type: string, idPrefix: string) => Object.keys(tpl.findResources(type)).find((id) => id.startsWith(idPrefix))!;

test('the capture proxy runs as a Fargate service in the private subnets, capturing to MSK with IAM and forwarding to the source', () => {
  expect(built.stacks.captureProxyFleet!.stackName).toBe('OSMigrations-dev-us-east-1-CaptureProxyFleet');
  fleet.hasResourceProperties('AWS::ECS::Service', {
    ServiceName: 'migration-dev-capture-proxy',
    DesiredCount: 2,
    DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100 }),
    NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED', SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^FleetAccess'), 'GroupId'] }] }) },
    LoadBalancers: [{ ContainerName: 'capture-proxy', ContainerPort: 9200, TargetGroupArn: { Ref: Match.stringLikeRegexp('^Proxy') } }],
    HealthCheckGracePeriodSeconds: 60,
  });
  const td = byFamily(fleet, 'migration-dev-capture-proxy');
  expect(td).toMatchObject({ Cpu: '1024', Memory: '2048' });
  const c = td.ContainerDefinitions[0];
  expect(c.Command.slice(0, 5)).toEqual(['capture-proxy', '--destinationUri', 'https://10.212.1.10:9200', '--listenPort', '9200']);
  expect(c.Command).toEqual(expect.arrayContaining(['--kafkaTopic', 'logging-traffic-topic', '--enableMSKAuth', '--metricsPort', '9201']));
  expect(c.Command[c.Command.indexOf('--kafkaConnection') + 1]).toEqual({ Ref: expect.stringMatching(/^SsmParameterValue/) });
  expect(c.Command).not.toContain('--noCapture');
  expect(c).toMatchObject({ ReadonlyRootFilesystem: true, PortMappings: [{ ContainerPort: 9200, Protocol: 'tcp' }, { ContainerPort: 9201, Protocol: 'tcp' }] });
  // Its role produces to the capture topic and does nothing else.
  const roleStatements = Object.entries(fleet.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith('CaptureProxyTaskTaskRole'))
    .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
  expect(roleStatements.map((s) => s.Action)).toEqual([['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'], ['kafka-cluster:CreateTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData']]);
});

test('an internal ALB with access logs to the artifacts bucket, and an HTTPS listener that starts at 100% proxy', () => {
  fleet.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
    Name: 'migration-dev-proxy',
    Scheme: 'internal',
    Type: 'application',
    Subnets: [Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('privateSubnet1') }), Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('privateSubnet2') })],
    LoadBalancerAttributes: Match.arrayWith([
      { Key: 'idle_timeout.timeout_seconds', Value: '3600' },
      { Key: 'access_logs.s3.enabled', Value: 'true' },
      { Key: 'access_logs.s3.bucket', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('MigrationInfra:ExportsOutputRefArtifacts') } },
      { Key: 'access_logs.s3.prefix', Value: 'alb-access-logs/dev' },
    ]),
  });
  // The log delivery may write into the bucket (its policy, in the infra stack).
  expect(JSON.stringify(Template.fromStack(built.stacks.infra).findResources('AWS::S3::BucketPolicy'))).toContain('alb-access-logs/dev/AWSLogs/123456789012/*');
  fleet.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 9200,
    Protocol: 'HTTPS',
    Certificates: [{ CertificateArn: CERT }],
    SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    DefaultActions: [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: { Ref: refOf(fleet, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'Proxy') }, Weight: 100 },
            { TargetGroupArn: { Ref: refOf(fleet, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'Source') }, Weight: 0 },
            { TargetGroupArn: { Ref: refOf(fleet, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'Target') }, Weight: 0 },
          ],
        },
      },
    ],
  });
});

test('target groups: the proxies (health from /metrics), the source node by its address, the target\'s domain through a forwarder', () => {
  const groups = fleet.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
  const group = (prefix: string) => Object.entries(groups).find(([id]) => id.startsWith(prefix))![1].Properties;
  expect(group('Proxy')).toMatchObject({ TargetType: 'ip', Protocol: 'HTTP', Port: 9200, HealthCheckPort: '9201', HealthCheckPath: '/metrics', Matcher: { HttpCode: '200' } });
  expect(group('Proxy').Targets).toBeUndefined();
  expect(group('Source')).toMatchObject({ TargetType: 'ip', Protocol: 'HTTPS', Port: 9200, Targets: [{ Id: '10.212.1.10', Port: 9200 }], HealthCheckPath: '/', Matcher: { HttpCode: '200-499' } });
  expect(group('Target')).toMatchObject({ TargetType: 'ip', Protocol: 'HTTP', Port: 9200, HealthCheckPort: '9201', HealthCheckPath: '/metrics' });
  const forwarder = byFamily(fleet, 'migration-dev-target-forwarder').ContainerDefinitions[0];
  expect(forwarder.Command).toEqual(['capture-proxy', '--destinationUri', 'https://vpc-target-abc123.us-east-1.es.amazonaws.com:443', '--listenPort', '9200', '--noCapture', '--metricsPort', '9201']);
  fleet.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'migration-dev-target-forwarder', LoadBalancers: [Match.objectLike({ TargetGroupArn: { Ref: Match.stringLikeRegexp('^Target') } })] });
  expect(byFamily(fleet, 'migration-dev-source-forwarder')).toBeUndefined();
  // A forwarder never talks to Kafka.
  expect(Object.keys(fleet.findResources('AWS::IAM::Policy')).some((id) => id.startsWith('TargetForwarderTaskTaskRole'))).toBe(false);

  // A managed-domain source has no fixed address: a forwarder reaches it too; an address outside the VPC is targeted in "all" zones.
  const managed = Template.fromStack(buildApp({ ...FLEET, sourceCluster: { endpoint: 'https://vpc-source-xyz789.us-east-1.es.amazonaws.com', auth: { type: 'sigv4', region: 'us-east-1' } }, targetCluster: { endpoint: 'http://172.31.5.9:9200', auth: { type: 'none' } } }).stacks.captureProxyFleet!);
  expect(byFamily(managed, 'migration-dev-source-forwarder').ContainerDefinitions[0].Command).toEqual(expect.arrayContaining(['--destinationUri', 'https://vpc-source-xyz789.us-east-1.es.amazonaws.com', '--noCapture']));
  managed.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Protocol: 'HTTP', Targets: [{ Id: '172.31.5.9', Port: 9200, AvailabilityZone: 'all' }] });
  expect(byFamily(managed, 'migration-dev-target-forwarder')).toBeUndefined();
});

test('security groups: clients reach the listener only from their CIDRs; the proxies only from the load balancer; nothing to 0.0.0.0/0', () => {
  const sgs = fleet.findResources('AWS::EC2::SecurityGroup');
  const sg = (prefix: string) => Object.entries(sgs).find(([id]) => id.startsWith(prefix))!;
  const [lbId, lb] = sg('LoadBalancerAccess');
  const [fleetId, tasks] = sg('FleetAccess');
  expect((lb as any).Properties.SecurityGroupIngress).toEqual([{ CidrIp: '10.212.0.0/16', Description: 'clients in 10.212.0.0/16', FromPort: 9200, IpProtocol: 'tcp', ToPort: 9200 }]);
  expect((tasks as any).Properties.SecurityGroupIngress).toBeUndefined();
  const ingress = Object.values(fleet.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties);
  const intoTasks = ingress.filter((p) => JSON.stringify(p.GroupId).includes(fleetId)).map((p) => [p.FromPort, JSON.stringify(p.SourceSecurityGroupId).includes(lbId)]);
  expect(intoTasks.sort()).toEqual([[9200, true], [9201, true]]);
  const egress = [
    ...Object.values(sgs).flatMap((g: any) => g.Properties.SecurityGroupEgress ?? []),
    ...Object.values(fleet.findResources('AWS::EC2::SecurityGroupEgress')).map((r: any) => r.Properties),
  ];
  expect(egress.filter((r) => r.CidrIp === '0.0.0.0/0')).toEqual([]);
  const fromLb = [
    ...(lb as any).Properties.SecurityGroupEgress,
    ...Object.values(fleet.findResources('AWS::EC2::SecurityGroupEgress')).map((r: any) => r.Properties).filter((r) => JSON.stringify(r.GroupId).includes(lbId)),
  ];
  expect(fromLb.map((r) => `${r.FromPort} ${r.CidrIp ?? (JSON.stringify(r.DestinationSecurityGroupId).includes(fleetId) ? 'fleet' : '?')}`).sort()).toEqual(['9200 10.212.1.10/32', '9200 fleet', '9201 fleet']);

  const open = Template.fromStack(buildApp({ ...FLEET, captureProxyService: { ...FLEET.captureProxyService, internetFacing: true, clientCidrs: ['203.0.113.0/24'] } }).stacks.captureProxyFleet!);
  open.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing', Subnets: [Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('publicSubnet1') }), Match.anyValue()] });
  open.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupName: 'migration-dev-proxy-lb', SecurityGroupIngress: [Match.objectLike({ CidrIp: '203.0.113.0/24', FromPort: 9200 })] });
});

test('the console may modify that listener only, and its services.yaml carries the listener and target group ARNs', () => {
  const consoleTpl = Template.fromStack(built.stacks.console!);
  const statements = Object.values(consoleTpl.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  const elb = statements.flatMap((s) => [s.Action].flat().filter((a: string) => a.startsWith('elasticloadbalancing:')).map((a: string) => ({ action: a, resource: s.Resource })));
  expect(elb.filter((e) => !e.action.startsWith('elasticloadbalancing:Describe'))).toEqual([
    { action: 'elasticloadbalancing:ModifyListener', resource: { 'Fn::ImportValue': expect.stringMatching(/CaptureProxyFleet:ExportsOutputRefLoadBalancerClients/) } },
  ]);
  expect(elb.filter((e) => e.action.startsWith('elasticloadbalancing:Describe'))).toEqual([
    { action: 'elasticloadbalancing:DescribeListeners', resource: '*' },
    { action: 'elasticloadbalancing:DescribeTargetHealth', resource: '*' },
  ]);
  const yamlParam = JSON.stringify(consoleTpl.findResources('AWS::SSM::Parameter'));
  expect(yamlParam).toMatch(/load_balancer:.*listener_arn: ".*CaptureProxyFleet:ExportsOutputRefLoadBalancerClients/);
  // Without the fleet the console has no Elastic Load Balancing rights at all.
  expect(JSON.stringify(Template.fromStack(buildApp().stacks.console!).findResources('AWS::IAM::Policy'))).not.toContain('elasticloadbalancing');

  // The section, with the ARNs CloudFormation fills in, is one the console's own parser takes.
  const ctx: Record<string, unknown> = { ...exampleContext(), ...FLEET };
  const tg = (n: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${n}/0123456789abcdef`;
  const refs = { endpoint: 'https://internal-migration-dev-proxy-1.us-east-1.elb.amazonaws.com:9200', listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/migration-dev-proxy/0123456789abcdef/fedcba9876543210', targetGroupArns: { proxy: tg('p'), source: tg('s'), target: tg('t') } };
  const text = servicesYaml(readMigrationContext((k) => ctx[k]), 'b-1:9098', refs);
  expect(parse(text).load_balancer).toEqual({ endpoint: refs.endpoint, aws_region: 'us-east-1', listener_arn: refs.listenerArn, target_groups: { proxy: tg('p'), source: tg('s'), target: tg('t') } });
  expect(parseServicesYaml(text).load_balancer?.target_groups.target).toBe(tg('t'));
});

test('the new VPC gets an Elastic Load Balancing API endpoint for the console when the fleet is on', () => {
  const endpoints = (b: Built) => JSON.stringify(Template.fromStack(b.stacks.network).findResources('AWS::EC2::VPCEndpoint'));
  expect(endpoints(built)).toContain('com.amazonaws.us-east-1.elasticloadbalancing');
  expect(endpoints(buildApp())).not.toContain('elasticloadbalancing');
});
