import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRequest } from '../../../runtime/src/core/http/message';
import { prepareRequest } from '../../../runtime/src/replayer/prepare';
import { RequestDropped } from '../../../runtime/src/replayer/transforms/request';
import { parseTransformerConfig } from '../../../runtime/src/replayer/transforms/transformer-config';

function request(method: string, uri: string, body = '', headers: [string, string][] = []): HttpRequest {
  return { method, uri, httpVersion: 'HTTP/1.1', headers: [['Host', 'source:9200'], ['Content-Type', 'application/json'], ...headers], body: Buffer.from(body) };
}
const target = new URL('http://target:29200');
const prepare = (config: unknown, req: HttpRequest) =>
  prepareRequest(req, { target, auth: { type: 'passthrough' }, transforms: parseTransformerConfig(typeof config === 'string' ? config : JSON.stringify(config)) });

const MAPPINGS = {
  TypeMappingSanitizationTransformerProvider: {
    staticMappings: { activity: { user: 'users', post: 'posts' }, mixed: { a: 'merged', b: 'merged' }, gone: {} },
    regexMappings: [{ sourceIndexPattern: '(time.*)', sourceTypePattern: '(.*)', targetIndexPattern: '$1_$2' }],
    sourceProperties: { version: { major: 6, minor: 8 } },
  },
};

