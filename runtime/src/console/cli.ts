#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, exitWithError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';
import { startApi } from './api';
import { runDemo } from './demo';
import { catIndices, checkConnection } from './clusters';
import { DEFAULT_SERVICES_YAML, loadConsoleConfig } from './config';
import { describeTraffic, REPLAYER_GROUP, TRAFFIC_TOPIC } from './kafka-info';
import { ServiceName, serviceControl, ServiceStatus } from './service-control';
import { decodeBody, readTuples, summarizeTuples } from './tuples';

const program = new Command('migration-console')
  .description('Drive a migration: clusters, backfill and replay services, captured traffic, replay results.')
  .option('--config <file>', 'services.yaml', process.env.MIGRATION_SERVICES_YAML_PATH ?? DEFAULT_SERVICES_YAML)
  .option('--ssm-parameter <name>', 'read services.yaml from this SSM parameter instead (/migration/<stage>/<deployId>/servicesYamlFile)', process.env.MIGRATION_SERVICES_YAML_PARAMETER)
  .option('--json', 'print results as JSON')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

function globals(): { json: boolean; config: () => Promise<ServicesYaml> } {
  const o = program.opts();
  // An explicit --config file wins over the content the ECS task carries in its environment.
  const content = program.getOptionValueSource('config') === 'cli' ? undefined : process.env.MIGRATION_SERVICES_YAML;
  return { json: Boolean(o.json), config: () => loadConsoleConfig({ content, file: o.config, ssmParameter: o.ssmParameter }) };
}

