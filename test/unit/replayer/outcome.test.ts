import { parseRequest, parseResponse } from '../../../runtime/src/core/http/message';
import { ReplayerMetrics } from '../../../runtime/src/replayer/metrics';
import { FinishedRequest, requestOutcome } from '../../../runtime/src/replayer/outcome';
import type { CapturedRequest } from '../../../runtime/src/replayer/reassembler';
import { ReplaySummary } from '../../../runtime/src/replayer/summary';
import type { Tuple } from '../../../runtime/src/replayer/tuple';
import { tupleLine } from '../../../runtime/src/replayer/tuple-line';

const REQUEST = Buffer.from('PUT /i/_doc/1 HTTP/1.1\r\nHost: src\r\nAuthorization: Basic c2VjcmV0\r\nContent-Length: 7\r\n\r\n{"a":1}');
const RESPONSE = Buffer.from('HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}');

function captured(extra: Partial<CapturedRequest> = {}): CapturedRequest {
  return { key: 'n|c', connectionId: 'c', nodeId: 'n', index: 3, bytes: REQUEST, firstTs: Date.UTC(2026, 0, 1), lastTs: Date.UTC(2026, 0, 1) + 2, records: [], sourceResponse: RESPONSE, sourceResponseTs: Date.UTC(2026, 0, 1) + 7, sourceDone: true, expired: false, ...extra };
}

function sent(status: number, extra: Partial<FinishedRequest> = {}): FinishedRequest {
  const source = parseRequest(REQUEST);
  return {
    captured: captured(),
    source,
    sourceResponse: parseResponse(RESPONSE),
    prepared: { method: 'PUT', path: '/i/_doc/1?version=1&version_type=external_gte', headers: [['Host', 'target']], body: source.body },
    attempts: [{ statusCode: status, reasonPhrase: 'X', headers: { 'content-length': '2' }, body: Buffer.from('{}'), timeMs: 4 }],
    plan: { outcome: 'replayed', skip: false, versioned: true },
    ...extra,
  };
}

/** The three consumers of one outcome. */
function consume(req: FinishedRequest) {
  const outcome = requestOutcome(req);
  const summary = new ReplaySummary();
  const metrics = new ReplayerMetrics();
  summary.record(outcome);
  metrics.record(outcome);
  const line = tupleLine(outcome, 'mask', 'mask');
  return { outcome, summary: summary.snapshot(), metrics: { ...metrics.counts, writes: { ...metrics.writeOutcomes } }, line, tuple: JSON.parse(line) as Tuple };
}

describe('one outcome per request, read by the summary, the metrics and the tuple', () => {
  it('counts a write the target took as the source did, and writes its tuple', () => {
    const { outcome, summary, metrics, tuple, line } = consume(sent(201));
    expect(outcome).toMatchObject({ delivery: 'replayed', status: 'matched', error: null, sourceMs: 5, targetMs: 4 });
    expect(summary).toMatchObject({ requests: 1, statusMatched: 1, statusDiffered: 0, targetErrors: 0, outcomes: { replayed: 1 }, sourceLatencyMs: { p50: 5, p99: 5 }, targetLatencyMs: { p50: 4, p99: 4 } });
    expect(metrics).toMatchObject({ replayed: 1, statusSame: 1, statusDifferent: 0, notSent: 0, targetErrors: 0, writes: { replayed: 1 } });
    expect(tuple).toMatchObject({ connectionId: 'c.3', nodeId: 'n', timestamp: '2026-01-01T00:00:00.000Z', numRequests: 1, numErrors: 0, error: null, outcome: 'replayed' });
    expect(tuple.sourceRequest).toMatchObject({ Method: 'PUT', Authorization: 'Basic [masked]', body: Buffer.from('{"a":1}').toString('base64') });
    expect(tuple.sourceResponse).toMatchObject({ 'Status-Code': 201, response_time_ms: 5 });
    expect(line).toBe(JSON.stringify(tuple));
  });

  it('tells a difference the versions explain from one to look at', () => {
    // The target holds a newer version (409): superseded, explained.
    expect(consume(sent(409)).summary).toMatchObject({ statusExplained: 1, statusDiffered: 0, outcomes: { superseded: 1 } });
    expect(consume(sent(409)).metrics).toMatchObject({ statusDifferent: 1, writes: { superseded: 1 } });
    // An unversioned request answered otherwise: a difference.
    const read = consume(sent(500, { plan: undefined }));
    expect(read.outcome).toMatchObject({ delivery: 'replayed', status: 'differed' });
    expect(read.summary).toMatchObject({ statusDiffered: 1, outcomes: { replayed: 0 } });
    expect(read.tuple).toMatchObject({ numErrors: 1 });
    expect(read.tuple.outcome).toBeUndefined();
  });

  it('counts a request that was not sent, and one the target never answered, apart', () => {
    const notSent = consume({ captured: captured({ bytes: Buffer.from('GARBAGE\r\n\r\n') }), error: 'unparseable source request: x', plan: { outcome: 'replayed', skip: false, versioned: true } });
    expect(notSent.outcome).toMatchObject({ delivery: 'notSent', error: 'unparseable source request: x', plan: undefined });
    expect(notSent.summary).toMatchObject({ requests: 1, targetErrors: 0, statusMatched: 0, targetLatencyMs: null });
    expect(notSent.metrics).toMatchObject({ notSent: 1, targetErrors: 0, replayed: 0 });
    expect(notSent.tuple).toMatchObject({ sourceRequest: { body: Buffer.from('GARBAGE\r\n\r\n').toString('base64') }, targetRequest: null, numRequests: 0, error: 'unparseable source request: x' });

    const lost = consume(sent(0, { attempts: [{ error: 'UND_ERR_SOCKET: other side closed', timeMs: 1 }] }));
    expect(lost.outcome).toMatchObject({ delivery: 'targetError', error: 'UND_ERR_SOCKET: other side closed' });
    expect(lost.summary).toMatchObject({ targetErrors: 1, statusMatched: 0, targetLatencyMs: null });
    expect(lost.metrics).toMatchObject({ targetErrors: 1, notSent: 0, replayed: 0 });
    expect(lost.tuple).toMatchObject({ numRequests: 1, numErrors: 1 });
  });

  it('writes the tuple of a write the source refused without sending it', () => {
    const skipped = consume(sent(0, { prepared: undefined, attempts: undefined, plan: { outcome: 'sourceRefused', detail: 'source answered 400', skip: true, versioned: false } }));
    expect(skipped.outcome).toMatchObject({ delivery: 'skipped', error: null });
    expect(skipped.summary).toMatchObject({ requests: 1, targetErrors: 0, outcomes: { sourceRefused: 1 } });
    expect(skipped.metrics).toMatchObject({ replayed: 0, notSent: 0, targetErrors: 0, writes: { sourceRefused: 1 } });
    expect(skipped.tuple).toMatchObject({ targetRequest: null, targetResponses: [], outcome: 'sourceRefused', outcomeDetail: 'source answered 400' });
  });
});
