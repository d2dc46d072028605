import { createServer, Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestOutcome } from './outcome';
import { WRITE_OUTCOMES, WriteOutcome } from './write-plan';

/** The replayer's Prometheus metrics (counters are cheap: safe on the hot path). */
export class ReplayerMetrics {
  /**
   * Per-request numbers, counted as plain fields and handed to prom-client when it is read: a
   * prom-client update (label hashing, validation) per request costs more than the request's count.
   */
  readonly counts = { pending: 0, replayed: 0, notSent: 0, targetErrors: 0, statusSame: 0, statusDifferent: 0 };
  private readonly synced = { ...this.counts };
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'replayer_requests_total', help: 'Requests replayed, by outcome', labelNames: ['outcome'] as const, registers: [this.registry], collect: () => this.sync() });
  readonly statusMatch = new Counter({ name: 'replayer_status_comparisons_total', help: 'Source vs target status codes', labelNames: ['result'] as const, registers: [this.registry], collect: () => this.sync() });
  /** Document writes by outcome (write-plan.ts), counted as plain fields like the others. */
  readonly writeOutcomes: Record<WriteOutcome, number> = Object.fromEntries(WRITE_OUTCOMES.map((o) => [o, 0])) as Record<WriteOutcome, number>;
  private readonly syncedOutcomes = { ...this.writeOutcomes };
  readonly writes = new Counter({ name: 'replayer_write_outcomes_total', help: 'Document writes by outcome (replayed, superseded, alreadyPresent, sourceRefused, unversioned, asCaptured)', labelNames: ['outcome'] as const, registers: [this.registry], collect: () => this.sync() });
  readonly retries = new Counter({ name: 'replayer_retries_total', help: 'Attempts after the first', registers: [this.registry] });
  readonly errors = new Counter({ name: 'replayer_errors_total', help: 'Errors by kind', labelNames: ['kind'] as const, registers: [this.registry] });
  readonly records = new Counter({ name: 'replayer_records_total', help: 'TrafficStream records read', registers: [this.registry] });
  readonly pending: Gauge = new Gauge({ name: 'replayer_pending_requests', help: 'Requests read but without a durable tuple yet', registers: [this.registry], collect: () => this.pending.set(this.counts.pending) });
  readonly lag = new Gauge({ name: 'replayer_kafka_lag', help: 'Records between the last read offset and the partition end', labelNames: ['topic', 'partition'] as const, registers: [this.registry] });
  readonly targetLatency = new Histogram({
    name: 'replayer_target_latency_seconds',
    help: 'Target response time per request (last attempt)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly children = {
    replayed: this.requests.labels('replayed'),
    notSent: this.requests.labels('not_sent'),
    targetErrors: this.requests.labels('target_error'),
    statusSame: this.statusMatch.labels('same'),
    statusDifferent: this.statusMatch.labels('different'),
  };

  /** One request's outcome, counted. */
  record(o: RequestOutcome): void {
    const c = this.counts;
    if (o.plan) this.writeOutcomes[o.plan.outcome]++;
    if (o.delivery === 'notSent') c.notSent++;
    else if (o.delivery === 'targetError') c.targetErrors++;
    else if (o.delivery === 'replayed') {
      c.replayed++;
      this.targetLatency.observe(o.targetMs! / 1000);
      if (o.status === 'matched') c.statusSame++;
      else if (o.status) c.statusDifferent++;
    }
  }

  /** Adds what was counted since the last read to the prom-client counters. */
  private sync(): void {
    for (const key of Object.keys(this.children) as (keyof ReplayerMetrics['children'])[]) {
      const delta = this.counts[key] - this.synced[key];
      if (delta > 0) this.children[key].inc(delta);
      this.synced[key] = this.counts[key];
    }
    for (const o of WRITE_OUTCOMES) {
      const delta = this.writeOutcomes[o] - this.syncedOutcomes[o];
      if (delta > 0) this.writes.labels(o).inc(delta);
      this.syncedOutcomes[o] = this.writeOutcomes[o];
    }
  }

  /** Serves /metrics on the given port (0 = any); resolves with the server. */
  serve(port: number, host = '0.0.0.0'): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err) => res.writeHead(500).end(String(err)),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}
