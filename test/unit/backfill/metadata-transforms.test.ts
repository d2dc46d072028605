import { groupOf, metadataDifferences } from '../../../runtime/src/backfill/compare';
import { dropSetting, rejectedSetting, transformComposableTemplate, transformIndex, transformLegacyTemplate, transformMappings, transformSettings } from '../../../runtime/src/backfill/metadata-transforms';

describe('mappings from Elasticsearch 6/7 to OpenSearch', () => {
  it('unwraps a single mapping type and removes _all', () => {
    const { body, notes } = transformMappings({ product: { _all: { enabled: true }, properties: { name: { type: 'text', include_in_all: true } } } });
    expect(body).toEqual({ properties: { name: { type: 'text' } } });
    expect(notes).toEqual(expect.arrayContaining(['removed mapping type product', 'removed _all']));
  });

  it('merges several types into one mapping', () => {
    const { body } = transformMappings({ a: { properties: { x: { type: 'keyword' } } }, b: { dynamic: 'strict', properties: { y: { type: 'long' }, x: { type: 'keyword' } } } });
    expect(body).toEqual({ dynamic: 'strict', properties: { x: { type: 'keyword' }, y: { type: 'long' } } });
  });

  it('leaves typeless mappings as they are', () => {
    const m = { dynamic: false, properties: { a: { type: 'keyword' } } };
    expect(transformMappings(m).body).toEqual(m);
    expect(transformMappings({}).body).toEqual({});
  });

  it('turns string into text or keyword and flattened into flat_object, in nested objects and multi-fields too', () => {
    const { body } = transformMappings({
      properties: {
        title: { type: 'string', fields: { raw: { type: 'string', index: 'not_analyzed' } } },
        meta: { properties: { tags: { type: 'flattened', depth_limit: 5 } } },
        blob: { type: 'string', index: 'no' },
      },
    });
    expect(body.properties).toEqual({
      title: { type: 'text', fields: { raw: { type: 'keyword' } } },
      meta: { properties: { tags: { type: 'flat_object' } } },
      blob: { type: 'text', index: false },
    });
  });
});

describe('settings', () => {
  it('strips the settings that belong to one index instance, keeps the rest', () => {
    const { body, notes } = transformSettings({
      index: { creation_date: '1', uuid: 'u', provided_name: 'x', version: { created: '7100299', upgraded: '1' }, history: { uuid: 'h' }, number_of_shards: '3', routing: { allocation: { include: { _tier: 'hot' } } }, blocks: { write: 'true' }, resize: { source: { name: 'a' } }, refresh_interval: '5s' },
    });
    expect(body).toEqual({ 'index.number_of_shards': '3', 'index.refresh_interval': '5s' });
    expect(notes).toEqual(expect.arrayContaining(['removed setting index.routing.allocation.include._tier', 'removed setting index.blocks.write']));
  });

  it('renames analysis types that OpenSearch knows by another name', () => {
    const { body } = transformSettings({ index: { analysis: { filter: { g: { type: 'nGram', min_gram: 2 } }, tokenizer: { e: { type: 'edgeNGram' } } } } });
    expect(body['index.analysis.filter.g.type']).toBe('ngram');
    expect(body['index.analysis.tokenizer.e.type']).toBe('edge_ngram');
    expect(body['index.analysis.filter.g.min_gram']).toBe(2);
  });

  it('finds the setting a rejection names and drops it', () => {
    expect(rejectedSetting('{"error":{"type":"illegal_argument_exception","reason":"unknown setting [index.foo.bar] please check that any required plugins are installed"}}')).toBe('index.foo.bar');
    expect(rejectedSetting('{"error":{"reason":"mapper_parsing_exception"}}')).toBeUndefined();
    const flat = { 'index.foo.bar': 1, 'index.foo.bar.baz': 2, 'index.number_of_shards': 1 };
    expect(dropSetting(flat, 'foo.bar')).toBe(true);
    expect(flat).toEqual({ 'index.number_of_shards': 1 });
    expect(dropSetting(flat, 'index.nothing')).toBe(false);
  });
});

describe('templates and indices', () => {
  it('transforms a legacy template, keeping order and patterns', () => {
    const { body } = transformLegacyTemplate({ order: 3, index_patterns: ['logs-*'], settings: { index: { number_of_shards: '2' } }, mappings: { _doc: { properties: { m: { type: 'string' } } } }, aliases: { all: {} } });
    expect(body).toEqual({ order: 3, index_patterns: ['logs-*'], settings: { index: { number_of_shards: '2' } }, mappings: { properties: { m: { type: 'text' } } }, aliases: { all: {} } });
  });

  it('transforms the template part of composable templates only', () => {
    const { body } = transformComposableTemplate({ index_patterns: ['m-*'], priority: 7, composed_of: ['c1'], template: { settings: { index: { lifecycle: { name: 'p' }, number_of_shards: 1 } } } });
    expect(body).toEqual({ index_patterns: ['m-*'], priority: 7, composed_of: ['c1'], template: { settings: { index: { number_of_shards: 1 } } } });
  });

  it('builds the index body with aliases', () => {
    const { body } = transformIndex({ settings: { index: { uuid: 'x', number_of_shards: '1' } }, mappings: { properties: {} }, aliases: { a: { filter: { term: { x: 1 } } } } });
    expect(body).toEqual({ settings: { 'index.number_of_shards': '1' }, mappings: { properties: {} }, aliases: { a: { filter: { term: { x: 1 } } } } });
  });
});

describe('compare', () => {
  const source = { settings: { index: { number_of_shards: '2', uuid: 'a', number_of_replicas: '1' } }, mappings: { properties: { a: { type: 'keyword' } } }, aliases: { al: {} } };

  it('finds no difference between a source index and its migrated copy', () => {
    const target = { settings: { index: { number_of_shards: '2', uuid: 'b', number_of_replicas: '0', provided_name: 'x' } }, mappings: { properties: { a: { type: 'keyword' } } }, aliases: { al: {} } };
    expect(metadataDifferences(source, target)).toEqual([]);
  });

  it('names setting, mapping and alias differences', () => {
    const target = { settings: { index: { number_of_shards: '5' } }, mappings: { properties: { a: { type: 'text' } } }, aliases: {} };
    expect(metadataDifferences(source, target)).toEqual(['setting index.number_of_shards: source "2", target "5"', 'mappings differ', 'aliases: source [al], target []']);
  });

  it('groups indices', () => {
    expect(groupOf([], 10, null)).toBe('to create');
    expect(groupOf([], 10, 10)).toBe('identical');
    expect(groupOf([], 10, 0)).toBe('identical but empty on target');
    expect(groupOf(['mappings differ'], 10, 10)).toBe('conflicting');
  });
});
