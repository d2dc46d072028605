import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { ConfigError } from '../../core/errors';
import { headerValue } from '../http-message';
import { RequestTransform, TransformableRequest } from './request';

/** The request as a user script sees it: plain data, body parsed when it is JSON or NDJSON. */
interface ScriptRequest {
  method: string;
  uri: string;
  headers: Record<string, string>;
  body: unknown;
}

function isNdjson(req: TransformableRequest): boolean {
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
 * A user transform `(request) => request` from a file (an expression, or `module.exports = fn`),
 * run in its own node:vm context with a time limit per request, so a loop cannot stall replay.
 */
export function jsTransform(opts: { file?: string; script?: string; timeoutMs?: number }): RequestTransform {
  let source = opts.script;
  if (source === undefined) {
    if (!opts.file) throw new ConfigError('JsTransform: give "file" (a JavaScript file with (request) => request)');
    try {
      source = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`JsTransform: cannot read "${opts.file}" (${(err as Error).message})`);
    }
  }
  const timeout = opts.timeoutMs ?? 1000;
  const sandbox: Record<string, unknown> = { module: { exports: {} }, console: { log: () => undefined } };
  sandbox.exports = (sandbox.module as { exports: unknown }).exports;
  const context = vm.createContext(sandbox);
  let fn: unknown;
  try {
    const value = new vm.Script(source, { filename: opts.file ?? 'transform.js' }).runInContext(context, { timeout });
    fn = typeof value === 'function' ? value : (sandbox.module as { exports: unknown }).exports;
  } catch (err) {
    throw new ConfigError(`JsTransform: the script does not load (${(err as Error).message})`);
  }
  if (typeof fn !== 'function') throw new ConfigError('JsTransform: the script must evaluate to a function (request) => request, or set module.exports to one');
  sandbox.__fn = fn;
  const call = new vm.Script('__fn(JSON.parse(__input))');
  return (req) => {
    const ndjson = isNdjson(req);
    // JSON across the boundary: the script gets objects of its own realm, and cannot keep ours.
    sandbox.__input = JSON.stringify(toScript(req));
    const out = call.runInContext(context, { timeout }) as ScriptRequest;
    return fromScript(JSON.parse(JSON.stringify(out ?? null)), ndjson);
  };
}
