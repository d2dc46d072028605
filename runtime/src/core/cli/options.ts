import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../errors';

/**
 * One way to declare a CLI option with an environment fallback, for every service.
 *
 * commander's own `.env()` sets a switch (a flag without a value) to true for ANY value of its
 * variable, "false" included: `TRAFFIC_REPLAYER_INSECURE=false` turned TLS verification off.
 * Switches declared here read their variable as a boolean instead (see parseSwitch).
 */

/** A flag name without dashes, camelCase or kebab-case, as PREFIX_SNAKE_CASE. */
export function envVarName(prefix: string, flag: string): string {
  return (
    prefix +
    flag
      .replace(/^-+/, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
      .replace(/-/g, '_')
      .toUpperCase()
  );
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', '']);

/** A switch's variable: true/1/yes/on or false/0/no/off (any case; empty is false). Anything else is an error. */
export function parseSwitch(variable: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(v)) return true;
  if (FALSE_WORDS.has(v)) return false;
  throw new ConfigError(`${variable}: expected true or false (got "${raw}"); 1/0, yes/no and on/off work too`);
}

export interface CliOptionSpec {
  /** The environment variable read when the flag is not on the command line. */
  env?: string;
  /** Turns the text into the option's value; throw a ConfigError that names the flag. */
  parse?: (value: string) => unknown;
  default?: unknown;
  /** How --help shows the default, when the value itself reads badly (300000 for 5m). */
  defaultDescription?: string;
  choices?: readonly string[];
}

const switchEnv = new WeakMap<Option, string>();

/** An option for any CLI; a switch with `env` reads its variable as true/false through applySwitchEnv. */
export function cliOption(flags: string, description: string, spec: CliOptionSpec = {}): Option {
  const option = new Option(flags, description);
  if (spec.choices) option.choices(spec.choices);
  if (spec.parse) option.argParser(spec.parse);
  if (spec.default !== undefined) option.default(spec.default, spec.defaultDescription);
  if (spec.env) {
    if (option.required || option.optional) option.env(spec.env);
    else {
      switchEnv.set(option, spec.env);
      option.description += ` (env: ${spec.env}=true|false)`;
    }
  }
  return option;
}

/**
 * Reads the variables of the command's switches into those the command line did not set.
 * Call it after parsing (or from a preAction hook: readSwitchEnvBeforeActions).
 */
export function applySwitchEnv(cmd: Command, env: NodeJS.ProcessEnv = process.env): void {
  for (const option of cmd.options) {
    const variable = switchEnv.get(option);
    if (!variable) continue;
    const raw = env[variable];
    if (raw === undefined) continue;
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) === 'cli') continue;
    cmd.setOptionValueWithSource(key, parseSwitch(variable, raw), 'env');
  }
}

/** For programs with subcommands: switch variables are read for the running command and its parents. */
export function readSwitchEnvBeforeActions(program: Command, env: NodeJS.ProcessEnv = process.env): Command {
  return program.hook('preAction', (_hooked, action) => {
    for (let c: Command | null = action; c; c = c.parent) applySwitchEnv(c, env);
  });
}

/** A parser for whole-number flags and arguments; commander reports the bad value with the flag's name. */
export function integerArg(min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number${max === Number.MAX_SAFE_INTEGER ? ` of ${min} or more` : ` from ${min} to ${max}`}, got "${value}"`);
    }
    return n;
  };
}
