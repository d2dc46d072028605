import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { buildApi } from '../../../runtime/src/console/api/server';
import { CONSOLE_VERBS } from '../../../runtime/src/console/commands';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { consoleCli } from '../../support/console-cli';
import { stackEndpoints, uniqueName } from '../../support/env';

/*
 * traffic route|status against moto's Elastic Load Balancing (an internal ALB with an HTTPS
 * listener weighting three target groups, as the CDK app makes it), with the lag guard reading the
 * real local Kafka.
 */

const env = stackEndpoints();
const aws = { region: 'us-east-1', endpoint: env.motoUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const awsEnv = { AWS_ENDPOINT_URL: env.motoUrl, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
const elb = new ElasticLoadBalancingV2Client(aws);
const topic = uniqueName('traffic-route-topic');
const group = uniqueName('traffic-route-group');
const RECORDS = 5;

let listenerArn: string;
let targetGroups: Record<'proxy' | 'source' | 'target', string>;
let yaml: string;

const cli = (args: string[], y = yaml, extra: NodeJS.ProcessEnv = {}) => consoleCli(['--json', ...args], y, { ...process.env, ...awsEnv, ...extra });
const lagArgs = ['--topic', topic, '--group', group];

/** The listener's weights as Elastic Load Balancing itself answers, not as the console reports them. */
async function weights(): Promise<Record<string, number>> {
  const out = await elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
  const byArn = new Map(out.Listeners![0].DefaultActions![0].ForwardConfig!.TargetGroups!.map((g) => [g.TargetGroupArn!, g.Weight!]));
  return Object.fromEntries(Object.entries(targetGroups).map(([route, arn]) => [route, byArn.get(arn) ?? 0]));
}

async function setCommitted(offset: number): Promise<void> {
  const admin = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'traffic-route-test' }).admin();
  await admin.connect();
  try {
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: String(offset) }] });
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  const ec2 = new EC2Client(aws);
  const vpcId = (await ec2.send(new DescribeVpcsCommand({}))).Vpcs![0].VpcId!;
  const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).Subnets!.map((s) => s.SubnetId!);
  const cert = await new ACMClient(aws).send(new RequestCertificateCommand({ DomainName: 'search.example.internal' }));
  const name = uniqueName('lb').slice(0, 32);
  const lb = await elb.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnets.slice(0, 2), Scheme: 'internal', Type: 'application' }));
  const tg = async (route: string) => {
    const out = await elb.send(new CreateTargetGroupCommand({ Name: `${route}-${name}`.slice(0, 32), Protocol: 'HTTP', Port: 9200, VpcId: vpcId, TargetType: 'ip' }));
    return out.TargetGroups![0].TargetGroupArn!;
  };
  targetGroups = { proxy: await tg('proxy'), source: await tg('source'), target: await tg('target') };
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: targetGroups.proxy, Targets: [{ Id: '10.0.0.5', Port: 9200 }, { Id: '10.0.0.6', Port: 9200 }] }));
  const listener = await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancers![0].LoadBalancerArn,
      Protocol: 'HTTPS',
      Port: 9200,
      Certificates: [{ CertificateArn: cert.CertificateArn }],
      DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroups.proxy, Weight: 100 }, { TargetGroupArn: targetGroups.source, Weight: 0 }, { TargetGroupArn: targetGroups.target, Weight: 0 }] } }],
    }),
  );
  listenerArn = listener.Listeners![0].ListenerArn!;
  yaml = [
    'kafka:',
    `  broker_endpoints: ${env.kafkaBrokers}`,
    '  standard:',
    'load_balancer:',
    '  endpoint: https://search.example.internal:9200',
    '  aws_region: us-east-1',
    `  listener_arn: ${listenerArn}`,
    '  target_groups:',
    ...Object.entries(targetGroups).map(([route, arn]) => `    ${route}: ${arn}`),
    '',
  ].join('\n');

  // Captured traffic that the replayer's group has not replayed yet: the lag guard's subject.
  const kafka = createKafka({ brokers: env.kafkaBrokers.split(','), clientId: 'traffic-route-test' });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: RECORDS }, (_, i) => ({ key: `c${i}`, value: `record ${i}` })) });
  await producer.disconnect();
});

afterAll(() => elb.destroy());

