import { rmSync } from 'node:fs';
import type { Logger } from '../core/logging';
import type { KafkaOffloader } from './kafka-offloader';
import { ProxyStats } from './proxy-stats';

export interface OrphanDrain {
  /** Resolves once every journal is sent (or stop was called). */
  done: Promise<void>;
  /** Stops draining; what is left stays on disk for the next start. */
  stop(): Promise<void>;
}

/**
 * Sends the capture left in journals that no worker owns (see orphanJournalDirs), one journal at a
 * time, each through its own offloader (which replays a non-empty journal on its own), and
 * removes each directory once it is empty.
 */
export function drainOrphanJournals(dirs: string[], open: (dir: string, stats: ProxyStats) => KafkaOffloader, log: Logger, pollMs = 250): OrphanDrain {
  let stopping = false;
  let current: KafkaOffloader | undefined;
  let wake: (() => void) | undefined;
  const sleep = () => new Promise<void>((r) => {
    wake = r;
    setTimeout(r, pollMs).unref();
  });
  const done = (async () => {
    for (const dir of dirs) {
      if (stopping) return;
      const stats = new ProxyStats();
      const offloader = open(dir, stats);
      current = offloader;
      log.warn({ journalDir: dir, journalBytes: stats.journalBytes }, 'capture journal of a worker this run does not have; sending it');
      await offloader.start();
      while (!stopping && stats.journalBytes > 0) await sleep();
      await offloader.close(1000);
      current = undefined;
      if (stats.journalBytes === 0) {
        rmSync(dir, { recursive: true, force: true });
        log.info({ journalDir: dir, records: stats.recordsAcked }, 'orphan capture journal sent and removed');
      }
    }
  })().catch((err) => log.error({ err }, 'sending an orphan capture journal failed; it is kept for the next start'));
  return {
    done,
    async stop() {
      stopping = true;
      wake?.();
      await done;
      await current?.close(1000);
    },
  };
}
