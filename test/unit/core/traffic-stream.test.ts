import {
  decodeTrafficStream,
  decodeTrafficStreamLine,
  encodeTrafficStream,
  encodeTrafficStreamLine,
  observationKind,
  timestampFromMillis,
  timestampToMillis,
  TrafficStream,
  varintSize,
} from '../../../runtime/src/core/traffic-stream';

describe('TrafficStream codec', () => {
  it('uses the reference field numbers on the wire', () => {
    // connectionId = 1 (tag 0x0a), number = 3 (0x18), nodeId = 5 (0x2a), priorRequestsReceived = 6 (0x30)
    const bytes = encodeTrafficStream({ connectionId: 'c', nodeId: 'n', number: 2, priorRequestsReceived: 0, subStream: [] });
    expect(Buffer.from(bytes).toString('hex')).toBe('0a016318022a016e3000');
    // numberOfThisLastChunk = 4 (0x20); lastObservationWasUnterminatedRead = 7 (0x38)
    const last = encodeTrafficStream({ connectionId: 'c', numberOfThisLastChunk: 1, lastObservationWasUnterminatedRead: true, subStream: [] });
    expect(Buffer.from(last).toString('hex')).toBe('0a016320013801');
    // subStream = 2 (0x12) holding ts = 1 (0x0a) and read = 4 (0x22) { data = 1 (0x0a) }
    const withRead = encodeTrafficStream({ subStream: [{ ts: { seconds: 1, nanos: 5 }, read: { data: Buffer.from('A') } }] });
    expect(Buffer.from(withRead).toString('hex')).toBe('120b' + '0a0408011005' + '22030a0141');
    // readSegment = 5 { data = 2 (0x12) }, endOfMessageIndicator = 15 (0x7a)
    const seg = encodeTrafficStream({ subStream: [{ readSegment: { data: Buffer.from('A') } }, { endOfMessageIndicator: { firstLineByteLength: 3, headersByteLength: 4 } }] });
    expect(Buffer.from(seg).toString('hex')).toBe('1205' + '2a03120141' + '1206' + '7a0408031004');
  });

  it('round-trips every observation kind with bytes intact', () => {
    const ts = timestampFromMillis(1_700_000_000_123);
    const stream: TrafficStream = {
      connectionId: 'conn-1',
      nodeId: 'node-a',
      numberOfThisLastChunk: 3,
      priorRequestsReceived: 5,
      lastObservationWasUnterminatedRead: false,
      subStream: [
        { ts, bind: {} },
        { ts, connect: {} },
        { ts, read: { data: Buffer.from([0, 1, 2, 255]) } },
        { ts, readSegment: { data: Buffer.from('seg') } },
        { ts, segmentEnd: {} },
        { ts, endOfMessageIndicator: { firstLineByteLength: 16, headersByteLength: 40 } },
        { ts, requestReleasedDownstream: { timedOut: true } },
        { ts, write: { data: Buffer.from('HTTP/1.1 200 OK\r\n\r\n') } },
        { ts, writeSegment: { data: Buffer.from('w') } },
        { ts, requestDropped: {} },
        { ts, connectionException: { message: 'reset' } },
        { ts, disconnect: {} },
        { ts, close: {} },
      ],
    };
    const decoded = decodeTrafficStreamLine(encodeTrafficStreamLine(stream));
    expect(decoded.subStream.map(observationKind)).toEqual(stream.subStream.map(observationKind));
    expect(Buffer.from(decoded.subStream[2].read!.data)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(decoded.subStream[5].endOfMessageIndicator).toEqual({ firstLineByteLength: 16, headersByteLength: 40 });
    expect(decoded.subStream[10].connectionException).toEqual({ message: 'reset' });
    expect(timestampToMillis(decoded.subStream[0].ts)).toBe(1_700_000_000_123);
    expect(decoded).toMatchObject({ connectionId: 'conn-1', nodeId: 'node-a', numberOfThisLastChunk: 3, priorRequestsReceived: 5, lastObservationWasUnterminatedRead: false });
    expect(decoded.number).toBeUndefined();
  });

  it('reads a missing seconds or nanos as zero, as proto3 encoders omit them', () => {
    // ts = { seconds: 1700000000 } without nanos (a whole second), then { nanos: 5000000 } without seconds.
    const wholeSecond = encodeTrafficStream({ subStream: [{ ts: { seconds: 1_700_000_000 } as never, close: {} }, { ts: { nanos: 5_000_000 } as never, close: {} }] });
    const [a, b] = decodeTrafficStream(wholeSecond).subStream;
    expect(a.ts).toEqual({ seconds: 1_700_000_000, nanos: 0 });
    expect(b.ts).toEqual({ seconds: 0, nanos: 5_000_000 });
    expect(timestampToMillis(a.ts)).toBe(1_700_000_000_000);
    expect(timestampToMillis({ seconds: 2 } as never)).toBe(2000);
  });

  it('throws on bytes that are not a TrafficStream', () => {
    expect(() => decodeTrafficStream(Buffer.from('not a protobuf record at all'))).toThrow();
  });

  it('sizes varints as protobuf does', () => {
    expect([0, 127, 128, 16383, 16384, 2 ** 31].map(varintSize)).toEqual([1, 1, 2, 2, 3, 5]);
  });
});
