import { gunzipSync, gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../runtime/src/core/errors';
import { HttpRequest, parseRequest, serializeRequest } from '../../../runtime/src/core/http/message';
import { prepareRequest, PrepareOptions } from '../../../runtime/src/replayer/prepare';
import { retryableBulkBody } from '../../../runtime/src/replayer/bulk-retry';
import { parseTransformerConfig } from '../../../runtime/src/replayer/transforms/transformer-config';

function request(method: string, uri: string, body = '', headers: [string, string][] = []): HttpRequest {
  return { method, uri, httpVersion: 'HTTP/1.1', headers: [['Host', 'source:9200'], ['Authorization', 'Basic c3JjOnNyYw=='], ...headers], body: Buffer.from(body) };
}

const target = new URL('http://target:29200');
const opts = (config = '[{"TypeRemoval":{}}]', extra: Partial<PrepareOptions> = {}): PrepareOptions => ({ target, auth: { type: 'passthrough' }, transforms: parseTransformerConfig(config), ...extra });

describe('ES 7 to OpenSearch type removal', () => {
  it.each([
    ['PUT', '/idx/mytype/1', '/idx/_doc/1'],
    ['PUT', '/idx/_doc/1', '/idx/_doc/1'],
    ['POST', '/idx/mytype', '/idx/_doc'],
    ['POST', '/idx/mytype/1/_update', '/idx/_update/1'],
    ['PUT', '/idx/_doc/1/_create?refresh=true', '/idx/_create/1?refresh=true'],
    ['POST', '/idx/_doc/1/_update', '/idx/_update/1'],
    ['GET', '/idx/mytype/_search?q=a', '/idx/_search?q=a'],
    ['DELETE', '/idx/mytype/7?refresh=true', '/idx/_doc/7?refresh=true'],
    ['GET', '/idx/_search', '/idx/_search'],
    ['PUT', '/idx?include_type_name=true', '/idx'],
    ['GET', '/_cluster/health', '/_cluster/health'],
  ])('%s %s -> %s', (method, uri, expected) => {
    expect(prepareRequest(request(method, uri), opts()).path).toBe(expected);
  });

  it('unwraps typed mappings in create-index and templates', () => {
    const create = prepareRequest(request('PUT', '/idx?include_type_name=true', JSON.stringify({ settings: { number_of_shards: 1 }, mappings: { mytype: { properties: { a: { type: 'keyword' } } } } })), opts());
    expect(JSON.parse(create.body.toString())).toEqual({ settings: { number_of_shards: 1 }, mappings: { properties: { a: { type: 'keyword' } } } });
    const template = prepareRequest(request('PUT', '/_template/t1', JSON.stringify({ index_patterns: ['x*'], mappings: { _doc: { dynamic: false, properties: {} } } })), opts());
    expect(JSON.parse(template.body.toString()).mappings).toEqual({ dynamic: false, properties: {} });
    // A typeless mapping is left alone.
    const typeless = prepareRequest(request('PUT', '/idx', JSON.stringify({ mappings: { properties: { a: { type: 'text' } } } })), opts());
    expect(JSON.parse(typeless.body.toString()).mappings).toEqual({ properties: { a: { type: 'text' } } });
  });

  it('drops _type from _bulk action lines, keeps sources byte for byte, and re-gzips a gzip body', () => {
    const bulk = ['{"index":{"_index":"idx","_type":"t","_id":"1"}}', '{"a":1,  "_type":"kept-in-source"}', '{"delete":{"_index":"idx","_type":"t","_id":"2"}}', ''].join('\n');
    const plain = prepareRequest(request('POST', '/_bulk', bulk), opts());
    expect(plain.body.toString().split('\n')).toEqual(['{"index":{"_index":"idx","_id":"1"}}', '{"a":1,  "_type":"kept-in-source"}', '{"delete":{"_index":"idx","_id":"2"}}', '']);
    const gz = prepareRequest(request('POST', '/idx/t/_bulk', '', [['Content-Encoding', 'gzip']]), opts());
    expect(gz.path).toBe('/idx/_bulk');
    const zipped = prepareRequest({ ...request('POST', '/_bulk', '', [['Content-Encoding', 'gzip']]), body: gzipSync(bulk) }, opts());
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    expect(zipped.headers.find(([k]) => k === 'content-length')![1]).toBe(String(zipped.body.length));
  });
});

describe('target headers', () => {
  it('sets the target host, replaces or removes auth, and appends the user agent', () => {
    const h = (p: ReturnType<typeof prepareRequest>, name: string) => p.headers.find(([k]) => k.toLowerCase() === name)?.[1];
    const passthrough = prepareRequest(request('GET', '/'), opts('[]'));
    expect(h(passthrough, 'host')).toBe('target:29200');
    expect(h(passthrough, 'authorization')).toBe('Basic c3JjOnNyYw==');
    const basic = prepareRequest(request('GET', '/', '', [['User-Agent', 'curl/8']]), opts('[]', { auth: { type: 'basic', header: 'Basic dGd0OnRndA==' }, userAgent: 'replayer' }));
    expect(h(basic, 'authorization')).toBe('Basic dGd0OnRndA==');
    expect(h(basic, 'user-agent')).toBe('curl/8 replayer');
    expect(h(prepareRequest(request('GET', '/'), opts('[]', { auth: { type: 'remove' } })), 'authorization')).toBeUndefined();
  });

  it('leaves out a captured header that HTTP/1.1 cannot carry (Elasticsearch took it), and keeps the others', () => {
    const captured = request('PUT', '/i/_doc/1', '{}', [['X/A', 'b'], ['X\u0001B', 'c'], ['X-C', 'd\u0001e'], ['X-D', 'd\u007fe'], ['X-Ok', 'caf\u00e9']]);
    const prepared = prepareRequest(captured, opts('[]'));
    expect(prepared.headers.map(([k]) => k)).toEqual(['Host', 'Authorization', 'X-Ok', 'content-length']);
    expect(() => serializeRequest(prepared.method, prepared.path, prepared.headers, prepared.body, 'target:29200')).not.toThrow();
  });
});

describe('other transforms', () => {
  it('renames indices in paths and _bulk actions', () => {
    const config = '[{"IndexRename":{"rules":[{"from":"logs-(.*)","to":"archive-$1"}]}}]';
    expect(prepareRequest(request('GET', '/logs-1,other/_search'), opts(config)).path).toBe('/archive-1,other/_search');
    const bulk = prepareRequest(request('POST', '/_bulk', '{"index":{"_index":"logs-2"}}\n{"a":1}\n'), opts(config));
    expect(bulk.body.toString()).toBe('{"index":{"_index":"archive-2"}}\n{"a":1}\n');
  });

  it('runs a user JavaScript transform from a file, and stops one that loops', () => {
    const dir = mkdtempSync(join(tmpdir(), 'js-transform-'));
    writeFileSync(join(dir, 'ok.js'), '(request) => { request.uri = request.uri.replace("old", "new"); request.body.tag = "x"; return request; }');
    writeFileSync(join(dir, 'loop.js'), 'module.exports = function (r) { for (;;) {} }');
    const ok = prepareRequest(request('PUT', '/old/_doc/1', '{"a":1}'), opts(JSON.stringify([{ JsTransform: { file: join(dir, 'ok.js') } }])));
    expect(ok.path).toBe('/new/_doc/1');
    expect(JSON.parse(ok.body.toString())).toEqual({ a: 1, tag: 'x' });
    const loop = opts(JSON.stringify([{ JsTransform: { file: join(dir, 'loop.js'), timeoutMs: 50 } }]));
    expect(() => prepareRequest(request('GET', '/'), loop)).toThrow(/timed out/);
  });

  it('rejects a bad transformer config with a message that names the problem', () => {
    expect(() => parseTransformerConfig('42')).toThrow(ConfigError);
    expect(() => parseTransformerConfig('[{"TypeRemoval":{"typo":1}}]')).toThrow(/TypeRemoval: unknown option "typo"/);
    expect(() => parseTransformerConfig('[{"JsTransform":{"fiel":"t.js"}}]')).toThrow(/JsTransform: unknown option "fiel" \(known: file, script, timeoutMs\)/);
    expect(() => parseTransformerConfig('[{"Nope":{}}]')).toThrow(/unknown transformer "Nope"/);
    expect(() => parseTransformerConfig('[{"IndexRename":{"rules":[{"from":"(","to":"x"}]}}]')).toThrow(/not a valid regular expression/);
  });
});

describe('HTTP framing and _bulk retries', () => {
  it('decodes a chunked request body', () => {
    const raw = Buffer.from('POST /_bulk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    const parsed = parseRequest(raw);
    expect(parsed.body.toString()).toBe('hello world');
    expect(parseRequest(serializeRequest(parsed.method, parsed.uri, [['Content-Length', '11']], parsed.body, 'x')).body.toString()).toBe('hello world');
  });

  it('keeps only the _bulk items that failed retryably', () => {
    const body = Buffer.from('{"index":{"_id":"1"}}\n{"a":1}\n{"delete":{"_id":"2"}}\n{"index":{"_id":"3"}}\n{"a":3}\n');
    const response = Buffer.from(JSON.stringify({ errors: true, items: [{ index: { status: 429 } }, { delete: { status: 503 } }, { index: { status: 400 } }] }));
    expect(retryableBulkBody(body, response)!.toString()).toBe('{"index":{"_id":"1"}}\n{"a":1}\n{"delete":{"_id":"2"}}\n');
    expect(retryableBulkBody(body, Buffer.from('{"errors":false,"items":[]}'))).toBeUndefined();
  });
});
