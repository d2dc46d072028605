/**
 * The hot-path TrafficStream encoder: sizes a record exactly, allocates it once and writes the
 * observations' bytes straight in (protobufjs builds an operation list per field first, which was
 * a tenth of the proxy's CPU under small requests). The bytes equal protobufjs' encoding of the
 * same record (fields in number order, set fields written even when zero), which the unit test
 * checks; core/traffic-stream decodes them.
 */
import { varintSize } from '../core/traffic-stream';

/** Observation kinds as their TrafficObservation field numbers. */
export const enum Obs {
  Read = 4,
  ReadSegment = 5,
  Write = 8,
  WriteSegment = 9,
  Close = 11,
  ConnectionException = 12,
  SegmentEnd = 14,
  EndOfMessage = 15,
  RequestDropped = 16,
}

/** One observation, flat: one object each instead of three. */
export interface FlatObservation {
  kind: Obs;
  seconds: number;
  nanos: number;
  /** Read, write and their segments. */
  data?: Buffer;
  /** EndOfMessage: firstLineByteLength and headersByteLength (-1: absent). */
  a: number;
  b: number;
  /** ConnectionException. */
  message?: Buffer;
}

export interface RecordHeader {
  /** Field 1 (connectionId) with its tag and length, ready to copy. */
  connectionIdField: Buffer;
  /** Field 5 (nodeId) with its tag and length. */
  nodeIdField: Buffer;
  chunk: number;
  last: boolean;
  priorRequestsReceived: number;
  lastObservationWasUnterminatedRead: boolean;
}

/** A length-delimited string field, tag included. */
export function stringField(field: number, value: string): Buffer {
  const text = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(1 + varintSize(text.length) + text.length);
  let pos = 0;
  out[pos++] = (field << 3) | 2;
  pos = writeVarint(out, pos, text.length);
  text.copy(out, pos);
  return out;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

function bodySize(o: FlatObservation): number {
  switch (o.kind) {
    case Obs.Read:
    case Obs.ReadSegment:
    case Obs.Write:
    case Obs.WriteSegment: {
      const n = o.data!.length;
      return 1 + varintSize(n) + n;
    }
    case Obs.EndOfMessage:
      return (o.a >= 0 ? 1 + varintSize(o.a) : 0) + (o.b >= 0 ? 1 + varintSize(o.b) : 0);
    case Obs.ConnectionException: {
      const n = o.message!.length;
      return 1 + varintSize(n) + n;
    }
    default:
      return 0;
  }
}

function tsSize(o: FlatObservation): number {
  return 2 + varintSize(o.seconds) + varintSize(o.nanos);
}

/** Bytes of one observation's content (without its own tag and length). */
function observationSize(o: FlatObservation, body: number): number {
  const ts = tsSize(o);
  return 1 + varintSize(ts) + ts + (o.kind === Obs.RequestDropped ? 2 : 1) + varintSize(body) + body;
}

/** Encodes one TrafficStream record into a single exactly-sized buffer. */
export function encodeRecord(header: RecordHeader, observations: readonly FlatObservation[]): Buffer {
  const bodies = new Array<number>(observations.length);
  const sizes = new Array<number>(observations.length);
  let total = header.connectionIdField.length + header.nodeIdField.length;
  for (let i = 0; i < observations.length; i++) {
    const body = bodySize(observations[i]);
    const size = observationSize(observations[i], body);
    bodies[i] = body;
    sizes[i] = size;
    total += 1 + varintSize(size) + size;
  }
  total += 1 + varintSize(header.chunk) + 1 + varintSize(header.priorRequestsReceived) + 2;

  const out = Buffer.allocUnsafe(total);
  let pos = header.connectionIdField.copy(out, 0);
  for (let i = 0; i < observations.length; i++) {
    const o = observations[i];
    out[pos++] = 0x12; // subStream = 2
    pos = writeVarint(out, pos, sizes[i]);
    out[pos++] = 0x0a; // ts = 1
    pos = writeVarint(out, pos, tsSize(o));
    out[pos++] = 0x08;
    pos = writeVarint(out, pos, o.seconds);
    out[pos++] = 0x10;
    pos = writeVarint(out, pos, o.nanos);
    pos = writeVarint(out, pos, (o.kind << 3) | 2);
    pos = writeVarint(out, pos, bodies[i]);
    switch (o.kind) {
      case Obs.Read:
      case Obs.Write:
      case Obs.ReadSegment:
      case Obs.WriteSegment: {
        const data = o.data!;
        // read/write carry data as field 1, the segments as field 2.
        out[pos++] = o.kind === Obs.Read || o.kind === Obs.Write ? 0x0a : 0x12;
        pos = writeVarint(out, pos, data.length);
        pos += data.copy(out, pos);
        break;
      }
      case Obs.EndOfMessage:
        if (o.a >= 0) {
          out[pos++] = 0x08;
          pos = writeVarint(out, pos, o.a);
        }
        if (o.b >= 0) {
          out[pos++] = 0x10;
          pos = writeVarint(out, pos, o.b);
        }
        break;
      case Obs.ConnectionException:
        out[pos++] = 0x0a;
        pos = writeVarint(out, pos, o.message!.length);
        pos += o.message!.copy(out, pos);
        break;
      default:
        break;
    }
  }
  out[pos++] = header.last ? 0x20 : 0x18; // numberOfThisLastChunk = 4 | number = 3
  pos = writeVarint(out, pos, header.chunk);
  pos += header.nodeIdField.copy(out, pos);
  out[pos++] = 0x30; // priorRequestsReceived = 6
  pos = writeVarint(out, pos, header.priorRequestsReceived);
  out[pos++] = 0x38; // lastObservationWasUnterminatedRead = 7
  out[pos++] = header.lastObservationWasUnterminatedRead ? 1 : 0;
  if (pos !== total) throw new Error(`TrafficStream encoder wrote ${pos} of ${total} bytes`);
  return out;
}
