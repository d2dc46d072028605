import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterClient } from '../../runtime/src/core/cluster-client';
import { freePort } from '../../runtime/src/local/ports';
import { LOCAL_SCRAM_USER } from '../../runtime/src/local/servers';
import { stackEndpoints, uniqueName } from '../support/env';

const env = stackEndpoints();
const DIST = path.resolve(__dirname, '../../runtime/dist');

function start(entry: string, args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, [path.join(DIST, entry), ...args], { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output, exited: new Promise<number | null>((r) => child.on('exit', (code) => r(code))) };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the target holds `count` documents of the index, then stops the replayer and removes the index on both sides. */
async function untilReplayed(replayer: ReturnType<typeof start>, index: string, count: number): Promise<void> {
  const target = new ClusterClient({ endpoint: env.targetUrl });
  try {
    await until(async () => {
      await target.request({ method: 'POST', path: `/${index}/_refresh` });
      const res = await target.request({ method: 'GET', path: `/${index}/_count` });
      return res.statusCode === 200 && JSON.parse(res.body.toString()).count === count;
    }, `the ${count} documents on the target`, 120_000);
  } finally {
    replayer.child.kill('SIGTERM');
    await replayer.exited;
    await target.request({ method: 'DELETE', path: `/${index}` });
    await target.close();
    await new ClusterClient({ endpoint: env.sourceUrl }).request({ method: 'DELETE', path: `/${index}` });
  }
}

describe('capture and replay through Kafka with SCRAM-SHA-512', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  it('records through the SASL listener and replays from it, the password never logged', async () => {
    if (!env.kafkaScramBrokers) throw new Error('MIGRATION_KAFKA_SCRAM_BROKERS is not set');
    const topic = uniqueName('scram-traffic');
    const index = uniqueName('scram-idx');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scram-'));
    const props = path.join(dir, 'producer.properties');
    // The reference's way: a Kafka properties file, as its install guide shows for SCRAM.
    writeFileSync(
      props,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${LOCAL_SCRAM_USER.username}" password="${LOCAL_SCRAM_USER.password}";`,
      ].join('\n'),
    );
    const proxyPort = await freePort();
    const proxy = start('capture-proxy/cli.js', ['--destinationUri', env.sourceUrl, '--listenPort', String(proxyPort), '--listenHost', '127.0.0.1', '--kafkaConnection', env.kafkaScramBrokers, '--kafkaTopic', topic, '--kafkaConfigFile', props]);
    children.push(proxy.child);
    const client = new ClusterClient({ endpoint: `http://127.0.0.1:${proxyPort}`, maxRetries: 0 });
    await until(async () => (await client.request({ method: 'GET', path: '/' })).statusCode === 200, 'the capture proxy');
    await client.json('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
    for (let i = 0; i < 20; i++) await client.json('PUT', `/${index}/_doc/${i}`, { n: i });
    await client.close();
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);

    const replayer = start(
      'replayer/cli.js',
      ['--target-uri', env.targetUrl, '--kafka-traffic-brokers', env.kafkaScramBrokers, '--kafka-traffic-topic', topic, '--kafka-traffic-group-id', uniqueName('scram-group'), '--kafka-traffic-auth-type', 'scram-sha-512', '--kafka-traffic-username', LOCAL_SCRAM_USER.username, '--kafka-traffic-plaintext', '--speedup-factor', '20', '--tuple-dir', path.join(dir, 'tuples')],
      { TRAFFIC_REPLAYER_KAFKA_TRAFFIC_PASSWORD: LOCAL_SCRAM_USER.password },
    );
    children.push(replayer.child);
    await untilReplayed(replayer, index, 20);
    expect(proxy.output() + replayer.output()).not.toContain(LOCAL_SCRAM_USER.password);
  });

  it('takes the reference\'s flag names: proxy --kafkaBrokers/--kafkaUserName/--kafkaPassword/--kafkaPropertyFile, replayer --kafka-traffic-property-file/--kafka-traffic-user-name', async () => {
    if (!env.kafkaScramBrokers) throw new Error('MIGRATION_KAFKA_SCRAM_BROKERS is not set');
    const topic = uniqueName('scram-ref-traffic');
    const index = uniqueName('scram-ref-idx');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scram-ref-'));
    const proxyProps = path.join(dir, 'proxy.properties');
    writeFileSync(proxyProps, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n');
    const replayerProps = path.join(dir, 'replayer.properties');
    writeFileSync(
      replayerProps,
      `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="nobody" password="${LOCAL_SCRAM_USER.password}";\n`,
    );
    const proxyPort = await freePort();
    const proxy = start('capture-proxy/cli.js', [
      '--destinationUri', env.sourceUrl, '--listenPort', String(proxyPort), '--listenHost', '127.0.0.1', '--kafkaTopic', topic,
      '--kafkaBrokers', env.kafkaScramBrokers, '--kafkaUserName', LOCAL_SCRAM_USER.username, '--kafkaPassword', LOCAL_SCRAM_USER.password, '--kafkaPropertyFile', proxyProps,
    ]);
    children.push(proxy.child);
    const client = new ClusterClient({ endpoint: `http://127.0.0.1:${proxyPort}`, maxRetries: 0 });
    await until(async () => (await client.request({ method: 'GET', path: '/' })).statusCode === 200, 'the capture proxy');
    for (let i = 0; i < 3; i++) await client.json('PUT', `/${index}/_doc/${i}`, { n: i });
    await client.close();
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);

    // The user name from the flag wins over the properties file's (which is wrong on purpose).
    const replayer = start('replayer/cli.js', [
      env.targetUrl, '--kafkaBrokers', env.kafkaScramBrokers, '--kafkaTopic', topic, '--kafkaGroupId', uniqueName('scram-ref-group'),
      '--kafka-traffic-property-file', replayerProps, '--kafka-traffic-user-name', LOCAL_SCRAM_USER.username, '--speedupFactor', '20', '--tuple-dir', path.join(dir, 'tuples'),
    ]);
    children.push(replayer.child);
    await untilReplayed(replayer, index, 3);
  });
});