describe('TypeMappingSanitizationTransformerProvider', () => {
  it.each([
    ['PUT', '/activity/user/u1', '/users/_doc/u1'],
    ['POST', '/activity/post/p1/_update?refresh=true', '/posts/_update/p1?refresh=true'],
    ['GET', '/activity/post/p1', '/posts/_doc/p1'],
    ['DELETE', '/activity/user/u1', '/users/_doc/u1'],
    ['GET', '/activity/user/_search', '/users/_search'],
    ['PUT', '/timeline/event/9', '/timeline_event/_doc/9'],
    ['GET', '/_cluster/health', '/_cluster/health'],
  ])('routes %s %s to %s', (method, uri, expected) => {
    expect(prepare(MAPPINGS, request(method, uri, method === 'PUT' ? '{"a":1}' : '')).path).toBe(expected);
  });

  it('does not send what maps to no index: an unmapped type, a dropped index, an index no regex matches', () => {
    for (const uri of ['/activity/comment/1', '/gone/user/1', '/other/doc/1']) {
      expect(() => prepare(MAPPINGS, request('PUT', uri, '{}'))).toThrow(RequestDropped);
    }
  });

  it('routes each _bulk action by its index and type, drops the unmapped ones with their sources, and counts them', () => {
    const bulk = [
      '{"index":{"_index":"activity","_type":"user","_id":"u1"}}', '{"name":"a"}',
      '{"index":{"_index":"activity","_type":"comment","_id":"c1"}}', '{"text":"dropped"}',
      '{"delete":{"_index":"activity","_type":"post","_id":"p1"}}',
      '{"index":{"_type":"post","_id":"p2"}}', '{"content":"x",  "spacing":"kept"}',
      '',
    ].join('\n');
    const out = prepare(MAPPINGS, request('POST', '/activity/_bulk', bulk, [['Content-Type', 'application/x-ndjson']]));
    expect(out.path).toBe('/_bulk');
    expect(out.body.toString().split('\n')).toEqual([
      '{"index":{"_index":"users","_id":"u1"}}', '{"name":"a"}',
      '{"delete":{"_index":"posts","_id":"p1"}}',
      '{"index":{"_id":"p2","_index":"posts"}}', '{"content":"x",  "spacing":"kept"}',
      '',
    ]);
    expect(out.droppedItems).toBe(1);
    expect(() => prepare(MAPPINGS, request('POST', '/_bulk', '{"index":{"_index":"gone","_type":"x","_id":"1"}}\n{}\n'))).toThrow(/every action of this _bulk maps to no index/);
  });

  it('turns a typed create-index into the union of the types that go to one index, and refuses one that would need two', () => {
    const typed = { settings: { number_of_shards: 1 }, mappings: { a: { properties: { x: { type: 'keyword' } } }, b: { properties: { y: { type: 'long' }, x: { type: 'keyword' } } } } };
    const out = prepare(MAPPINGS, request('PUT', '/mixed', JSON.stringify(typed)));
    expect(out.path).toBe('/merged');
    expect(JSON.parse(out.body.toString())).toEqual({ settings: { number_of_shards: 1 }, mappings: { properties: { x: { type: 'keyword' }, y: { type: 'long' } } } });
    const two = { mappings: { user: { properties: {} }, post: { properties: {} } } };
    expect(() => prepare(MAPPINGS, request('PUT', '/activity', JSON.stringify(two)))).toThrow(/would create users, posts from one request/);
    const conflicting = { mappings: { a: { properties: { x: { type: 'keyword' } } }, b: { properties: { x: { type: 'long' } } } } };
    expect(() => prepare(MAPPINGS, request('PUT', '/mixed', JSON.stringify(conflicting)))).toThrow(/field "x" has different definitions/);
  });

  it('reads include_type_name and sourceProperties to know whether a create-index body has types', () => {
    const es7 = { TypeMappingSanitizationTransformerProvider: { ...MAPPINGS.TypeMappingSanitizationTransformerProvider, sourceProperties: { version: { major: 7, minor: 10 } } } };
    // Typeless (ES 7): the index goes where its _doc type goes; here no regex matches "mixed/_doc".
    expect(() => prepare(es7, request('PUT', '/mixed', '{"mappings":{"properties":{"a":{"type":"text"}}}}'))).toThrow(RequestDropped);
    const out = prepare(es7, request('PUT', '/mixed?include_type_name=true', '{"mappings":{"a":{"properties":{"z":{"type":"text"}}}}}'));
    expect(out.path).toBe('/merged');
  });

  it('with no mappings at all behaves as type removal: every type goes to the index of the same name', () => {
    expect(prepare('TypeMappingSanitizationTransformerProvider', request('PUT', '/idx/t/1', '{}')).path).toBe('/idx/_doc/1');
    expect(prepare([{ TypeMappingSanitizationTransformerProvider: {} }], request('POST', '/_bulk', '{"index":{"_index":"i","_type":"t"}}\n{}\n')).body.toString()).toBe('{"index":{"_index":"i"}}\n{}\n');
  });

  it('takes the older list form of regexMappings with \\1 back-references', () => {
    const legacy = { TypeMappingSanitizationTransformerProvider: { regexMappings: [['(logs.*)', '(.*)', '\\1-\\2']] } };
    expect(prepare(legacy, request('PUT', '/logs1/web/1', '{}')).path).toBe('/logs1-web/_doc/1');
  });

  it('honours featureFlags as the reference does: with flags given, only those set true run', () => {
    const flags = { TypeMappingSanitizationTransformerProvider: { ...MAPPINGS.TypeMappingSanitizationTransformerProvider, featureFlags: { rewrite_bulk: true } } };
    expect(prepare(flags, request('PUT', '/activity/user/1', '{}')).path).toBe('/activity/_doc/1');
  });

  it('names an unknown or unsupported option, and a malformed mapping', () => {
    const bad = (o: unknown) => () => parseTransformerConfig(JSON.stringify([{ TypeMappingSanitizationTransformerProvider: o }]));
    expect(bad({ staticMapping: {} })).toThrow(/unknown option "staticMapping" \(known: staticMappings, regexMappings, sourceProperties, featureFlags\)/);
    expect(bad({ jinjavaConfig: {} })).toThrow(/option "jinjavaConfig" is not supported/);
    expect(bad({ staticMappings: { a: { t: 1 } } })).toThrow(/staticMappings\.a\.t must be the name of a target index/);
    expect(bad({ regexMappings: [{ sourceIndexPattern: '(', sourceTypePattern: '.*', targetIndexPattern: 'x' }] })).toThrow(/not a valid regular expression/);
    expect(bad({ sourceProperties: { version: { mayor: 6 } } })).toThrow(/unknown option "mayor"/);
  });
});

