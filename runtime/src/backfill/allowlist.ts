import { ConfigError } from '../core/errors';

/** Exact names, or `regex:PATTERN` (anchored: the whole name must match). */
export interface Allowlist {
  entries: string[];
  matches(name: string): boolean;
  /** Exact names that none of the given names matched (a typo, or an item that is not there). */
  missing(names: Iterable<string>): string[];
}

export function parseAllowlist(raw: string[] | string | undefined, flag: string): Allowlist | undefined {
  const entries = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw])
    .flatMap((e) => e.split(','))
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) return undefined;
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const e of entries) {
    if (e.startsWith('regex:')) {
      try {
        patterns.push(new RegExp(`^(?:${e.slice(6)})$`));
      } catch (err) {
        throw new ConfigError(`${flag}: "${e}" is not a valid regular expression (${(err as Error).message})`);
      }
    } else exact.add(e);
  }
  return {
    entries,
    matches: (name) => exact.has(name) || patterns.some((p) => p.test(name)),
    missing(names) {
      const seen = new Set(names);
      return [...exact].filter((n) => !seen.has(n));
    },
  };
}

// Built-in and system items that a migration leaves alone unless an allowlist names them.
const SYSTEM_INDEX = /^(\.|kibana|security-auditlog|apm-|ilm-history-|\.?opendistro|\.?opensearch|searchguard)/;
const BUILTIN_TEMPLATE =
  /^(\.|logs$|logs-|metrics$|metrics-|traces$|traces-|synthetics$|synthetics-|ilm-history|slm-history|apm-|kibana|security|watches|triggered_watches|watch-history|monitoring-|data-streams-mappings|logs-mappings|logs-settings|metrics-mappings|metrics-settings|synthetics-mappings|synthetics-settings|opendistro|opensearch)/;

export function isSystemIndex(name: string): boolean {
  return SYSTEM_INDEX.test(name);
}

export function isBuiltinTemplate(name: string): boolean {
  return BUILTIN_TEMPLATE.test(name);
}

/** With an allowlist: exactly what it names. Without: everything but system/built-in items. */
export function selectNames(names: string[], allowlist: Allowlist | undefined, isBuiltin: (n: string) => boolean): string[] {
  return names.filter((n) => (allowlist ? allowlist.matches(n) : !isBuiltin(n))).sort();
}
