import type { Command, Option } from 'commander';
import { buildProgram as documentsProgram } from '../../../../runtime/src/backfill/documents-cli';
import { buildProgram as metadataProgram } from '../../../../runtime/src/backfill/metadata-cli';
import { buildCommand as proxyCommand, parseProxyArgs, parseProxyOptions } from '../../../../runtime/src/capture-proxy/options';
import { buildProgram as consoleProgram } from '../../../../runtime/src/console/cli';
import { isSwitch, optionEnvVar } from '../../../../runtime/src/core/cli/options';
import { ConfigError } from '../../../../runtime/src/core/errors';
import { buildProgram as localProgram } from '../../../../runtime/src/local/cli';
import { parseCli as replayerCli, program as replayerProgram } from '../../../../runtime/src/replayer/cli';

/*
 * Every switch of every CLI that has an environment variable: "true" turns it on, "false" off,
 * anything else is a ConfigError (exit code 2) that names the variable. The lists come from the
 * declarations themselves, so a switch added later is covered without touching this file.
 */

const envSwitches = (cmd: Command): Option[] => cmd.options.filter((o) => isSwitch(o) && optionEnvVar(o));

/** Every command of a program that runs an action (subcommands of groups included). */
function leafCommands(cmd: Command): Command[] {
  return cmd.commands.length ? cmd.commands.flatMap(leafCommands) : [cmd];
}

function expectConfigError(attempt: () => unknown, message: string | RegExp): void {
  let caught: unknown;
  try {
    attempt();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).exitCode).toBe(2);
  expect((caught as Error).message).toMatch(message);
}

/** A ConfigError (exit code 2) whose message contains `text`. */
const configError = (text: string) => ({ name: 'ConfigError', exitCode: 2, message: expect.stringContaining(text) });

/** Runs one subcommand with its action replaced; resolves to the options the action saw. */
async function actionOptions(build: (env: NodeJS.ProcessEnv) => Command, path: string[], env: NodeJS.ProcessEnv, args: string[] = []): Promise<Record<string, unknown>> {
  const program = build(env);
  let cmd = program;
  for (const name of path) cmd = cmd.commands.find((c) => c.name() === name)!;
  let seen: Record<string, unknown> = {};
  cmd.action((...args: unknown[]) => {
    seen = (args[args.length - 2] ?? {}) as Record<string, unknown>;
  });
  await program.parseAsync([...path, ...args], { from: 'user' });
  return seen;
}

