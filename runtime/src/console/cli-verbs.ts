import type { Command } from 'commander';
import { cliOption } from '../core/cli/options';
import type { ConsoleContext } from './context';
import { runVerb, Verb } from './verb';

export interface CliState {
  /** Set from the global --json before a verb runs, and from the verb's own --json: errors print as JSON too. */
  json: boolean;
  context(): ConsoleContext;
}

/** The group commands (clusters, backfill...), with their descriptions; verbs are added under them. */
function group(program: Command, name: string, descriptions: Record<string, string>): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(descriptions[name] ?? name);
}

/**
 * Adds one command per verb: its arguments and options from the verb's declaration, --json for
 * the JSON form, the verb's text otherwise, and its exit code.
 */
export function addVerbCommands(program: Command, verbs: Verb[], state: CliState, descriptions: Record<string, string>): void {
  for (const verb of verbs) {
    const [groupName, name] = verb.path;
    const cmd = group(program, groupName, descriptions).command(name).description(verb.description);
    for (const a of verb.args ?? []) cmd.argument(a.name, a.description, a.parse as any);
    const keys = new Map<string, string>();
    for (const o of verb.options ?? []) {
      const option = cliOption(o.flags, o.description, { parse: o.parse, default: o.default, choices: o.choices });
      if (o.required) option.makeOptionMandatory();
      cmd.addOption(option);
      keys.set(option.attributeName(), o.key);
    }
    const ownJsonFlag = (verb.options ?? []).some((o) => /(^|\s)--json\b/.test(o.flags));
    if (!ownJsonFlag) cmd.option('--json', 'print the result as JSON');
    cmd.action(async (...params: unknown[]) => {
      const opts = (params[params.length - 2] ?? {}) as Record<string, unknown>;
      const input: Record<string, unknown> = {};
      for (const [attr, value] of Object.entries(opts)) if (keys.has(attr) && value !== undefined) input[keys.get(attr)!] = value;
      (verb.args ?? []).forEach((a, i) => {
        if (params[i] !== undefined) input[a.key] = params[i];
      });
      if (!ownJsonFlag && opts.json === true) state.json = true;
      const out = await runVerb(verb, state.context(), input);
      process.stdout.write(state.json ? `${JSON.stringify(out, null, 2)}\n` : `${verb.text(out, input)}\n`);
      const code = verb.exitCode?.(out) ?? 0;
      if (code) process.exitCode = code;
    });
  }
}