function print(value: unknown, text: () => string): void {
  process.stdout.write(globals().json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number of 0 or more, got "${value}"`);
  return n;
}

const clusters = program.command('clusters').description('the source and target clusters');
clusters
  .command('connection-check')
  .description('reach each cluster, report its version and health; exit 1 when one is unreachable')
  .action(async () => {
    const config = await globals().config();
    const checks = await Promise.all(
      (['source', 'target'] as const).filter((n) => config[`${n}_cluster`]).map((n) => checkConnection(n, config[`${n}_cluster`]!)),
    );
    if (checks.length === 0) throw new ConfigError('services.yaml names neither source_cluster nor target_cluster');
    print(checks, () => checks.map((c) => `${c.cluster.padEnd(7)} ${c.endpoint}  ${c.ok ? `${c.version}, health ${c.health ?? 'n/a'}` : `UNREACHABLE: ${c.error}`}`).join('\n'));
    if (checks.some((c) => !c.ok)) process.exitCode = 1;
  });
clusters
  .command('cat-indices')
  .description('indices with document counts on both clusters')
  .option('--all', 'include system indices (names starting with a dot)')
  .action(async (o) => {
    const config = await globals().config();
    const result: Record<string, unknown> = {};
    for (const n of ['source', 'target'] as const) if (config[`${n}_cluster`]) result[n] = await catIndices(config[`${n}_cluster`]!, o.all);
    print(result, () =>
      Object.entries(result)
        .map(([n, rows]) => `${n.toUpperCase()}\n${(rows as any[]).map((r) => `  ${r.index.padEnd(40)} ${String(r.health).padEnd(7)} ${String(r.docs).padStart(12)} docs`).join('\n') || '  (no indices)'}`)
        .join('\n'),
    );
  });

function serviceCommands(name: ServiceName, description: string): void {
  const cmd = program.command(name).description(description);
  const show = (s: ServiceStatus) => print(s, () => `${s.service} (${s.where}): desired ${s.desired}, running ${s.running}, pending ${s.pending}${s.detail ? ` [${s.detail}]` : ''}`);
  cmd.command('start').description('start at the configured scale').action(async () => show(await serviceControl(await globals().config(), name).start()));
  cmd.command('stop').description('scale to 0').action(async () => show(await serviceControl(await globals().config(), name).stop()));
  cmd
    .command('scale')
    .argument('<count>', 'number of workers', count)
    .description('set the number of workers')
    .action(async (n: number) => show(await serviceControl(await globals().config(), name).scale(n)));
  cmd.command('status').description('desired and running workers').action(async () => show(await serviceControl(await globals().config(), name).status()));
}
serviceCommands('backfill', 'the document backfill workers (ECS service or local processes)');
serviceCommands('replay', 'the traffic replayers (ECS service or local processes)');

program
  .command('kafka')
  .description('the captured traffic in Kafka')
  .command('describe-topic')
  .description('records in the capture topic and the replayer group\'s lag per partition')
  .option('--topic <name>', 'topic', TRAFFIC_TOPIC)
  .option('--group <id>', 'consumer group', REPLAYER_GROUP)
  .action(async (o) => {
    const config = await globals().config();
    if (!config.kafka) throw new ConfigError('services.yaml has no kafka section');
    const r = await describeTraffic(config.kafka, o.topic, o.group);
    print(r, () => [`${r.topic}: ${r.records} records, group ${r.group} is ${r.lag} behind`, ...r.partitions.map((p) => `  partition ${p.partition}: ${p.earliest}..${p.latest}, committed ${p.committed ?? 'none'}, lag ${p.lag}`)].join('\n'));
  });

const tuples = program.command('tuples').description('the replayer\'s source-vs-target results');
tuples
  .command('summary')
  .requiredOption('--tuple-dir <dir>', 'the replayer\'s --tuple-dir')
  .description('how the two clusters answered the same requests')
  .action(async (o) => {
    const s = await summarizeTuples(o.tupleDir);
    print(s, () =>
      [
        `${s.tuples} requests replayed: ${s.statusMatches} same status, ${s.statusMismatches} different, ${s.errors} with errors`,
        `median latency: source ${s.sourceLatencyMsP50 ?? '-'} ms, target ${s.targetLatencyMsP50 ?? '-'} ms`,
        ...s.statusPairs.map((p) => `  ${p.method.padEnd(7)} source ${String(p.source ?? '-').padEnd(4)} target ${String(p.target ?? '-').padEnd(4)} x${p.count}${p.source === p.target ? '' : '   <- differs'}`),
      ].join('\n'),
    );
  });
tuples
  .command('show')
  .requiredOption('--tuple-dir <dir>', 'the replayer\'s --tuple-dir')
  .option('--limit <n>', 'how many', count, 10)
  .option('--mismatches', 'only requests whose statuses differ')
  .description('requests with both answers, bodies decoded')
  .action(async (o) => {
    const shown: unknown[] = [];
    for await (const t of readTuples(o.tupleDir)) {
      const target = t.targetResponses?.[t.targetResponses.length - 1];
      if (o.mismatches && t.sourceResponse?.['Status-Code'] === target?.['Status-Code']) continue;
      shown.push({
        connectionId: t.connectionId,
        request: `${t.sourceRequest?.Method} ${t.sourceRequest?.['Request-URI']}`,
        requestBody: decodeBody(t.sourceRequest?.body as string, t.sourceRequest),
        sourceStatus: t.sourceResponse?.['Status-Code'],
        sourceBody: decodeBody(t.sourceResponse?.body as string, t.sourceResponse),
        targetStatus: target?.['Status-Code'],
        targetBody: decodeBody(target?.body as string, target),
        error: t.error ?? undefined,
      });
      if (shown.length >= o.limit) break;
    }
    print(shown, () => shown.map((s: any) => `${s.connectionId}  ${s.request}\n  source ${s.sourceStatus}  target ${s.targetStatus}${s.error ? `  error: ${s.error}` : ''}\n${indent(s.requestBody, 'req ')}\n${indent(s.sourceBody, 'src ')}\n${indent(s.targetBody, 'tgt ')}`).join('\n\n'));
  });

function indent(text: string, prefix: string): string {
  return text ? text.split('\n').slice(0, 20).map((l) => `    ${prefix}${l}`).join('\n') : '';
}

async function serveApi(o: { port: number; host: string; tupleDir?: string }): Promise<void> {
  const app = await startApi({ loadConfig: globals().config, tupleDir: o.tupleDir, port: o.port, host: o.host });
  process.stderr.write(`migration console API on http://${o.host}:${o.port}/ (status page) and /api\n`);
  const stop = () => app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

const apiOptions = { port: Number(process.env.MIGRATION_CONSOLE_PORT ?? 8000), host: '0.0.0.0', tupleDir: process.env.MIGRATION_TUPLE_DIR };
program
  .command('api')
  .description('serve the HTTP API and the status page (what the console service runs when given no command)')
  .option('--port <port>', 'port', (v) => count(v), apiOptions.port)
  .option('--host <host>', 'address to listen on', apiOptions.host)
  .option('--tuple-dir <dir>', 'replay results to show on the status page', apiOptions.tupleDir)
  .action(serveApi);
// The console's ECS task starts it with no command: serve the API.
program.action(() => serveApi(apiOptions));

program
  .command('demo')
  .description('the local demo migration: real Kafka, Elasticsearch 7.10 and OpenSearch 2.19; capture, backfill, replay, verify')
  .option('--proxy-port <port>', 'capture proxy port (clients talk to it)', (v) => count(v), 9200)
  .option('--kafka-port <port>', 'Kafka port', (v) => count(v), 9092)
  .option('--source-port <port>', 'Elasticsearch port', (v) => count(v), 19200)
  .option('--target-port <port>', 'OpenSearch port', (v) => count(v), 29200)
  .option('--documents <n>', 'historic documents on the source', (v) => count(v), 30000)
  .option('--live-seconds <s>', 'how long clients write through the proxy', (v) => count(v), 20)
  .option('--keep', 'leave the local stack running afterwards')
  .action(async (o) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const r = await runDemo({ proxyPort: o.proxyPort, ports: { kafka: o.kafkaPort, source: o.sourcePort, target: o.targetPort }, documents: o.documents, liveSeconds: o.liveSeconds, keep: Boolean(o.keep), log });
    print(r, () =>
      [
        '',
        'Migration result',
        ...r.indices.map((i) => `  ${i.index.padEnd(20)} source ${String(i.source).padStart(7)}  target ${String(i.target).padStart(7)}  ${i.source === i.target ? 'same' : 'DIFFERENT'}`),
        `  ${r.liveRequests} live requests captured and replayed: ${r.tuples.statusMatches} answered with the same status on both, ${r.tuples.statusMismatches} differently`,
        ...r.tuples.statusPairs.filter((p) => p.source !== p.target).map((p) => `    ${p.method} source ${p.source} target ${p.target} x${p.count}`),
        ...(r.tuples.statusMismatches
          ? ['    (expected where the backfill had already copied a live write: 201 created on the source is 200 updated on the target, a delete finds nothing)']
          : []),
        `  verify (content hash of every document): ${r.verified ? 'source and target hold the same documents' : 'DIFFERENCES FOUND'}`,
        `  time: ${Object.values(r.seconds).reduce((a, b) => a + b, 0).toFixed(0)} s in all`,
      ].join('\n'),
    );
    if (!r.verified) process.exitCode = 1;
  });

program
  .command('local')
  .description('the local stack of real servers: up | down | status (see `migration-console local --help`)')
  .allowUnknownOption()
  .helpOption(false)
  .argument('[args...]')
  .action((args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'local', 'cli.js'), ...args], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  });

program.parseAsync(process.argv).catch(exitWithError);
