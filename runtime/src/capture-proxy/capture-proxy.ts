import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import { startEmfReporter } from '../core/emf';
import { createLeanProducer } from '../core/kafka-client';
import type { Logger } from '../core/logging';
import { FileOffloader, NoCaptureOffloader } from './file-offloader';
import { KafkaOffloader, KafkaOffloaderOptions } from './kafka-offloader';
import { createMetricsRegistry, startMetricsServer } from './metrics';
import type { CaptureOffloader } from './offloader';
import type { ProxyConfig } from './options';
import { ProxyServer } from './proxy-server';
import { ProxyStats } from './proxy-stats';

const CAPTURE_FLUSH_BYTES = 64 * 1024;
/** One produce request at most: under MSK's default message.max.bytes (1 MB), encoded in ~0.3 ms. */
const KAFKA_BATCH_BYTES = 512 * 1024;

export interface RunningProxy {
  port: number;
  metricsPort?: number;
  stats: ProxyStats;
  /** Serves a client connection accepted by another process (with `adopt`: the primary's). */
  adopt(socket: net.Socket): void;
  /** Graceful stop: no new connections, requests in flight finish, capture flushed. */
  stop(): Promise<void>;
}

export type KafkaCapture = Extract<ProxyConfig['capture'], { kind: 'kafka' }>;

/** A Kafka offloader with its own lean producer (one per process, or per orphan journal drained). */
export function createKafkaOffloader(c: KafkaCapture, opts: Pick<KafkaOffloaderOptions, 'stats' | 'log' | 'maxBufferedBytes' | 'journalDir' | 'maxJournalBytes' | 'journalIsDurable'>): KafkaOffloader {
  const producer = createLeanProducer({ brokers: c.brokers, clientId: c.clientId, auth: c.auth, tls: c.tls, logger: opts.log, requestTimeoutMs: c.requestTimeoutMs ?? 10_000, connectionTimeoutMs: 3000 });
  return new KafkaOffloader({ ...opts, producer, topic: c.topic, maxBatchBytes: KAFKA_BATCH_BYTES });
}

/**
 * Wires config to the offloader, the listener and the metrics endpoint, and starts them. With
 * `adopt`, it does not listen: connections come through RunningProxy.adopt (a --numThreads worker).
 */
export async function startCaptureProxy(config: ProxyConfig, log: Logger, opts: { adopt?: boolean } = {}): Promise<RunningProxy> {
  const stats = new ProxyStats();
  let offloader: CaptureOffloader;
  const c = config.capture;
  if (c.kind === 'kafka') {
    const k = createKafkaOffloader(c, {
      stats,
      log,
      maxBufferedBytes: config.maxBufferedBytes,
      journalDir: config.journalDir,
      maxJournalBytes: config.maxJournalBytes,
      // forward lets a write through once its capture is fsync'd to the journal; reject waits for Kafka.
      journalIsDurable: config.unackedPolicy === 'forward',
    });
    await k.start();
    offloader = k;
  } else if (c.kind === 'file') {
    offloader = new FileOffloader({ directory: c.directory, nodeId: config.nodeId, maxFileBytes: c.maxFileBytes, worker: c.worker, stats });
  } else {
    offloader = new NoCaptureOffloader();
  }
  const server = new ProxyServer({
    destination: config.destination,
    insecureDestination: config.insecureDestination,
    listenHost: config.listenHost,
    listenPort: config.listenPort,
    tls: config.tls && {
      cert: readFileSync(config.tls.certFile),
      key: readFileSync(config.tls.keyFile),
      clientCa: config.tls.clientCaFile ? readFileSync(config.tls.clientCaFile) : undefined,
      requireClientCert: config.tls.requireClientCert,
    },
    settings: {
      nodeId: config.nodeId,
      capture: c.kind !== 'none',
      maxRecordBytes: config.maxTrafficBufferSize,
      // Records of 64 KiB: a busy connection's capture is encoded in small slices between the
      // relay's reads and writes (p99), and reaches Kafka soon after the traffic.
      flushRecordBytes: CAPTURE_FLUSH_BYTES,
      rules: config.rules,
      setHeaders: config.setHeaders,
      ackTimeoutMs: config.ackTimeoutMs,
      unackedPolicy: config.unackedPolicy,
      framingRules: config.framingRules,
      headerTimeoutMs: config.headerTimeoutMs,
    },
    offloader,
    stats,
    log,
    flushIntervalMs: config.flushIntervalMs,
    destinationPool: config.destinationPool,
  });
  let port = config.listenPort;
  try {
    if (opts.adopt) server.serveAdopted();
    else port = await server.listen();
  } catch (err) {
    await offloader.close(1000);
    throw err;
  }
  let metrics: http.Server | undefined;
  if (config.metricsPort !== undefined) metrics = await startMetricsServer(createMetricsRegistry(stats), config.metricsHost, config.metricsPort);
  // On ECS/EC2 with METRICS_FORMAT=emf: the dashboards' capture metrics as log lines for CloudWatch.
  const emf = startEmfReporter({
    metrics: {
      captureConnectionsOpened: { kind: 'counter' },
      captureRequests: { kind: 'counter' },
      captureBytesRead: { kind: 'counter', unit: 'Bytes' },
      captureKafkaRecordsSent: { kind: 'counter' },
      captureKafkaSendErrors: { kind: 'counter' },
    },
    read: () => ({
      captureConnectionsOpened: stats.connectionsOpened,
      captureRequests: stats.requests,
      captureBytesRead: stats.bytesFromClients,
      captureKafkaRecordsSent: stats.recordsAcked,
      captureKafkaSendErrors: stats.kafkaErrors,
    }),
  });
  let stopping: Promise<void> | undefined;
  return {
    port,
    metricsPort: metrics ? (metrics.address() as { port: number }).port : undefined,
    stats,
    adopt: (socket) => server.adopt(socket),
    stop() {
      stopping ??= (async () => {
        await server.stop(config.shutdownGraceMs);
        await offloader.close(Math.max(5000, config.shutdownGraceMs));
        emf?.stop();
        if (metrics) await new Promise((r) => metrics!.close(() => r(undefined)));
      })();
      return stopping;
    },
  };
}
