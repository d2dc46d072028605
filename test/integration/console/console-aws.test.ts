import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clustersYaml, consoleCli } from '../../support/console-cli';
import { stackEndpoints, uniqueName } from '../../support/env';

const env = stackEndpoints();
const aws = { region: 'us-east-1', endpoint: env.motoUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const awsEnv = { ...process.env, AWS_ENDPOINT_URL: env.motoUrl, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
const yaml = clustersYaml(env.sourceUrl, env.targetUrl);
const cli = (args: string[], y?: string) => consoleCli(args, y, awsEnv);

async function ecsService(name: string): Promise<string> {
  const ecs = new ECSClient(aws);
  const cluster = uniqueName('migration-test-ecs-cluster');
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: name, containerDefinitions: [{ name, image: 'migrations/runtime', memory: 512 }] }));
  await ecs.send(new CreateServiceCommand({ cluster, serviceName: name, taskDefinition: td.taskDefinition!.taskDefinitionArn, desiredCount: 0 }));
  return cluster;
}

describe('migration console against AWS APIs (moto)', () => {
  it('reads services.yaml from SSM and basic-auth credentials from Secrets Manager', async () => {
    const sm = new SecretsManagerClient(aws);
    const secret = await sm.send(new CreateSecretCommand({ Name: uniqueName('source-creds'), SecretString: JSON.stringify({ username: 'admin', password: 'admin-secret' }) }));
    const parameter = `/migration/test/${uniqueName('deploy')}/servicesYamlFile`;
    const withSecret = yaml.replace('  no_auth:\n', `  basic_auth:\n    user_secret_arn: ${secret.ARN}\n`);
    await new SSMClient(aws).send(new PutParameterCommand({ Name: parameter, Value: withSecret, Type: 'String' }));
    const r = await cli(['--ssm-parameter', parameter, '--json', 'clusters', 'connection-check']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).clusters[0]).toMatchObject({ cluster: 'source', ok: true });
    expect(r.stdout + r.stderr).not.toContain('admin-secret');

    const missing = await cli(['--json', 'clusters', 'connection-check'], withSecret.replace(secret.ARN!, `${secret.ARN}-nope`));
    expect(JSON.parse(missing.stdout).clusters[0].error).toMatch(/cannot read secret .*ResourceNotFoundException/);
  });

  it('starts, scales, pauses, describes and stops the backfill service on ECS', async () => {
    const cluster = await ecsService('migration-test-backfill');
    const bf = `${yaml}backfill:\n  scale: 3\n  ecs:\n    cluster_name: ${cluster}\n    service_name: migration-test-backfill\n    aws_region: us-east-1\n`;
    expect(JSON.parse((await cli(['--json', 'backfill', 'start'], bf)).stdout)).toMatchObject({ where: 'ecs', desired: 3 });
    expect(JSON.parse((await cli(['--json', 'backfill', 'scale', '5'], bf)).stdout)).toMatchObject({ desired: 5 });
    expect((await cli(['backfill', 'status'], bf)).stdout).toMatch(/^backfill \(ecs\): desired 5, running \d+/);
    expect(JSON.parse((await cli(['--json', 'backfill', 'describe'], bf)).stdout)).toMatchObject({ config: { scale: 3, ecs: { cluster_name: cluster } }, status: { desired: 5 } });
    expect(JSON.parse((await cli(['--json', 'backfill', 'pause'], bf)).stdout)).toMatchObject({ desired: 0 });
    // No working state on the target for this run: stop has nothing to archive.
    const stopped = JSON.parse((await cli(['--json', 'backfill', 'stop', '--working-state-index', uniqueName('.none')], bf)).stdout);
    expect(stopped).toMatchObject({ desired: 0, running: 0, archivedTo: null });

    const bad = await cli(['backfill', 'scale', '-1'], bf);
    expect(bad.code).toBe(2);
    const gone = await cli(['--json', 'backfill', 'status'], bf.replace('service_name: migration-test-backfill', 'service_name: no-such-service'));
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stdout)).toMatchObject({ error: 'ECS_SERVICE_MISSING', message: expect.stringContaining('no-such-service') });
    const noCluster = await cli(['--json', 'replay', 'start'], `replay:\n  ecs:\n    cluster_name: ${uniqueName('nowhere')}\n    service_name: x\n    aws_region: us-east-1\n`);
    expect(noCluster.code).toBe(1);
    expect(JSON.parse(noCluster.stdout).error).toBe('ECS_SERVICE_MISSING');
  });

  it('lists the services\' CloudWatch metrics by component and reads one over the lookback', async () => {
    const stage = uniqueName('stage');
    const cw = new CloudWatchClient(aws);
    const now = Date.now();
    const put = (name: string, values: number[]) =>
      cw.send(new PutMetricDataCommand({ Namespace: 'OpenSearchMigrations', MetricData: values.map((v, i) => ({ MetricName: name, Dimensions: [{ Name: 'stage', Value: stage }], Value: v, Unit: 'Count', Timestamp: new Date(now - (values.length - i) * 60_000) })) }));
    await put('replayRequests', [10, 20, 30]);
    await put('captureRequests', [5]);
    await put('backfillDocumentsMigrated', [100]);
    const metrics = `metrics_source:\n  cloudwatch:\n    aws_region: us-east-1\n    qualifier: ${stage}\n`;
    const listed = JSON.parse((await cli(['--json', 'metrics', 'list'], metrics)).stdout);
    expect(listed).toEqual({ replayer: ['replayRequests'], captureProxy: ['captureRequests'], backfill: ['backfillDocumentsMigrated'] });
    const data = JSON.parse((await cli(['--json', 'metrics', 'get-data', 'replayer', 'replayRequests', '--statistic', 'Sum', '--lookback', '10'], metrics)).stdout);
    expect(data).toMatchObject({ component: 'replayer', metric: 'replayRequests', statistic: 'Sum', lookbackMinutes: 10, source: 'cloudwatch' });
    expect(data.points.map((p: any) => p.value)).toEqual([10, 20, 30]);
    const text = await cli(['metrics', 'get-data', 'replayer', 'replayRequests', '--statistic', 'Sum', '--lookback', '10'], metrics);
    expect(text.stdout).toMatch(/^replayer replayRequests, Sum per minute over the last 10 minutes \(cloudwatch\)/);
    const wrong = await cli(['metrics', 'get-data', 'captureProxy', 'replayRequests'], metrics);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/replayRequests is a replayer metric/);
    const none = await cli(['--json', 'metrics', 'list'], yaml);
    expect(JSON.parse(none.stdout).error).toBe('NOT_CONFIGURED');
  });
});
