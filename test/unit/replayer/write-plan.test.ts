import { gunzipSync, gzipSync } from 'node:zlib';
import { parseBulkActions } from '../../../runtime/src/replayer/bulk-body';
import { scanBulkItems } from '../../../runtime/src/core/bulk-items';
import { documentWrite } from '../../../runtime/src/replayer/document-write';
import { parseRequest, parseResponse } from '../../../runtime/src/core/http/message';
import { prepareRequest } from '../../../runtime/src/replayer/prepare';
import type { TargetAttempt } from '../../../runtime/src/replayer/sender';
import { typeRemoval } from '../../../runtime/src/replayer/transforms/type-removal';
import { bulkItemsJson, deletedIndices, planWrite, settleWrite, targetItemStatuses, WritePlan } from '../../../runtime/src/replayer/write-plan';

const request = (method: string, uri: string, body: string | Buffer = '', headers: string[] = []) => {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return parseRequest(Buffer.concat([Buffer.from([`${method} ${uri} HTTP/1.1`, 'Host: source:9200', ...headers, `Content-Length: ${payload.length}`, '', ''].join('\r\n')), payload]));
};
const response = (status: number, body: unknown, headers: string[] = []) => {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return parseResponse(Buffer.concat([Buffer.from([`HTTP/1.1 ${status} X`, 'content-type: application/json', ...headers, `content-length: ${payload.length}`, '', ''].join('\r\n')), payload]));
};
const doc = (id: string, version: number, result = 'created') => ({ _index: 'idx', _type: '_doc', _id: id, _version: version, result, _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: 7, _primary_term: 1 });
const opts = { replayRefused: false };

function plan(method: string, uri: string, body: string | Buffer, res: ReturnType<typeof response> | undefined, o = opts, headers: string[] = []): WritePlan {
  const req = request(method, uri, body, headers);
  const write = documentWrite(req.method, req.uri);
  if (!write) throw new Error(`${method} ${uri} is not a document write`);
  return planWrite(write, req, res, o);
}

