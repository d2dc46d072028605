import cluster, { Worker } from 'node:cluster';
import type http from 'node:http';
import net from 'node:net';
import { UserError } from '../core/errors';
import type { Logger } from '../core/logging';
import { isWorkerMessage, WORKER_ARGS_ENV, WORKER_INDEX_ENV } from './cluster-protocol';
import { createMetricsRegistry, startMetricsServer } from './metrics';
import type { ProxyConfig } from './options';
import { addTotals, ProxyStats, sumStats } from './proxy-stats';
import { captureSummary, listenError } from './serving-process';

/** How long a scrape waits for the workers' counters before it uses the last ones they sent. */
const STATS_WAIT_MS = 1000;
/** A worker that dies sooner than this after its start is restarted after a growing pause. */
const STABLE_MS = 10_000;
const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 10_000;

/** True inside the single executable (node:sea is missing before Node 20.12). */
function insideExecutable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

interface Slot {
  index: number;
  worker?: Worker;
  startedAt: number;
  ready: boolean;
  /** Its counters as it last reported them. */
  stats?: Record<string, number>;
  restartDelayMs: number;
}

/**
 * The primary of `--numThreads N`: forks N workers, listens, and hands each connection it accepts
 * to the next worker in turn (which keeps it from then to its close), restarts a worker that dies
 * (its journal is replayed by its successor), serves /metrics summed over the workers, and on
 * SIGTERM stops accepting, lets every worker drain, then exits.
 */
export async function runPrimary(config: ProxyConfig, argv: string[], log: Logger): Promise<void> {
  const n = config.numThreads;
  const exited = new ProxyStats();
  const slots: Slot[] = Array.from({ length: n }, (_, index) => ({ index, startedAt: 0, ready: false, restartDelayMs: RESTART_MIN_MS }));
  let stopping = false;
  let requestId = 0;
  const waiting = new Map<number, { slots: Set<Slot>; resolve: () => void }>();

  // Inside the single executable, the runtime options are the executable's own.
  cluster.setupPrimary({ execArgv: insideExecutable() ? [] : process.execArgv, silent: false });

  let started = false;
  let readyResolve: () => void;
  let readyReject: (err: Error) => void;
  const allReady = new Promise<void>((res, rej) => {
    readyResolve = res;
    readyReject = rej;
  });

  const fork = (slot: Slot) => {
    slot.ready = false;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(slot.index), [WORKER_ARGS_ENV]: JSON.stringify(argv) });
    slot.worker = worker;
    worker.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'ready') {
        slot.ready = true;
        if (started) log.info({ worker: slot.index, pid: worker.process.pid }, 'restarted worker ready');
        else if (slots.every((s) => s.ready)) readyResolve();
      } else if (m.type === 'failed') {
        if (!started) readyReject(new UserError('WORKER', m.message.replace(/^\w+: /, ''), m.exitCode));
        else log.error({ worker: slot.index, err: m.message }, 'a restarted worker could not start');
      } else {
        slot.stats = m.stats;
        const w = m.id === undefined ? undefined : waiting.get(m.id);
        if (w && w.slots.delete(slot) && w.slots.size === 0) w.resolve();
      }
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      if (slot.stats) addTotals(exited, slot.stats);
      slot.stats = undefined;
      for (const w of waiting.values()) if (w.slots.delete(slot) && w.slots.size === 0) w.resolve();
      if (stopping) return;
      if (!started) {
        readyReject(new UserError('WORKER', `capture proxy worker ${slot.index} exited while starting (code ${code}, signal ${signal})`));
        return;
      }
      const lived = Date.now() - slot.startedAt;
      slot.restartDelayMs = lived >= STABLE_MS ? RESTART_MIN_MS : Math.min(RESTART_MAX_MS, slot.restartDelayMs * 2);
      log.error({ worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: slot.restartDelayMs }, 'a capture proxy worker died: its connections are gone; starting a new one, which sends its journal first');
      // Not unref'd: with every worker dead, this timer is what keeps the primary alive.
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, slot.restartDelayMs);
    });
  };

  /** Fresh counters from every live worker, or their last ones after STATS_WAIT_MS. */
  const currentStats = async (): Promise<ProxyStats> => {
    const live = slots.filter((s) => s.worker?.isConnected());
    if (live.length > 0) {
      const id = ++requestId;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STATS_WAIT_MS);
        waiting.set(id, {
          slots: new Set(live),
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        for (const s of live) s.worker!.send({ type: 'stats', id });
      });
      waiting.delete(id);
    }
    return sumStats(exited, slots.flatMap((s) => (s.worker && s.stats ? [s.stats] : [])));
  };

  // Strict rotation over the ready workers. (cluster's own round robin hands a burst of
  // connections to whichever worker answers first: 105 of 128 to one of two, measured here.)
  let next = 0;
  const dispatch = (socket: net.Socket) => {
    for (let tried = 0; tried < n; tried++) {
      const slot = slots[next++ % n];
      if (slot.ready && slot.worker?.isConnected()) {
        slot.worker.send({ type: 'connection' }, socket, (err: Error | null) => {
          if (err) socket.destroy();
        });
        return;
      }
    }
    socket.destroy();
  };
  const listener = net.createServer({ pauseOnConnect: true }, dispatch);
  listener.on('error', (err) => log.error({ err }, 'listener error'));

  let metrics: http.Server | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    listener.close();
    log.info({ signal, threads: n }, 'stopping: every worker finishes its requests in flight and flushes its capture');
    const deadline = setTimeout(() => {
      for (const s of slots) s.worker?.process.kill('SIGKILL');
    }, config.shutdownGraceMs + Math.max(5000, config.shutdownGraceMs) + 5000);
    deadline.unref();
    // The signal only (Worker.kill would cut the IPC channel first, and with it the final counters).
    for (const s of slots) s.worker?.process.kill('SIGTERM');
    const wait = setInterval(() => {
      if (slots.some((s) => s.worker)) return;
      clearInterval(wait);
      clearTimeout(deadline);
      const total = sumStats(exited, []);
      log.info({ recordsDropped: total.recordsDropped, requests: total.requests }, 'capture proxy stopped');
      log.flush?.();
      metrics?.close();
      setTimeout(() => process.exit(0), 50);
    }, 20);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (const slot of slots) fork(slot);
  try {
    await allReady;
  } catch (err) {
    stopping = true;
    for (const s of slots) s.worker?.process.kill('SIGKILL');
    throw err;
  }
  if (stopping) return;
  try {
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ host: config.listenHost, port: config.listenPort, backlog: 4096 }, () => {
        listener.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    stopping = true;
    for (const s of slots) s.worker?.process.kill('SIGKILL');
    throw listenError(config, err);
  }
  const port = (listener.address() as net.AddressInfo).port;
  started = true;

  if (config.metricsPort !== undefined) {
    // The registry reads `shown` at scrape time; each scrape refreshes it from the workers first.
    const shown = new ProxyStats();
    metrics = await startMetricsServer(createMetricsRegistry(shown), config.metricsHost, config.metricsPort, async () => {
      Object.assign(shown, await currentStats());
    });
  }
  log.info({ listenPort: port, destination: config.destination.origin, ...captureSummary(config), tls: Boolean(config.tls), threads: n, metricsPort: metrics ? (metrics.address() as { port: number }).port : undefined }, 'capture proxy ready');
}
