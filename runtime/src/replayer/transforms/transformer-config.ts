import { ConfigError } from '../../core/errors';
import { indexRename, RenameRule } from './index-rename';
import { jsTransform } from './js-transform';
import { jsonJsTransformer } from './json-js-transformer';
import { checkOptions } from './options';
import { RequestTransform } from './request';
import { typeMappingSanitization } from './type-mapping-sanitization';
import { typeRemoval } from './type-removal';

const FACTORIES: Record<string, (options: unknown) => RequestTransform> = {
  TypeRemoval: (o) => {
    checkOptions('TypeRemoval', o, []);
    return typeRemoval();
  },
  IndexRename: (o) => {
    checkOptions('IndexRename', o, ['rules']);
    return indexRename((o as { rules?: RenameRule[] } | undefined)?.rules ?? []);
  },
  JsTransform: jsTransform,
  TypeMappingSanitizationTransformerProvider: typeMappingSanitization,
  JsonJSTransformerProvider: jsonJsTransformer,
};

/** Transformers of the reference that run on engines we do not embed. */
const REFUSED: Record<string, string> = {
  JsonJoltTransformerProvider: 'Jolt specs',
  JsonJMESPathTransformerProvider: 'JMESPath expressions',
  JsonJinjavaTransformerProvider: 'Jinjava templates',
  JsonPythonTransformerProvider: 'Python scripts',
  JsonTransformerForOpenSearch23PlusTargetTransformerProvider: 'a JMESPath expression',
};

function build(name: string, options: unknown, where: string): RequestTransform {
  const factory = FACTORIES[name];
  if (factory) return factory(options);
  if (REFUSED[name]) throw new ConfigError(`${where}: "${name}" runs ${REFUSED[name]}, which this replayer does not run: write the transform as JsonJSTransformerProvider (the reference's JavaScript contract) or JsTransform`);
  throw new ConfigError(`${where}: unknown transformer "${name}" (known: ${Object.keys(FACTORIES).join(', ')})`);
}

/**
 * The reference's forms, all accepted: a JSON list of one-key objects applied in order
 * (`[{"TypeRemoval": {}}, {"JsTransform": {"file": "t.js"}}]`), one object whose keys are
 * transformer names, or a bare transformer name (its default settings).
 */
export function parseTransformerConfig(text: string, flag = '--transformer-config'): RequestTransform[] {
  const trimmed = text.trim();
  if (/^[A-Za-z][A-Za-z0-9]*$/.test(trimmed)) return [build(trimmed, undefined, flag)];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (err) {
    throw new ConfigError(`${flag} is neither a transformer name nor valid JSON (${(err as Error).message})`);
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    return Object.entries(parsed).map(([name, options]) => build(name, options, flag));
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${flag} must be a JSON list, e.g. [{"TypeRemoval": {}}], or a transformer name`);
  return parsed.map((item, i) => {
    const keys = item && typeof item === 'object' && !Array.isArray(item) ? Object.keys(item) : [];
    if (keys.length !== 1) throw new ConfigError(`${flag} item ${i} must be an object with one key, the transformer's name`);
    return build(keys[0], item[keys[0]], `${flag} item ${i}`);
  });
}
