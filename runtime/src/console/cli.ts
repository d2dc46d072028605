#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { cliOption, readEnvBeforeActions } from '../core/cli/options';
import { integerArg, portArg } from '../core/cli/values';
import { exitWithError, UserError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';
import { readApiToken } from './api/auth';
import { startApi } from './api/server';
import { CliState, addVerbCommands } from './cli-verbs';
import { CONSOLE_VERBS, GROUP_DESCRIPTIONS } from './commands';
import { completionScript, Shell, SHELLS } from './completion';
import { DEFAULT_SERVICES_YAML, loadConsoleConfig } from './config';
import { ConsoleContext, defaultStateDir } from './context';
import { DEFAULT_WORKING_STATE_INDEX } from '../backfill/lease-store';
import { REPLAYER_GROUP, TRAFFIC_TOPIC } from './kafka-admin';

const VERSION = (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The console's command line; `env` is where its variables are read (MIGRATION_*). */
export function buildProgram(env: NodeJS.ProcessEnv = process.env): { program: Command; state: CliState } {
  const program = new Command('migration-console')
    .description('Drive a migration: clusters, metadata, backfill and replay services, captured traffic, metrics, replay results.')
    .addOption(cliOption('--config-file <file>', 'services.yaml', { env: 'MIGRATION_SERVICES_YAML_PATH', default: DEFAULT_SERVICES_YAML }))
    .addOption(cliOption('--config <file>', 'the same as --config-file', { hidden: true }))
    .addOption(cliOption('--ssm-parameter <name>', 'read services.yaml from this SSM parameter instead (/migration/<stage>/<deployId>/servicesYamlFile)', { env: 'MIGRATION_SERVICES_YAML_PARAMETER' }))
    .option('--json', 'print results (and errors) as JSON')
    .option('-v, --verbose', 'more output: progress lines and error stack traces', (_v: string, n: number) => n + 1, 0)
    .version(VERSION, '--version', 'print the version')
    // Global options go before the verb (as in the reference), so that `clusters curl --json BODY` is the verb's.
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  readEnvBeforeActions(program, env);

  let config: Promise<ServicesYaml> | undefined;
  function loadConfig(): Promise<ServicesYaml> {
    const o = program.opts();
    const explicitFile = program.getOptionValueSource('config') === 'cli' ? o.config : program.getOptionValueSource('configFile') === 'cli' ? o.configFile : undefined;
    // An explicit file wins over the content the ECS task carries in its environment.
    const content = explicitFile ? undefined : env.MIGRATION_SERVICES_YAML;
    config ??= loadConsoleConfig({ content, file: explicitFile ?? o.configFile, ssmParameter: explicitFile ? undefined : o.ssmParameter });
    return config;
  }

  function context(tupleDir?: string): ConsoleContext {
    const verbose = program.opts().verbose > 0;
    return {
      config: loadConfig,
      stateDir: defaultStateDir(),
      tupleDir,
      env,
      progress: (line) => {
        if (verbose || process.stderr.isTTY) process.stderr.write(`${line}\n`);
      },
    };
  }

  const state: CliState = { json: false, context: () => context() };
  program.hook('preAction', () => {
    state.json = Boolean(program.opts().json);
  });
  addVerbCommands(program, CONSOLE_VERBS, state, GROUP_DESCRIPTIONS);

  program
    .command('completion')
    .description('print a shell completion script: source <(migration-console completion bash)')
    .argument('<shell>', SHELLS.join(' | '))
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        process.stderr.write(`error: completion for ${shell} is not supported: use one of ${SHELLS.join(', ')}\n`);
        process.exit(2);
      }
      process.stdout.write(completionScript(program, shell as Shell));
    });

  program
    .command('api')
    .description('serve the HTTP API under /api and the status page at / (what the console service runs)')
    .addOption(cliOption('--port <port>', 'port', { env: 'MIGRATION_CONSOLE_PORT', parse: portArg(0), default: 8000 }))
    .addOption(cliOption('--host <host>', 'address to listen on; anything but loopback needs a token', { env: 'MIGRATION_CONSOLE_HOST', default: '127.0.0.1' }))
    .option('--token-file <file>', 'file holding the API token (else MIGRATION_CONSOLE_API_TOKEN): clients send Authorization: Bearer <token>')
    .addOption(cliOption('--tuple-dir <dir>', 'replay results for the tuple routes and the status page', { env: 'MIGRATION_TUPLE_DIR' }))
    .addOption(cliOption('--sample-interval <seconds>', 'how often the status page\'s history is sampled (0: off)', { parse: integerArg(0, 3600), default: 10 }))
    .option('--traffic-topic <topic>', 'the capture topic the status page follows', TRAFFIC_TOPIC)
    .option('--replayer-group <group>', 'the replayers\' consumer group the status page follows', REPLAYER_GROUP)
    .option('--working-state-index <name>', 'the backfill\'s working-state index the status page follows', DEFAULT_WORKING_STATE_INDEX)
    .action(async (o: { port: number; host: string; tokenFile?: string; tupleDir?: string; sampleInterval: number; trafficTopic: string; replayerGroup: string; workingStateIndex: string }) => {
      const app = await startApi({
        context: context(o.tupleDir),
        verbs: CONSOLE_VERBS,
        host: o.host,
        port: o.port,
        token: readApiToken(o.tokenFile),
        sampleIntervalMs: o.sampleInterval * 1000,
        watch: { topic: o.trafficTopic, group: o.replayerGroup, workingStateIndex: o.workingStateIndex },
      });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : o.port;
      process.stderr.write(`migration console API on http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}/ (status page) and /api (GET /api/routes lists the routes)\n`);
      const stop = () => app.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  // The local stack and the demo live beside the console in a checkout, not in the images.
  function runLocalCli(args: string[]): never {
    const cli = path.join(__dirname, '..', 'local', 'cli.js');
    if (!existsSync(cli)) exitWithError(new UserError('NOT_INSTALLED', `the local stack and the demo are not part of this install (no ${cli}): run them from a checkout of the repository (npm run demo, npm run local -- up)`), { json: program.opts().json });
    const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }

  program
    .command('demo')
    .description('the local demo migration: real Kafka, Elasticsearch 7.10 and OpenSearch 2.19; capture, backfill, replay, verify (see `migration-console demo --help`)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action((args: string[]) => runLocalCli(['demo', ...args, ...(program.opts().json && !args.includes('--json') ? ['--json'] : [])]));

  program
    .command('local')
    .description('the local stack of real servers: up | down | status (see `migration-console local --help`)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action((args: string[]) => runLocalCli(args));

  return { program, state };
}

if (require.main === module) {
  const { program, state } = buildProgram();
  program.parseAsync(process.argv).catch((err) => exitWithError(err, { json: state.json || Boolean(program.opts().json), verbose: program.opts().verbose > 0 }));
}
