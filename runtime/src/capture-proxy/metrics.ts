import http from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ProxyStats } from './proxy-stats';

/** Prometheus metrics read from the plain counters at scrape time (nothing on the hot path). */
export function createMetricsRegistry(stats: ProxyStats): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  counter('capture_proxy_connections_total', 'Client connections accepted', () => stats.connectionsOpened);
  gauge('capture_proxy_connections_active', 'Client connections open now', () => stats.connectionsActive);
  counter('capture_proxy_client_bytes_total', 'Bytes received from clients', () => stats.bytesFromClients);
  counter('capture_proxy_source_bytes_total', 'Bytes received from the source', () => stats.bytesFromSource);
  counter('capture_proxy_requests_total', 'Requests seen', () => stats.requests);
  counter('capture_proxy_requests_captured_total', 'Requests captured', () => stats.requestsCaptured);
  counter('capture_proxy_requests_suppressed_total', 'Requests whose capture a rule suppressed', () => stats.requestsSuppressed);
  counter('capture_proxy_requests_upgrade_total', 'Upgrade or CONNECT requests passed through uncaptured', () => stats.requestsUncapturedUpgrade);
  counter('capture_proxy_malformed_connections_total', 'Connections relayed raw after a request the source refuses (malformed, not HTTP/1.x)', () => stats.malformedConnections);
  counter('capture_proxy_header_timeouts_total', 'Connections closed because a request head did not complete within --headerTimeoutMs', () => stats.headerTimeouts);
  counter('capture_proxy_mutating_held_total', 'Mutating requests held until Kafka acknowledged their capture', () => stats.mutatingHeld);
  counter('capture_proxy_mutating_unacked_forwarded_total', 'Mutating requests forwarded after the acknowledgement timeout, their capture fsync\'d to the journal first', () => stats.mutatingForwardedWithoutAck);
  counter('capture_proxy_journal_acks_total', 'Held mutating requests let through by a journal fsync while Kafka was away', () => stats.journalAcks);
  counter('capture_proxy_mutating_rejected_total', 'Mutating requests answered 503 because their capture was not durable in time', () => stats.mutatingRejected);
  counter('capture_proxy_mutating_abandoned_total', 'Held mutating requests whose client hung up before they were forwarded', () => stats.mutatingAbandoned);
  counter('capture_proxy_records_total', 'TrafficStream records produced', () => stats.recordsSubmitted);
  counter('capture_proxy_records_acked_total', 'TrafficStream records acknowledged by the destination', () => stats.recordsAcked);
  counter('capture_proxy_kafka_produce_requests_total', 'Produce requests sent to Kafka (each carries every record ready when it went)', () => stats.kafkaProduces);
  counter('capture_proxy_records_dropped_total', 'TrafficStream records dropped (buffer and journal full)', () => stats.recordsDropped);
  counter('capture_proxy_dropped_bytes_total', 'Bytes of dropped TrafficStream records', () => stats.bytesDropped);
  counter('capture_proxy_kafka_errors_total', 'Failed Kafka produce or connect attempts', () => stats.kafkaErrors);
  counter('capture_proxy_source_errors_total', 'Source connection failures', () => stats.upstreamErrors);
  gauge('capture_proxy_buffered_bytes', 'Capture held in memory, not yet acknowledged', () => stats.bufferedBytes);
  gauge('capture_proxy_journal_bytes', 'Capture in the spill journal, not yet in Kafka', () => stats.journalBytes);
  gauge('capture_proxy_capture_lag_seconds', 'Age of the oldest capture record not yet acknowledged', () =>
    stats.oldestUnackedAt > 0 && (stats.bufferedBytes > 0 || stats.journalBytes > 0) ? (Date.now() - stats.oldestUnackedAt) / 1000 : 0,
  );
  return registry;
}

/** GET /metrics on its own port; `refresh` runs before each scrape (the primary gathers its workers' counters). */
export async function startMetricsServer(registry: Registry, host: string, port: number, refresh: () => Promise<void> = async () => undefined): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('try /metrics\n');
      return;
    }
    refresh().then(() => registry.metrics()).then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
