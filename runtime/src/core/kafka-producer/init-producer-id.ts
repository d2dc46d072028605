import type { Writer, Reader } from './wire';

/**
 * InitProducerId v1 (api key 22), non-flexible:
 *   request:  transactional_id NULLABLE_STRING, transaction_timeout_ms INT32
 *   response: throttle_time_ms INT32, error_code INT16, producer_id INT64, producer_epoch INT16
 * Without a transactional id any broker answers with a fresh idempotent producer id, epoch 0.
 */
export const INIT_PRODUCER_ID = { apiKey: 22, version: 1 } as const;

export function writeInitProducerIdRequest(w: Writer): void {
  w.string(null).int32(60_000);
}

export interface InitProducerIdResponse {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export function readInitProducerIdResponse(r: Reader): InitProducerIdResponse {
  r.int32(); // throttle time
  const errorCode = r.int16();
  return { errorCode, producerId: r.int64(), producerEpoch: r.int16() };
}
