import type { LeanProducer } from '../core/kafka-producer/producer';
import type { ProducerRecord } from '../core/kafka-producer/record-batch';
import type { Logger } from '../core/logging';
import type { CaptureOffloader } from './offloader';
import type { ProxyStats } from './proxy-stats';
import { SpillJournal } from './spill-journal';

export interface KafkaOffloaderOptions {
  producer: Pick<LeanProducer, 'connect' | 'send' | 'disconnect'>;
  topic: string;
  stats: ProxyStats;
  log: Logger;
  /** Records held in memory before they spill to the journal (bytes). */
  maxBufferedBytes: number;
  /** Directory of the spill journal; undefined: no journal, records beyond the buffer are dropped. */
  journalDir?: string;
  /** Journal size beyond which records are dropped (counted and logged). */
  maxJournalBytes: number;
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

interface Waiter {
  end: number;
  resolve: (ok: boolean) => void;
}

/**
 * Sends records to Kafka in submit order with one produce request in flight, so each connection's
 * records stay in order on their partition. When Kafka fails or the memory bound is reached, every
 * record (the failed batch first) goes to the spill journal, which drains in order while new
 * records keep appending behind it; memory use stays bounded whatever Kafka does.
 */
export class KafkaOffloader implements CaptureOffloader {
  readonly acknowledges = true;
  private readonly producer: KafkaOffloaderOptions['producer'];
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private inflight: Pending[] | undefined;
  /** Journal bytes that hold the in-flight batch (written there when we switched to spilling). */
  private inflightJournalEnd = -1;
  private spilling = false;
  private readonly journal: SpillJournal | undefined;
  private journalWaiters: Waiter[] = [];
  private connected = false;
  private draining = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private lastDropLog = 0;
  private readonly maxBatchBytes: number;
  private readonly retryMs: number;

  constructor(private readonly opts: KafkaOffloaderOptions) {
    this.producer = opts.producer;
    this.maxBatchBytes = opts.maxBatchBytes ?? 2 * 1024 * 1024;
    this.retryMs = opts.retryMs ?? 500;
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

  /** Connects the producer; failures are not fatal (records spill until Kafka answers). */
  async start(): Promise<void> {
    try {
      await this.producer.connect();
      this.connected = true;
    } catch (err) {
      this.opts.stats.kafkaErrors++;
      this.opts.log.warn({ err }, 'Kafka is not reachable yet; capture is kept in memory and the journal until it is');
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
    if (this.spilling) {
      this.appendToJournal(key, buf, resolve);
    } else {
      if (this.queue.length === 0 && !this.inflight) stats.oldestUnackedAt = Date.now();
      this.queue.push({ key, value: buf, at: Date.now(), resolve });
      this.queuedBytes += buf.length;
      stats.bufferedBytes = this.queuedBytes;
      if (!this.inflight) queueMicrotask(() => this.sendNext());
    }
    return promise;
  }

  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && (this.queue.length > 0 || this.inflight || (this.journal && !this.journal.isEmpty && this.connected))) {
      if (this.spilling) this.scheduleDrain(0);
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.queue.length > 0 && this.journal) {
      // Kafka did not take it in time: keep it for the next start.
      for (const p of this.queue) this.appendToJournal(p.key, p.value, p.resolve);
      this.queue = [];
      this.queuedBytes = 0;
    }
    for (const p of this.queue) this.dropped(p.value.length, p.resolve, 'proxy stopped before Kafka took the record');
    this.queue = [];
    this.journal?.close();
    await this.producer.disconnect().catch(() => undefined);
  }

  private sendNext(): void {
    if (this.inflight || this.spilling || this.queue.length === 0) return;
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n].value.length <= this.maxBatchBytes)) bytes += this.queue[n++].value.length;
    const batch = this.queue.splice(0, n);
    this.queuedBytes -= bytes;
    this.opts.stats.bufferedBytes = this.queuedBytes;
    this.inflight = batch;
    this.produce(batch.map((p) => ({ key: p.key, value: p.value }))).then(
      () => this.onBatchDone(batch, true),
      (err) => {
        this.opts.stats.kafkaErrors++;
        this.opts.log.warn({ err: String(err?.message ?? err), records: batch.length }, 'Kafka did not take a capture batch; spilling to the journal');
        this.onBatchDone(batch, false);
      },
    );
  }

  private async produce(records: ProducerRecord[]): Promise<void> {
    this.opts.stats.kafkaProduces++;
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    try {
      await this.producer.send(this.opts.topic, records, -1);
    } catch (err) {
      // Fresh connections and metadata next time.
      this.connected = false;
      await this.producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  private onBatchDone(batch: Pending[], ok: boolean): void {
    this.inflight = undefined;
    const stats = this.opts.stats;
    if (ok) {
      stats.recordsAcked += batch.length;
      for (const p of batch) p.resolve?.(true);
      if (this.inflightJournalEnd >= 0) {
        // It was also written to the journal when spilling began: skip that copy.
        this.journal!.commit(this.inflightJournalEnd);
        stats.journalBytes = this.journal!.pendingBytes;
        this.resolveJournalWaiters(this.inflightJournalEnd, true);
      }
    } else if (this.inflightJournalEnd < 0) {
      // Failed before spilling began: the batch goes to the journal head, then the queue.
      this.startSpilling('Kafka failed', batch);
    }
    this.inflightJournalEnd = -1;
    stats.oldestUnackedAt = this.queue[0]?.at ?? 0;
    if (this.spilling) this.scheduleDrain(ok ? 0 : this.retryMs);
    else this.sendNext();
  }

  private startSpilling(reason: string, failedBatch?: Pending[]): void {
    if (this.spilling) return;
    this.spilling = true;
    this.opts.log.warn({ reason, queuedRecords: this.queue.length, journal: Boolean(this.journal) }, 'capture spills to the journal until Kafka catches up');
    if (this.inflight && !failedBatch && this.journal) {
      // Keep order: the in-flight batch goes first in the journal; dropped from it if Kafka acks.
      for (const p of this.inflight) {
        this.inflightJournalEnd = this.journal.append(p.key, p.value);
        if (p.resolve) this.journalWaiters.push({ end: this.inflightJournalEnd, resolve: p.resolve });
      }
    }
    for (const p of failedBatch ?? []) this.appendToJournal(p.key, p.value, p.resolve);
    for (const p of this.queue) this.appendToJournal(p.key, p.value, p.resolve);
    this.queue = [];
    this.queuedBytes = 0;
    this.opts.stats.bufferedBytes = 0;
  }

  private appendToJournal(key: Buffer, value: Buffer, resolve?: (ok: boolean) => void): void {
    if (!this.journal || this.journal.pendingBytes + value.length > this.opts.maxJournalBytes) {
      this.dropped(value.length, resolve, this.journal ? 'the capture journal is full' : 'no capture journal and the buffer is full');
      return;
    }
    const end = this.journal.append(key, value);
    this.opts.stats.journalBytes = this.journal.pendingBytes;
    if (resolve) this.journalWaiters.push({ end, resolve });
    this.scheduleDrain(this.retryMs);
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

  /** Sends the journal in order; back to direct sending once it is empty. */
  private async drain(): Promise<void> {
    if (this.draining || this.inflight || !this.journal) return;
    this.draining = true;
    try {
      while (!this.journal.isEmpty) {
        const records = this.journal.peek(this.maxBatchBytes);
        await this.produce(records.map((r) => ({ key: r.key, value: r.value })));
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
}
