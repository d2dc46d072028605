import { ConfigError } from '../../core/errors';
import { indexRename } from './index-rename';
import { jsTransform } from './js-transform';
import { RequestTransform } from './request';
import { typeRemoval } from './type-removal';

const FACTORIES: Record<string, (options: any) => RequestTransform> = {
  TypeMappingSanitizationTransformerProvider: () => typeRemoval(),
  TypeRemoval: () => typeRemoval(),
  IndexRename: (o) => indexRename(o?.rules),
  JsTransform: (o) => jsTransform({ file: o?.file ?? o?.initializationScriptFile, script: o?.script ?? o?.initializationScript, timeoutMs: o?.timeoutMs }),
  JsonJSTransformerProvider: (o) => jsTransform({ file: o?.file ?? o?.initializationScriptFile, script: o?.script ?? o?.initializationScript, timeoutMs: o?.timeoutMs }),
};

/**
 * `[{"TypeRemoval": {}}, {"IndexRename": {"rules": [...]}}, {"JsTransform": {"file": "t.js"}}]`:
 * a list of one-key objects, applied in order.
 */
export function parseTransformerConfig(text: string): RequestTransform[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`--transformer-config is not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError('--transformer-config must be a JSON list, e.g. [{"TypeRemoval": {}}]');
  return parsed.map((item, i) => {
    const keys = item && typeof item === 'object' ? Object.keys(item) : [];
    if (keys.length !== 1) throw new ConfigError(`--transformer-config item ${i} must be an object with one key, the transformer's name`);
    const factory = FACTORIES[keys[0]];
    if (!factory) throw new ConfigError(`--transformer-config item ${i}: unknown transformer "${keys[0]}" (known: ${Object.keys(FACTORIES).join(', ')})`);
    return factory(item[keys[0]]);
  });
}
