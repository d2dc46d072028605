import cluster from 'node:cluster';
import net from 'node:net';
import { UserError } from '../core/errors';
import { createLogger } from '../core/logging';
import { PrimaryMessage, WORKER_ARGS_ENV, WORKER_INDEX_ENV, WorkerMessage } from './cluster-protocol';
import { parseProxyArgs } from './options';
import { statsSnapshot } from './proxy-stats';
import { startServing } from './serving-process';
import { workerConfig } from './threads';

export function isProxyWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_INDEX_ENV] !== undefined;
}

function send(message: WorkerMessage): void {
  if (process.connected) process.send!(message);
}

/**
 * One worker of `--numThreads N`: the proxy with its own producer, journal directory and share of
 * the buffer bounds, serving the connections its primary accepts and hands over; each lives here
 * from then to its close.
 */
export async function runWorker(): Promise<void> {
  const index = Number(process.env[WORKER_INDEX_ENV]);
  // The primary parsed the same line and printed its warnings.
  const base = parseProxyArgs(JSON.parse(process.env[WORKER_ARGS_ENV] ?? '[]'), process.env, () => undefined);
  const config = { ...workerConfig(base, index, base.numThreads), metricsPort: undefined };
  const log = createLogger({ name: 'capture-proxy', level: config.logLevel }).child({ worker: index });
  let serving;
  try {
    serving = await startServing(config, log, {
      worker: index,
      onStopped: () => {
        send({ type: 'stats', stats: statsSnapshot(serving!.proxy.stats) });
        setTimeout(() => process.exit(0), 50);
      },
    });
  } catch (err) {
    const e = err instanceof UserError ? err : undefined;
    send({ type: 'failed', message: e ? `${e.name}: ${e.message}` : String((err as Error)?.stack ?? err), exitCode: e?.exitCode ?? 1 });
    setTimeout(() => process.exit(e?.exitCode ?? 1), 50);
    return;
  }
  const { proxy } = serving;
  process.on('message', (m: PrimaryMessage, handle?: unknown) => {
    if (m?.type === 'stats') send({ type: 'stats', id: m.id, stats: statsSnapshot(proxy.stats) });
    else if (m?.type === 'connection' && handle instanceof net.Socket) {
      // One the primary sent before it stopped accepting: too late to serve.
      if (serving.stopping) handle.destroy();
      else proxy.adopt(handle);
    }
  });
  // Without its primary (killed), cluster would exit this worker at once and lose the capture in
  // memory: mark the disconnect as expected and drain instead.
  process.prependListener('disconnect', () => {
    if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
    void serving.stop('the primary process is gone');
  });
  log.debug('worker ready');
  send({ type: 'ready' });
}
