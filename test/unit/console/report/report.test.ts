import { BaselineLearner, isIdempotentRead, isLearned, Resend } from '../../../../runtime/src/console/report/baseline';
import { classify, endpointOf } from '../../../../runtime/src/console/report/classify';
import { toExchange } from '../../../../runtime/src/console/report/exchange';
import { renderHtml } from '../../../../runtime/src/console/report/render-html';
import { renderText } from '../../../../runtime/src/console/report/render-text';
import { ReportBuilder, TuplesReport } from '../../../../runtime/src/console/report/report';
import { hit, searchAnswer, tuple } from './fixtures';

function mix() {
  return [
    tuple({ uri: '/shop/_search', timestamp: '2026-12-01T10:00:00.000Z', source: { status: 200, body: searchAnswer([hit('a', 1)]), ms: 4 }, target: { status: 200, body: searchAnswer([hit('a', 1)]), ms: 6 } }),
    tuple({ uri: '/shop/_search', timestamp: '2026-12-01T10:00:01.000Z', source: { status: 200, body: searchAnswer([hit('a', 1)]), ms: 4 }, target: { status: 200, body: searchAnswer([hit('b', 1)]), ms: 30 } }),
    tuple({ method: 'PUT', uri: '/shop/_doc/1', timestamp: '2026-12-01T10:00:02.000Z', source: { status: 201, body: { result: 'created' } }, target: { status: 200, body: { result: 'updated' } } }),
    tuple({ method: 'GET', uri: '/shop/_doc/2', timestamp: '2026-12-01T10:00:03.000Z', source: { status: 200, body: { found: true } }, target: { status: 404, body: { found: false } } }),
    tuple({ uri: '/_cat/indices', timestamp: '2026-12-01T10:00:04.000Z', source: { status: 200, body: 'a' }, target: { status: 200, body: 'b' } }),
  ];
}

function report(tuples: unknown[], learned?: Map<string, Set<string>>, hold = false): TuplesReport {
  const b = new ReportBuilder();
  for (const t of tuples) b.addTuple(t, hold);
  return b.finish('test', learned);
}

describe('the report', () => {
  it('counts verdicts by class and names the endpoints that differ with one example', () => {
    const r = report([...mix(), { not: 'a tuple' }]);
    expect(r.tuples).toBe(5);
    expect(r.skipped).toBe(1);
    expect(r.totals).toEqual({ same: 2, expected: 1, different: 2 });
    expect(r.byClass).toEqual([
      { class: 'search', label: 'search', total: 2, same: 1, expected: 0, different: 1 },
      { class: 'get', label: 'get/mget', total: 1, same: 0, expected: 0, different: 1 },
      { class: 'write', label: 'single-document write', total: 1, same: 0, expected: 1, different: 0 },
      { class: 'admin', label: 'cat/cluster/admin', total: 1, same: 1, expected: 0, different: 0 },
    ]);
    expect(r.expectedReasons).toEqual([{ reason: 'alreadyPresent', text: expect.any(String), count: 1 }]);
    expect(r.topDifferent.map((e) => [e.endpoint, e.count, e.paths.map((p) => p.path)])).toEqual([
      ['GET /shop/_doc/{id}', 1, ['(status)']],
      ['GET /shop/_search', 1, ['hits.hits[]._id']],
    ]);
    expect(r.topDifferent[1].example).toMatchObject({ method: 'GET', uri: '/shop/_search', sourceStatus: 200, targetStatus: 200, differences: [{ path: 'hits.hits[]._id', source: 'only here: ["a"]', target: 'only here: ["b"]' }] });
    expect(r.statusMatrix).toEqual(expect.arrayContaining([{ source: 200, target: 200, count: 3 }, { source: 201, target: 200, count: 1 }, { source: 200, target: 404, count: 1 }]));
    const search = r.latency.find((l) => l.class === 'search')!;
    expect(search.source).toMatchObject({ count: 2, p50: 4, max: 4 });
    expect(search.target).toMatchObject({ count: 2, p50: 30, max: 30 });
    expect(search.target.histogram.reduce((a, b) => a + b, 0)).toBe(2);
    expect(r.overTime.axis).toBe('time');
    expect(r.overTime.buckets.reduce((a, b) => a + b.same + b.expected + b.different, 0)).toBe(5);
  });

  it('puts time by position when the tuples carry no timestamps', () => {
    const r = report(mix().map((t) => ({ ...t, timestamp: undefined })));
    expect(r.overTime.axis).toBe('sequence');
  });

  it('applies learned noise to the reads held back', () => {
    const learned = new Map([['GET /shop/_search', new Set(['hits.hits[]._id'])]]);
    const r = report(mix(), learned, true);
    expect(r.totals).toEqual({ same: 3, expected: 1, different: 1 });
    expect(r.noise.learned).toEqual([{ endpoint: 'GET /shop/_search', paths: ['hits.hits[]._id'] }]);
  });
});

