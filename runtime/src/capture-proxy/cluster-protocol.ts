/**
 * What the primary and its workers say to each other over the cluster IPC channel. A worker reads
 * its command line from the environment rather than argv: inside the single executable, argv
 * also carries the executable's own path and options, and the primary has already checked it.
 */

/** The worker's index (0..numThreads-1): its journal directory and its restarts. */
export const WORKER_INDEX_ENV = 'MIGRATION_PROXY_WORKER_INDEX';
/** The primary's command line, JSON. */
export const WORKER_ARGS_ENV = 'MIGRATION_PROXY_WORKER_ARGS';

export type WorkerMessage =
  /** Ready for connections. */
  | { type: 'ready' }
  /** Could not start (bad port, unreadable file...): the primary stops and exits with the code. */
  | { type: 'failed'; message: string; exitCode: number }
  /** Its ProxyStats, answering a 'stats' request (id) or on exit (no id). */
  | { type: 'stats'; id?: number; stats: Record<string, number> };

export type PrimaryMessage =
  /** Send your counters. */
  | { type: 'stats'; id: number }
  /** A client connection (its socket is the message's handle): serve it until it closes. */
  | { type: 'connection' };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && ['ready', 'failed', 'stats'].includes((m as { type: string }).type);
}
