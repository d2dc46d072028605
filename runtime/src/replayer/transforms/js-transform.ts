import { ConfigError } from '../../core/errors';
import { headerValue } from '../../core/http/message';
import { checkOptions } from './options';
import { RequestTransform, TransformableRequest } from './request';
import { ScriptSandbox, scriptSource } from './script-sandbox';

/** The request as a user script sees it: plain data, body parsed when it is JSON or NDJSON. */
interface ScriptRequest {
  method: string;
  uri: string;
  headers: Record<string, string>;
  body: unknown;
}

export function isNdjson(req: Pick<TransformableRequest, 'uri' | 'headers'>): boolean {
  return /\/_(bulk|msearch)\b/.test(req.uri) || /ndjson/i.test(headerValue(req.headers, 'content-type') ?? '');
}

function toScript(req: TransformableRequest): ScriptRequest {
  const text = req.body.toString('utf8');
  let body: unknown = text;
  if (text.length) {
    try {
      body = isNdjson(req) ? text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) : JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { method: req.method, uri: req.uri, headers: Object.fromEntries(req.headers), body };
}

function fromScript(out: ScriptRequest, ndjson: boolean): TransformableRequest {
  if (!out || typeof out !== 'object' || typeof out.method !== 'string' || typeof out.uri !== 'string') {
    throw new Error('the transform must return the request object ({method, uri, headers, body})');
  }
  let body: Buffer;
  if (out.body === undefined || out.body === null) body = Buffer.alloc(0);
  else if (typeof out.body === 'string') body = Buffer.from(out.body);
  else if (ndjson && Array.isArray(out.body)) body = Buffer.from(out.body.map((l) => JSON.stringify(l)).join('\n') + '\n');
  else body = Buffer.from(JSON.stringify(out.body));
  const headers = Object.entries(out.headers ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
  return { method: out.method.toUpperCase(), uri: out.uri, headers, body, bodyChanged: true };
}

/**
 * Our own user transform: `(request) => request` from a file (an expression, or
 * `module.exports = fn`) or inline, over {method, uri, headers, body}.
 */
export function jsTransform(options: unknown): RequestTransform {
  const o = (options ?? {}) as Record<string, unknown>;
  checkOptions('JsTransform', o, ['file', 'script', 'timeoutMs']);
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || o.timeoutMs <= 0)) throw new ConfigError('JsTransform: "timeoutMs" must be a number of milliseconds > 0');
  const { source, filename } = scriptSource('JsTransform', 'file', o.file, 'script', o.script);
  const sandbox = new ScriptSandbox({ label: 'JsTransform', source, filename, timeoutMs: (o.timeoutMs as number | undefined) ?? 1000 });
  const fn = sandbox.load();
  if (typeof fn !== 'function') throw new ConfigError('JsTransform: the script must evaluate to a function (request) => request, or set module.exports to one');
  return (req) => fromScript(sandbox.invoke(fn, toScript(req)) as ScriptRequest, isNdjson(req));
}