describe('traffic route|status against Elastic Load Balancing (moto) and Kafka', () => {
  it('status shows the weights, the healthy targets and the replayer\'s lag', async () => {
    const r = await cli(['traffic', 'status', ...lagArgs]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.routes.map((x: any) => [x.route, x.weight, x.percent])).toEqual([['proxy', 100, 100], ['source', 0, 0], ['target', 0, 0]]);
    expect(s.routes[0].targets).toEqual({ healthy: 2, unhealthy: 0, other: 0 });
    expect(s).toMatchObject({ listenerArn, endpoint: 'https://search.example.internal:9200', defaultActionType: 'forward', replayLag: { group, records: RECORDS } });
    const text = await consoleCli(['traffic', 'status', ...lagArgs], yaml, { ...process.env, ...awsEnv });
    expect(text.stdout).toMatch(/proxy +capture proxies, then the source +100 +100%/);
    expect(text.stdout).toContain(`replayer lag (group ${group}): ${RECORDS} records`);
  });

  it('moves clients to the target only with the acknowledgement and once the replayer has caught up; rolls back in one command', async () => {
    const unacknowledged = await cli(['traffic', 'route', '--to', 'target', ...lagArgs]);
    expect(unacknowledged.code).toBe(2);
    expect(JSON.parse(unacknowledged.stdout)).toMatchObject({ error: 'RISK_NOT_ACKNOWLEDGED', message: expect.stringMatching(/a rollback \(traffic route --to proxy\) does not bring it back/) });

    // The group has replayed nothing yet: RECORDS behind.
    const behind = await cli(['traffic', 'route', '--to', 'target', '--weight', '10', '--acknowledge-risk', '--max-lag', String(RECORDS - 1), ...lagArgs]);
    expect(behind.code).toBe(1);
    expect(JSON.parse(behind.stdout)).toMatchObject({ error: 'REPLAY_LAG_TOO_HIGH', message: expect.stringContaining(`is ${RECORDS} records behind, more than --max-lag ${RECORDS - 1}`) });
    expect(await weights()).toEqual({ proxy: 100, source: 0, target: 0 });

    await setCommitted(RECORDS - 1);
    const canary = await cli(['traffic', 'route', '--to', 'target', '--weight', '10', '--acknowledge-risk', '--max-lag', '1', ...lagArgs]);
    expect(canary.code).toBe(0);
    expect(JSON.parse(canary.stdout)).toMatchObject({ previous: { proxy: 100, source: 0, target: 0 }, replayLag: 1 });
    expect(await weights()).toEqual({ proxy: 90, source: 0, target: 10 });

    await setCommitted(RECORDS);
    const all = await cli(['traffic', 'route', '--to', 'target', '--acknowledge-risk', '--max-lag', '0', ...lagArgs]);
    expect(all.code).toBe(0);
    expect(await weights()).toEqual({ proxy: 0, source: 0, target: 100 });
    const status = JSON.parse((await cli(['traffic', 'status', ...lagArgs])).stdout);
    expect(status.routes.map((x: any) => x.percent)).toEqual([0, 0, 100]);
    expect(status.replayLag.records).toBe(0);

    const rollback = await consoleCli(['traffic', 'route', '--to', 'proxy'], yaml, { ...process.env, ...awsEnv });
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/weights were: proxy 0, source 0, target 100/);
    expect(await weights()).toEqual({ proxy: 100, source: 0, target: 0 });
  });

  it('sends a share to the source only with the acknowledgement, and refuses a weight with --to proxy', async () => {
    expect((await cli(['traffic', 'route', '--to', 'source', '--weight', '30'])).code).toBe(2);
    expect(await weights()).toEqual({ proxy: 100, source: 0, target: 0 });
    const r = await cli(['traffic', 'route', '--to', 'source', '--weight', '30', '--acknowledge-risk']);
    expect(r.code).toBe(0);
    expect(await weights()).toEqual({ proxy: 70, source: 30, target: 0 });
    const proxyWeight = await cli(['traffic', 'route', '--to', 'proxy', '--weight', '50']);
    expect(proxyWeight.code).toBe(2);
    expect(JSON.parse(proxyWeight.stdout).message).toMatch(/--to proxy` sends everything to the proxies/);
    expect((await cli(['traffic', 'route', '--to', 'proxy'])).code).toBe(0);
    expect(await weights()).toEqual({ proxy: 100, source: 0, target: 0 });
  });

  it('refuses the target when the lag cannot be read, unless told to ignore it; names a missing listener', async () => {
    const noKafka = yaml.replace(env.kafkaBrokers, '127.0.0.1:1');
    const unknown = await cli(['traffic', 'route', '--to', 'target', '--acknowledge-risk', ...lagArgs], noKafka);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: 'REPLAY_LAG_UNKNOWN', message: expect.stringContaining('pass --ignore-lag') });
    expect(await weights()).toEqual({ proxy: 100, source: 0, target: 0 });
    expect((await cli(['traffic', 'route', '--to', 'target', '--weight', '5', '--acknowledge-risk', '--ignore-lag'], noKafka)).code).toBe(0);
    expect(await weights()).toEqual({ proxy: 95, source: 0, target: 5 });
    expect((await cli(['traffic', 'route', '--to', 'proxy'], noKafka)).code).toBe(0);

    const missing = await cli(['traffic', 'status'], yaml.replace(listenerArn, `${listenerArn.slice(0, -4)}0000`));
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: 'LISTENER_MISSING', message: expect.stringContaining('load_balancer.listener_arn') });
    const none = await cli(['traffic', 'status'], 'kafka:\n  broker_endpoints: x:9092\n  standard:\n');
    expect(JSON.parse(none.stdout)).toMatchObject({ error: 'NOT_CONFIGURED', message: expect.stringContaining('captureProxyService.enabled') });
  });

  it('serves the same verbs in the API: status as GET, route as POST with the acknowledgement in the body', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, awsEnv);
    const config = parseServicesYaml(yaml);
    const app = await buildApi({ context: { config: async () => config, stateDir: mkdtempSync(path.join(os.tmpdir(), 'traffic-api-')), env: process.env, progress: () => undefined }, verbs: CONSOLE_VERBS, sampleIntervalMs: 0 });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/traffic`;
      const post = (body: unknown) => fetch(`${base}/route`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const status = await fetch(`${base}/status?topic=${topic}&group=${group}`);
      expect(status.status).toBe(200);
      expect(((await status.json()) as any).routes[0]).toMatchObject({ route: 'proxy', weight: 100 });
      const refused = await post({ to: 'target', topic, group });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as any).error).toBe('RISK_NOT_ACKNOWLEDGED');
      const moved = await post({ to: 'target', weight: 20, acknowledgeRisk: true, topic, group });
      expect(moved.status).toBe(200);
      expect(await weights()).toEqual({ proxy: 80, source: 0, target: 20 });
      expect((await post({ to: 'proxy' })).status).toBe(200);
      expect(await weights()).toEqual({ proxy: 100, source: 0, target: 0 });
    } finally {
      await app.close();
      process.env = saved;
    }
  });
});
