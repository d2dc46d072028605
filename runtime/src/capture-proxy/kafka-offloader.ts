import type { LeanProducer, SealedBatch } from '../core/kafka-producer/producer';
import type { Logger } from '../core/logging';
import type { CaptureOffloader } from './offloader';
import type { ProxyStats } from './proxy-stats';
import { JournalRecord, RecordSeal, SpillJournal } from './spill-journal';

export interface KafkaOffloaderOptions {
  producer: Pick<LeanProducer, 'connect' | 'seal' | 'sendSealed' | 'disconnect'>;
  topic: string;
  stats: ProxyStats;
  log: Logger;
  /** Records held in memory before they spill to the journal (bytes). */
  maxBufferedBytes: number;
  /** Directory of the spill journal; undefined: no journal, records beyond the buffer are dropped. */
  journalDir?: string;
  /** Journal size beyond which records are dropped (counted and logged). */
  maxJournalBytes: number;
  /**
   * A record in the fsync'd journal counts as durable (--unackedCapturePolicy forward): while the
   * circuit is open, acknowledgements come from the journal. Otherwise only Kafka's count.
   */
  journalIsDurable?: boolean;
  /** Bytes per produce request. */
  maxBatchBytes?: number;
  /** Pause between attempts while Kafka is away. */
  retryMs?: number;
}

interface Pending {
  key: Buffer;
  value: Buffer;
  at: number;
  resolve?: (ok: boolean) => void;
}

/** Records of one produce request, and their batches once the producer sealed them. */
interface Window {
  records: Pending[];
  batches?: SealedBatch[];
}

interface Waiter {
  end: number;
  resolve: (ok: boolean) => void;
}

/**
 * Sends records to Kafka in submit order with one produce request in flight, so each connection's
 * records stay in order on their partition. The circuit opens when a produce fails or times out,
 * or when the memory bound is reached: every record (the failed batch first) then goes to the
 * spill journal, which drains in order while new records keep appending behind it; memory use
 * stays bounded whatever Kafka does. A batch keeps its seal (producer id, sequence) wherever it
 * goes, so that no retry writes it twice. The circuit closes when the journal is empty.
 */
export class KafkaOffloader implements CaptureOffloader {
  readonly acknowledges = true;
  private readonly producer: KafkaOffloaderOptions['producer'];
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private inflight: Window | undefined;
  /** Journal bytes that hold the in-flight batch (written there when the circuit opened). */
  private inflightJournalEnd = -1;
  /** End of the last record appended to the journal, and how many were. */
  private lastJournalEnd = -1;
  private journaledRecords = 0;
  private spilling = false;
  private readonly journal: SpillJournal | undefined;
  private journalWaiters: Waiter[] = [];
  /** Acknowledgements that wait for the next journal fsync (one fsync for all of a turn's records). */
  private syncWaiters: Array<(ok: boolean) => void> = [];
  private syncScheduled = false;
  private connected = false;
  private draining = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private lastDropLog = 0;
  private readonly maxBatchBytes: number;
  private readonly retryMs: number;
  private readonly journalIsDurable: boolean;

  constructor(private readonly opts: KafkaOffloaderOptions) {
    this.producer = opts.producer;
    this.maxBatchBytes = opts.maxBatchBytes ?? 2 * 1024 * 1024;
    this.retryMs = opts.retryMs ?? 500;
    this.journalIsDurable = opts.journalIsDurable ?? false;
    if (opts.journalDir) {
      this.journal = new SpillJournal(opts.journalDir);
      if (!this.journal.isEmpty) {
        // Left by an earlier run: it goes out first.
        opts.log.warn({ journalBytes: this.journal.pendingBytes, journalDir: opts.journalDir }, 'capture journal from an earlier run found; sending it first');
        this.spilling = true;
        this.scheduleDrain(0);
      }
      opts.stats.journalBytes = this.journal.pendingBytes;
    }
  }

  /** True while Kafka is known to be away and records go to the journal. */
  get circuitOpen(): boolean {
    return this.spilling;
  }

  /** Connects the producer; failures are not fatal (records spill until Kafka answers). */
  async start(): Promise<void> {
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (err) {
      this.opts.stats.kafkaErrors++;
      this.opts.log.warn({ err }, 'Kafka is not reachable yet; capture goes to the journal until it is');
      this.spilling = true;
      this.scheduleDrain(this.retryMs);
    }
  }

  submit(key: Buffer, value: Uint8Array, wantAck: boolean): Promise<boolean> | undefined {
    const stats = this.opts.stats;
    stats.recordsSubmitted++;
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    let promise: Promise<boolean> | undefined;
    let resolve: ((ok: boolean) => void) | undefined;
    if (wantAck) promise = new Promise<boolean>((r) => (resolve = r));
    if (!this.spilling && this.queuedBytes + buf.length > this.opts.maxBufferedBytes) this.startSpilling('the in-memory capture buffer is full');
    const p: Pending = { key, value: buf, at: Date.now(), resolve };
    if (this.spilling) {
      this.appendToJournal(p);
      if (this.journalIsDurable) this.scheduleSync();
    } else {
      if (this.queue.length === 0 && !this.inflight) stats.oldestUnackedAt = p.at;
      this.queue.push(p);
      this.queuedBytes += buf.length;
      stats.bufferedBytes = this.queuedBytes;
      if (!this.inflight) queueMicrotask(() => this.sendNext());
    }
    return promise;
  }

