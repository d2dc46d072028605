import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors';
import { defaultCacheDir } from './artifacts';
import { findJavaEnv } from './java-env';
import { assertPortsFree } from './ports';
import { describe, isHealthy, isOurProcess, RunningServer, SERVER_KINDS, ServerKind, startServer, stopPid } from './servers';

export interface StackOptions {
  /** Names the stack's directory, so that a test stack and a demo stack can run side by side. */
  name: string;
  ports: Record<ServerKind, number>;
  only?: ServerKind[];
  heapMb?: Partial<Record<ServerKind, number>>;
  baseDir?: string;
  cacheDir?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface StackState {
  name: string;
  baseDir: string;
  startedAt: string;
  servers: Partial<Record<ServerKind, RunningServer>>;
  /** Set when up() found the stack already running and started nothing (not stored). */
  reused?: boolean;
}

export const DEFAULT_PORTS: Record<ServerKind, number> = { kafka: 9092, source: 19200, target: 29200 };
const DEFAULT_HEAP_MB: Record<ServerKind, number> = { kafka: 512, source: 768, target: 768 };

export function stackDir(name: string, baseDir?: string): string {
  return baseDir ?? path.join(os.tmpdir(), `migration-local-${name}`);
}

function stateFile(dir: string): string {
  return path.join(dir, 'stack.json');
}

export function readState(name: string, baseDir?: string): StackState | undefined {
  const file = stateFile(stackDir(name, baseDir));
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
}

function writeState(state: StackState): void {
  writeFileSync(stateFile(state.baseDir), JSON.stringify(state, null, 2));
}

/**
 * Starts Kafka, the source and the target (in parallel), each waited for. A stack whose servers
 * are all still running is returned as it is. With `only`, just those servers are started, beside
 * whatever of the stack runs already (never stopped, data kept); without it, a stack with a
 * server down is started afresh. On a failure, whatever did start is stopped again.
 */
export async function up(opts: StackOptions): Promise<StackState> {
  const log = opts.log ?? (() => undefined);
  const baseDir = stackDir(opts.name, opts.baseDir);
  const existing = readState(opts.name, opts.baseDir);
  const running = (k: ServerKind) => Boolean(existing?.servers[k] && isOurProcess(existing.servers[k]!));
  if (existing && (opts.only ?? SERVER_KINDS).every(running)) {
    log(`Stack "${opts.name}" is already running.`);
    return { ...existing, reused: true };
  }
  if (existing && !opts.only) await down(opts.name, { baseDir: opts.baseDir, keepData: false, log });
  const kinds = (opts.only ?? SERVER_KINDS).filter((k) => !opts.only || !running(k));

  const java = findJavaEnv();
  const wanted: Record<string, number> = {};
  for (const k of kinds) {
    wanted[k] = opts.ports[k];
    if (k === 'kafka') Object.assign(wanted, { 'kafka controller': opts.ports.kafka + 1, 'kafka SASL': opts.ports.kafka + 2 });
    else wanted[`${k} transport`] = opts.ports[k] + 100;
  }
  await assertPortsFree(wanted);

  mkdirSync(baseDir, { recursive: true });
  const state: StackState = opts.only && existing ? { ...existing, servers: { ...existing.servers } } : { name: opts.name, baseDir, startedAt: new Date().toISOString(), servers: {} };
  for (const k of kinds) delete state.servers[k];
  const ctx = { java, cacheDir: opts.cacheDir ?? defaultCacheDir(), log, readyTimeoutMs: opts.readyTimeoutMs ?? 180_000 };
  const results = await Promise.allSettled(
    kinds.map(async (kind) => {
      const server = await startServer(
        {
          kind,
          port: opts.ports[kind],
          dir: path.join(baseDir, kind),
          heapMb: opts.heapMb?.[kind] ?? DEFAULT_HEAP_MB[kind],
          reindexFrom: kind === 'target' ? `127.0.0.1:${opts.ports.source}` : undefined,
        },
        ctx,
      );
      state.servers[kind] = server;
      writeState(state);
      log(`  ${describe(kind)} is ready.`);
      return server;
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    // Only what this call started is stopped again.
    for (const k of kinds) {
      const s = state.servers[k];
      if (s) await stopServer(s, log);
      delete state.servers[k];
    }
    writeState(state);
    if (Object.keys(state.servers).length === 0) rmSync(stateFile(baseDir), { force: true });
    const reasons = failed.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
    throw new UserError('STACK_FAILED', `The local stack did not start:\n${reasons.join('\n\n')}\nLogs are kept in ${baseDir}.`);
  }
  return state;
}

/** Stops every server of the stack by pid and removes its data unless keepData. */
export async function down(name: string, opts: { baseDir?: string; keepData?: boolean; log?: (line: string) => void } = {}): Promise<boolean> {
  const log = opts.log ?? (() => undefined);
  const state = readState(name, opts.baseDir);
  if (!state) return false;
  await Promise.all(Object.values(state.servers).map((s) => s && stopServer(s, log)));
  if (opts.keepData) {
    log(`Data and logs kept in ${state.baseDir}`);
    rmSync(stateFile(state.baseDir), { force: true });
  } else {
    rmSync(state.baseDir, { recursive: true, force: true });
  }
  return true;
}

/** Signals a server only while its pid is still the process the stack started. */
async function stopServer(s: RunningServer, log: (line: string) => void): Promise<void> {
  if (!isOurProcess(s)) {
    log(`${describe(s.kind)} (pid ${s.pid}) is not running any more; nothing to stop`);
    return;
  }
  log(`Stopping ${describe(s.kind)} (pid ${s.pid})`);
  await stopPid(s.pid);
}

export interface ServerStatus {
  kind: ServerKind;
  pid: number;
  endpoint: string;
  running: boolean;
  healthy: boolean;
  logFile: string;
}

export async function status(name: string, baseDir?: string): Promise<ServerStatus[]> {
  const state = readState(name, baseDir);
  if (!state) return [];
  return Promise.all(
    Object.values(state.servers).map(async (s) => {
      const running = isOurProcess(s!);
      return { kind: s!.kind, pid: s!.pid, endpoint: s!.endpoint, running, healthy: running && (await isHealthy(s!)), logFile: s!.logFile };
    }),
  );
}

/** The environment variables through which tests and tools find a running stack. */
export function stackEnv(state: StackState): Record<string, string> {
  const env: Record<string, string> = {};
  const { kafka, source, target } = state.servers;
  if (source) env.MIGRATION_SOURCE_URL = source.endpoint;
  if (target) env.MIGRATION_TARGET_URL = target.endpoint;
  if (kafka) env.MIGRATION_KAFKA_BROKERS = kafka.endpoint;
  if (kafka?.scramEndpoint) env.MIGRATION_KAFKA_SCRAM_BROKERS = kafka.scramEndpoint;
  return env;
}