describe('capture proxy: every CAPTURE_PROXY_* switch', () => {
  const switches = envSwitches(proxyCommand());
  const base = ['--destinationUri', 'http://localhost:19200', '--listenPort', '9200'];

  it('declares its switches with variables', () => {
    expect(switches.map((o) => optionEnvVar(o))).toEqual(expect.arrayContaining(['CAPTURE_PROXY_INSECURE_DESTINATION', 'CAPTURE_PROXY_NO_CAPTURE', 'CAPTURE_PROXY_ENABLE_MSK_AUTH', 'CAPTURE_PROXY_REQUIRE_CLIENT_AUTH']));
  });

  it.each(switches.map((o) => [optionEnvVar(o)!, o] as const))('%s: true turns it on, false off, anything else is refused', (variable, option) => {
    const key = option.attributeName();
    expect(parseProxyOptions(base, { [variable]: 'true' })[key]).toBe(true);
    expect(parseProxyOptions(base, { [variable]: 'false' })[key]).toBe(false);
    expect(parseProxyOptions(base, {})[key]).toBeUndefined();
    expectConfigError(() => parseProxyOptions(base, { [variable]: 'maybe' }), `${variable}: expected true or false (got "maybe")`);
  });

  it('the switches do what they say in the checked config', () => {
    const parse = (env: NodeJS.ProcessEnv, args: string[] = []) => parseProxyArgs([...base, ...args], env, () => undefined);
    expect(parse({ CAPTURE_PROXY_INSECURE_DESTINATION: 'true' }, ['--noCapture']).insecureDestination).toBe(true);
    expect(parse({ CAPTURE_PROXY_INSECURE_DESTINATION: 'false' }, ['--noCapture']).insecureDestination).toBe(false);
    const kafka = ['--kafkaConnection', 'k:9098'];
    expect(parse({ CAPTURE_PROXY_ENABLE_MSK_AUTH: 'true', AWS_REGION: 'us-east-1' }, kafka).capture).toMatchObject({ kind: 'kafka', auth: { type: 'msk-iam' } });
    expect(parse({ CAPTURE_PROXY_ENABLE_MSK_AUTH: 'false', AWS_REGION: 'us-east-1' }, kafka).capture).toMatchObject({ kind: 'kafka', auth: { type: 'none' } });
  });

  it('reads valued variables through the same parsers as the flags, naming the variable', () => {
    expect(parseProxyArgs(base.slice(0, 2), { CAPTURE_PROXY_LISTEN_PORT: '9300', CAPTURE_PROXY_NO_CAPTURE: 'on' }).listenPort).toBe(9300);
    expect(parseProxyArgs([...base, '--noCapture'], { CAPTURE_PROXY_MAX_TRAFFIC_BUFFER_SIZE: '512kb' }).maxTrafficBufferSize).toBe(512 * 1024);
    expectConfigError(() => parseProxyArgs(base.slice(0, 2), { CAPTURE_PROXY_LISTEN_PORT: 'http', CAPTURE_PROXY_NO_CAPTURE: 'on' }), 'CAPTURE_PROXY_LISTEN_PORT (--listenPort) must be a whole number from 0 to 65535 (got "http")');
    // Lists from a variable are its words.
    expect(parseProxyArgs([...base, '--noCapture'], { CAPTURE_PROXY_SET_HEADER: 'X-A 1 X-B 2' }).setHeaders).toEqual([['X-A', '1'], ['X-B', '2']]);
  });
});

describe('replayer: every TRAFFIC_REPLAYER_* switch', () => {
  const switches = envSwitches(replayerProgram());
  const argv = ['--target-uri', 'https://t:9200', '-i', 'x.log'];

  it('declares its switches with variables', () => {
    expect(switches.length).toBeGreaterThanOrEqual(8);
  });

  it.each(switches.map((o) => [optionEnvVar(o)!, o] as const))('%s: true turns it on, false off, anything else is refused', (variable, option) => {
    const key = option.attributeName();
    expect((replayerCli(argv, { [variable]: 'true' }) as any)[key]).toBe(true);
    expect((replayerCli(argv, { [variable]: 'false' }) as any)[key]).toBe(false);
    expect((replayerCli(argv, {}) as any)[key]).toBeUndefined();
    expectConfigError(() => replayerCli(argv, { [variable]: 'maybe' }), `${variable}: expected true or false (got "maybe")`);
  });

  it('reads valued variables from the env it is given, through the flags\' parsers', () => {
    expect(replayerCli(['-i', 'x'], { TRAFFIC_REPLAYER_TARGET_URI: 'https://t:9200', TRAFFIC_REPLAYER_SPEEDUP_FACTOR: '2.5' })).toMatchObject({ targetUri: 'https://t:9200', speedupFactor: 2.5 });
    expectConfigError(() => replayerCli(argv, { TRAFFIC_REPLAYER_MAX_RETRIES: 'lots' }), 'TRAFFIC_REPLAYER_MAX_RETRIES (--max-retries) must be a whole number >= 0 (got "lots")');
    // An empty variable is an unset one.
    const unset = replayerCli(argv, { TRAFFIC_REPLAYER_MAX_RETRIES: '', TRAFFIC_REPLAYER_METRICS_PORT: ' ' });
    expect([unset.maxRetries, unset.metricsPort]).toEqual([4, undefined]);
    // The command line wins over the variable.
    expect(replayerCli([...argv, '--max-retries', '2'], { TRAFFIC_REPLAYER_MAX_RETRIES: 'lots' }).maxRetries).toBe(2);
  });
});

