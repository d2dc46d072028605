import { exitWithError, UserError } from '../core/errors';
import { nativeCrc32c } from '../core/kafka-producer/crc32c';
import type { Logger } from '../core/logging';
import { createKafkaOffloader, RunningProxy, startCaptureProxy } from './capture-proxy';
import { drainOrphanJournals, OrphanDrain } from './journal-orphans';
import type { ProxyConfig } from './options';
import { orphanJournalDirs } from './threads';

/** What the ready line says about the capture (and the pid to signal). */
export function captureSummary(config: ProxyConfig): Record<string, unknown> {
  const c = config.capture;
  const capture = c.kind === 'kafka' ? `kafka ${c.brokers.join(',')} topic ${c.topic}` : c.kind === 'file' ? `files in ${c.directory}` : 'none';
  // The JavaScript CRC-32C costs a few µs more per captured request than the native one.
  return c.kind === 'kafka' ? { capture, nativeCrc32c, pid: process.pid } : { capture, pid: process.pid };
}

/** A port that cannot be taken as a named error; any other error as it is. */
export function listenError(config: ProxyConfig, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') return new UserError('LISTEN', `cannot listen on ${config.listenHost}:${config.listenPort} (${code}): choose another --listenPort or stop what holds it`);
  return err;
}

export interface ServingProcess {
  proxy: RunningProxy;
  /** True once stop was called. */
  readonly stopping: boolean;
  /** Stops once (later calls return the same promise): requests in flight finish, capture flushed. */
  stop(reason: string): Promise<void>;
}

/**
 * The proxy in this process: alone, or as worker `worker` of a primary. The first (or only)
 * process also drains journals left by workers this run does not have. SIGTERM and SIGINT stop
 * it; a repeated signal does not cut the drain short (systemd signals every process of the unit,
 * and the primary forwards its own).
 */
export async function startServing(config: ProxyConfig, log: Logger, opts: { worker?: number; onStopped: () => void }): Promise<ServingProcess> {
  let proxy: RunningProxy;
  try {
    // A worker serves the connections its primary accepts and hands over.
    proxy = await startCaptureProxy(config, log, { adopt: opts.worker !== undefined });
  } catch (err) {
    throw listenError(config, err);
  }
  let orphans: OrphanDrain | undefined;
  const c = config.capture;
  if (c.kind === 'kafka' && config.journalDir && (opts.worker ?? 0) === 0) {
    const dirs = orphanJournalDirs(config.journalDir, config.numThreads);
    if (dirs.length > 0) {
      orphans = drainOrphanJournals(dirs, (dir, stats) => createKafkaOffloader(c, { stats, log, maxBufferedBytes: config.maxBufferedBytes, journalDir: dir, maxJournalBytes: Number.MAX_SAFE_INTEGER }), log);
    }
  }
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    if (stopping) {
      log.info({ reason }, 'already stopping');
      return stopping;
    }
    log.info({ reason }, 'stopping: no new connections; finishing requests in flight and flushing the capture');
    stopping = (async () => {
      await proxy.stop();
      await orphans?.stop();
      log.info({ recordsDropped: proxy.stats.recordsDropped, journalBytes: proxy.stats.journalBytes }, 'capture proxy stopped');
      log.flush?.();
      opts.onStopped();
    })().catch((err) => exitWithError(err));
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return {
    proxy,
    stop,
    get stopping() {
      return stopping !== undefined;
    },
  };
}
