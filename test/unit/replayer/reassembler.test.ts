import { decodeTrafficStream, encodeTrafficStream, TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { parseRequest, parseResponse } from '../../../runtime/src/replayer/http-message';
import { PartitionOffsets } from '../../../runtime/src/replayer/offset-tracker';
import { CapturedRequest, Reassembler, RecordRef } from '../../../runtime/src/replayer/reassembler';
import { CapturedConnection, encodeConnection } from '../../integration/support/capture-encoder';

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

function collect(records: TrafficStream[], refs?: (i: number) => RecordRef) {
  const requests: CapturedRequest[] = [];
  const events = { dropped: 0, ended: 0 };
  const r = new Reassembler({
    onRequest: (q) => requests.push(q),
    onSourceResponse: () => undefined,
    onConnectionEnd: () => events.ended++,
    onPartialRequestDropped: () => events.dropped++,
  });
  records.forEach((rec, i) => {
    const ref = refs ? refs(i) : { retain: () => undefined, release: () => undefined };
    // Through the wire format, as records come from Kafka.
    r.add(decodeTrafficStream(encodeTrafficStream(rec)), ref, 0);
    ref.release();
  });
  return { requests, events, r };
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
});
