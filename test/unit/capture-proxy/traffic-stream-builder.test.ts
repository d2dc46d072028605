import { TrafficStreamBuilder } from '../../../runtime/src/capture-proxy/traffic-stream-builder';
import { decodeTrafficStream, encodeTrafficStream, observationKind, TrafficStream } from '../../../runtime/src/core/traffic-stream';

function builder(maxRecordBytes = 1024) {
  const records: Uint8Array[] = [];
  const b = new TrafficStreamBuilder({ connectionId: 'conn-1', nodeId: 'node-a', maxRecordBytes, emit: (r) => records.push(r), now: () => 1_700_000_000_123 });
  const decoded = () => records.map((r) => decodeTrafficStream(r));
  return { b, records, decoded };
}

const kinds = (s: TrafficStream) => s.subStream.map((o) => observationKind(o));

describe('TrafficStreamBuilder', () => {
  it('writes reads, an end of message, writes and a close into one last chunk', () => {
    const { b, decoded } = builder();
    b.addRead(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    b.endOfMessage(16, 2);
    b.addWrite(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
    b.close();
    const [s] = decoded();
    expect(s).toMatchObject({ connectionId: 'conn-1', nodeId: 'node-a', numberOfThisLastChunk: 1 });
    // Written only where the reference proxy writes them (above 0, true).
    expect(s.priorRequestsReceived).toBeUndefined();
    expect(s.lastObservationWasUnterminatedRead).toBeUndefined();
    expect(kinds(s)).toEqual(['read', 'endOfMessageIndicator', 'write', 'close']);
    expect(s.subStream[1].endOfMessageIndicator).toEqual({ firstLineByteLength: 16, headersByteLength: 2 });
    expect(s.subStream[0].ts).toEqual({ seconds: 1_700_000_000, nanos: 123_000_000 });
  });

  it('splits data larger than a record into segments, never exceeding the bound, and keeps the bytes', () => {
    const { b, records, decoded } = builder(2048);
    const data = Buffer.alloc(10_000, 7);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    b.addRead(Buffer.from('small'));
    b.addRead(data);
    b.endOfMessage();
    b.close();
    for (const r of records) expect(r.length).toBeLessThanOrEqual(2048);
    const streams = decoded();
    expect(streams.map((s) => s.number ?? s.numberOfThisLastChunk)).toEqual(streams.map((_, i) => i + 1));
    const all = streams.flatMap((s) => s.subStream);
    expect(all.map((o) => observationKind(o)).filter((k) => k !== 'readSegment')).toEqual(['read', 'segmentEnd', 'endOfMessageIndicator', 'close']);
    const joined = Buffer.concat(all.filter((o) => o.readSegment).map((o) => o.readSegment!.data as Buffer));
    expect(joined.equals(data)).toBe(true);
    // Chunks after the first begin inside the request.
    expect(streams.slice(1).every((s) => s.lastObservationWasUnterminatedRead)).toBe(true);
  });

  it('sets priorRequestsReceived and lastObservationWasUnterminatedRead for where each chunk begins', () => {
    const { b, decoded } = builder();
    b.addRead(Buffer.from('GET /1 HTTP/1.1\r\n\r\n'));
    b.endOfMessage();
    b.addWrite(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'));
    b.flush();
    b.addRead(Buffer.from('POST /2 HTTP/1.1\r\nContent-Length: 4\r\n\r\n'));
    b.flush();
    b.addRead(Buffer.from('body'));
    b.endOfMessage();
    b.requestDropped();
    b.close();
    const s = decoded();
    expect(s.map((x) => [x.number, x.numberOfThisLastChunk, x.priorRequestsReceived, x.lastObservationWasUnterminatedRead])).toEqual([
      [1, undefined, undefined, undefined],
      [2, undefined, 1, undefined],
      [undefined, 3, 1, true],
    ]);
    expect(b.flush()).toBe(false);
  });

  it('moves a read that does not fit the room left into the next record whole', () => {
    const { b, decoded } = builder(1024);
    b.addRead(Buffer.alloc(600, 1));
    b.addRead(Buffer.alloc(600, 2));
    b.close();
    expect(decoded().map(kinds)).toEqual([['read'], ['read', 'close']]);
  });
});

describe('TrafficStreamBuilder flushBytes', () => {
  it('emits a busy connection\'s capture once flushBytes are pending, without waiting for a flush, and loses nothing', () => {
    const records: Uint8Array[] = [];
    const b = new TrafficStreamBuilder({ connectionId: 'conn-2', nodeId: 'node-a', maxRecordBytes: 1 << 20, flushBytes: 4096, emit: (r) => records.push(r) });
    const sent: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const req = Buffer.from(`GET /${i} HTTP/1.1\r\n\r\n`);
      sent.push(req);
      b.addRead(req);
      b.endOfMessage();
      b.addWrite(Buffer.alloc(300, i));
    }
    expect(records.length).toBeGreaterThan(5);
    for (const r of records) expect(r.length).toBeLessThan(4096 + 1024);
    b.close();
    const streams = records.map((r) => decodeTrafficStream(r));
    expect(streams.map((s) => s.number ?? s.numberOfThisLastChunk)).toEqual(streams.map((_, i) => i + 1));
    const all = streams.flatMap((s) => s.subStream);
    expect(Buffer.concat(all.filter((o) => o.read).map((o) => o.read!.data as Buffer)).equals(Buffer.concat(sent))).toBe(true);
    expect(all.filter((o) => o.endOfMessageIndicator).length).toBe(100);
  });
});

describe('TrafficStreamBuilder records', () => {
  it('are the bytes protobufjs writes for the same streams, whatever the sizes, flushes and reused buffers', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const records: Buffer[] = [];
    const b = new TrafficStreamBuilder({ connectionId: 'conn-3', nodeId: 'node-b', maxRecordBytes: 8192, flushBytes: 3000, emit: (r) => records.push(Buffer.from(r)) });
    const reads: Buffer[] = [];
    for (let i = 0; i < 400; i++) {
      const data = Buffer.alloc([1, 100, 700, 5000, 20000][Math.floor(rnd() * 5)], i % 256);
      const step = rnd();
      if (step < 0.4) {
        reads.push(Buffer.from(data));
        b.addRead(data);
      } else if (step < 0.7) b.addWrite(data);
      else if (step < 0.8) b.endOfMessage(3, 40);
      else if (step < 0.9) b.flush();
      else b.trim();
      // The socket's buffer is reused once the builder returns: the record must not change.
      data.fill(0xee);
    }
    b.connectionException('client: ECONNRESET');
    b.close();
    for (const r of records) {
      expect(r.length).toBeLessThanOrEqual(8192);
      expect(Buffer.from(encodeTrafficStream(decodeTrafficStream(r))).equals(r)).toBe(true);
    }
    const got = records.flatMap((r) => decodeTrafficStream(r).subStream).filter((o) => o.read || o.readSegment);
    expect(Buffer.concat(got.map((o) => (o.read ?? o.readSegment)!.data as Buffer)).equals(Buffer.concat(reads))).toBe(true);
  });
});
