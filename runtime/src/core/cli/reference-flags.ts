import type { Command } from 'commander';
import { ConfigError } from '../errors';

/**
 * The reference's Java CLIs accept each flag under several names (kebab-case and camelCase, plus
 * older spellings). Command lines written for it are rewritten to ours before parsing, so that one
 * option declaration serves both; flags whose meaning has no counterpart here are refused with the
 * reason instead of commander's bare "unknown option".
 */
export interface ReferenceFlags {
  /** Reference name (with dashes) -> ours. */
  aliases?: Record<string, string>;
  /** Reference name -> why it is refused and what to use instead. */
  refused?: Record<string, string>;
}

const toKebab = (camel: string) => camel.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();

/** Rewrites reference flag names in argv to the command's own; `--flag=value` keeps its value. */
export function rewriteReferenceFlags(argv: string[], cmd: Command, flags: ReferenceFlags = {}): string[] {
  const longs = new Set(cmd.options.map((o) => o.long).filter((l): l is string => Boolean(l)));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(--?[A-Za-z][A-Za-z0-9-]*)(=.*)?$/.exec(arg);
    if (!m || longs.has(m[1])) {
      out.push(arg);
      continue;
    }
    const [, name, value = ''] = m;
    const refused = flags.refused?.[name];
    if (refused) throw new ConfigError(`${name} is a flag of the reference that is not supported here: ${refused}`);
    let ours = flags.aliases?.[name];
    // camelCase spelling of one of our kebab-case flags (--speedupFactor -> --speedup-factor).
    if (!ours && name.startsWith('--') && /[A-Z]/.test(name)) ours = `--${toKebab(name.slice(2))}`;
    out.push(ours && longs.has(ours) ? ours + value : arg);
  }
  return out;
}
