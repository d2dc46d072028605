import { classify, endpointOf } from '../../../../runtime/src/console/report/classify';
import { Comparator, Verdict } from '../../../../runtime/src/console/report/compare';
import { toExchange } from '../../../../runtime/src/console/report/exchange';
import { compileRule, DEFAULT_NOISE_RULES, NoiseRule } from '../../../../runtime/src/console/report/noise-rules';
import { hit, searchAnswer, tuple, TupleSpec } from './fixtures';

function verdict(spec: TupleSpec | Record<string, unknown>, rules: NoiseRule[] = []): Verdict {
  const t = 'uri' in spec && typeof spec.uri === 'string' ? tuple(spec as TupleSpec) : spec;
  const ex = toExchange(t, 0)!;
  const comparator = new Comparator({ rules: [...DEFAULT_NOISE_RULES, ...rules].map((r, i) => compileRule(r, `rule ${i}`)) });
  return comparator.compare(ex, classify(ex.method, ex.path));
}

const paths = (v: Verdict) => v.differences.map((d) => d.path);

describe('classes and endpoints', () => {
  it.each([
    ['GET', '/shop/_search', 'search'],
    ['POST', '/shop,logs/_msearch', 'search'],
    ['POST', '/_search/scroll', 'scroll'],
    ['DELETE', '/_search/scroll/abc', 'scroll'],
    ['GET', '/shop/_count', 'count'],
    ['GET', '/shop/_doc/1', 'get'],
    ['POST', '/_mget', 'get'],
    ['GET', '/shop/product/1', 'get'],
    ['PUT', '/shop/_doc/1', 'write'],
    ['POST', '/shop/_doc', 'write'],
    ['POST', '/shop/_update/1', 'write'],
    ['PUT', '/shop/product/1', 'write'],
    ['POST', '/shop/product/1/_update', 'write'],
    ['DELETE', '/shop/_doc/1', 'write'],
    ['POST', '/_bulk', 'bulk'],
    ['POST', '/shop/_bulk', 'bulk'],
    ['GET', '/_cat/indices', 'admin'],
    ['GET', '/_cluster/health', 'admin'],
    ['GET', '/', 'admin'],
    ['PUT', '/shop', 'admin'],
    ['POST', '/shop/_refresh', 'admin'],
    ['POST', '/shop/_delete_by_query', 'other'],
  ])('%s %s is %s', (method, path, cls) => {
    expect(classify(method, path)).toBe(cls);
  });

  it('name endpoints without document and scroll ids', () => {
    expect(endpointOf('PUT', '/shop/_doc/abc')).toBe('PUT /shop/_doc/{id}');
    expect(endpointOf('GET', '/shop/product/7')).toBe('GET /shop/product/{id}');
    expect(endpointOf('DELETE', '/_search/scroll/DXF1ZXJ5')).toBe('DELETE /_search/scroll/{scroll_id}');
    expect(endpointOf('POST', '/shop/_search')).toBe('POST /shop/_search');
  });
});

