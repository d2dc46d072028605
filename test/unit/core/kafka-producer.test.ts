import { randomBytes } from 'node:crypto';
import { crc32c, jsCrc32c, nativeCrc32c } from '../../../runtime/src/core/kafka-producer/crc32c';
import { murmur2 } from '../../../runtime/src/core/kafka-producer/murmur2';
import { recordBatchSize, writeRecordBatch } from '../../../runtime/src/core/kafka-producer/record-batch';
import { Reader, varintSize, Writer } from '../../../runtime/src/core/kafka-producer/wire';
// kafkajs's own hash and batch decoder are the reference the encoding must agree with.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2: (key: Buffer) => number = require('kafkajs/src/producer/partitioners/default/murmur2');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsCrc32C: (b: Buffer) => number = require('kafkajs/src/protocol/recordBatch/crc32C');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KafkajsDecoder = require('kafkajs/src/protocol/decoder');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const decodeRecordBatch: (d: unknown) => Promise<{ records: Array<{ key: Buffer | null; value: Buffer; offset: string }> }> = require('kafkajs/src/protocol/recordBatch/v0/decoder');

describe('lean Kafka producer encoding', () => {
  it('hashes keys as kafkajs and the Java client do', () => {
    for (let len = 0; len < 40; len++) {
      for (let i = 0; i < 20; i++) {
        const key = randomBytes(len);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }
    }
  });

  it('computes CRC-32C natively here, and the JavaScript fallback agrees', () => {
    expect(nativeCrc32c).toBe(true);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    for (const n of [0, 1, 7, 64, 1000, 65537]) {
      const b = randomBytes(n);
      expect(jsCrc32c(b)).toBe(crc32c(b));
    }
  });

  it('writes zigzag varints of the size it predicts, readable back', () => {
    for (const v of [0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2 ** 31 - 1, -(2 ** 31), 2 ** 40]) {
      const w = new Writer(1);
      w.varint(v);
      expect(w.pos).toBe(varintSize(v));
    }
    const w = new Writer(4);
    w.int16(-2).string('héllo').string(null).bytes(Buffer.from('ab')).int64(2 ** 40);
    const r = new Reader(w.result);
    expect([r.int16(), r.string(), r.string(), r.bytes()?.toString(), r.int64()]).toEqual([-2, 'héllo', null, 'ab', 2 ** 40]);
  });

  it('writes a record batch that kafkajs decodes, with a valid CRC, of exactly the predicted size', async () => {
    const records = [0, 1, 127, 128, 20000].map((n, i) => ({ key: i === 2 ? null : Buffer.from(`key-${i}`), value: randomBytes(n) }));
    const w = new Writer(16);
    writeRecordBatch(w, records, 1_700_000_000_123);
    expect(w.pos).toBe(recordBatchSize(records));
    const decoded = await decodeRecordBatch(new KafkajsDecoder(w.result));
    expect(decoded.records.map((r) => [r.key?.toString() ?? null, r.value.toString('hex'), r.offset])).toEqual(
      records.map((r, i) => [r.key?.toString() ?? null, r.value.toString('hex'), String(i)]),
    );
    // kafkajs does not check the CRC on reading; the broker does: CRC-32C from the attributes on.
    expect(w.result.readUInt32BE(17)).toBe(kafkajsCrc32C(w.result.subarray(21)) >>> 0);
  });

  it('writes the idempotence fields a broker deduplicates by: producer id, epoch, base sequence', async () => {
    const records = [{ key: Buffer.from('k'), value: Buffer.from('v') }, { key: null, value: Buffer.from('w') }];
    const w = new Writer(16);
    writeRecordBatch(w, records, 1_700_000_000_123, { producerId: 2 ** 40 + 5, producerEpoch: 3, baseSequence: 2 ** 31 - 1 });
    // After baseOffset(8) batchLength(4) leaderEpoch(4) magic(1) crc(4) attributes(2) lastOffsetDelta(4) two timestamps(16).
    expect([Number(w.result.readBigInt64BE(43)), w.result.readInt16BE(51), w.result.readInt32BE(53), w.result.readInt32BE(57)]).toEqual([2 ** 40 + 5, 3, 2 ** 31 - 1, 2]);
    expect(w.result.readUInt32BE(17)).toBe(kafkajsCrc32C(w.result.subarray(21)) >>> 0);
    const plain = new Writer(16);
    writeRecordBatch(plain, records, 1);
    expect([Number(plain.result.readBigInt64BE(43)), plain.result.readInt16BE(51), plain.result.readInt32BE(53)]).toEqual([-1, -1, -1]);
  });
});
