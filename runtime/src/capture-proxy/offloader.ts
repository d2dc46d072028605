/** Where finished TrafficStream records go: Kafka, files, or nowhere. Records keep submit order. */
export interface CaptureOffloader {
  /**
   * Queues one record. With wantAck, the promise resolves true once the record is durable at the
   * destination (Kafka acknowledged it), false if it was dropped.
   */
  submit(key: Buffer, value: Uint8Array, wantAck: boolean): Promise<boolean> | undefined;
  /** True when acknowledgements mean something (Kafka): mutating requests wait for them. */
  readonly acknowledges: boolean;
  /**
   * The acknowledgement timed out under --unackedCapturePolicy forward: make everything queued
   * durable elsewhere (the fsync'd journal) and let acknowledgements come from there.
   */
  spill?(reason: string): void;
  /** Delivers or journals everything queued, then releases resources. */
  close(timeoutMs: number): Promise<void>;
}