describe('search answers', () => {
  const uri = '/shop/_search';

  it('are the same when only timings, shards, scores and types differ', () => {
    const v = verdict({ uri, source: { status: 200, body: searchAnswer([hit('a', 2), hit('b', 1)]) }, target: { status: 200, body: { ...searchAnswer([{ ...hit('a', 2.1), _type: undefined }, hit('b', 0.9)]), took: 99 } } });
    expect(v).toEqual({ verdict: 'same', differences: [] });
  });

  it('compare relevance-ordered hits as a set of ids, and name the ids that differ', () => {
    const swapped = verdict({ uri, source: { status: 200, body: searchAnswer([hit('a', 2), hit('b', 1)]) }, target: { status: 200, body: searchAnswer([hit('b', 2), hit('a', 1)]) } });
    expect(swapped.verdict).toBe('same');
    const other = verdict({ uri, source: { status: 200, body: searchAnswer([hit('a', 2), hit('b', 1)]) }, target: { status: 200, body: searchAnswer([hit('a', 2), hit('c', 1)]) } });
    expect(other.verdict).toBe('different');
    expect(other.differences).toEqual([{ path: 'hits.hits[]._id', shape: 'hits.hits[]._id', source: 'only here: ["b"]', target: 'only here: ["c"]' }]);
  });

  it('check the order where the sort fixes it, ties in the sort values as a set', () => {
    const request = { sort: [{ price: 'asc' }] };
    const s = searchAnswer([hit('a', null, {}, [1]), hit('b', null, {}, [2]), hit('c', null, {}, [2])]);
    const tiesSwapped = searchAnswer([hit('a', null, {}, [1]), hit('c', null, {}, [2]), hit('b', null, {}, [2])]);
    expect(verdict({ uri, method: 'POST', request, source: { status: 200, body: s }, target: { status: 200, body: tiesSwapped } }).verdict).toBe('same');
    const reordered = searchAnswer([hit('b', null, {}, [2]), hit('a', null, {}, [1]), hit('c', null, {}, [2])]);
    const v = verdict({ uri, method: 'POST', request, source: { status: 200, body: s }, target: { status: 200, body: reordered } });
    expect(v.verdict).toBe('different');
    expect(v.differences[0].source).toMatch(/^order/);
    // The same order change under a relevance sort is no difference.
    expect(verdict({ uri, method: 'POST', request: { sort: ['_score'] }, source: { status: 200, body: s }, target: { status: 200, body: reordered } }).verdict).toBe('same');
  });

  it('compare a cut-off list without its last tie group, which each cluster fills as it likes', () => {
    const total = { value: 10, relation: 'eq' };
    const s = searchAnswer([hit('a', 3), hit('b', 1), hit('c', 1)], {}, total);
    const t = searchAnswer([hit('a', 3), hit('b', 1), hit('z', 1)], {}, total);
    expect(verdict({ uri, source: { status: 200, body: s }, target: { status: 200, body: t } }).verdict).toBe('same');
    const u = searchAnswer([hit('y', 3), hit('b', 1), hit('c', 1)], {}, total);
    expect(paths(verdict({ uri, source: { status: 200, body: s }, target: { status: 200, body: u } }))).toEqual(['hits.hits[]._id']);
  });

  it('normalise hits.total (a number, or ES 7 {value, relation})', () => {
    expect(verdict({ uri, source: { status: 200, body: searchAnswer([], {}, 0) }, target: { status: 200, body: searchAnswer([], {}, { value: 0, relation: 'eq' }) } }).verdict).toBe('same');
    const v = verdict({ uri, source: { status: 200, body: searchAnswer([], {}, { value: 10000, relation: 'gte' }) }, target: { status: 200, body: searchAnswer([], {}, { value: 10000, relation: 'eq' }) } });
    expect(paths(v)).toEqual(['hits.total']);
  });

  it('compare aggregations bucket by bucket, floats within a relative tolerance', () => {
    const aggs = (b: unknown[], avg: number) => searchAnswer([], { aggregations: { tags: { doc_count_error_upper_bound: 0, sum_other_doc_count: 0, buckets: b }, avg_price: { value: avg } } });
    const s = aggs([{ key: 't1', doc_count: 5 }, { key: 't2', doc_count: 3 }], 10.25);
    const reordered = aggs([{ key: 't2', doc_count: 3 }, { key: 't1', doc_count: 5 }], 10.250000001);
    expect(verdict({ uri, source: { status: 200, body: s }, target: { status: 200, body: reordered } }).verdict).toBe('same');
    const off = aggs([{ key: 't1', doc_count: 4 }, { key: 't3', doc_count: 3 }], 11);
    expect(paths(verdict({ uri, source: { status: 200, body: s }, target: { status: 200, body: off } }))).toEqual([
      'aggregations.tags.buckets[key=t1].doc_count',
      'aggregations.tags.buckets[key=t2]',
      'aggregations.tags.buckets[key=t3]',
      'aggregations.avg_price.value',
    ]);
  });

  it('compare the hits both returned field by field', () => {
    const v = verdict({ uri, source: { status: 200, body: searchAnswer([hit('a', 1, { title: 'x' })]) }, target: { status: 200, body: searchAnswer([hit('a', 1, { title: 'y' })]) } });
    expect(v.differences).toEqual([{ path: 'hits.hits[0]._source.title', shape: 'hits.hits[]._source.title', source: '"x"', target: '"y"' }]);
  });

  it('compare each answer of an _msearch against its own request', () => {
    const lines = [{ index: 'shop' }, { query: { match_all: {} } }, { index: 'shop' }, { sort: ['n'] }];
    const s = { took: 1, responses: [searchAnswer([hit('a', 1)]), searchAnswer([hit('a', null, {}, [1]), hit('b', null, {}, [2])])] };
    const t = { took: 2, responses: [searchAnswer([hit('a', 1)]), searchAnswer([hit('b', null, {}, [2]), hit('a', null, {}, [1])])] };
    const v = verdict({ method: 'POST', uri: '/_msearch', lines, source: { status: 200, body: s }, target: { status: 200, body: t } });
    expect(paths(v)).toEqual(['responses[1].hits.hits[]._id']);
  });

  it('take a user rule for a field that differs by design', () => {
    const s = searchAnswer([hit('a', 1, { seen_at: 1 })]);
    const t = searchAnswer([hit('a', 1, { seen_at: 2 })]);
    expect(verdict({ uri, source: { status: 200, body: s }, target: { status: 200, body: t } }).verdict).toBe('different');
    expect(verdict({ uri, source: { status: 200, body: s }, target: { status: 200, body: t } }, [{ name: 'mine', path: '/shop/_search', ignore: ['hits.hits[]._source.seen_at'] }]).verdict).toBe('same');
  });
});

