import { bulkEntry, chunkByBytes, classifyItem } from '../../../runtime/src/backfill/bulk-writer';

describe('_bulk entries', () => {
  it('keeps _id and routing and the source as it was', () => {
    expect(bulkEntry('idx', { id: 'a"b', routing: 'u1', source: '{"n":1234567890123456789}' })).toBe('{"index":{"_index":"idx","_id":"a\\"b","routing":"u1"}}\n{"n":1234567890123456789}\n');
    expect(bulkEntry('idx', { id: '1', source: '{}' })).toBe('{"index":{"_index":"idx","_id":"1"}}\n{}\n');
  });

  it('writes the source\'s _version as an external_gte version', () => {
    expect(bulkEntry('idx', { id: '1', source: '{}', version: 7, routing: 'r' })).toBe('{"index":{"_index":"idx","_id":"1","routing":"r","version":7,"version_type":"external_gte"}}\n{}\n');
    expect(bulkEntry('idx', { id: '1', source: '{}', version: Number.NaN })).toBe('{"index":{"_index":"idx","_id":"1"}}\n{}\n');
  });

  it('puts a pretty-printed source on one line, since _bulk is one document per line', () => {
    const entry = bulkEntry('idx', { id: '1', source: '{\n  "a": "x\\ny"\r\n}' });
    expect(entry.split('\n')).toHaveLength(3);
    expect(JSON.parse(entry.split('\n')[1])).toEqual({ a: 'x\ny' });
  });
});

describe('requests sized by bytes', () => {
  const size = (s: string) => s.length;

  it('fills each request up to the limit, in order', () => {
    expect(chunkByBytes(['aaaa', 'bbbb', 'cc', 'dddd'], size, 10)).toEqual([['aaaa', 'bbbb', 'cc'], ['dddd']]);
  });

  it('sends a document larger than the limit on its own rather than dropping it', () => {
    expect(chunkByBytes(['a', 'x'.repeat(50), 'b'], size, 10)).toEqual([['a'], ['x'.repeat(50)], ['b']]);
  });

  it('makes no empty request', () => {
    expect(chunkByBytes([], size, 10)).toEqual([]);
  });
});

describe('item results', () => {
  it('retries overload and server errors only', () => {
    expect(classifyItem(201)).toBe('ok');
    expect(classifyItem(429, 'es_rejected_execution_exception')).toBe('retry');
    expect(classifyItem(400, 'es_rejected_execution_exception')).toBe('retry');
    expect(classifyItem(503, 'unavailable_shards_exception')).toBe('retry');
    expect(classifyItem(400, 'mapper_parsing_exception')).toBe('fail');
    expect(classifyItem(400, 'illegal_argument_exception')).toBe('fail');
    // The target already holds this version or a newer one: done.
    expect(classifyItem(409, 'version_conflict_engine_exception')).toBe('ok');
    expect(classifyItem(409, 'other')).toBe('fail');
  });
});