describe('single-document writes replayed with the source\'s id and version', () => {
  it.each([
    ['POST', '/idx/_doc', 'AUTO1', 1, '/idx/_doc/AUTO1?version=1&version_type=external_gte'],
    ['POST', '/idx/_doc?refresh=true&pipeline=p', 'AUTO2', 1, '/idx/_doc/AUTO2?refresh=true&pipeline=p&version=1&version_type=external_gte'],
    ['POST', '/idx/mytype', 'AUTO3', 1, '/idx/mytype/AUTO3?version=1&version_type=external_gte'],
    ['PUT', '/idx/_doc/7', '7', 3, '/idx/_doc/7?version=3&version_type=external_gte'],
    ['PUT', '/idx/_doc/7?op_type=create&routing=r', '7', 1, '/idx/_doc/7?routing=r&version=1&version_type=external_gte'],
    ['PUT', '/idx/_create/7', '7', 1, '/idx/_doc/7?version=1&version_type=external_gte'],
    ['PUT', '/idx/_doc/7/_create', '7', 1, '/idx/_doc/7?version=1&version_type=external_gte'],
    ['POST', '/idx/mytype/7/_create', '7', 1, '/idx/mytype/7?version=1&version_type=external_gte'],
    ['PUT', '/idx/mytype/7', '7', 2, '/idx/mytype/7?version=2&version_type=external_gte'],
    ['PUT', '/idx/_doc/7?if_seq_no=12&if_primary_term=1', '7', 5, '/idx/_doc/7?version=5&version_type=external_gte'],
    ['PUT', '/idx/_doc/7?version=4&version_type=external', '7', 4, '/idx/_doc/7?version=4&version_type=external_gte'],
    ['PUT', '/idx/_doc/a%2Fb', 'a/b', 1, '/idx/_doc/a%2Fb?version=1&version_type=external_gte'],
    ['DELETE', '/idx/_doc/7', '7', 4, '/idx/_doc/7?version=4&version_type=external_gte'],
    ['DELETE', '/idx/mytype/7?if_seq_no=3&if_primary_term=1', '7', 4, '/idx/mytype/7?version=4&version_type=external_gte'],
  ])('%s %s: sent as %s', (method, uri, id, version, expected) => {
    const p = plan(method, uri, method === 'DELETE' ? '' : '{"a":1}', response(method === 'DELETE' ? 200 : 201, doc(id, version)));
    expect(p).toMatchObject({ outcome: 'replayed', skip: false, versioned: true, uri: expected });
  });

  it('keeps the ES 7 typed auto-id form one that TypeRemoval turns into a typeless one', () => {
    const req = request('POST', '/idx/mytype', '{"a":1}');
    const p = planWrite(documentWrite(req.method, req.uri)!, req, response(201, doc('Q1', 1)), opts);
    const prepared = prepareRequest(req, { target: new URL('http://target:9200'), auth: { type: 'passthrough' }, transforms: [typeRemoval()] }, p);
    expect(prepared.path).toBe('/idx/_doc/Q1?version=1&version_type=external_gte');
  });

  it('replays a delete that found nothing with its version (the source left a tombstone) and names its index', () => {
    const p = plan('DELETE', '/logs%2D1/_doc/9', '', response(404, doc('9', 2, 'not_found')));
    expect(p).toMatchObject({ outcome: 'replayed', versioned: true, uri: '/logs%2D1/_doc/9?version=2&version_type=external_gte', deleteIndices: ['logs-1'] });
  });

  it('does not send what the source refused, unless told to', () => {
    const conflict = response(409, { error: { type: 'version_conflict_engine_exception', reason: 'x' }, status: 409 });
    expect(plan('PUT', '/idx/_doc/1?if_seq_no=1&if_primary_term=1', '{}', conflict)).toMatchObject({ outcome: 'sourceRefused', skip: true, detail: 'source answered 409 (version_conflict_engine_exception)' });
    expect(plan('POST', '/idx/_doc', '{"n":"x"}', response(400, { error: { type: 'mapper_parsing_exception' }, status: 400 }))).toMatchObject({ outcome: 'sourceRefused', skip: true });
    expect(plan('DELETE', '/missing/_doc/1', '', response(404, { error: { type: 'index_not_found_exception' }, status: 404 }))).toMatchObject({ outcome: 'sourceRefused', skip: true });
    expect(plan('POST', '/idx/_update/1', '{"doc":{}}', response(404, { error: { type: 'document_missing_exception' } }))).toMatchObject({ outcome: 'sourceRefused', skip: true });
    expect(plan('PUT', '/idx/_doc/1', '{}', conflict, { replayRefused: true })).toMatchObject({ outcome: 'asCaptured', skip: false, detail: expect.stringContaining('--replay-refused-writes') });
  });

  it('sends updates and by-query requests as captured, without the source\'s sequence-number conditions', () => {
    expect(plan('POST', '/idx/_update/1?if_seq_no=4&if_primary_term=1&refresh=true', '{"doc":{"a":2}}', response(200, doc('1', 3, 'updated')))).toMatchObject({ outcome: 'unversioned', uri: '/idx/_update/1?refresh=true', versioned: false });
    expect(plan('POST', '/idx/mytype/1/_update', '{"script":"ctx._source.n++"}', response(200, doc('1', 3, 'updated')))).toMatchObject({ outcome: 'unversioned', uri: undefined });
    for (const uri of ['/idx/_update_by_query', '/idx/mytype/_delete_by_query', '/_reindex']) {
      expect(plan('POST', uri, '{}', response(500, {}))).toMatchObject({ outcome: "unversioned", skip: false, versioned: false });
    }
  });

  it('leaves a write as captured when the source\'s answer says nothing certain, and says why', () => {
    expect(plan('POST', '/idx/_doc', '{}', undefined)).toMatchObject({ outcome: 'asCaptured', detail: "no source response in the capture" });
    expect(plan('POST', '/idx/_doc', '{}', response(201, '{"_id":"x"'))).toMatchObject({ outcome: 'asCaptured', detail: expect.stringMatching(/not a JSON object/) });
    expect(plan('PUT', '/idx/_doc/1', '{}', response(201, { _id: '1', result: 'created' }))).toMatchObject({ outcome: 'asCaptured', detail: expect.stringMatching(/no usable _version/) });
    expect(plan('PUT', '/idx/_doc/1', '{}', response(201, doc('2', 1)))).toMatchObject({ outcome: 'asCaptured', detail: expect.stringMatching(/_id "2"/) });
    expect(plan('POST', '/idx/_doc', '{}', response(201, { _version: 1 }))).toMatchObject({ outcome: 'asCaptured', detail: 'source response has no _id' });
  });

  it('reads a gzip and chunked source response', () => {
    const body = gzipSync(JSON.stringify(doc('GZ', 1)));
    const chunked = Buffer.concat([Buffer.from(`HTTP/1.1 201 Created\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n${(10).toString(16)}\r\n`), body.subarray(0, 10), Buffer.from(`\r\n${(body.length - 10).toString(16)}\r\n`), body.subarray(10), Buffer.from('\r\n0\r\n\r\n')]);
    expect(plan('POST', '/idx/_doc', '{}', parseResponse(chunked))).toMatchObject({ outcome: 'replayed', uri: '/idx/_doc/GZ?version=1&version_type=external_gte' });
  });

  it('settles on superseded when the target holds that version or newer, alreadyPresent on 201 vs 200', () => {
    const attempt = (statusCode: number): TargetAttempt => ({ statusCode, timeMs: 1 });
    const settled = (source: number, target: number, method = 'PUT') => {
      const p = plan(method, '/idx/_doc/1', method === 'PUT' ? '{}' : '', response(source, doc('1', 2)));
      settleWrite(p, source, [attempt(target)]);
      return [p.outcome, p.explained, p.detail];
    };
    expect(settled(200, 409)).toEqual(['superseded', true, undefined]);
    expect(settled(201, 200)).toEqual(['alreadyPresent', true, undefined]);
    expect(settled(201, 201)).toEqual(['replayed', false, undefined]);
    // The earlier version reaches the target later (another connection), or never (the backfill copied a later one).
    expect(settled(200, 201)).toEqual(['replayed', true, 'the target held no earlier version of the document']);
    expect(settled(200, 404, 'DELETE')).toEqual(['replayed', true, 'the target never held the document']);
    expect(settled(201, 400)).toEqual(['replayed', false, undefined]);
  });
});

