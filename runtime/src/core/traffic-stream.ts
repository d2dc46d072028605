import protobuf from 'protobufjs';

// int64 seconds decode as plain numbers (safe for timestamps), not Long objects.
protobuf.util.Long = undefined as any;
protobuf.configure();

/**
 * The reference's capture format (opensearch-migrations TrafficCaptureStream.proto): field numbers
 * are the contract, so captures move between its tools and ours both ways.
 */
const PROTO = `
syntax = "proto3";
package org.opensearch.migrations.trafficcapture.protos;

message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message ReadObservation { bytes data = 1; }
message ReadSegmentObservation { bytes data = 2; }
message WriteObservation { bytes data = 1; }
message WriteSegmentObservation { bytes data = 2; }
message BindObservation {}
message ConnectObservation {}
message DisconnectObservation {}
message CloseObservation {}
message EndOfSegmentsIndication {}
message RequestIntentionallyDropped {}
message RequestReleasedDownstream { bool timedOut = 1; }
message ConnectionExceptionObservation { string message = 1; }
message EndOfMessageIndication {
  optional int32 firstLineByteLength = 1;
  optional int32 headersByteLength = 2;
}
message TrafficObservation {
  Timestamp ts = 1;
  oneof capture {
    BindObservation bind = 2;
    ConnectObservation connect = 3;
    ReadObservation read = 4;
    ReadSegmentObservation readSegment = 5;
    RequestReleasedDownstream requestReleasedDownstream = 6;
    WriteObservation write = 8;
    WriteSegmentObservation writeSegment = 9;
    DisconnectObservation disconnect = 10;
    CloseObservation close = 11;
    ConnectionExceptionObservation connectionException = 12;
    EndOfSegmentsIndication segmentEnd = 14;
    EndOfMessageIndication endOfMessageIndicator = 15;
    RequestIntentionallyDropped requestDropped = 16;
  }
}
message TrafficStream {
  string connectionId = 1;
  repeated TrafficObservation subStream = 2;
  oneof index {
    int32 number = 3;
    int32 numberOfThisLastChunk = 4;
  }
  string nodeId = 5;
  optional int32 priorRequestsReceived = 6;
  optional bool lastObservationWasUnterminatedRead = 7;
}
`;

// google.protobuf.Timestamp has the same wire shape (seconds = 1, nanos = 2) as the local Timestamp.
const root = protobuf.parse(PROTO, { keepCase: true }).root;
const TrafficStreamType = root.lookupType('org.opensearch.migrations.trafficcapture.protos.TrafficStream');

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface DataObservation {
  data: Uint8Array;
}

/** One observation: a timestamp and exactly one of the capture fields. */
export interface TrafficObservation {
  ts?: Timestamp;
  bind?: object;
  connect?: object;
  read?: DataObservation;
  readSegment?: DataObservation;
  requestReleasedDownstream?: { timedOut?: boolean };
  write?: DataObservation;
  writeSegment?: DataObservation;
  disconnect?: object;
  close?: object;
  connectionException?: { message?: string };
  segmentEnd?: object;
  endOfMessageIndicator?: { firstLineByteLength?: number; headersByteLength?: number };
  requestDropped?: object;
}

export type ObservationKind = Exclude<keyof TrafficObservation, 'ts'>;

export const OBSERVATION_KINDS: ObservationKind[] = [
  'bind', 'connect', 'read', 'readSegment', 'requestReleasedDownstream', 'write', 'writeSegment',
  'disconnect', 'close', 'connectionException', 'segmentEnd', 'endOfMessageIndicator', 'requestDropped',
];

export interface TrafficStream {
  connectionId: string;
  nodeId: string;
  subStream: TrafficObservation[];
  /** Set on an intermediate chunk (numbered from 1). */
  number?: number;
  /** Set on the connection's last chunk instead of number. */
  numberOfThisLastChunk?: number;
  priorRequestsReceived?: number;
  lastObservationWasUnterminatedRead?: boolean;
}

/** Omitted fields are not written (proto3 defaults). */
export function encodeTrafficStream(stream: Partial<TrafficStream>): Uint8Array {
  return TrafficStreamType.encode(stream as unknown as protobuf.Message).finish();
}

const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, bytes: Buffer as any, defaults: false, oneofs: false };

/** Decodes one record; throws on bytes that are not a TrafficStream. */
export function decodeTrafficStream(bytes: Uint8Array): TrafficStream {
  const message = TrafficStreamType.decode(bytes);
  const obj = TrafficStreamType.toObject(message, OBJECT_OPTIONS) as TrafficStream;
  obj.subStream ??= [];
  obj.connectionId ??= '';
  obj.nodeId ??= '';
  for (const obs of obj.subStream) {
    // An empty capture message (close, bind...) decodes as {}; keep it present.
    for (const kind of OBSERVATION_KINDS) if (obs[kind] === null) delete obs[kind];
    // proto3 encoders (the reference's Java one) omit zero fields: whole seconds carry no nanos.
    if (obs.ts) {
      obs.ts.seconds ??= 0;
      obs.ts.nanos ??= 0;
    }
  }
  return obj;
}

/** Which capture field an observation holds. */
export function observationKind(obs: TrafficObservation): ObservationKind | undefined {
  for (const kind of OBSERVATION_KINDS) if (obs[kind] !== undefined) return kind;
  return undefined;
}

/** The chunk's number, whether intermediate or last. */
export function chunkNumber(stream: TrafficStream): number | undefined {
  return stream.number ?? stream.numberOfThisLastChunk;
}

export function isLastChunk(stream: TrafficStream): boolean {
  return stream.numberOfThisLastChunk !== undefined;
}

export function timestampFromMillis(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** A missing seconds or nanos is zero, as proto3 defines it. */
export function timestampToMillis(ts: Partial<Timestamp> | undefined): number {
  return ts ? (ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : 0;
}

/** File form: one base64 TrafficStream per line. */
export function encodeTrafficStreamLine(stream: TrafficStream): string {
  return Buffer.from(encodeTrafficStream(stream)).toString('base64');
}

export function decodeTrafficStreamLine(line: string): TrafficStream {
  return decodeTrafficStream(Buffer.from(line.trim(), 'base64'));
}

/** Bytes a varint takes on the wire (for sizing records without encoding them). */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