  /**
   * Kafka did not acknowledge in time: the circuit opens, and everything not yet acknowledged goes
   * to the journal, fsync'd before this returns. Acknowledgements then come from the journal
   * (journalIsDurable); false for those it could not take.
   */
  spill(reason: string): void {
    this.startSpilling(reason);
    this.syncNow();
  }

  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && (this.queue.length > 0 || this.inflight || (this.journal && !this.journal.isEmpty && this.connected))) {
      if (this.spilling) this.scheduleDrain(0);
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // Kafka did not take it in time: keep it for the next start (the in-flight batch with its seal).
    if (this.journal && (this.queue.length > 0 || this.inflight)) this.startSpilling('the proxy is stopping');
    for (const p of this.queue) this.dropped(p.value.length, p.resolve, 'proxy stopped before Kafka took the record');
    this.queue = [];
    this.syncNow();
    this.journal?.close();
    await this.producer.disconnect().catch(() => undefined);
  }

  private sendNext(): void {
    if (this.inflight || this.spilling || this.queue.length === 0) return;
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n].value.length <= this.maxBatchBytes)) bytes += this.queue[n++].value.length;
    const window: Window = { records: this.queue.splice(0, n) };
    this.queuedBytes -= bytes;
    this.opts.stats.bufferedBytes = this.queuedBytes;
    this.inflight = window;
    this.produceWindow(window).then(
      () => this.onWindowDone(window, true),
      (err) => {
        this.opts.stats.kafkaErrors++;
        this.opts.log.warn({ err: String(err?.message ?? err), records: window.records.length }, 'Kafka did not take a capture batch; spilling to the journal');
        this.onWindowDone(window, false);
      },
    );
  }

  private async produceWindow(window: Window): Promise<void> {
    await this.ensureConnected();
    window.batches ??= await this.producer.seal(this.opts.topic, window.records);
    await this.produce(window.batches);
  }

  private async ensureConnected(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  private async produce(batches: SealedBatch[]): Promise<void> {
    this.opts.stats.kafkaProduces++;
    try {
      await this.producer.sendSealed(this.opts.topic, batches);
    } catch (err) {
      // Fresh connections and metadata next time.
      this.connected = false;
      await this.producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  private onWindowDone(window: Window, ok: boolean): void {
    if (this.inflight !== window) return;
    this.inflight = undefined;
    const stats = this.opts.stats;
    if (ok) {
      stats.recordsAcked += window.records.length;
      for (const p of window.records) p.resolve?.(true);
      if (this.inflightJournalEnd >= 0) {
        // It was also written to the journal when the circuit opened: skip that copy.
        this.journal!.commit(this.inflightJournalEnd);
        stats.journalBytes = this.journal!.pendingBytes;
        this.resolveJournalWaiters(this.inflightJournalEnd, true);
      }
    } else if (this.inflightJournalEnd < 0) {
      // Failed before the circuit opened: the batch goes to the journal head, then the queue.
      this.startSpilling('Kafka failed', window);
      if (this.journalIsDurable) this.syncNow();
    }
    this.inflightJournalEnd = -1;
    stats.oldestUnackedAt = this.queue[0]?.at ?? 0;
    if (this.spilling) this.scheduleDrain(ok ? 0 : this.retryMs);
    else this.sendNext();
  }

  private startSpilling(reason: string, failed?: Window): void {
    if (this.spilling) return;
    this.spilling = true;
    this.opts.log.warn({ reason, queuedRecords: this.queue.length, journal: Boolean(this.journal) }, 'capture goes to the journal until Kafka catches up');
    if (this.inflight && !failed && this.journal) {
      // Keep order: the in-flight batch goes first in the journal; dropped from it if Kafka acks.
      const appended = this.journaledRecords;
      this.journalWindow(this.inflight);
      this.inflightJournalEnd = this.journaledRecords > appended ? this.lastJournalEnd : -1;
    }
    if (failed) this.journalWindow(failed);
    for (const p of this.queue) this.appendToJournal(p);
    this.queue = [];
    this.queuedBytes = 0;
    this.opts.stats.bufferedBytes = 0;
  }

  /** A window's records into the journal, batch by batch with their seals when it has them. */
  private journalWindow(window: Window): void {
    if (!window.batches) {
      for (const p of window.records) this.appendToJournal(p);
      return;
    }
    for (const b of window.batches) {
      const seal = sealOf(b);
      for (const r of b.records) this.appendToJournal(r as Pending, seal);
    }
  }

  private appendToJournal(p: Pending, seal?: RecordSeal): void {
    if (!this.journal || this.journal.pendingBytes + p.value.length > this.opts.maxJournalBytes) {
      this.dropped(p.value.length, p.resolve, this.journal ? 'the capture journal is full' : 'no capture journal and the buffer is full');
      return;
    }
    const end = this.journal.append(p.key, p.value, seal);
    this.lastJournalEnd = end;
    this.journaledRecords++;
    this.opts.stats.journalBytes = this.journal.pendingBytes;
    if (p.resolve) {
      if (this.journalIsDurable) this.syncWaiters.push(p.resolve);
      else this.journalWaiters.push({ end, resolve: p.resolve });
    }
    this.scheduleDrain(this.retryMs);
  }

  private scheduleSync(): void {
    if (this.syncScheduled || this.syncWaiters.length === 0) return;
    this.syncScheduled = true;
    setImmediate(() => this.syncNow());
  }

  /** fsyncs the journal and acknowledges what waited for it. */
  private syncNow(): void {
    this.syncScheduled = false;
    if (this.syncWaiters.length === 0 || !this.journal) return;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    let ok = true;
    try {
      this.journal.sync();
    } catch (err) {
      ok = false;
      this.opts.log.error({ err }, 'the capture journal could not be fsync\'d');
    }
    this.opts.stats.journalAcks += ok ? waiters.length : 0;
    for (const resolve of waiters) resolve(ok);
  }

  private dropped(bytes: number, resolve: ((ok: boolean) => void) | undefined, reason: string): void {
    const stats = this.opts.stats;
    stats.recordsDropped++;
    stats.bytesDropped += bytes;
    resolve?.(false);
    const now = Date.now();
    if (now - this.lastDropLog > 5000) {
      this.lastDropLog = now;
      this.opts.log.error({ reason, recordsDroppedTotal: stats.recordsDropped, bytesDroppedTotal: stats.bytesDropped }, 'capture records dropped');
    }
  }

  private resolveJournalWaiters(upTo: number, ok: boolean): void {
    let i = 0;
    while (i < this.journalWaiters.length && this.journalWaiters[i].end <= upTo) this.journalWaiters[i++].resolve(ok);
    if (i > 0) this.journalWaiters.splice(0, i);
  }

  private scheduleDrain(delayMs: number): void {
    if (this.retryTimer || this.draining) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delayMs);
    if (!this.closing) this.retryTimer.unref?.();
  }

  /** Sends the journal in order, each batch as it was sealed; the circuit closes once it is empty. */
  private async drain(): Promise<void> {
    if (this.draining || this.inflight || !this.journal) return;
    this.draining = true;
    try {
      while (!this.journal.isEmpty) {
        const records = this.journal.peek(this.maxBatchBytes);
        await this.ensureConnected();
        await this.produce(records[0].seal ? sealedBatches(records) : await this.sealJournaled(records));
        const end = records[records.length - 1].end;
        this.opts.stats.recordsAcked += records.length;
        this.resolveJournalWaiters(end, true);
        this.journal.commit(end);
        this.opts.stats.journalBytes = this.journal.pendingBytes;
      }
      this.spilling = false;
      this.opts.log.info('capture journal drained; sending directly to Kafka again');
      this.draining = false;
      this.sendNext();
    } catch (err: any) {
      this.opts.stats.kafkaErrors++;
      this.draining = false;
      this.opts.log.debug({ err: String(err?.message ?? err) }, 'Kafka still unavailable for the journal');
      this.scheduleDrain(this.retryMs);
    }
  }

  /** Seals journaled records for their first send, and writes the seals down (fsync'd) before it. */
  private async sealJournaled(records: JournalRecord[]): Promise<SealedBatch[]> {
    const batches = await this.producer.seal(this.opts.topic, records);
    for (const b of batches) {
      const seal = sealOf(b);
      for (const r of b.records) this.journal!.seal(r as JournalRecord, seal);
    }
    this.journal!.sync();
    return batches;
  }
}

function sealOf(b: SealedBatch): RecordSeal {
  return { producerId: b.producerId, producerEpoch: b.producerEpoch, partition: b.partition, baseSequence: b.baseSequence, batchCount: b.records.length };
}

/** Journaled records back into the batches they were sealed in. */
function sealedBatches(records: JournalRecord[]): SealedBatch[] {
  const byBatch = new Map<string, SealedBatch>();
  for (const r of records) {
    const s = r.seal!;
    const id = `${s.producerId}/${s.producerEpoch}/${s.partition}/${s.baseSequence}`;
    let batch = byBatch.get(id);
    if (!batch) byBatch.set(id, (batch = { partition: s.partition, producerId: s.producerId, producerEpoch: s.producerEpoch, baseSequence: s.baseSequence, records: [] }));
    batch.records.push({ key: r.key, value: r.value });
  }
  return [...byBatch.values()];
}
