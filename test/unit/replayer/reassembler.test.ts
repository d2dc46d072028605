import { decodeTrafficStream, encodeTrafficStream, TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { parseRequest, parseResponse } from '../../../runtime/src/core/http/message';
import { PartitionOffsets } from '../../../runtime/src/replayer/offset-tracker';
import { CapturedRequest, Reassembler, ReassemblerOptions, RecordRef } from '../../../runtime/src/replayer/reassembler';
import { CapturedConnection, encodeConnection } from '../../support/capture-encoder';

const req = (path: string, body = '') =>
  Buffer.from(`PUT ${path} HTTP/1.1\r\nHost: src:9200\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
const res = (status: number, body = '{"ok":true}') => Buffer.from(`HTTP/1.1 ${status} OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

function connection(n: number, bodySize = 10): CapturedConnection {
  const exchanges = Array.from({ length: n }, (_, i) => ({
    request: req(`/idx/_doc/${i}`, JSON.stringify({ i, pad: 'x'.repeat(bodySize) })),
    response: res(201),
    requestTs: 1_700_000_000_000 + i * 100,
    responseTs: 1_700_000_000_000 + i * 100 + 5,
  }));
  return { connectionId: 'c1', exchanges };
}

function collect(records: TrafficStream[], refs?: (i: number) => RecordRef, options?: ReassemblerOptions) {
  const requests: CapturedRequest[] = [];
  const notForwarded: CapturedRequest[] = [];
  const order: string[] = [];
  /** Whether each request's source response was complete when it was handed over. */
  const answeredWhenHanded: boolean[] = [];
  const events = { dropped: 0, ended: 0 };
  const r = new Reassembler({
    onRequest: (q) => {
      requests.push(q);
      answeredWhenHanded.push(q.sourceDone);
      order.push(`request ${q.connectionId === 'c1' || q.connectionId === 'p1' || q.connectionId === 'h1' ? '' : `${q.connectionId}.`}${q.index}`);
    },
    onSourceResponse: (q) => order.push(`response ${q.connectionId === 'c1' || q.connectionId === 'p1' || q.connectionId === 'h1' ? '' : `${q.connectionId}.`}${q.index}`),
    onConnectionEnd: () => events.ended++,
    onPartialRequestDropped: () => events.dropped++,
    onRequestNotForwarded: (q) => notForwarded.push(q),
  }, options);
  records.forEach((rec, i) => {
    const ref = refs ? refs(i) : { retain: () => undefined, release: () => undefined };
    // Through the wire format, as records come from Kafka.
    r.add(decodeTrafficStream(encodeTrafficStream(rec)), ref, 0);
    ref.release();
  });
  return { requests, events, r, notForwarded, order, answeredWhenHanded };
}

describe('reassembly of captured connections', () => {
  it.each([
    ['segments', { maxRecordBytes: 1024 }, 1500],
    ['packets', { maxRecordBytes: 1024, readPacketBytes: 300 }, 700],
  ])('rebuilds every request and its source response across chunks and %s', (_what, opts, bodySize) => {
    const records = encodeConnection(connection(20, bodySize), opts);
    expect(records.length).toBeGreaterThan(10);
    if (bodySize > opts.maxRecordBytes) expect(records.some((r) => r.subStream.some((o) => o.readSegment))).toBe(true);
    const { requests, events } = collect(records);
    expect(requests.map((q) => q.index)).toEqual([...Array(20).keys()]);
    for (const q of requests) {
      expect(parseRequest(q.bytes).uri).toBe(`/idx/_doc/${q.index}`);
      expect(q.sourceDone).toBe(true);
      expect(parseResponse(q.sourceResponse!).statusCode).toBe(201);
      expect(q.expired).toBe(false);
    }
    expect(events).toEqual({ dropped: 0, ended: 1 });
  });

  it('joins a connection mid-way: skips the unterminated request, numbers the rest from priorRequestsReceived', () => {
    const records = encodeConnection(connection(10, 400), { maxRecordBytes: 512 });
    const start = records.findIndex((r) => r.lastObservationWasUnterminatedRead);
    expect(start).toBeGreaterThan(0);
    const { requests } = collect(records.slice(start));
    const prior = records[start].priorRequestsReceived ?? 0;
    expect(requests[0].index).toBe(prior + 1);
    for (const q of requests) expect(parseRequest(q.bytes).uri).toBe(`/idx/_doc/${q.index}`);
    expect(requests[requests.length - 1].index).toBe(9);
  });

  it('expires an idle connection: a partial request is dropped and counted, a cut-off response is marked expired', () => {
    const conn = connection(2);
    conn.exchanges[1].response = conn.exchanges[1].response.subarray(0, 20);
    conn.closed = false;
    const records = encodeConnection(conn);
    const partial: TrafficStream = { connectionId: 'c2', nodeId: 'test-node', subStream: [{ ts: { seconds: 1, nanos: 0 }, read: { data: req('/x', '{}').subarray(0, 10) } }], number: 1 };
    const { requests, events, r } = collect([...records, partial]);
    expect(r.expireIdle(1000, 500)).toBe(0);
    expect(r.expireIdle(1000, 5000)).toBe(2);
    expect(requests[1].expired).toBe(true);
    expect(requests[0].expired).toBe(false);
    expect(events.dropped).toBe(1);
  });

  it('holds each record until every request that took bytes from it is finished', () => {
    const records = encodeConnection(connection(6, 300), { maxRecordBytes: 400 });
    const offsets = new PartitionOffsets();
    const { requests } = collect(records, (i) => offsets.add(i));
    // Nothing finished: nothing may be committed.
    expect(offsets.commitOffset()).toBe(0);
    for (const q of requests.slice(0, 3)) for (const ref of q.records) ref.release();
    const partway = offsets.commitOffset()!;
    expect(partway).toBeGreaterThan(0);
    expect(partway).toBeLessThan(records.length);
    // Every record before the commit point only held requests 0..2.
    for (const q of requests.slice(3)) expect(q.records.length).toBeGreaterThan(0);
    for (const q of requests.slice(3)) for (const ref of q.records) ref.release();
    expect(offsets.commitOffset()).toBe(records.length);
  });

  describe('a pipelining client (requests sent before the previous answer)', () => {
    const get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: src:9200\r\n\r\n`);
    const head = (path: string) => Buffer.from(`HEAD ${path} HTTP/1.1\r\nHost: src:9200\r\n\r\n`);
    // A HEAD answer announces the length of the body it does not send.
    const headRes = Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 417\r\n\r\n');
    const chunkedRes = (body: string) => Buffer.from(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    const ts = (ms: number) => ({ seconds: 1_700_000_000 + Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
    const requests = [req('/idx/_doc/a', '{"n":1}'), head('/idx'), get('/idx/_doc/b'), req('/idx/_doc/c', '{"n":3}')];
    const responses = [res(201, '{"_id":"a","result":"created"}'), headRes, chunkedRes('{"_id":"b","found":true}'), res(200, '{"_id":"c","result":"updated"}')];

    /** Reads and end marks of every request, then the answers written in pieces of `writeBytes`. */
    function pipelined(writeBytes: number, dropped?: number): TrafficStream[] {
      const subStream: TrafficStream['subStream'] = [];
      requests.forEach((r, i) => {
        if (i === dropped) subStream.push({ ts: ts(i), requestDropped: {} });
        else subStream.push({ ts: ts(i), read: { data: r.subarray(0, 9) } }, { ts: ts(i), read: { data: r.subarray(9) } }, { ts: ts(i), endOfMessageIndicator: {} });
      });
      const written = Buffer.concat(responses);
      for (let pos = 0; pos < written.length; pos += writeBytes) subStream.push({ ts: ts(10 + pos), write: { data: written.subarray(pos, pos + writeBytes) } });
      subStream.push({ ts: ts(5000), close: {} });
      // Two records: the answers start in the second one.
      const cut = subStream.findIndex((o) => o.write);
      return [
        { connectionId: 'p1', nodeId: 'n', subStream: subStream.slice(0, cut), number: 1 },
        { connectionId: 'p1', nodeId: 'n', subStream: subStream.slice(cut), numberOfThisLastChunk: 2, priorRequestsReceived: 4 },
      ];
    }

    it.each([['one write', 100_000], ['small writes', 7], ['one-byte writes', 1]])('pairs each request with its own answer, HEAD and chunked included (%s)', (_what, writeBytes) => {
      const { requests: got, events } = collect(pipelined(writeBytes));
      expect(got.map((q) => q.index)).toEqual([0, 1, 2, 3]);
      got.forEach((q, i) => {
        expect(q.bytes).toEqual(requests[i]);
        expect(q.sourceDone).toBe(true);
        expect(q.expired).toBe(false);
        expect(q.sourceResponse).toEqual(responses[i]);
      });
      expect(parseResponse(got[2].sourceResponse!).body.toString()).toBe('{"_id":"b","found":true}');
      expect(events).toEqual({ dropped: 0, ended: 1 });
    });

    it('keeps a dropped request\'s place: its answer goes to nobody', () => {
      const { requests: got } = collect(pipelined(13, 2));
      expect(got.map((q) => q.index)).toEqual([0, 1, 3]);
      expect(got.map((q) => q.sourceResponse?.toString())).toEqual([responses[0], responses[1], responses[3]].map(String));
    });

    it('ends every unanswered request when the connection closes', () => {
      const records = pipelined(100_000);
      const written = Buffer.concat(responses);
      // The capture stops after the first answer and half the second.
      records[1].subStream = [{ ts: ts(20), write: { data: written.subarray(0, responses[0].length + 20) } }];
      const { requests: got, r } = collect(records);
      expect(r.expireIdle(1000, 5000)).toBe(1);
      expect(got.map((q) => [q.sourceDone, q.expired])).toEqual([[true, false], [true, true], [true, true], [true, true]]);
      expect(got[0].sourceResponse).toEqual(responses[0]);
      expect(got[1].sourceResponse).toEqual(responses[1].subarray(0, 20));
      expect(got[2].sourceResponse!.length).toBe(0);
    });
  });

  describe('a write the capture proxy held until Kafka had it', () => {
    const ts = (ms: number) => ({ seconds: 1_700_000_000 + Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
    const put = req('/idx/_doc/1', '{"n":1}');
    const get = Buffer.from('GET /idx/_doc/1 HTTP/1.1\r\nHost: src:9200\r\n\r\n');
    const stream = (subStream: TrafficStream['subStream'], last = true): TrafficStream =>
      last ? { connectionId: 'h1', nodeId: 'n', subStream, numberOfThisLastChunk: 1 } : { connectionId: 'h1', nodeId: 'n', subStream, number: 1 };

    it('is not replayed when the proxy marks it dropped (rejected, or its client left), and its record is released', () => {
      const offsets = new PartitionOffsets();
      const records = [stream([{ ts: ts(0), read: { data: put } }, { ts: ts(0), endOfMessageIndicator: {} }], false), stream([{ ts: ts(10_000), requestDropped: {} }, { ts: ts(10_000), close: {} }])];
      const { requests, notForwarded, events } = collect(records, (i) => offsets.add(i));
      expect(requests).toHaveLength(0);
      expect(notForwarded.map((q) => q.bytes.toString())).toEqual([put.toString()]);
      expect(events).toEqual({ dropped: 0, ended: 1 });
      expect(offsets.commitOffset()).toBe(records.length);
    });

    it('is replayed once anything else follows, before its answer is reported', () => {
      const { requests, notForwarded, order } = collect([
        stream([{ ts: ts(0), read: { data: put } }, { ts: ts(0), endOfMessageIndicator: {} }], false),
        stream([{ ts: ts(5), write: { data: res(201) } }, { ts: ts(9), close: {} }]),
      ]);
      expect(requests.map((q) => q.sourceResponse?.toString())).toEqual([res(201).toString()]);
      expect(order).toEqual(['request 0', 'response 0']);
      expect(notForwarded).toHaveLength(0);
    });

    it('is replayed when the capture ends with it (nothing says the source did not get it)', () => {
      const { requests, r } = collect([stream([{ ts: ts(0), read: { data: put } }, { ts: ts(0), endOfMessageIndicator: {} }], false)]);
      expect(requests).toHaveLength(0);
      expect(r.expireIdle(1000, 5000)).toBe(1);
      expect(requests).toHaveLength(1);
    });

    it('a read is never held, and a drop mark after it is the next request\'s (suppressed): its answer goes to nobody', () => {
      const answer = res(200, '{"found":true}');
      const suppressed = res(200, '{"suppressed":true}');
      const { requests, notForwarded } = collect([
        stream([{ ts: ts(0), read: { data: get } }, { ts: ts(0), endOfMessageIndicator: {} }, { ts: ts(1), requestDropped: {} }, { ts: ts(5), write: { data: Buffer.concat([answer, suppressed]) } }, { ts: ts(9), close: {} }]),
      ]);
      expect(requests.map((q) => q.sourceResponse?.toString())).toEqual([answer.toString()]);
      expect(notForwarded).toHaveLength(0);
    });
  });

  describe('a document write that waits for its source response (its id and version)', () => {
    const ts = (ms: number) => ({ seconds: 1_700_000_000 + Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
    const post = (path: string) => Buffer.from(`POST ${path} HTTP/1.1\r\nHost: src:9200\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"n":1}`);
    const get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: src:9200\r\n\r\n`);
    const created = res(201, '{"_id":"A","_version":1,"result":"created"}');
    const found = res(200, '{"found":true}');
    const writes: ReassemblerOptions = { awaitsResponse: (_method, uri) => uri.includes('/_doc') && !uri.startsWith('/skip') };
    type Obs = TrafficStream['subStream'][number];
    const exchange = (request: Buffer, t: number): Obs[] => [{ ts: ts(t), read: { data: request } }, { ts: ts(t), endOfMessageIndicator: {} }];
    const stream = (connectionId: string, subStream: Obs[], number: number, last = false): TrafficStream =>
      last ? { connectionId, nodeId: 'n', subStream, numberOfThisLastChunk: number } : { connectionId, nodeId: 'n', subStream, number };

    it('is handed over with its response, and the next request on its connection only after it', () => {
      const { order, requests, answeredWhenHanded } = collect([
        // The proxy flushes the held write's record before forwarding it; the answer comes in the next one.
        stream('c1', exchange(post('/idx/_doc'), 0), 1),
        stream('c1', [{ ts: ts(5), write: { data: created } }, ...exchange(get('/idx/_search'), 6), { ts: ts(8), write: { data: found } }, { ts: ts(9), close: {} }], 2, true),
      ], undefined, writes);
      expect(order).toEqual(['request 0', 'response 0', 'request 1', 'response 1']);
      expect(answeredWhenHanded).toEqual([true, false]);
      expect(requests[0].sourceResponse?.toString()).toBe(created.toString());
      // Without the wait (writes as captured) it goes as soon as the capture shows the source got it.
      expect(collect([stream('c1', exchange(post('/idx/_doc'), 0), 1), stream('c1', [{ ts: ts(5), write: { data: created } }], 2)]).answeredWhenHanded).toEqual([false]);
    });

    it('keeps a pipelining client\'s order: what follows a waiting write waits too, up to the next write that must wait', () => {
      const { order, answeredWhenHanded } = collect([
        stream('c1', [...exchange(post('/idx/_doc'), 0), ...exchange(get('/idx/_count'), 1), ...exchange(post('/idx/_doc'), 2), ...exchange(post('/skip/_refresh'), 3)], 1),
        stream('c1', [{ ts: ts(5), write: { data: Buffer.concat([created, found]) } }], 2),
        stream('c1', [{ ts: ts(6), write: { data: Buffer.concat([created, res(200)]) } }, { ts: ts(9), close: {} }], 3, true),
      ], undefined, writes);
      expect(order).toEqual(['request 0', 'response 0', 'request 1', 'response 1', 'request 2', 'response 2', 'request 3', 'response 3']);
      expect(answeredWhenHanded).toEqual([true, false, true, false]);
    });

    it('does not hold up other connections', () => {
      const { order } = collect([
        stream('c1', exchange(post('/idx/_doc'), 0), 1),
        stream('c2', [...exchange(get('/idx/_search'), 1), { ts: ts(2), write: { data: found } }], 1),
        stream('c1', [{ ts: ts(5), write: { data: created } }], 2),
      ], undefined, writes);
      expect(order).toEqual(['request c2.0', 'response c2.0', 'request 0', 'response 0']);
    });

    it('is still dropped when the proxy marks it not forwarded, and then holds nothing up', () => {
      const offsets = new PartitionOffsets();
      const { order, notForwarded } = collect([
        stream('c1', exchange(post('/idx/_doc'), 0), 1),
        stream('c1', [{ ts: ts(10_000), requestDropped: {} }, ...exchange(get('/idx/_count'), 10_001), { ts: ts(10_002), write: { data: found } }], 2),
      ], (i) => offsets.add(i), writes);
      expect(notForwarded).toHaveLength(1);
      expect(order).toEqual(['request 1', 'response 1']);
    });

    it('goes with what there is when its connection ends before the answer, the requests behind it too', () => {
      const { order, requests, r } = collect([stream('c1', [...exchange(post('/idx/_doc'), 0), ...exchange(get('/idx/_count'), 1), { ts: ts(2), write: { data: created.subarray(0, 20) } }], 1)], undefined, writes);
      expect(order).toEqual([]);
      expect(r.expireIdle(1000, 5000)).toBe(1);
      expect(order).toEqual(['request 0', 'response 0', 'request 1', 'response 1']);
      expect(requests.map((q) => q.expired)).toEqual([true, true]);
    });

    it('is dropped, not sent without its answer, when the records ahead will be read again (a rebalance)', () => {
      const offsets = new PartitionOffsets();
      const { order, r } = collect([stream('c1', [...exchange(post('/idx/_doc'), 0), ...exchange(get('/idx/_count'), 1)], 1)], (i) => offsets.add(i), writes);
      r.endAll(true);
      expect(order).toEqual([]);
      expect(offsets.commitOffset()).toBe(1);
      // At the end of the input it goes with what there is.
      const ended = collect([stream('c1', [...exchange(post('/idx/_doc'), 0), ...exchange(get('/idx/_count'), 1)], 1)], undefined, writes);
      ended.r.endAll();
      expect(ended.order).toEqual(['request 0', 'response 0', 'request 1', 'response 1']);
    });

    it('holds its records until it is finished, as any request', () => {
      const offsets = new PartitionOffsets();
      const { requests } = collect([
        stream('c1', exchange(post('/idx/_doc'), 0), 1),
        stream('c1', [{ ts: ts(5), write: { data: created } }, { ts: ts(9), close: {} }], 2, true),
      ], (i) => offsets.add(i), writes);
      expect(offsets.commitOffset()).toBe(0);
      for (const ref of requests[0].records) ref.release();
      expect(offsets.commitOffset()).toBe(2);
    });
  });
});
