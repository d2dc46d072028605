import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { buildApi } from '../../../runtime/src/console/api';
import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { stackEndpoints, uniqueName } from '../support/env';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../runtime/dist/console/cli.js');
const env = stackEndpoints();
const aws = { region: 'us-east-1', endpoint: env.motoUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
const awsEnv = { ...process.env, AWS_ENDPOINT_URL: env.motoUrl, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
const dir = mkdtempSync(path.join(os.tmpdir(), 'console-'));

async function consoleCli(args: string[], yaml?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = path.join(dir, `${uniqueName('services')}.yaml`);
  if (yaml !== undefined) writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await run('node', [CLI, ...(yaml !== undefined ? ['--config', file] : []), ...args], { env: awsEnv });
    return { code: 0, stdout, stderr };
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const clustersYaml = `
source_cluster:
  endpoint: ${env.sourceUrl}
  no_auth:
target_cluster:
  endpoint: ${env.targetUrl}
  no_auth:
`;

describe('migration console', () => {
  it('checks both clusters and reports their versions', async () => {
    const r = await consoleCli(['--json', 'clusters', 'connection-check'], clustersYaml);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ cluster: 'source', ok: true, version: 'ES 7.10.2' }),
      expect.objectContaining({ cluster: 'target', ok: true, version: 'OS 2.19.1' }),
    ]);
  });

  it('exits 1 and says which cluster is unreachable', async () => {
    const r = await consoleCli(['clusters', 'connection-check'], `${clustersYaml.replace(env.targetUrl, 'http://127.0.0.1:1')}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/target\s+http:\/\/127.0.0.1:1\s+UNREACHABLE: .*ECONNREFUSED/);
  });

  it('exits 2 naming the bad key of services.yaml', async () => {
    const r = await consoleCli(['clusters', 'connection-check'], 'source_cluster:\n  endpoint: nowhere\n  no_auth:\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('source_cluster.endpoint: expected a URL');
  });

  it('reads services.yaml from SSM and basic-auth credentials from Secrets Manager', async () => {
    const sm = new SecretsManagerClient(aws);
    const secret = await sm.send(new CreateSecretCommand({ Name: uniqueName('source-creds'), SecretString: JSON.stringify({ username: 'admin', password: 'admin-secret' }) }));
    const parameter = `/migration/test/${uniqueName('deploy')}/servicesYamlFile`;
    const yaml = clustersYaml.replace('  no_auth:\n', `  basic_auth:\n    user_secret_arn: ${secret.ARN}\n`);
    await new SSMClient(aws).send(new PutParameterCommand({ Name: parameter, Value: yaml, Type: 'String' }));
    const r = await consoleCli(['--ssm-parameter', parameter, '--json', 'clusters', 'connection-check']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({ cluster: 'source', ok: true });
    expect(r.stdout + r.stderr).not.toContain('admin-secret');

    const missing = await consoleCli(['--json', 'clusters', 'connection-check'], yaml.replace(secret.ARN!, `${secret.ARN}-nope`));
    expect(JSON.parse(missing.stdout)[0].error).toMatch(/cannot read secret .*ResourceNotFoundException/);
  });

  it('starts, scales and stops the backfill service on ECS', async () => {
    const ecs = new ECSClient(aws);
    const cluster = uniqueName('migration-test-ecs-cluster');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'backfill', containerDefinitions: [{ name: 'backfill', image: 'migrations/runtime', memory: 512 }] }));
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'migration-test-backfill', taskDefinition: td.taskDefinition!.taskDefinitionArn, desiredCount: 0 }));
    const yaml = `backfill:\n  scale: 3\n  ecs:\n    cluster_name: ${cluster}\n    service_name: migration-test-backfill\n    aws_region: us-east-1\n`;

    expect(JSON.parse((await consoleCli(['--json', 'backfill', 'start'], yaml)).stdout)).toMatchObject({ where: 'ecs', desired: 3 });
    expect(JSON.parse((await consoleCli(['--json', 'backfill', 'scale', '5'], yaml)).stdout)).toMatchObject({ desired: 5 });
    expect(JSON.parse((await consoleCli(['--json', 'backfill', 'stop'], yaml)).stdout)).toMatchObject({ desired: 0 });
    const bad = await consoleCli(['backfill', 'scale', '-1'], yaml);
    expect(bad.code).toBe(2);
    const gone = await consoleCli(['backfill', 'status'], yaml.replace('migration-test-backfill', 'no-such-service'));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/no-such-service/);
  });

  it('runs local workers as processes and stops them', async () => {
    const yaml = `replay:\n  scale: 2\n  local:\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n`;
    const started = JSON.parse((await consoleCli(['--json', 'replay', 'start'], yaml)).stdout);
    expect(started).toMatchObject({ where: 'local', running: 2 });
    const stopped = JSON.parse((await consoleCli(['--json', 'replay', 'stop'], yaml)).stdout);
    expect(stopped).toMatchObject({ running: 0 });
  });

  it('reports the capture topic and the replayer group lag', async () => {
    const topic = uniqueName('traffic');
    const group = uniqueName('replayers');
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'console-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: 'x', partition: i % 2 })) });
    await producer.disconnect();
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: '3' }] });
    const yaml = `kafka:\n  broker_endpoints: ${env.kafkaBrokers}\n  standard:\n`;
    const r = await consoleCli(['--json', 'kafka', 'describe-topic', '--topic', topic, '--group', group], yaml);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ records: 10, lag: 7 });
    expect(report.partitions).toEqual([
      { partition: 0, earliest: 0, latest: 5, committed: 3, lag: 2 },
      { partition: 1, earliest: 0, latest: 5, committed: null, lag: 5 },
    ]);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
  });

  it('summarizes replay tuples, mismatches first, with bodies decoded', async () => {
    const tupleDir = mkdtempSync(path.join(os.tmpdir(), 'tuples-'));
    const body = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');
    const tuple = (i: number, src: number, tgt: number) => ({
      connectionId: `c.${i}`,
      sourceRequest: { Method: 'GET', 'Request-URI': `/idx/_doc/${i}`, 'HTTP-Version': 'HTTP/1.1', body: '' },
      sourceResponse: { 'Status-Code': src, 'Reason-Phrase': 'OK', response_time_ms: 4, body: body({ found: true }) },
      targetRequest: { Method: 'GET', 'Request-URI': `/idx/_doc/${i}` },
      targetResponses: [{ 'Status-Code': tgt, response_time_ms: 6, body: body({ found: tgt === 200 }) }],
      numRequests: 1,
      numErrors: 0,
      error: null,
    });
    const lines = [tuple(1, 200, 200), tuple(2, 200, 404), tuple(3, 200, 200)].map((t) => JSON.stringify(t)).join('\n');
    writeFileSync(path.join(tupleDir, 'tuples-0001.jsonl.gz'), gzipSync(lines));
    const summary = JSON.parse((await consoleCli(['--json', 'tuples', 'summary', '--tuple-dir', tupleDir])).stdout);
    expect(summary).toMatchObject({ tuples: 3, statusMatches: 2, statusMismatches: 1, sourceLatencyMsP50: 4, targetLatencyMsP50: 6 });
    expect(summary.statusPairs[0]).toEqual({ method: 'GET', source: 200, target: 404, count: 1 });
    const shown = JSON.parse((await consoleCli(['--json', 'tuples', 'show', '--tuple-dir', tupleDir, '--mismatches'])).stdout);
    expect(shown).toHaveLength(1);
    expect(shown[0].targetBody).toBe(JSON.stringify({ found: false }, null, 2));
  });

  it('serves the API and the status page', async () => {
    const app = await buildApi({ loadConfig: async () => parseServicesYaml(clustersYaml) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as any).port}`;
    try {
      const checks = await fetch(`${base}/api/clusters/connection-check`);
      expect(checks.status).toBe(200);
      expect(((await checks.json()) as any[]).map((c) => c.version)).toEqual(['ES 7.10.2', 'OS 2.19.1']);
      const noBackfill = await fetch(`${base}/api/backfill/status`);
      expect(noBackfill.status).toBe(400);
      expect(((await noBackfill.json()) as any).message).toMatch(/no "backfill" section/);
      const badScale = await fetch(`${base}/api/replay/scale`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count":-2}' });
      expect(badScale.status).toBe(400);
      const page = await fetch(`${base}/`);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('<title>Migration status</title>');
    } finally {
      await app.close();
    }
  });
});
