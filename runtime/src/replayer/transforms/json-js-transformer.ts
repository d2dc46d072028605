import { ConfigError } from '../../core/errors';
import type { Header } from '../../core/http/message';
import { isNdjson } from './js-transform';
import { checkOptions } from './options';
import { RequestTransform, TransformableRequest } from './request';
import { ScriptSandbox, scriptSource } from './script-sandbox';

/*
 * The reference's JsonJSTransformerProvider: the script's last expression is a function
 * `main(bindings)` that returns the transform, a function from the reference's message to the
 * message to send:
 *   {method, URI, protocol, headers: {name: value}, payload: {inlinedJsonBody | inlinedJsonSequenceBodies
 *    | inlinedTextBody | inlinedBase64Body}}
 * `bindingsObject` (JSON text, as the reference takes it) is what main receives.
 */

const NAME = 'JsonJSTransformerProvider';

interface Payload {
  inlinedJsonBody?: unknown;
  inlinedJsonSequenceBodies?: unknown[];
  inlinedTextBody?: string;
  inlinedBase64Body?: string;
}

interface Message {
  method: string;
  URI: string;
  protocol: string;
  headers: Record<string, string | string[]>;
  payload: Payload;
}

function headerMap(headers: Header[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of headers) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function isUtf8(body: Buffer): boolean {
  return Buffer.compare(Buffer.from(body.toString('utf8'), 'utf8'), body) === 0;
}

function payloadOf(req: TransformableRequest): Payload {
  if (!req.body.length) return {};
  if (!isUtf8(req.body)) return { inlinedBase64Body: req.body.toString('base64') };
  const text = req.body.toString('utf8');
  try {
    if (isNdjson(req)) return { inlinedJsonSequenceBodies: text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) };
    return { inlinedJsonBody: JSON.parse(text) };
  } catch {
    return { inlinedTextBody: text };
  }
}

function bodyOf(p: Payload | undefined): Buffer {
  if (!p || typeof p !== 'object') return Buffer.alloc(0);
  if (p.inlinedJsonBody !== undefined) return Buffer.from(JSON.stringify(p.inlinedJsonBody));
  if (p.inlinedJsonSequenceBodies !== undefined) {
    if (!Array.isArray(p.inlinedJsonSequenceBodies)) throw new Error('payload.inlinedJsonSequenceBodies must be a list');
    return Buffer.from(p.inlinedJsonSequenceBodies.map((l) => `${JSON.stringify(l)}\n`).join(''));
  }
  if (p.inlinedTextBody !== undefined) return Buffer.from(String(p.inlinedTextBody));
  if (p.inlinedBase64Body !== undefined) return Buffer.from(String(p.inlinedBase64Body), 'base64');
  return Buffer.alloc(0);
}

function fromMessage(out: Message, input: Message, req: TransformableRequest): TransformableRequest {
  if (!out || typeof out !== 'object' || typeof out.method !== 'string' || typeof out.URI !== 'string') {
    throw new Error(`${NAME}: the transform must return the message ({method, URI, headers, payload})`);
  }
  const headers: Header[] = [];
  for (const [k, v] of Object.entries(out.headers ?? {})) for (const one of Array.isArray(v) ? v : [v]) headers.push([k, String(one)]);
  // A payload the script did not change keeps its bytes (JSON text round trips lose big numbers).
  const same = JSON.stringify(out.payload ?? {}) === JSON.stringify(input.payload);
  return { method: out.method.toUpperCase(), uri: out.URI, headers, body: same ? req.body : bodyOf(out.payload), bodyChanged: !same };
}

export function jsonJsTransformer(options: unknown): RequestTransform {
  const o = (options ?? {}) as Record<string, unknown>;
  if (options === undefined || options === null) throw new ConfigError(`${NAME}: give "initializationScript" or "initializationScriptFile", and "bindingsObject"`);
  checkOptions(NAME, o, ['initializationScript', 'initializationScriptFile', 'bindingsObject', 'timeoutMs']);
  const { source, filename } = scriptSource(NAME, 'initializationScriptFile', o.initializationScriptFile, 'initializationScript', o.initializationScript);
  let bindings: unknown = {};
  if (typeof o.bindingsObject === 'string') {
    try {
      bindings = JSON.parse(o.bindingsObject);
    } catch (err) {
      throw new ConfigError(`${NAME}: "bindingsObject" is not valid JSON (${(err as Error).message})`);
    }
  } else if (o.bindingsObject !== undefined) bindings = o.bindingsObject;
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || o.timeoutMs <= 0)) throw new ConfigError(`${NAME}: "timeoutMs" must be a number of milliseconds > 0`);
  const sandbox = new ScriptSandbox({ label: NAME, source, filename, timeoutMs: (o.timeoutMs as number | undefined) ?? 1000, mapCompat: true });
  const main = sandbox.load();
  if (typeof main !== 'function') throw new ConfigError(`${NAME}: the script must end with an expression that is its main function, e.g. (() => main)()`);
  let transform: unknown;
  try {
    transform = sandbox.apply(main, bindings);
  } catch (err) {
    throw new ConfigError(`${NAME}: main(bindingsObject) failed (${(err as Error).message})`);
  }
  if (typeof transform !== 'function') throw new ConfigError(`${NAME}: main(bindingsObject) must return the transform function (got ${typeof transform})`);
  return (req) => {
    const message: Message = { method: req.method, URI: req.uri, protocol: 'HTTP/1.1', headers: headerMap(req.headers), payload: payloadOf(req) };
    return fromMessage(sandbox.invoke(transform, message) as Message, message, req);
  };
}
