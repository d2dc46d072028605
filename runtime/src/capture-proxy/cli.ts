#!/usr/bin/env node
import { CommanderError } from 'commander';
import { exitWithError, UserError } from '../core/errors';
import { createLogger } from '../core/logging';
import { startCaptureProxy } from './capture-proxy';
import { parseProxyArgs } from './options';

async function main(): Promise<void> {
  let config;
  try {
    config = parseProxyArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
  const log = createLogger({ name: 'capture-proxy', level: config.logLevel });
  let proxy;
  try {
    proxy = await startCaptureProxy(config, log);
  } catch (err: any) {
    if (err?.code === 'EADDRINUSE' || err?.code === 'EACCES') throw new UserError('LISTEN', `cannot listen on ${config.listenHost}:${config.listenPort} (${err.code}): choose another --listenPort or stop what holds it`);
    throw err;
  }
  const capture = config.capture.kind === 'kafka' ? `kafka ${config.capture.brokers.join(',')} topic ${config.capture.topic}` : config.capture.kind === 'file' ? `files in ${config.capture.directory}` : 'none';
  log.info({ listenPort: proxy.port, destination: config.destination.origin, capture, metricsPort: proxy.metricsPort, tls: Boolean(config.tls) }, 'capture proxy ready');
  const stop = (signal: string) => {
    log.info({ signal }, 'stopping: no new connections; finishing requests in flight and flushing the capture');
    proxy.stop().then(
      () => {
        log.info({ recordsDropped: proxy.stats.recordsDropped, journalBytes: proxy.stats.journalBytes }, 'capture proxy stopped');
        log.flush?.();
        setTimeout(() => process.exit(0), 50);
      },
      (err) => exitWithError(err),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch(exitWithError);
