import type { Command, Option } from 'commander';

/*
 * Shell completion scripts written from the command tree itself, so they list exactly the verbs
 * and flags this version has. Static scripts: completing does not start node (a completion
 * library such as tabtab or omelette calls the program back on every <TAB>, which here means
 * loading the AWS SDK each time, and installs into the user's rc files).
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** Names the console answers to: ours, and the reference's `console` (the image links it). */
const NAMES = ['migration-console', 'console'];

interface Node {
  path: string[];
  subcommands: string[];
  /** Each subcommand's one-line description. */
  summaries: string[];
  options: Option[];
}

function visibleOptions(cmd: Command): Option[] {
  return cmd.options.filter((o) => !(o as Option & { hidden?: boolean }).hidden);
}

function walk(cmd: Command, path: string[] = []): Node[] {
  const subs = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const node: Node = { path, subcommands: subs.map((c) => c.name()), summaries: subs.map((c) => c.description()), options: visibleOptions(cmd) };
  return [node, ...subs.flatMap((c) => walk(c, [...path, c.name()]))];
}

const flagsOf = (o: Option) => [o.long, o.short].filter((f): f is string => Boolean(f));
const takesValue = (o: Option) => o.required || o.optional;
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(nodes: Node[], fn: string): string {
  const valueFlags = [...new Set(nodes.flatMap((n) => n.options.filter(takesValue).flatMap(flagsOf)))];
  const cases = nodes.map((n) => `    ${quote(n.path.join(' '))}) words=${quote([...n.subcommands, ...n.options.flatMap(flagsOf), '--help'].join(' '))} ;;`);
  return `# bash completion for ${NAMES.join(' and ')}; load with: source <(migration-console completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" skip="" i w words=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ -n "$skip" ]]; then skip=""; continue; fi
    case " ${valueFlags.join(' ')} " in *" $w "*) skip=1; continue ;; esac
    [[ "$w" == -* ]] && continue
    # Two levels: a group and its verb; later words are the verb's arguments.
    [[ "$path" == *" "* ]] && break
    path="\${path:+$path }$w"
  done
  case "$path" in
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${NAMES.join(' ')}
`;
}

function fish(nodes: Node[]): string {
  const lines = [`# fish completion for ${NAMES.join(' and ')}; save as ~/.config/fish/completions/migration-console.fish`];
  for (const name of NAMES) {
    for (const n of nodes) {
      const [g, v] = n.path;
      const condition =
        n.path.length === 0 ? '__fish_use_subcommand' : n.path.length === 1 ? `__fish_seen_subcommand_from ${g}; and not __fish_seen_subcommand_from ${n.subcommands.join(' ') || '-'}` : `__fish_seen_subcommand_from ${g}; and __fish_seen_subcommand_from ${v}`;
      n.subcommands.forEach((s, i) => lines.push(`complete -c ${name} -f -n ${quote(condition)} -a ${quote(s)} -d ${quote(n.summaries[i].slice(0, 80))}`));
      for (const o of n.options) {
        const parts = [`complete -c ${name}`, `-n ${quote(condition)}`];
        if (o.long) parts.push(`-l ${o.long.replace(/^--/, '')}`);
        if (o.short) parts.push(`-s ${o.short.replace(/^-/, '')}`);
        if (takesValue(o)) parts.push('-r');
        if (o.argChoices) parts.push(`-a ${quote(o.argChoices.join(' '))}`);
        parts.push(`-d ${quote(o.description.slice(0, 80))}`);
        lines.push(parts.join(' '));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for one shell; zsh runs the bash one through bashcompinit. */
export function completionScript(program: Command, shell: Shell): string {
  const nodes = walk(program);
  const fn = '_migration_console_complete';
  if (shell === 'fish') return fish(nodes);
  if (shell === 'zsh') return `# zsh completion for ${NAMES.join(' and ')}; load with: source <(migration-console completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash(nodes, fn).split('\n').slice(1).join('\n')}`;
  return bash(nodes, fn);
}
