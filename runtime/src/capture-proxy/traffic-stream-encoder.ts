/**
 * The hot-path TrafficStream encoder: the builder writes each observation's bytes straight into
 * the record's buffer as it happens (protobufjs builds an operation list per field first, which
 * was a tenth of the proxy's CPU under small requests). The bytes equal protobufjs' encoding of the
 * same record (fields in number order; the optional chunk fields only when above 0 / true), which the unit tests
 * check; core/traffic-stream decodes them.
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

function isData(kind: Obs): boolean {
  return kind === Obs.Read || kind === Obs.ReadSegment || kind === Obs.Write || kind === Obs.WriteSegment;
}

/** Bytes of the capture field's content: data or message (with its tag), or the EOM's two ints. */
function bodySize(kind: Obs, data: Buffer | undefined, a: number, b: number): number {
  if (isData(kind) || kind === Obs.ConnectionException) {
    const n = data!.length;
    return 1 + varintSize(n) + n;
  }
  if (kind === Obs.EndOfMessage) return (a >= 0 ? 1 + varintSize(a) : 0) + (b >= 0 ? 1 + varintSize(b) : 0);
  return 0;
}

/** Bytes of one observation's content (without its own tag and length). */
function observationSize(kind: Obs, seconds: number, nanos: number, body: number): number {
  const ts = 2 + varintSize(seconds) + varintSize(nanos);
  return 1 + varintSize(ts) + ts + (kind === Obs.RequestDropped ? 2 : 1) + varintSize(body) + body;
}

/**
 * Encoded bytes of one observation as a subStream field (tag and length included). `data` is the
 * read/write bytes, or the message of a ConnectionException; a and b the EOM's lengths (-1: absent).
 */
export function observationLength(kind: Obs, seconds: number, nanos: number, data: Buffer | undefined, a: number, b: number): number {
  const size = observationSize(kind, seconds, nanos, bodySize(kind, data, a, b));
  return 1 + varintSize(size) + size;
}

/** Writes one observation as a subStream field at pos; returns the position after it. */
export function writeObservation(out: Buffer, pos: number, kind: Obs, seconds: number, nanos: number, data: Buffer | undefined, a: number, b: number): number {
  const body = bodySize(kind, data, a, b);
  out[pos++] = 0x12; // subStream = 2
  pos = writeVarint(out, pos, observationSize(kind, seconds, nanos, body));
  out[pos++] = 0x0a; // ts = 1
  pos = writeVarint(out, pos, 2 + varintSize(seconds) + varintSize(nanos));
  out[pos++] = 0x08;
  pos = writeVarint(out, pos, seconds);
  out[pos++] = 0x10;
  pos = writeVarint(out, pos, nanos);
  pos = writeVarint(out, pos, (kind << 3) | 2);
  pos = writeVarint(out, pos, body);
  if (isData(kind) || kind === Obs.ConnectionException) {
    // read/write and the exception's message are field 1, the segments field 2.
    out[pos++] = kind === Obs.ReadSegment || kind === Obs.WriteSegment ? 0x12 : 0x0a;
    pos = writeVarint(out, pos, data!.length);
    pos += data!.copy(out, pos);
  } else if (kind === Obs.EndOfMessage) {
    if (a >= 0) {
      out[pos++] = 0x08;
      pos = writeVarint(out, pos, a);
    }
    if (b >= 0) {
      out[pos++] = 0x10;
      pos = writeVarint(out, pos, b);
    }
  }
  return pos;
}

/**
 * Bytes of the fields after the observations: chunk number, nodeId, priorRequestsReceived (when
 * above 0), the unterminated-read flag (when set).
 */
export function trailerLength(header: RecordHeader): number {
  const prior = header.priorRequestsReceived > 0 ? 1 + varintSize(header.priorRequestsReceived) : 0;
  return 1 + varintSize(header.chunk) + header.nodeIdField.length + prior + (header.lastObservationWasUnterminatedRead ? 2 : 0);
}

/**
 * Writes the fields that follow the observations; returns the position after them. The optional
 * fields are written only where the reference proxy writes them (a count above 0, a true flag):
 * its replayer numbers a chunk's first request priorRequestsReceived + (flag present ? 1 : 0).
 */
export function writeTrailer(out: Buffer, pos: number, header: RecordHeader): number {
  out[pos++] = header.last ? 0x20 : 0x18; // numberOfThisLastChunk = 4 | number = 3
  pos = writeVarint(out, pos, header.chunk);
  pos += header.nodeIdField.copy(out, pos);
  if (header.priorRequestsReceived > 0) {
    out[pos++] = 0x30; // priorRequestsReceived = 6
    pos = writeVarint(out, pos, header.priorRequestsReceived);
  }
  if (header.lastObservationWasUnterminatedRead) {
    out[pos++] = 0x38; // lastObservationWasUnterminatedRead = 7
    out[pos++] = 1;
  }
  return pos;
}