describe('writes', () => {
  it('count 201 created against 200 updated as the backfill having been first', () => {
    const v = verdict({ method: 'PUT', uri: '/shop/_doc/1', source: { status: 201, body: { result: 'created', _version: 1 } }, target: { status: 200, body: { result: 'updated', _version: 2 } } });
    expect(v).toMatchObject({ verdict: 'expected', reason: 'alreadyPresent' });
  });

  it('count 200 updated against 201 created as the target not holding the document yet', () => {
    const v = verdict({ method: 'PUT', uri: '/shop/_doc/1', source: { status: 200, body: { result: 'updated', _version: 2 } }, target: { status: 201, body: { result: 'created', _version: 2 } } });
    expect(v).toMatchObject({ verdict: 'expected', reason: 'notYetCopied' });
  });

  it("take the replayer's outcome as the reason", () => {
    const v = verdict({ method: 'PUT', uri: '/shop/_doc/1', source: { status: 200, body: { result: 'updated' } }, target: { status: 409, body: { error: { type: 'version_conflict_engine_exception' } } }, extra: { outcome: 'superseded', outcomeDetail: 'target has version 7' } });
    expect(v).toEqual({ verdict: 'expected', reason: 'superseded', detail: 'target has version 7', differences: [] });
  });

  it('compare _version only where the replay carried the source version', () => {
    const spec = { method: 'PUT', uri: '/shop/_doc/1', source: { status: 200, body: { result: 'updated', _version: 3 } }, target: { status: 200, body: { result: 'updated', _version: 5 } } };
    expect(verdict(spec).verdict).toBe('same');
    expect(paths(verdict({ ...spec, extra: { outcome: 'replayed' } }))).toEqual(['_version']);
  });

  it('name a status that differs, with what the target said', () => {
    const v = verdict({ method: 'PUT', uri: '/shop/_doc/1', request: { n: 'x' }, source: { status: 201, body: { result: 'created' } }, target: { status: 400, body: { error: { type: 'mapper_parsing_exception', reason: 'failed to parse field [n]' } } } });
    expect(v.verdict).toBe('different');
    expect(v.differences).toEqual([{ path: '(status)', shape: '(status)', source: '201', target: '400' }]);
    expect(v.detail).toBe('the target said mapper_parsing_exception: failed to parse field [n]');
  });

  it('call a request the target never answered different', () => {
    const v = verdict({ method: 'PUT', uri: '/shop/_doc/1', target: null, error: 'ECONNREFUSED' });
    expect(v).toMatchObject({ verdict: 'different', detail: 'no answer from the target: ECONNREFUSED' });
  });
});

