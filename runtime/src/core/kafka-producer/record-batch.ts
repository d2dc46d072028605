import { crc32c } from './crc32c';
import { varintSize, Writer } from './wire';

export interface ProducerRecord {
  key: Buffer | null;
  value: Buffer;
}

/** The idempotence fields of a batch (-1s: a plain, non-idempotent batch). */
export interface BatchIdentity {
  producerId: number;
  producerEpoch: number;
  /** Sequence number of the batch's first record on its partition. */
  baseSequence: number;
}

export const NO_IDENTITY: BatchIdentity = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

// baseOffset .. recordsCount: the v2 record batch header.
const BATCH_HEADER = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
// From attributes on, the part the CRC covers.
const CRC_FROM = 8 + 4 + 4 + 1 + 4;

function recordBodySize(r: ProducerRecord, offsetDelta: number): number {
  const keyLen = r.key ? r.key.length : -1;
  return 1 + 1 + varintSize(offsetDelta) + varintSize(keyLen) + Math.max(keyLen, 0) + varintSize(r.value.length) + r.value.length + 1;
}

/** Encoded size of a record batch (magic 2, uncompressed) holding these records. */
export function recordBatchSize(records: ProducerRecord[]): number {
  let size = BATCH_HEADER;
  for (let i = 0; i < records.length; i++) {
    const body = recordBodySize(records[i], i);
    size += varintSize(body) + body;
  }
  return size;
}

/**
 * Writes one record batch (magic 2, no compression) at the writer's position: every record has
 * timestamp `now` and no headers; the producer id, epoch and base sequence let the broker drop a
 * batch it already has. Values are copied once, into the request.
 */
export function writeRecordBatch(w: Writer, records: ProducerRecord[], now: number, id: BatchIdentity = NO_IDENTITY): void {
  const start = w.pos;
  const size = recordBatchSize(records);
  w.int64(0) // baseOffset: the broker assigns offsets
    .int32(size - 12) // batchLength: after this field
    .int32(-1) // partitionLeaderEpoch
    .int8(2) // magic
    .uint32(0) // crc, filled in below
    .int16(0) // attributes: no compression, create time
    .int32(records.length - 1) // lastOffsetDelta
    .int64(now)
    .int64(now)
    .int64(id.producerId)
    .int16(id.producerEpoch)
    .int32(id.baseSequence)
    .int32(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    w.varint(recordBodySize(r, i)).int8(0).varint(0).varint(i);
    if (r.key) w.varint(r.key.length).raw(r.key);
    else w.varint(-1);
    w.varint(r.value.length).raw(r.value).varint(0);
  }
  const crc = crc32c(w.buf.subarray(start + CRC_FROM, w.pos));
  w.buf.writeUInt32BE(crc >>> 0, start + CRC_FROM - 4);
}