describe('_bulk requests replayed item by item', () => {
  const ndjson = (...lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  const item = (op: string, status: number, id?: string, version?: number, extra: Record<string, unknown> = {}) => ({ [op]: { _index: 'idx', _type: '_doc', ...(id === undefined ? {} : { _id: id }), ...(version === undefined ? {} : { _version: version }), ...extra, status } });
  const bulkResponse = (...items: unknown[]) => response(200, { took: 3, errors: items.some((i: any) => Object.values(i as object)[0].status >= 300), items });
  const sentActions = (p: WritePlan) => parseBulkActions(p.body!)!.map((a) => ({ [a.op]: a.meta, source: a.source?.toString() }));

  it('injects the source\'s ids and versions, turns create into index, keeps explicit ids and the default index in the path', () => {
    const body = ndjson({ index: {} }, { n: 1 }, { create: { _index: 'other' } }, { n: 2 }, { index: { _id: 'mine', routing: 'r' } }, { n: 3 }, { delete: { _id: 'old' } });
    const p = plan('POST', '/idx/_bulk?refresh=wait_for', body, bulkResponse(item('index', 201, 'A1', 1, { result: 'created' }), item('create', 201, 'A2', 1), item('index', 200, 'mine', 4), item('delete', 200, 'old', 6, { result: 'deleted' })));
    expect(p).toMatchObject({ outcome: 'replayed', skip: false, versioned: true, deleteIndices: ['idx'] });
    expect(p.uri).toBeUndefined();
    expect(sentActions(p)).toEqual([
      { index: { _id: 'A1', version: 1, version_type: 'external_gte' }, source: '{"n":1}' },
      { index: { _index: 'other', _id: 'A2', version: 1, version_type: 'external_gte' }, source: '{"n":2}' },
      { index: { _id: 'mine', routing: 'r', version: 4, version_type: 'external_gte' }, source: '{"n":3}' },
      { delete: { _id: 'old', version: 6, version_type: 'external_gte' }, source: undefined },
    ]);
    expect(p.items!.map((i) => [i.outcome, i.sourceStatus, i.sent])).toEqual([['replayed', 201, true], ['replayed', 201, true], ['replayed', 200, true], ['replayed', 200, true]]);
  });

  it.each(['/_bulk', '/idx/_bulk', '/idx/mytype/_bulk'])('reads the default index of %s for deletes', (path) => {
    const p = plan('POST', path, ndjson({ delete: { _index: 'named', _id: '1' } }, { delete: { _id: '2' } }), bulkResponse(item('delete', 200, '1', 2), item('delete', 200, '2', 2)));
    expect(p.deleteIndices).toEqual(path === '/_bulk' ? ['named'] : ['named', 'idx']);
  });

  it('keeps sources byte for byte (64-bit integers, escapes, other encodings\' bytes)', () => {
    const source = Buffer.concat([Buffer.from('{"big":12345678901234567890,"s":"caf'), Buffer.from([0xc3, 0xa9]), Buffer.from('\\n","raw":"\\ud83d"}')]);
    const body = Buffer.concat([Buffer.from('{"index":{}}\n'), source, Buffer.from('\n')]);
    const p = plan('POST', '/idx/_bulk', body, bulkResponse(item('index', 201, 'Z', 1)));
    expect(p.body!.subarray(p.body!.indexOf(0x0a) + 1, p.body!.length - 1)).toEqual(source);
  });

  it('leaves out the items the source refused, sends updates unversioned, and counts them', () => {
    const body = ndjson({ index: {} }, { n: 'not a number' }, { index: {} }, { n: 1 }, { update: { _id: 'u', if_seq_no: 3, if_primary_term: 1, retry_on_conflict: 2 } }, { doc: { n: 5 } }, { delete: { _id: 'gone' } });
    const p = plan('POST', '/idx/_bulk', body, bulkResponse(item('index', 400, 'R1', undefined, { error: { type: 'mapper_parsing_exception' } }), item('index', 201, 'R2', 1), item('update', 200, 'u', 4), item('delete', 404, 'gone', 1, { result: 'not_found' })));
    expect(sentActions(p)).toEqual([
      { index: { _id: 'R2', version: 1, version_type: 'external_gte' }, source: '{"n":1}' },
      { update: { _id: 'u', retry_on_conflict: 2 }, source: '{"doc":{"n":5}}' },
      { delete: { _id: 'gone', version: 1, version_type: 'external_gte' }, source: undefined },
    ]);
    expect(p.items!.map((i) => i.outcome)).toEqual(['sourceRefused', 'replayed', 'unversioned', 'replayed']);
    expect(p.detail).toBe('1 of 4 items refused by the source left out');
    // The target's answer: the update went through, the new document too, the delete found nothing.
    settleWrite(p, 200, [{ statusCode: 200, timeMs: 1, body: Buffer.from(JSON.stringify({ errors: false, items: [item('index', 201, 'R2', 1), item('update', 200, 'u', 2), item('delete', 404, 'gone', 1)] })) }]);
    expect(p.outcome).toBe('unversioned');
    expect(JSON.parse(bulkItemsJson(p.items!))).toEqual([
      { outcome: 'sourceRefused', sourceStatus: 400, targetStatus: null },
      { outcome: 'replayed', sourceStatus: 201, targetStatus: 201 },
      { outcome: 'unversioned', sourceStatus: 200, targetStatus: 200 },
      { outcome: 'replayed', sourceStatus: 404, targetStatus: 404 },
    ]);
  });

  it('does not send a _bulk whose every item the source refused, nor one the source refused as a whole', () => {
    const refusedAll = plan('POST', '/idx/_bulk', ndjson({ create: { _id: '1' } }, {}), bulkResponse(item('create', 409, '1', undefined, { error: { type: 'version_conflict_engine_exception' } })));
    expect(refusedAll).toMatchObject({ outcome: 'sourceRefused', skip: true });
    expect(refusedAll.body).toBeUndefined();
    // NDJSON without its final newline: the source answers 400 for the whole request.
    const unterminated = plan('POST', '/idx/_bulk', '{"index":{}}\n{"n":1}', response(400, { error: { type: 'illegal_argument_exception', reason: 'The bulk request must be terminated by a newline [\\n]' }, status: 400 }));
    expect(unterminated).toMatchObject({ outcome: 'sourceRefused', skip: true, detail: 'source answered 400 (illegal_argument_exception)' });
    expect(unterminated.items).toEqual([]);
    const tooLarge = plan('POST', '/_bulk', ndjson({ index: { _index: 'a' } }, {}, { delete: { _index: 'a', _id: '1' } }), response(413, ''));
    expect(tooLarge).toMatchObject({ outcome: 'sourceRefused', skip: true, detail: 'source answered 413' });
    expect(tooLarge.items!.map((i) => [i.outcome, i.sourceStatus, i.targetStatus])).toEqual([['sourceRefused', null, null], ['sourceRefused', null, null]]);
  });

  it('ignores a last action whose source line is missing, as the source does (one item fewer)', () => {
    const p = plan('POST', '/idx/_bulk', '{"index":{"_id":"y"}}\n{"n":1}\n{"index":{}}\n', bulkResponse(item('index', 201, 'y', 1)));
    expect(p.outcome).toBe('replayed');
    expect(p.body!.toString()).toBe('{"index":{"_id":"y","version":1,"version_type":"external_gte"}}\n{"n":1}\n');
  });

  it('skips blank action lines as the source does, and takes a blank line after an action as its source', () => {
    expect(parseBulkActions(Buffer.from('\n{"delete":{"_id":"1"}}\n \r\n{"index":{}}\n\n'))!.map((a) => [a.op, a.source?.toString()])).toEqual([['delete', undefined], ['index', '']]);
    expect(parseBulkActions(Buffer.from('{"index":{}}\nnot json\n'))![0].source!.toString()).toBe('not json');
    expect(parseBulkActions(Buffer.from('[1]\n'))).toBeUndefined();
    expect(parseBulkActions(Buffer.from('{"index":{},"delete":{}}\n'))).toBeUndefined();
  });

  it('decodes a gzip request body and sends it gzip again, with the ids in it', () => {
    const body = gzipSync(ndjson({ index: {} }, { n: 1 }));
    const req = request('POST', '/idx/_bulk', body, ['Content-Encoding: gzip', 'Content-Type: application/x-ndjson']);
    const p = planWrite(documentWrite(req.method, req.uri)!, req, bulkResponse(item('index', 201, 'G1', 1)), opts);
    const prepared = prepareRequest(req, { target: new URL('http://target:9200'), auth: { type: 'passthrough' }, transforms: [] }, p);
    expect(gunzipSync(prepared.body).toString()).toBe('{"index":{"_id":"G1","version":1,"version_type":"external_gte"}}\n{"n":1}\n');
    // And a gzip source response.
    const gz = response(200, gzipSync(JSON.stringify({ errors: false, items: [item('index', 201, 'G2', 1)] })), ['content-encoding: gzip']);
    expect(planWrite(documentWrite(req.method, req.uri)!, req, gz, opts).outcome).toBe('replayed');
  });

  it('leaves a _bulk as captured when the source\'s items do not line up with its actions, and reports it', () => {
    const body = ndjson({ index: {} }, { n: 1 }, { index: {} }, { n: 2 }, { index: {} }, { n: 3 }, { index: {} }, { n: 4 });
    const p = plan('POST', '/idx/_bulk', body, bulkResponse(item('index', 201, 'a', 1), item('index', 201, 'b', 1), item('index', 201, 'c', 1)));
    expect(p).toMatchObject({ outcome: 'asCaptured', skip: false, detail: 'source _bulk response has 3 items, request has 4' });
    expect(p.items!.map((i) => i.outcome)).toEqual(['asCaptured', 'asCaptured', 'asCaptured', 'asCaptured']);
    expect(plan('POST', '/idx/_bulk', ndjson({ delete: { _id: '1' } }), bulkResponse(item('index', 201, '1', 1)))).toMatchObject({ outcome: 'asCaptured', detail: expect.stringMatching(/item 0 answers "index"/) });
    expect(plan('POST', '/idx/_bulk', ndjson({ index: {} }, {}), response(200, '{"took":1,"errors":false,"items":[{"index":'))).toMatchObject({ outcome: 'asCaptured', detail: 'source _bulk response cannot be read' });
    expect(plan('POST', '/idx/_bulk', '{"index":\n{}\n', bulkResponse(item('index', 201, '1', 1)))).toMatchObject({ outcome: 'asCaptured', detail: 'the request body is not a list of _bulk actions' });
    // An item whose version is unusable (a pipeline dropped it) or whose id differs: that item as captured.
    const odd = plan('POST', '/idx/_bulk', ndjson({ index: {} }, {}, { index: { _id: 'x' } }, {}), bulkResponse(item('index', 200, 'p', -3, { result: 'noop' }), item('index', 201, 'y', 1)));
    expect(odd.items!.map((i) => i.outcome)).toEqual(['asCaptured', 'asCaptured']);
    expect(odd.body!.toString()).toBe(ndjson({ index: {} }, {}, { index: { _id: 'x' } }, {}));
  });

  it('settles each item from the target\'s answers across retries: superseded, alreadyPresent, replayed', () => {
    const body = ndjson({ index: {} }, { n: 1 }, { index: {} }, { n: 2 }, { index: { _id: 'k' } }, { n: 3 });
    const p = plan('POST', '/idx/_bulk', body, bulkResponse(item('index', 201, 'a', 1), item('index', 201, 'b', 1), item('index', 200, 'k', 3)));
    const answer = (...items: unknown[]): TargetAttempt => ({ statusCode: 200, timeMs: 1, headers: { 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify({ errors: true, items })) });
    const attempts = [
      { error: 'ECONNRESET: reset', timeMs: 1 },
      { statusCode: 503, timeMs: 1 },
      answer(item('index', 429, 'a'), item('index', 200, 'b', 1), item('index', 409, 'k')),
      answer(item('index', 201, 'a', 1)),
    ];
    expect(targetItemStatuses(3, attempts)).toEqual([201, 200, 409]);
    settleWrite(p, 200, attempts);
    expect(p.items!.map((i) => i.outcome)).toEqual(['replayed', 'alreadyPresent', 'superseded']);
    expect(p.outcome).toBe('superseded');
    expect(targetItemStatuses(2, [{ statusCode: 400, timeMs: 1 }])).toEqual([400, 400]);
    expect(targetItemStatuses(2, [answer(item('index', 201))])).toEqual([null, null]);
  });

  it('names the indices of deletes after the transforms', () => {
    expect(deletedIndices('POST', '/new/_bulk', [], Buffer.from(ndjson({ delete: { _id: '1' } }, { index: { _index: 'x' } }, {}, { delete: { _index: 'y', _id: '2' } })))).toEqual(['new', 'y']);
    expect(deletedIndices('DELETE', '/renamed/_doc/1?version=2&version_type=external_gte', [], Buffer.alloc(0))).toEqual(['renamed']);
    expect(deletedIndices('PUT', '/renamed/_doc/1', [], Buffer.alloc(0))).toEqual([]);
  });
});

describe('document writes recognised from method and path', () => {
  it.each([
    ['POST', '/_bulk', 'bulk'], ['PUT', '/idx/_bulk?refresh=true', 'bulk'], ['POST', '/idx/type/_bulk', 'bulk'],
    ['POST', '/idx/_doc', 'create'], ['POST', '/idx/type', 'create'], ['PUT', '/idx/_create/1', 'create'], ['POST', '/idx/_doc/1/_create', 'create'],
    ['PUT', '/idx/_doc/1', 'index'], ['POST', '/idx/type/1', 'index'], ['DELETE', '/idx/_doc/1', 'delete'], ['DELETE', '/idx/type/1', 'delete'],
    ['POST', '/idx/_update/1', 'update'], ['POST', '/idx/type/1/_update', 'update'],
    ['POST', '/idx/_update_by_query', 'byQuery'], ['POST', '/idx/type/_delete_by_query', 'byQuery'], ['POST', '/_reindex', 'byQuery'],
  ])('%s %s is a %s', (method, uri, kind) => {
    expect(documentWrite(method, uri)?.kind).toBe(kind);
  });

  it.each([
    ['GET', '/idx/_doc/1'], ['HEAD', '/idx/_doc/1'], ['POST', '/idx/_search'], ['POST', '/idx/type/_search'], ['PUT', '/idx'], ['DELETE', '/idx'],
    ['PUT', '/idx/_mapping'], ['PUT', '/idx/_settings'], ['POST', '/idx/_refresh'], ['POST', '/_aliases'], ['PUT', '/_template/t'], ['POST', '/_all/_doc'],
    ['GET', '/_bulk'], ['DELETE', '/idx/_create/1'], ['PUT', '/idx/_update/1'], ['POST', '/a/b/c/d/_bulk'], ['POST', '/idx/_doc/_search'],
  ])('%s %s is not', (method, uri) => {
    expect(documentWrite(method, uri)).toBeUndefined();
  });
});

describe('_bulk responses scanned for their items', () => {
  it('reads what JSON.parse reads, for every item kind, escapes and non-ASCII ids included', () => {
    const items = [
      { index: { _index: 'i', _type: '_doc', _id: 'é"\\x', _version: 1, result: 'created', _shards: { total: 2, successful: 1, failed: 0 }, _seq_no: 0, _primary_term: 1, status: 201 } },
      { create: { _index: 'i', _id: 'B', status: 400, error: { type: 'mapper_parsing_exception', reason: 'failed [n] {"x"}', caused_by: { type: 'number_format_exception' } } } },
      { delete: { _index: 'i', _id: '\u00e9\ud83d\ude00', _version: 3, result: 'not_found', status: 404 } },
      { update: { _index: 'i', _id: 'u', status: 429, error: 'a string error' } },
    ];
    const text = JSON.stringify({ took: 30, errors: true, items }, null, 1);
    expect(scanBulkItems(Buffer.from(text))).toEqual([
      { op: 'index', id: 'é"\\x', version: 1, result: 'created', status: 201 },
      { op: 'create', id: 'B', status: 400, errorType: 'mapper_parsing_exception', errorReason: 'failed [n] {"x"}' },
      { op: 'delete', id: '\u00e9\ud83d\ude00', version: 3, result: 'not_found', status: 404 },
      { op: 'update', id: 'u', status: 429, errorType: 'unknown' },
    ]);
    expect(scanBulkItems(Buffer.from('{"took":1,"errors":false,"items":[]}'))).toEqual([]);
    expect(scanBulkItems(Buffer.from('{"error":{"type":"x"},"status":400}'))).toBeUndefined();
    expect(scanBulkItems(Buffer.from('{"items":[{"index":{"status":201}}'))).toBeUndefined();
  });
});
