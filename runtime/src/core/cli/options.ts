import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../errors';
import { ValueError, ValueParser } from './values';

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
  /** The environment variable read when the flag is not on the command line (see applyEnv). */
  env?: string;
  /** Turns the text into the option's value: a parser of ./values, or one that throws ValueError or ConfigError. */
  parse?: ValueParser<unknown>;
  default?: unknown;
  /** How --help shows the default, when the value itself reads badly (300000 for 5m). */
  defaultDescription?: string;
  choices?: readonly string[];
  hidden?: boolean;
}

const optionEnv = new WeakMap<Option, string>();
const optionParse = new WeakMap<Option, ValueParser<unknown>>();

/** The variable an option reads (declared with cliOption), if any. */
export function optionEnvVar(option: Option): string | undefined {
  return optionEnv.get(option);
}

/** A switch: a flag that takes no value. */
export const isSwitch = (option: Option): boolean => !option.required && !option.optional;

/**
 * Runs a parser on one value; a refusal becomes a ConfigError that names where the value came
 * from (the flag, or the variable and its flag), the value and what is accepted.
 */
export function checkValue<T>(source: string, value: string, parse: ValueParser<T>, previous?: unknown): T {
  try {
    return parse(value, previous);
  } catch (err) {
    if (err instanceof ValueError) throw new ConfigError(`${source} must be ${err.expected} (got "${value}")`);
    if (err instanceof InvalidArgumentError) throw new ConfigError(`${source}: ${err.message} (got "${value}")`);
    throw err;
  }
}

function choiceArg(choices: readonly string[]): ValueParser<string> {
  return (value) => {
    if (!choices.includes(value)) throw new ValueError(`one of ${choices.join(', ')}`);
    return value;
  };
}

const flagName = (option: Option) => option.long ?? option.short ?? option.flags;

/**
 * The one way to declare an option of any CLI: flag, description, variable, parser, default.
 * Values from the command line and from the variable go through the same parser; a refused value
 * is a ConfigError (exit code 2) of one line. Variables are read by applyEnv, from the env it is
 * given, never by commander's `.env()` (which turns a switch on for any value, "false" included).
 */
export function cliOption(flags: string, description: string, spec: CliOptionSpec = {}): Option {
  const option = new Option(flags, description);
  if (spec.hidden) option.hideHelp();
  if (spec.choices) option.choices(spec.choices);
  const parse = spec.parse ?? (spec.choices ? choiceArg(spec.choices) : undefined);
  if (parse) {
    optionParse.set(option, parse);
    const source = flagName(option);
    option.argParser((value: string, previous: unknown) => checkValue(source, value, parse, previous));
  }
  if (spec.default !== undefined) option.default(spec.default, spec.defaultDescription);
  if (spec.env) {
    optionEnv.set(option, spec.env);
    option.description += isSwitch(option) ? ` (env: ${spec.env}=true|false)` : ` (env: ${spec.env})`;
  }
  return option;
}

/**
 * Reads the variables of the command's options into those the command line did not set: a switch
 * as true/false (parseSwitch, empty is false), a value through the option's parser (empty is
 * unset), a list split on whitespace.
 * Call it after parsing (or from a preAction hook: readEnvBeforeActions).
 */
export function applyEnv(cmd: Command, env: NodeJS.ProcessEnv = process.env): void {
  for (const option of cmd.options) {
    const variable = optionEnv.get(option);
    if (!variable) continue;
    const raw = env[variable];
    if (raw === undefined) continue;
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) === 'cli') continue;
    let value: unknown;
    if (isSwitch(option)) value = parseSwitch(variable, raw);
    // An empty variable is an unset one (as `FOO=` in an env file means), not an empty value.
    else if (!raw.trim()) continue;
    else {
      const words = option.variadic ? raw.trim().split(/\s+/).filter(Boolean) : [raw];
      const parse = optionParse.get(option);
      const source = `${variable} (${flagName(option)})`;
      for (const word of words) value = parse ? checkValue(source, word, parse, value) : option.variadic ? [...((value as string[] | undefined) ?? []), word] : word;
    }
    cmd.setOptionValueWithSource(key, value, 'env');
  }
}

/** For programs with subcommands: variables are read for the running command and its parents. */
export function readEnvBeforeActions(program: Command, env: NodeJS.ProcessEnv = process.env): Command {
  return program.hook('preAction', (_hooked, action) => {
    for (let c: Command | null = action; c; c = c.parent) applyEnv(c, env);
  });
}