describe('learned noise (--baseline source)', () => {
  it('sends only idempotent reads again, never writes or scrolls', () => {
    const ex = (method: string, uri: string) => toExchange(tuple({ method, uri }), 0)!;
    const read = (method: string, uri: string) => isIdempotentRead(ex(method, uri), classify(method, uri.split('?')[0]));
    expect(read('GET', '/shop/_search')).toBe(true);
    expect(read('POST', '/shop/_search')).toBe(true);
    expect(read('POST', '/_msearch')).toBe(true);
    expect(read('POST', '/_mget')).toBe(true);
    expect(read('HEAD', '/shop')).toBe(true);
    expect(read('GET', '/shop/_search?scroll=1m')).toBe(false);
    expect(read('POST', '/_search/scroll')).toBe(false);
    expect(read('POST', '/shop/_doc')).toBe(false);
    expect(read('PUT', '/shop/_doc/1')).toBe(false);
    expect(read('POST', '/shop/_delete_by_query')).toBe(false);
  });

  it('learns the paths where the source disagrees with itself, within its sample bounds', async () => {
    const builder = new ReportBuilder();
    const sent: string[] = [];
    let n = 0;
    const resend: Resend = async (req) => {
      sent.push(`${req.method} ${req.path} ${req.body.toString()}`);
      // A random_score search: other hits each time.
      return { statusCode: 200, headers: {}, body: Buffer.from(JSON.stringify(searchAnswer([hit(`r${n++}`, 1)]))) };
    };
    const learner = new BaselineLearner(builder.comparator, { resend, sampleRate: 0, maxPerEndpoint: 5 });
    for (let i = 0; i < 3; i++) {
      const t = tuple({ method: 'POST', uri: '/shop/_search', request: { query: { function_score: { random_score: {} } } }, source: { status: 200, body: searchAnswer([hit(`s${i}`, 1)]) }, target: { status: 200, body: searchAnswer([hit(`t${i}`, 1)]) } });
      const added = builder.addTuple(t, true)!;
      await learner.consider(added.ex, added.cls, added.endpoint);
    }
    const write = tuple({ method: 'PUT', uri: '/shop/_doc/1', source: { status: 201, body: {} }, target: { status: 201, body: {} } });
    const w = builder.addTuple(write, true)!;
    await learner.consider(w.ex, w.cls, w.endpoint);
    const learned = await learner.finish();
    // Sample rate 0: only each endpoint's first read goes to the source again.
    expect(sent).toEqual(['POST /shop/_search {"query":{"function_score":{"random_score":{}}}}']);
    expect(learned.get(endpointOf('POST', '/shop/_search'))).toEqual(new Set(['hits.hits[]._id']));
    const r = builder.finish('test', learned, learner.stats);
    expect(r.totals).toEqual({ same: 4, expected: 0, different: 0 });
    expect(r.baseline).toEqual({ sampleRate: 0, resent: 1, failed: 0, statusChanged: 0 });
  });

  it('matches learned paths and everything below them', () => {
    const l = new Set(['aggregations.recent']);
    expect(isLearned('aggregations.recent', l)).toBe(true);
    expect(isLearned('aggregations.recent.buckets[].doc_count', l)).toBe(true);
    expect(isLearned('aggregations.recently', l)).toBe(false);
  });
});

describe('report rendering', () => {
  const r = report(mix());

  it('prints classes × verdicts and the differing endpoints with an example', () => {
    const text = renderText(r);
    expect(text).toContain('5 requests in test: 2 same, 1 expected, 2 different');
    expect(text).toMatch(/search\s+2\s+1\s+0\s+1/);
    expect(text).toContain('GET /shop/_search  [search]  paths: hits.hits[]._id (1)');
    expect(text).toContain('hits.hits[]._id: source only here: ["a"]  target only here: ["b"]');
  });

  it('writes one self-contained HTML file: inline charts, the numbers, the JSON, nothing fetched', () => {
    const html = renderHtml(r);
    expect(html).toContain('<svg');
    expect(html).toContain('data-testid="total-different">2<');
    expect(html).toContain('data-testid="status-200-404">1<');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\//);
    const json = /<script type="application\/json" id="report-data">(.*)<\/script>/s.exec(html)![1];
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(r)));
  });

  it('escapes what the tuples hold', () => {
    const hostile = report([tuple({ uri: '/x/_search', source: { status: 200, body: searchAnswer([hit('</script><b>', 1)]) }, target: { status: 200, body: searchAnswer([hit('<img>', 1)]) } })]);
    const html = renderHtml(hostile);
    expect(html).not.toContain('<img>');
    expect(html).not.toContain('</script><b>');
  });
});
