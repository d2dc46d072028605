import { canonicalJson, parseSearchResponse } from '../../../runtime/src/backfill/json-raw';
import { skipValue } from '../../../runtime/src/core/json-scan';

describe('search responses read without JSON.parse on documents', () => {
  const response = `{"took":3,"timed_out":false,"_shards":{"total":1},"hits":{"total":{"value":2},"max_score":null,"hits":[
    {"_index":"a","_type":"_doc","_id":"x\\"1","_score":null,"_routing":"r1","_source":{"big":1234567890123456789,"f":1.50,"s":"_source\\": {","nested":{"a":[1,{"b":"}"}]}},"sort":["x\\"1"]},
    {"_index":"a","_type":"_doc","_id":"2","_score":null,"_source" : { "k" : "é" },"sort":["2"]}]}}`;

  it('keeps each _source byte for byte, so 64-bit integers and float digits are not rounded', () => {
    const { hits } = parseSearchResponse(response);
    expect(hits).toHaveLength(2);
    expect(hits[0]).toEqual({ id: 'x"1', routing: 'r1', source: '{"big":1234567890123456789,"f":1.50,"s":"_source\\": {","nested":{"a":[1,{"b":"}"}]}}' });
    expect(hits[1]).toEqual({ id: '2', source: '{ "k" : "é" }' });
    expect(hits[0].routing).toBe('r1');
  });

  it('takes a numeric sort value as the hit\'s _seq_no', () => {
    const { hits } = parseSearchResponse('{"hits":{"hits":[{"_id":"a","_source":{},"sort":[42]},{"_id":"b","_source":{},"sort":[9007199254740991]}]}}');
    expect(hits.map((h) => h.seqNo)).toEqual([42, 9007199254740991]);
  });

  it('takes the hit\'s _version when the search asked for it', () => {
    expect(parseSearchResponse('{"hits":{"hits":[{"_id":"a","_version":12,"_seq_no":3,"_source":{}}]}}').hits[0]).toEqual({ id: 'a', version: 12, source: '{}' });
  });

  it('reads the scroll id and an empty page', () => {
    expect(parseSearchResponse('{"_scroll_id":"abc","hits":{"hits":[]}}')).toEqual({ hits: [], scrollId: 'abc' });
  });

  it('skips values of every kind, including strings ending in escaped backslashes', () => {
    const text = '["a\\\\", {"b": [true, null]}, -1.5e3]';
    expect(skipValue(text, 0)).toBe(text.length);
    expect(skipValue(' 42,', 0)).toBe(3);
  });

  it('rejects truncated input instead of inventing documents', () => {
    expect(() => parseSearchResponse('{"hits":{"hits":[{"_id":"1","_source":{"a":1}')).toThrow(SyntaxError);
  });
});

describe('canonical JSON for content hashes', () => {
  it('ignores key order, whitespace and string escapes', () => {
    expect(canonicalJson('{"b": [1, {"y":2,"x":1}], "a": "\\u00e9"}')).toBe(canonicalJson('{"a":"é","b":[1,{"x":1,"y":2}]}'));
  });

  it('tells apart numbers that JSON.parse would round to the same value', () => {
    expect(canonicalJson('{"n":1234567890123456789}')).not.toBe(canonicalJson('{"n":1234567890123456788}'));
  });

  it('keeps array order', () => {
    expect(canonicalJson('[1,2]')).not.toBe(canonicalJson('[2,1]'));
  });
});
