import { crc32c } from './crc32c';
import { varintSize, Writer } from './wire';

export interface ProducerRecord {
  key: Buffer | null;
  value: Buffer;
}

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
 * Writes one record batch (magic 2, no compression, no producer id) at the writer's position:
 * every record has timestamp `now` and no headers. Values are copied once, into the request.
 */
export function writeRecordBatch(w: Writer, records: ProducerRecord[], now: number): void {
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
    .int64(-1) // producerId
    .int16(-1) // producerEpoch
    .int32(-1) // baseSequence
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
