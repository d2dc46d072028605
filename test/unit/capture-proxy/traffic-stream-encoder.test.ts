import { Obs, observationLength, RecordHeader, stringField, trailerLength, writeObservation, writeTrailer } from '../../../runtime/src/capture-proxy/traffic-stream-encoder';
import { encodeTrafficStream, TrafficObservation, TrafficStream } from '../../../runtime/src/core/traffic-stream';

interface FlatObservation {
  kind: Obs;
  seconds: number;
  nanos: number;
  data?: Buffer;
  a: number;
  b: number;
  message?: Buffer;
}

/** A whole record from the encoder's pieces, as the builder writes it. */
function encodeRecord(header: RecordHeader, observations: FlatObservation[]): Buffer {
  let total = header.connectionIdField.length + trailerLength(header);
  for (const o of observations) total += observationLength(o.kind, o.seconds, o.nanos, o.data ?? o.message, o.a, o.b);
  const out = Buffer.alloc(total);
  let pos = header.connectionIdField.copy(out, 0);
  for (const o of observations) pos = writeObservation(out, pos, o.kind, o.seconds, o.nanos, o.data ?? o.message, o.a, o.b);
  expect(writeTrailer(out, pos, header)).toBe(total);
  return out;
}

/** The same observation in the object form protobufjs encodes. */
function asObject(o: FlatObservation): TrafficObservation {
  const ts = { seconds: o.seconds, nanos: o.nanos };
  switch (o.kind) {
    case Obs.Read:
      return { ts, read: { data: o.data! } };
    case Obs.ReadSegment:
      return { ts, readSegment: { data: o.data! } };
    case Obs.Write:
      return { ts, write: { data: o.data! } };
    case Obs.WriteSegment:
      return { ts, writeSegment: { data: o.data! } };
    case Obs.EndOfMessage: {
      const eom: { firstLineByteLength?: number; headersByteLength?: number } = {};
      if (o.a >= 0) eom.firstLineByteLength = o.a;
      if (o.b >= 0) eom.headersByteLength = o.b;
      return { ts, endOfMessageIndicator: eom };
    }
    case Obs.ConnectionException:
      return { ts, connectionException: { message: o.message!.toString('utf8') } };
    case Obs.Close:
      return { ts, close: {} };
    case Obs.SegmentEnd:
      return { ts, segmentEnd: {} };
    case Obs.RequestDropped:
      return { ts, requestDropped: {} };
  }
}

function seeded(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe('TrafficStream encoder', () => {
  it('writes the same bytes as protobufjs for every observation kind, sizes and chunk fields', () => {
    const rnd = seeded(42);
    const kinds = [Obs.Read, Obs.ReadSegment, Obs.Write, Obs.WriteSegment, Obs.EndOfMessage, Obs.ConnectionException, Obs.Close, Obs.SegmentEnd, Obs.RequestDropped];
    for (let round = 0; round < 300; round++) {
      const observations: FlatObservation[] = [];
      const n = Math.floor(rnd() * 8);
      for (let i = 0; i < n; i++) {
        const kind = kinds[Math.floor(rnd() * kinds.length)];
        // Sizes around the varint steps (127/128, 16383/16384) and a few large ones.
        const len = [1, 127, 128, 300, 16383, 16384, 70000][Math.floor(rnd() * 7)];
        const o: FlatObservation = {
          kind,
          seconds: Math.floor(rnd() * 2 ** 33),
          nanos: Math.floor(rnd() * 1e9),
          a: rnd() < 0.3 ? -1 : Math.floor(rnd() * 200),
          b: rnd() < 0.3 ? -1 : Math.floor(rnd() * 20000),
        };
        if (kind === Obs.Read || kind === Obs.ReadSegment || kind === Obs.Write || kind === Obs.WriteSegment) o.data = Buffer.alloc(len, i);
        if (kind === Obs.ConnectionException) o.message = Buffer.from(`client: ECONNRESET é ${'x'.repeat(len % 300)}`, 'utf8');
        observations.push(o);
      }
      const last = rnd() < 0.5;
      const chunk = 1 + Math.floor(rnd() * 300);
      const prior = rnd() < 0.3 ? 0 : Math.floor(rnd() * 1000);
      const unterminated = rnd() < 0.5;
      const connectionId = `conn-${round}`;
      const nodeId = round % 2 ? 'node-a' : '';
      const ours = encodeRecord(
        { connectionIdField: stringField(1, connectionId), nodeIdField: stringField(5, nodeId), chunk, last, priorRequestsReceived: prior, lastObservationWasUnterminatedRead: unterminated },
        observations,
      );
      // As the reference proxy: priorRequestsReceived only above 0, the flag only when true.
      const stream: TrafficStream = { connectionId, nodeId, subStream: observations.map(asObject) };
      if (prior > 0) stream.priorRequestsReceived = prior;
      if (unterminated) stream.lastObservationWasUnterminatedRead = true;
      if (last) stream.numberOfThisLastChunk = chunk;
      else stream.number = chunk;
      expect(Buffer.from(encodeTrafficStream(stream)).equals(ours)).toBe(true);
    }
  });
});