describe.each([
  ['document-backfill', documentsProgram],
  ['metadata-migration', metadataProgram],
] as const)('%s: every switch of every subcommand', (_name, build) => {
  const cases = leafCommands(build({})).flatMap((cmd) => envSwitches(cmd).map((o) => [`${cmd.name()} ${optionEnvVar(o)}`, cmd.name(), optionEnvVar(o)!, o.attributeName()] as const));

  it('has switches with variables', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases)('%s: true turns it on, false off, anything else is refused', async (_label, sub, variable, key) => {
    expect((await actionOptions(build, [sub], { [variable]: 'true' }))[key]).toBe(true);
    expect((await actionOptions(build, [sub], { [variable]: 'false' }))[key]).toBe(false);
    expect((await actionOptions(build, [sub], {}))[key]).toBeUndefined();
    await expect(actionOptions(build, [sub], { [variable]: 'sometimes' })).rejects.toMatchObject(configError(`${variable}: expected true or false (got "sometimes")`));
  });
});

describe('document-backfill: valued variables', () => {
  it('go through the flags\' parsers and name the variable when refused', async () => {
    expect(await actionOptions(documentsProgram, ['run'], { BACKFILL_MAX_BULK_BYTES: '2mb', BACKFILL_LEASE_DURATION: '90s', BACKFILL_INDEX_ALLOWLIST: 'a b' })).toMatchObject({ maxBulkBytes: 2 * 1024 * 1024, leaseDuration: 90_000, indexAllowlist: ['a', 'b'] });
    await expect(actionOptions(documentsProgram, ['run'], { BACKFILL_PAGE_SIZE: '0' })).rejects.toMatchObject(configError('BACKFILL_PAGE_SIZE (--page-size) must be a whole number >= 1 (got "0")'));
    await expect(actionOptions(documentsProgram, ['run'], { BACKFILL_COMPRESS: 'gzip' })).rejects.toMatchObject(configError('BACKFILL_COMPRESS (--compress) must be one of auto, on, off (got "gzip")'));
  });
});

describe('migration-console: its variables', () => {
  const build = (env: NodeJS.ProcessEnv) => consoleProgram(env).program;

  it('has no switch read from a variable (the generic check stays in place for one added later)', () => {
    const all = [build({}), ...leafCommands(build({}))];
    for (const cmd of all) for (const o of envSwitches(cmd)) throw new Error(`untested switch variable ${optionEnvVar(o)} on ${cmd.name()}`);
  });

  it('reads the API port, host and tuple directory from MIGRATION_* and refuses a bad port', async () => {
    expect(await actionOptions(build, ['api'], {})).toMatchObject({ port: 8000, host: '127.0.0.1' });
    expect(await actionOptions(build, ['api'], { MIGRATION_CONSOLE_PORT: '9000', MIGRATION_CONSOLE_HOST: '0.0.0.0', MIGRATION_TUPLE_DIR: '/t' })).toMatchObject({ port: 9000, host: '0.0.0.0', tupleDir: '/t' });
    await expect(actionOptions(build, ['api'], { MIGRATION_CONSOLE_PORT: 'eighty' })).rejects.toMatchObject(configError('MIGRATION_CONSOLE_PORT (--port) must be a whole number from 0 to 65535 (got "eighty")'));
  });

  it('refuses a bad verb option value in one line that names it', async () => {
    expect(await actionOptions(build, ['clusters', 'curl'], {}, ['source', '/', '--timeout', '30'])).toMatchObject({ timeout: 30 });
    await expect(actionOptions(build, ['clusters', 'curl'], {}, ['source', '/', '--timeout', '0'])).rejects.toMatchObject(configError('--timeout must be a whole number from 1 to 3600 (got "0")'));
  });
});

describe('migration-local', () => {
  it('parses ports with the shared parser', async () => {
    expect(await actionOptions(() => localProgram(), ['up'], {}, ['--source-port', '19300'])).toMatchObject({ sourcePort: 19300, kafkaPort: 9092 });
    await expect(actionOptions(() => localProgram(), ['up'], {}, ['--kafka-port', '70000'])).rejects.toMatchObject(configError('--kafka-port must be a whole number from 1 to 65535 (got "70000")'));
  });
});