describe('_bulk answers', () => {
  const lines = [{ index: { _index: 'shop', _id: '1' } }, { n: 1 }, { index: { _index: 'shop', _id: '2' } }, { n: 2 }, { delete: { _index: 'shop', _id: '3' } }];
  const items = (...statuses: [string, number, string?][]) => ({ took: 3, errors: statuses.some(([, s]) => s >= 400), items: statuses.map(([a, status, type]) => ({ [a]: { _index: 'shop', _type: '_doc', status, ...(type ? { error: { type, reason: 'r' } } : {}) } })) });

  it('compare item by item: status and error type', () => {
    const s = items(['index', 201], ['index', 400, 'mapper_parsing_exception'], ['delete', 200]);
    expect(verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: items(['index', 201], ['index', 400, 'mapper_parsing_exception'], ['delete', 200]) } }).verdict).toBe('same');
    const v = verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: items(['index', 201], ['index', 201], ['delete', 200]) } });
    expect(v.differences).toEqual([{ path: 'items[1].index.status', shape: 'items[].index.status', source: '400', target: '201' }]);
  });

  it('count items the backfill wrote first as expected', () => {
    const v = verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: items(['index', 201], ['index', 201], ['delete', 200]) }, target: { status: 200, body: items(['index', 200], ['index', 201], ['delete', 404]) } });
    expect(v).toMatchObject({ verdict: 'expected', reason: 'alreadyPresent', detail: '1 item alreadyPresent, 1 item alreadyAbsent' });
  });

  it("follow the replayer's per-item outcomes: refused items were not sent", () => {
    const bulkItems = [
      { outcome: 'replayed', sourceStatus: 201, targetStatus: 201 },
      { outcome: 'sourceRefused', sourceStatus: 400, targetStatus: null },
      { outcome: 'superseded', sourceStatus: 200, targetStatus: 409 },
    ];
    const s = items(['index', 201], ['index', 400, 'mapper_parsing_exception'], ['delete', 200]);
    const t = items(['index', 201], ['delete', 409, 'version_conflict_engine_exception']);
    const v = verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: t }, extra: { bulkItems } });
    expect(v).toMatchObject({ verdict: 'expected', detail: '1 item sourceRefused, 1 item superseded' });
    const wrong = [{ outcome: 'replayed', sourceStatus: 201, targetStatus: 400 }, ...bulkItems.slice(1)];
    expect(paths(verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: t }, extra: { bulkItems: wrong } }))).toEqual(['items[0].index.status']);
  });

  it("judge every item even when the request's outcome names one that is expected", () => {
    // The replayer names a _bulk by its most notable item (here superseded): the 400 beside it still counts.
    const bulkItems = [
      { outcome: 'replayed', sourceStatus: 201, targetStatus: 400 },
      { outcome: 'replayed', sourceStatus: 201, targetStatus: 201 },
      { outcome: 'superseded', sourceStatus: 200, targetStatus: 409 },
    ];
    const s = { took: 1, errors: false, items: [{ index: { _index: 'shop', _id: 'auto-1', status: 201 } }, { index: { _index: 'shop', _id: '2', status: 201 } }, { delete: { _index: 'shop', _id: '3', status: 200 } }] };
    const t = items(['index', 400, 'mapper_parsing_exception'], ['index', 201], ['delete', 409, 'version_conflict_engine_exception']);
    const v = verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: t }, extra: { outcome: 'superseded', outcomeDetail: 'x', bulkItems } });
    expect(v.verdict).toBe('different');
    expect(v.differences).toEqual([{ path: 'items[0].index.status', shape: 'items[].index.status', source: '201', target: '400' }]);
    expect(v.detail).toBe('item 0 (index shop/auto-1): status 201 on the source, 400 on the target; 1 item superseded');
    // The same _bulk with the item right: expected, for the item that was.
    const fine = [{ ...bulkItems[0], targetStatus: 201 }, ...bulkItems.slice(1)];
    const t2 = items(['index', 201], ['index', 201], ['delete', 409, 'version_conflict_engine_exception']);
    expect(verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: t2 }, extra: { outcome: 'superseded', bulkItems: fine } })).toMatchObject({ verdict: 'expected', reason: 'superseded', detail: '1 item superseded' });
  });

  it('explain 201 vs 200 either way round, and a delete of what the target never had, item by item', () => {
    const bulkItems = [
      { outcome: 'alreadyPresent', sourceStatus: 201, targetStatus: 200 },
      { outcome: 'replayed', sourceStatus: 200, targetStatus: 201 },
      { outcome: 'replayed', sourceStatus: 200, targetStatus: 404 },
    ];
    const s = items(['index', 201], ['index', 200], ['delete', 200]);
    const t = items(['index', 200], ['index', 201], ['delete', 404]);
    const v = verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: t }, extra: { outcome: 'alreadyPresent', bulkItems } });
    expect(v).toMatchObject({ verdict: 'expected', detail: '1 item alreadyPresent, 1 item notYetCopied, 1 item alreadyAbsent' });
    // Without the replayer's outcomes, from the answers alone.
    expect(verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: s }, target: { status: 200, body: t } })).toMatchObject({ verdict: 'expected', detail: '1 item alreadyPresent, 1 item notYetCopied, 1 item alreadyAbsent' });
    // A delete the target answers 200 to what the source did not find is not one of those.
    const odd = verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 200, body: items(['index', 201], ['index', 201], ['delete', 404]) }, target: { status: 200, body: items(['index', 201], ['index', 201], ['delete', 200]) } });
    expect(paths(odd)).toEqual(['items[2].delete.status']);
    expect(odd.detail).toBe('item 2 (delete shop/?): status 404 on the source, 200 on the target');
  });

  it('keep a _bulk the source refused whole, and so never sent, expected', () => {
    const v = verdict({ method: 'POST', uri: '/_bulk', lines, source: { status: 400, body: { error: { type: 'parse_exception' } } }, target: null, extra: { outcome: 'sourceRefused', outcomeDetail: 'source answered 400 (parse_exception)', bulkItems: [] } });
    expect(v).toMatchObject({ verdict: 'expected', reason: 'sourceRefused' });
  });
});

