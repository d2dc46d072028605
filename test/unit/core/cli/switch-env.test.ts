import { Command } from 'commander';
import { buildProgram as backfillProgram } from '../../../../runtime/src/backfill/documents-cli';
import { buildProgram as metadataProgram } from '../../../../runtime/src/backfill/metadata-cli';
import { applyEnv, cliOption, envVarName, parseSwitch } from '../../../../runtime/src/core/cli/options';
import { ConfigError } from '../../../../runtime/src/core/errors';
import { parseCli as replayerCli } from '../../../../runtime/src/replayer/cli';

describe('switches from environment variables', () => {
  it('reads true and false words, and refuses anything else with the variable named', () => {
    for (const v of ['true', 'TRUE', '1', 'yes', 'on', ' On ']) expect(parseSwitch('X', v)).toBe(true);
    for (const v of ['false', 'False', '0', 'no', 'off', '']) expect(parseSwitch('X', v)).toBe(false);
    expect(() => parseSwitch('TRAFFIC_REPLAYER_INSECURE', 'maybe')).toThrow(ConfigError);
    expect(() => parseSwitch('TRAFFIC_REPLAYER_INSECURE', 'maybe')).toThrow('TRAFFIC_REPLAYER_INSECURE: expected true or false (got "maybe")');
  });

  it('names variables from camelCase and kebab-case flags', () => {
    expect(envVarName('CAPTURE_PROXY_', 'enableMSKAuth')).toBe('CAPTURE_PROXY_ENABLE_MSK_AUTH');
    expect(envVarName('TRAFFIC_REPLAYER_', 'kafka-traffic-enable-msk-auth')).toBe('TRAFFIC_REPLAYER_KAFKA_TRAFFIC_ENABLE_MSK_AUTH');
  });

  it('lets the command line win over the variable', () => {
    const cmd = new Command().addOption(cliOption('--insecure', 'x', { env: 'T_INSECURE' })).exitOverride();
    cmd.parse(['--insecure'], { from: 'user' });
    applyEnv(cmd, { T_INSECURE: 'false' });
    expect(cmd.opts().insecure).toBe(true);
  });

  it('TRAFFIC_REPLAYER_* switches: "false" leaves TLS verification and the others off, "true" turns them on', () => {
    const argv = ['--target-uri', 'https://t:9200', '-i', 'x.log'];
    const switches = { insecure: 'INSECURE', removeAuthHeader: 'REMOVE_AUTH_HEADER', kafkaTrafficEnableMskAuth: 'KAFKA_TRAFFIC_ENABLE_MSK_AUTH', kafkaTrafficPlaintext: 'KAFKA_TRAFFIC_PLAINTEXT' };
    for (const [key, suffix] of Object.entries(switches)) {
      const name = `TRAFFIC_REPLAYER_${suffix}`;
      expect((replayerCli(argv, { [name]: 'false' }) as any)[key]).toBe(false);
      expect((replayerCli(argv, { [name]: '0' }) as any)[key]).toBe(false);
      expect((replayerCli(argv, { [name]: 'true' }) as any)[key]).toBe(true);
      expect((replayerCli(argv, {}) as any)[key]).toBeUndefined();
    }
    expect(() => replayerCli(argv, { TRAFFIC_REPLAYER_INSECURE: 'nope' })).toThrow(/TRAFFIC_REPLAYER_INSECURE: expected true or false/);
  });

  /** Runs a subcommand of a backfill CLI with its action replaced, and returns the options it saw. */
  async function actionOptions(program: Command, sub: string, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      let seen: Record<string, unknown> = {};
      const cmd = program.commands.find((c) => c.name() === sub)!;
      cmd.action((opts) => {
        seen = opts;
      });
      await program.parseAsync([sub, '--source-host', 'http://s:9200', '--target-host', 'http://t:9200'], { from: 'user' });
      return seen;
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }

  it('BACKFILL_* switches in document-backfill and metadata-migration read true and false', async () => {
    for (const value of [false, true]) {
      const env = { BACKFILL_SOURCE_INSECURE: String(value), BACKFILL_TARGET_INSECURE: String(value), BACKFILL_DISABLE_REFRESH_AND_REPLICAS: String(value) };
      const run = await actionOptions(backfillProgram(), 'run', env);
      expect([run.sourceInsecure, run.targetInsecure, run.disableRefreshAndReplicas]).toEqual([value, value, value]);
      const migrate = await actionOptions(metadataProgram(), 'migrate', env);
      expect([migrate.sourceInsecure, migrate.targetInsecure]).toEqual([value, value]);
    }
    await expect(actionOptions(backfillProgram(), 'run', { BACKFILL_TARGET_INSECURE: 'sometimes' })).rejects.toThrow(/BACKFILL_TARGET_INSECURE: expected true or false/);
  });
});
