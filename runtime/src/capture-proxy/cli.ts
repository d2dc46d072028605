#!/usr/bin/env node
import { CommanderError } from 'commander';
import { exitWithError } from '../core/errors';
import { createLogger } from '../core/logging';
import { runPrimary } from './cluster-primary';
import { isProxyWorker, runWorker } from './cluster-worker';
import { parseProxyArgs } from './options';
import { captureSummary, startServing } from './serving-process';

async function main(): Promise<void> {
  if (isProxyWorker()) return runWorker();
  const argv = process.argv.slice(2);
  let config;
  try {
    config = parseProxyArgs(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
  const log = createLogger({ name: 'capture-proxy', level: config.logLevel });
  if (config.numThreads > 1) return runPrimary(config, argv, log);
  const { proxy } = await startServing(config, log, { onStopped: () => setTimeout(() => process.exit(0), 50) });
  log.info({ listenPort: proxy.port, destination: config.destination.origin, ...captureSummary(config), metricsPort: proxy.metricsPort, tls: Boolean(config.tls), threads: 1 }, 'capture proxy ready');
}

main().catch(exitWithError);