describe('other answers', () => {
  it("expect the target to refuse the source's scroll ids", () => {
    const v = verdict({ method: 'POST', uri: '/_search/scroll', request: { scroll: '1m', scroll_id: 'DXF1' }, source: { status: 200, body: searchAnswer([hit('a', 1)]) }, target: { status: 404, body: { error: { type: 'search_context_missing_exception' } } } });
    expect(v).toMatchObject({ verdict: 'expected', reason: 'foreignScroll' });
  });

  it('compare errors by their type, not their wording', () => {
    const s = { error: { root_cause: [], type: 'index_not_found_exception', reason: 'no such index [x]', index_uuid: '_na_' }, status: 404 };
    const t = { error: { type: 'index_not_found_exception', reason: 'no such index [x] (OpenSearch)' }, status: 404 };
    expect(verdict({ uri: '/x/_search', source: { status: 404, body: s }, target: { status: 404, body: t } }).verdict).toBe('same');
  });

  it('leave what describes the cluster itself out: _cat, node info, health counts', () => {
    expect(verdict({ uri: '/_cat/indices', source: { status: 200, body: 'green open shop 1 0 10' }, target: { status: 200, body: 'green open shop 1 0 10\ngreen open .kibana 1 0 1' } }).verdict).toBe('same');
    expect(verdict({ uri: '/', source: { status: 200, body: { name: 'n1', version: { number: '7.10.2' } } }, target: { status: 200, body: { name: 'os', version: { distribution: 'opensearch' } } } }).verdict).toBe('same');
    const health = (status: string, shards: number) => ({ cluster_name: 'c', status, number_of_nodes: 1, active_shards: shards, active_shards_percent_as_number: 100 });
    expect(verdict({ uri: '/_cluster/health', source: { status: 200, body: health('green', 3) }, target: { status: 200, body: health('green', 9) } }).verdict).toBe('same');
    expect(paths(verdict({ uri: '/_cluster/health', source: { status: 200, body: health('green', 3) }, target: { status: 200, body: health('yellow', 3) } }))).toEqual(['status']);
  });

  it('expect an index that already exists on the target', () => {
    const v = verdict({ method: 'PUT', uri: '/shop', source: { status: 200, body: { acknowledged: true } }, target: { status: 400, body: { error: { type: 'resource_already_exists_exception' } } } });
    expect(v).toMatchObject({ verdict: 'expected', reason: 'indexExists' });
  });

  it('expect nothing to compare where the capture holds no source answer', () => {
    expect(verdict({ uri: '/shop/_search', source: null })).toMatchObject({ verdict: 'expected', reason: 'noSourceResponse' });
  });
});
