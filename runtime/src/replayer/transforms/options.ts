import { ConfigError } from '../../core/errors';

/**
 * A transformer's options must all be known: a misspelt key would otherwise be ignored and
 * the transform would silently do something else than asked. `notSupported` names options of the
 * reference that are refused, each with the reason.
 */
export function checkOptions(label: string, options: unknown, known: string[], notSupported: Record<string, string> = {}): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options)) throw new ConfigError(`${label}: options must be an object (got ${JSON.stringify(options)})`);
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (key in notSupported) throw new ConfigError(`${label}: option "${key}" is not supported: it ${notSupported[key]}`);
    throw new ConfigError(`${label}: unknown option "${key}" (known: ${known.join(', ') || 'none'})`);
  }
}
