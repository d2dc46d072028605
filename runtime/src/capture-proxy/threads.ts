import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProxyConfig } from './options';
import { SpillJournal } from './spill-journal';

/**
 * The default --numThreads is the number of cores, at most this many. One worker relays about
 * 50,000 searches or 14,000 captured _bulk requests a second (18 and 70 µs of CPU each, bench:proxy),
 * more than a coordinator node's own Elasticsearch serves; each further worker costs ~26 MB of
 * private memory and its own connections to every Kafka broker (MSK counts and rate-limits them), so
 * beyond 4 a busy 16-core node gains nothing and its JVM loses room.
 */
export const MAX_DEFAULT_THREADS = 4;
/** An explicit --numThreads beyond this is a mistake rather than a plan. */
export const MAX_THREADS = 64;
/** The smallest in-memory capture buffer a worker gets when the total is split. */
const MIN_WORKER_BUFFER_BYTES = 1024 * 1024;

export function defaultThreadCount(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores, MAX_DEFAULT_THREADS));
}

/** Worker 0 keeps the journal directory itself (as a single process does); worker i > 0 a subdirectory. */
export function workerJournalDir(root: string, index: number): string {
  return index === 0 ? root : path.join(root, `worker-${index}`);
}

/**
 * Worker `index` of `threads`: its own journal directory (and capture file names), and its share
 * of the memory and journal bounds, which stay totals for the whole proxy.
 */
export function workerConfig(config: ProxyConfig, index: number, threads: number): ProxyConfig {
  return {
    ...config,
    capture: config.capture.kind === 'file' ? { ...config.capture, worker: index } : config.capture,
    journalDir: config.journalDir === undefined ? undefined : workerJournalDir(config.journalDir, index),
    maxBufferedBytes: Math.max(MIN_WORKER_BUFFER_BYTES, Math.floor(config.maxBufferedBytes / threads)),
    maxJournalBytes: Math.floor(config.maxJournalBytes / threads),
  };
}

/**
 * Journals that no worker of this run owns: `worker-<i>` subdirectories with i >= threads, left
 * by a run with more workers (a lower --numThreads, or a smaller instance's default), that still
 * hold capture. Worker 0 drains them.
 */
export function orphanJournalDirs(root: string, threads: number): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const m = /^worker-(\d+)$/.exec(name);
    if (!m || Number(m[1]) < threads) continue;
    if (SpillJournal.hasPending(path.join(root, name))) out.push(path.join(root, name));
  }
  return out.sort((a, b) => Number(a.split('-').pop()) - Number(b.split('-').pop()));
}
