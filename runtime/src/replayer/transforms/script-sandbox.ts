import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { ConfigError } from '../../core/errors';

/*
 * Runs a user's transform script in its own node:vm context, with a time limit on every call so
 * that a loop cannot stall replay. Data crosses the boundary as JSON text: the script gets objects
 * of its own realm and cannot keep ours.
 */

/**
 * For scripts written for the reference (GraalJS over Java maps): objects answer both property
 * access and the Map methods (get/set/has/delete/size/keys/entries/forEach, and Java's
 * put/remove/containsKey/getOrDefault); a `new Map()` a script returns becomes an object.
 */
const MAP_COMPAT = `
var __wrap, __replacer;
(function () {
  var proxies = new WeakMap(), targets = new WeakMap();
  var hasOwn = function (o, k) { return Object.prototype.hasOwnProperty.call(o, k); };
  function unwrap(v) { return (v && typeof v === 'object' && targets.get(v)) || v; }
  function methods(t, p) {
    var keys = function () { return Object.keys(t); };
    var m = {
      get: function (k) { return wrap(t[k]); },
      getOrDefault: function (k, d) { return hasOwn(t, k) ? wrap(t[k]) : d; },
      set: function (k, v) { t[k] = unwrap(v); return p; },
      has: function (k) { return hasOwn(t, k); },
      delete: function (k) { var had = hasOwn(t, k); delete t[k]; return had; },
      keys: function () { return keys()[Symbol.iterator](); },
      values: function () { return keys().map(function (k) { return wrap(t[k]); })[Symbol.iterator](); },
      entries: function () { return keys().map(function (k) { return [k, wrap(t[k])]; })[Symbol.iterator](); },
      forEach: function (fn) { keys().forEach(function (k) { fn(wrap(t[k]), k, p); }); },
      keySet: function () { return keys(); },
      isEmpty: function () { return keys().length === 0; }
    };
    m.put = function (k, v) { var old = t[k]; t[k] = unwrap(v); return old; };
    m.remove = function (k) { var old = t[k]; delete t[k]; return old; };
    m.containsKey = m.has;
    return m;
  }
  function wrap(v) {
    if (!v || typeof v !== 'object' || v instanceof Map) return v;
    var known = proxies.get(v);
    if (known) return known;
    var m;
    var p = new Proxy(v, {
      get: function (t, k) {
        if (typeof k === 'string' && hasOwn(t, k)) return wrap(t[k]);
        if (!Array.isArray(t)) {
          if (k === 'size') return Object.keys(t).length;
          m = m || methods(t, p);
          if (k === Symbol.iterator) return m.entries;
          if (typeof k === 'string' && hasOwn(m, k)) return m[k];
        }
        return Reflect.get(t, k);
      },
      set: function (t, k, value) { t[k] = unwrap(value); return true; }
    });
    proxies.set(v, p);
    targets.set(p, v);
    return p;
  }
  __wrap = wrap;
  __replacer = function (k, value) { return value instanceof Map ? Object.fromEntries(value) : value; };
})();
`;

export interface SandboxOptions {
  /** Names the transformer in errors. */
  label: string;
  source: string;
  filename: string;
  /** Per call, and for loading the script. */
  timeoutMs: number;
  mapCompat?: boolean;
}

/** Reads a script from a file or takes it inline; exactly one of the two. */
export function scriptSource(label: string, fileKey: string, file: unknown, scriptKey: string, script: unknown): { source: string; filename: string } {
  if (file !== undefined && script !== undefined) throw new ConfigError(`${label}: give "${fileKey}" or "${scriptKey}", not both`);
  if (script !== undefined) {
    if (typeof script !== 'string' || !script.trim()) throw new ConfigError(`${label}: "${scriptKey}" must be JavaScript source text`);
    return { source: script, filename: `${label}.js` };
  }
  if (typeof file !== 'string' || !file) throw new ConfigError(`${label}: give "${fileKey}" (a JavaScript file) or "${scriptKey}" (inline source)`);
  try {
    return { source: readFileSync(file, 'utf8'), filename: file };
  } catch (err) {
    throw new ConfigError(`${label}: cannot read "${file}" (${(err as Error).message})`);
  }
}

export class ScriptSandbox {
  private readonly context: vm.Context;
  private readonly sandbox: Record<string, unknown>;
  private readonly call = new vm.Script('__out = JSON.stringify(__fn(__wrap(JSON.parse(__input))), __replacer)');
  private readonly callRaw = new vm.Script('__out = __fn(__wrap(JSON.parse(__input)))');

  constructor(private readonly opts: SandboxOptions) {
    const module = { exports: {} as unknown };
    this.sandbox = { module, exports: module.exports, console: { log: () => undefined, error: () => undefined, warn: () => undefined } };
    this.context = vm.createContext(this.sandbox);
    new vm.Script(opts.mapCompat ? MAP_COMPAT : 'var __wrap = function (v) { return v; }, __replacer = undefined;').runInContext(this.context);
  }

  /** Runs the script; its completion value, or module.exports when that is what it set. */
  load(): unknown {
    try {
      const value = new vm.Script(this.opts.source, { filename: this.opts.filename }).runInContext(this.context, { timeout: this.opts.timeoutMs });
      return value ?? (this.sandbox.module as { exports: unknown }).exports;
    } catch (err) {
      throw new ConfigError(`${this.opts.label}: the script does not load (${(err as Error).message})`);
    }
  }

  /** Calls `fn(arg)` inside the context (arg passed as JSON), under the time limit; the result as JSON data. */
  invoke(fn: unknown, arg: unknown): unknown {
    this.run(this.call, fn, arg);
    const out = this.sandbox.__out as string | undefined;
    return out === undefined ? undefined : JSON.parse(out);
  }

  /** The same, but the result stays a value of the script's realm (e.g. the function a factory returns). */
  apply(fn: unknown, arg: unknown): unknown {
    this.run(this.callRaw, fn, arg);
    return this.sandbox.__out;
  }

  private run(script: vm.Script, fn: unknown, arg: unknown): void {
    this.sandbox.__fn = fn;
    this.sandbox.__input = JSON.stringify(arg ?? null);
    this.sandbox.__out = undefined;
    script.runInContext(this.context, { timeout: this.opts.timeoutMs });
  }
}