describe('JsonJSTransformerProvider', () => {
  const script = `
    function main(bindings) {
      return (msg) => {
        msg.URI = msg.URI.replace(bindings.from, bindings.to);
        msg.headers['x-migrated'] = 'yes';
        if (msg.payload.inlinedJsonBody) msg.payload.inlinedJsonBody.tag = bindings.tag;
        return msg;
      };
    }
    (() => main)()`;
  const config = (extra: Record<string, unknown> = {}) => [{ JsonJSTransformerProvider: { initializationScript: script, bindingsObject: JSON.stringify({ from: 'old', to: 'new', tag: 't1' }), ...extra } }];

  it('gives main() the bindingsObject and runs its function over the reference message', () => {
    const out = prepare(config(), request('PUT', '/old/_doc/1', '{"a":1}'));
    expect(out.path).toBe('/new/_doc/1');
    expect(JSON.parse(out.body.toString())).toEqual({ a: 1, tag: 't1' });
    expect(out.headers).toContainEqual(['x-migrated', 'yes']);
  });

  it('presents _bulk bodies as inlinedJsonSequenceBodies, text as inlinedTextBody, binary as inlinedBase64Body', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jsonjs-'));
    const file = join(dir, 'seen.js');
    writeFileSync(file, `function main() { return (m) => { m.headers['x-kind'] = Object.keys(m.payload).join(',') || 'none'; if (m.payload.inlinedJsonSequenceBodies) m.payload.inlinedJsonSequenceBodies = m.payload.inlinedJsonSequenceBodies.slice(0, 2); return m; }; }\n(() => main)()`);
    const cfg = [{ JsonJSTransformerProvider: { initializationScriptFile: file, bindingsObject: '{}' } }];
    const kind = (req: HttpRequest) => prepare(cfg, req).headers.find(([k]) => k === 'x-kind')?.[1];
    const bulk = prepare(cfg, request('POST', '/_bulk', '{"index":{"_id":"1"}}\n{"a":1}\n{"index":{"_id":"2"}}\n{"a":2}\n'));
    expect(bulk.headers).toContainEqual(['x-kind', 'inlinedJsonSequenceBodies']);
    expect(bulk.body.toString()).toBe('{"index":{"_id":"1"}}\n{"a":1}\n');
    expect(kind(request('POST', '/x', 'not json', [['Content-Type', 'text/plain']]))).toBe('inlinedTextBody');
    expect(kind({ ...request('POST', '/x'), body: Buffer.from([0xff, 0xfe, 0x00]) })).toBe('inlinedBase64Body');
    expect(kind(request('GET', '/'))).toBe('none');
  });

  it('takes scripts written against Java maps (get/set) as the reference runs them', () => {
    const mapStyle = `function main(ctx) { return (doc) => { doc.set('URI', doc.get('URI') + '?from=' + ctx.get('who')); doc.get('payload').get('inlinedJsonBody').set('k', 1); return doc; }; }\n(() => main)()`;
    const out = prepare([{ JsonJSTransformerProvider: { initializationScript: mapStyle, bindingsObject: '{"who":"js"}' } }], request('PUT', '/i/_doc/1', '{"a":1}'));
    expect(out.path).toBe('/i/_doc/1?from=js');
    expect(JSON.parse(out.body.toString())).toEqual({ a: 1, k: 1 });
  });

  it('keeps the body bytes when the script leaves the payload alone', () => {
    const big = '{"id":12345678901234567890}';
    const noop = 'function main() { return (m) => { m.headers.x = "1"; return m; }; }\n(() => main)()';
    expect(prepare([{ JsonJSTransformerProvider: { initializationScript: noop, bindingsObject: '{}' } }], request('PUT', '/i/_doc/1', big)).body.toString()).toBe(big);
  });

  it('refuses what the reference refuses, and unknown options', () => {
    const make = (o: unknown) => () => parseTransformerConfig(JSON.stringify([{ JsonJSTransformerProvider: o }]));
    expect(make({ initializationScript: script, initializationScriptFile: '/x.js', bindingsObject: '{}' })).toThrow(/not both/);
    expect(make({ bindingsObject: '{}' })).toThrow(/give "initializationScriptFile"/);
    expect(make({ initializationScript: script, bindingsObject: '{nope' })).toThrow(/"bindingsObject" is not valid JSON/);
    expect(make({ initializationScript: '(() => 42)()', bindingsObject: '{}' })).toThrow(/must end with an expression that is its main function/);
    expect(make({ initializationScript: script, bindingsObject: '{}', invocationScript: 'x' })).toThrow(/unknown option "invocationScript"/);
    expect(() => parseTransformerConfig('[{"JsonJoltTransformerProvider":{}}]')).toThrow(/runs Jolt specs, which this replayer does not run/);
  });
});

describe('--transformer-config forms of the reference', () => {
  it('takes a bare transformer name and an object of names', () => {
    expect(parseTransformerConfig('TypeRemoval')).toHaveLength(1);
    expect(parseTransformerConfig('{"TypeRemoval": {}, "IndexRename": {"rules": [{"from": "a", "to": "b"}]}}')).toHaveLength(2);
    expect(() => parseTransformerConfig('NoSuchTransformer')).toThrow(/unknown transformer "NoSuchTransformer"/);
  });
});
