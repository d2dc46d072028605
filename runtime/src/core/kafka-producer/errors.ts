/** Kafka error codes a producer meets, by name, and which of them a retry can cure. */
const NAMES: Record<number, string> = {
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  10: 'MESSAGE_TOO_LARGE',
  13: 'NETWORK_EXCEPTION',
  17: 'INVALID_TOPIC_EXCEPTION',
  18: 'RECORD_LIST_TOO_LARGE',
  19: 'NOT_ENOUGH_REPLICAS',
  20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  35: 'UNSUPPORTED_VERSION',
  45: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  46: 'DUPLICATE_SEQUENCE_NUMBER',
  47: 'INVALID_PRODUCER_EPOCH',
  53: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  59: 'UNKNOWN_PRODUCER_ID',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
  87: 'INVALID_RECORD',
};

const RETRIABLE = new Set([3, 5, 6, 7, 13, 14, 15, 19, 20, 74, 75]);

/** The broker no longer takes this producer id's sequence: a new id, and the batches sealed anew. */
export const PRODUCER_IDENTITY_LOST = new Set([45, 47, 59]);

export class KafkaProtocolError extends Error {
  readonly retriable: boolean;

  constructor(
    readonly code: number,
    where: string,
  ) {
    super(`Kafka error ${NAMES[code] ?? 'code'} (${code}) ${where}`);
    this.retriable = RETRIABLE.has(code);
  }
}
