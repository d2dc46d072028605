#!/usr/bin/env node
import { Command } from 'commander';
import { cliOption } from '../core/cli/options';
import { integerArg, portArg, ValueError } from '../core/cli/values';
import { exitWithError } from '../core/errors';
import { demoResultText, runDemo } from './demo';
import { SERVER_KINDS, ServerKind } from './servers';
import { DEFAULT_PORTS, down, stackEnv, status, up } from './stack';

function kinds(value: string): ServerKind[] {
  const list = value.split(',').map((s) => s.trim());
  for (const k of list) if (!SERVER_KINDS.includes(k as ServerKind)) throw new ValueError(`a comma-separated list of ${SERVER_KINDS.join(', ')}`);
  return list as ServerKind[];
}

/** The local stack's command line (no variables). */
export function buildProgram(): Command {
  const program = new Command('migration-local')
    .description('The local stack: real Kafka (KRaft), Elasticsearch 7.10 (source) and OpenSearch 2.19 (target) on loopback, from Maven Central jars; and the demo migration on it.')
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

  const nameOption = () => cliOption('--name <name>', 'stack name (its directory under the temp dir)', { default: 'default' });
  const dirOption = () => cliOption('--dir <path>', 'stack directory (default: <tmpdir>/migration-local-<name>)');

  program
    .command('up')
    .description('start the servers and wait until each answers')
    .addOption(nameOption())
    .addOption(dirOption())
    .addOption(cliOption('--source-port <port>', 'Elasticsearch HTTP port (transport: +100)', { parse: portArg(), default: DEFAULT_PORTS.source }))
    .addOption(cliOption('--target-port <port>', 'OpenSearch HTTP port (transport: +100)', { parse: portArg(), default: DEFAULT_PORTS.target }))
    .addOption(cliOption('--kafka-port <port>', 'Kafka PLAINTEXT port (controller: +1, SASL/SCRAM: +2)', { parse: portArg(), default: DEFAULT_PORTS.kafka }))
    .addOption(cliOption('--only <servers>', `start only these (${SERVER_KINDS.join(',')})`, { parse: kinds }))
    .option('--json', 'print the endpoints as JSON')
    .action(async (o) => {
      const started = Date.now();
      const state = await up({
        name: o.name,
        baseDir: o.dir,
        only: o.only,
        ports: { source: o.sourcePort, target: o.targetPort, kafka: o.kafkaPort },
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const env = stackEnv(state);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ ...state, env }, null, 2)}\n`);
      } else {
        process.stdout.write(`Local stack "${state.name}" is up in ${((Date.now() - started) / 1000).toFixed(1)} s (data in ${state.baseDir}):\n`);
        for (const [k, v] of Object.entries(env)) process.stdout.write(`  export ${k}=${v}\n`);
      }
    });

  program
    .command('down')
    .description('stop every server of the stack by pid and remove its data')
    .addOption(nameOption())
    .addOption(dirOption())
    .option('--keep-data', 'keep data and logs')
    .action(async (o) => {
      const found = await down(o.name, { baseDir: o.dir, keepData: o.keepData, log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(found ? `Local stack "${o.name}" is down.\n` : `No local stack "${o.name}" is running.\n`);
    });

  program
    .command('status')
    .description('show whether each server runs and answers')
    .addOption(nameOption())
    .addOption(dirOption())
    .option('--json', 'print as JSON')
    .action(async (o) => {
      const servers = await status(o.name, o.dir);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(servers, null, 2)}\n`);
      } else if (servers.length === 0) {
        process.stdout.write(`No local stack "${o.name}".\n`);
      } else {
        for (const s of servers) {
          process.stdout.write(`${s.kind.padEnd(7)} ${s.endpoint.padEnd(24)} pid ${String(s.pid).padEnd(8)} ${s.healthy ? 'healthy' : s.running ? 'running, not answering' : 'stopped'}  log ${s.logFile}\n`);
        }
      }
      if (servers.some((s) => !s.healthy)) process.exitCode = 1;
    });

  program
    .command('demo')
    .description('the local demo migration: real Kafka, Elasticsearch 7.10 and OpenSearch 2.19; capture, backfill, replay, verify')
    .addOption(cliOption('--proxy-port <port>', 'capture proxy port (clients talk to it)', { parse: portArg(), default: 9200 }))
    .addOption(cliOption('--kafka-port <port>', 'Kafka port', { parse: portArg(), default: 9092 }))
    .addOption(cliOption('--source-port <port>', 'Elasticsearch port', { parse: portArg(), default: 19200 }))
    .addOption(cliOption('--target-port <port>', 'OpenSearch port', { parse: portArg(), default: 29200 }))
    .addOption(cliOption('--documents <n>', 'historic documents on the source', { parse: integerArg(0), default: 30000 }))
    .addOption(cliOption('--live-seconds <s>', 'how long clients write through the proxy', { parse: integerArg(0), default: 20 }))
    .option('--keep', 'leave the local stack running afterwards')
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const r = await runDemo({ proxyPort: o.proxyPort, ports: { kafka: o.kafkaPort, source: o.sourcePort, target: o.targetPort }, documents: o.documents, liveSeconds: o.liveSeconds, keep: Boolean(o.keep), log });
      process.stdout.write(`${o.json ? JSON.stringify(r, null, 2) : demoResultText(r)}\n`);
      // Ready means both: every document the same, and no answer that differs unexplained.
      if (!r.verified || r.report.totals.different > 0) process.exitCode = 1;
    });

  return program;
}

if (require.main === module) buildProgram().parseAsync(process.argv).catch(exitWithError);
