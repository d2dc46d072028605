import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { UserError } from '../core/errors';
import { ensureServerJars, SERVERS_DIR } from './artifacts';
import type { JavaEnv } from './java-env';

export type ServerKind = 'kafka' | 'source' | 'target';
export const SERVER_KINDS: ServerKind[] = ['kafka', 'source', 'target'];

/** The SCRAM user that the local Kafka's SASL listener knows (for auth tests, never for production). */
export const LOCAL_SCRAM_USER = { username: 'migration', password: 'migration-local-secret' };

export interface ServerOptions {
  kind: ServerKind;
  /** HTTP port (clusters) or PLAINTEXT port (Kafka; the controller takes port+1, SASL/SCRAM port+2). */
  port: number;
  /** The server's own directory: its data, config and log file. */
  dir: string;
  heapMb: number;
  /** Source address the target may reindex from (reindex.remote.allowlist). */
  reindexFrom?: string;
}

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  port: number;
  /** http://127.0.0.1:port for clusters, host:port for Kafka. */
  endpoint: string;
  /** Kafka only: the SASL_PLAINTEXT listener with SCRAM-SHA-512. */
  scramEndpoint?: string;
  logFile: string;
  dir: string;
  /** The process's start time (/proc/<pid>/stat), so that a pid the kernel handed to another process is never signalled. */
  startTime?: string;
}

export interface StartContext {
  java: JavaEnv;
  cacheDir: string;
  log: (line: string) => void;
  readyTimeoutMs: number;
}

const HOST = '127.0.0.1';

/** Starts one server detached (it outlives this process) and waits until it answers. */
export async function startServer(opts: ServerOptions, ctx: StartContext): Promise<RunningServer> {
  mkdirSync(opts.dir, { recursive: true });
  const logFile = path.join(opts.dir, 'server.log');
  const { args, endpoint, scramEndpoint } = opts.kind === 'kafka' ? await kafkaCommand(opts, ctx) : await clusterCommand(opts, ctx);
  const out = openSync(logFile, 'a');
  const child = spawn(ctx.java.java, args, { detached: true, stdio: ['ignore', out, out], cwd: opts.dir });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new UserError('START_FAILED', `Could not start ${opts.kind}: ${ctx.java.java} did not run.`);
  const server: RunningServer = { kind: opts.kind, pid: child.pid, port: opts.port, endpoint, scramEndpoint, logFile, dir: opts.dir, startTime: processStartTime(child.pid) };
  ctx.log(`Starting ${describe(opts.kind)} on ${endpoint} (pid ${child.pid}, log ${logFile})`);
  await waitReady(server, child, ctx.readyTimeoutMs);
  return server;
}

export function describe(kind: ServerKind): string {
  return { kafka: 'Kafka 4.1 (KRaft)', source: 'Elasticsearch 7.10.2 (source)', target: 'OpenSearch 2.19.1 (target)' }[kind];
}

async function clusterCommand(opts: ServerOptions, ctx: StartContext) {
  const engine = opts.kind === 'source' ? 'elasticsearch' : 'opensearch';
  const lib = await ensureServerJars(engine, ctx.java, ctx.cacheDir, ctx.log);
  const runner = engine === 'elasticsearch' ? 'org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner' : 'org.codelibs.opensearch.runner.OpenSearchRunner';
  const allowKey = engine === 'elasticsearch' ? 'reindex.remote.whitelist' : 'reindex.remote.allowlist';
  const settings = [
    `network.host=${HOST}`,
    `transport.port=${opts.port + 100}`,
    'cluster.routing.allocation.disk.threshold_enabled=false',
    'http.max_content_length=500mb',
    'action.destructive_requires_name=false',
    ...(opts.reindexFrom ? [`${allowKey}=${opts.reindexFrom}`] : []),
  ];
  const args = [
    `-Xms${opts.heapMb}m`,
    `-Xmx${opts.heapMb}m`,
    '-XX:+UseG1GC',
    '-Dlog4j2.formatMsgNoLookups=true',
    '-Djava.awt.headless=true',
    '-cp',
    path.join(lib, '*'),
    path.join(SERVERS_DIR, 'Launcher.java'),
    runner,
    path.join(opts.dir, 'data'),
    `local-${opts.kind}`,
    String(opts.port),
    ...settings,
  ];
  return { args, endpoint: `http://${HOST}:${opts.port}`, scramEndpoint: undefined };
}

async function kafkaCommand(opts: ServerOptions, ctx: StartContext) {
  const lib = await ensureServerJars('kafka', ctx.java, ctx.cacheDir, ctx.log);
  const [plain, controller, scram] = [opts.port, opts.port + 1, opts.port + 2];
  const dataDir = path.join(opts.dir, 'data');
  const props = path.join(opts.dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${HOST}:${controller}`,
      `listeners=PLAINTEXT://${HOST}:${plain},CONTROLLER://${HOST}:${controller},SASL_PLAINTEXT://${HOST}:${scram}`,
      `advertised.listeners=PLAINTEXT://${HOST}:${plain},SASL_PLAINTEXT://${HOST}:${scram}`,
      'inter.broker.listener.name=PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
      `log.dirs=${dataDir}`,
      'num.partitions=1',
      'auto.create.topics.enable=true',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'message.max.bytes=10485760',
      '',
    ].join('\n'),
  );
  const cp = path.join(lib, '*');
  if (!existsSync(path.join(dataDir, 'meta.properties'))) {
    // KRaft storage must be formatted once; the SCRAM user is added at the same time.
    const clusterId = kafkaClusterId(randomBytes(16));
    const scramUser = `SCRAM-SHA-512=[name=${LOCAL_SCRAM_USER.username},password=${LOCAL_SCRAM_USER.password}]`;
    try {
      execFileSync(ctx.java.java, ['-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--add-scram', scramUser], { stdio: 'pipe', timeout: 120_000 });
    } catch (err: any) {
      throw new UserError('KAFKA_FORMAT_FAILED', `Formatting Kafka storage in ${dataDir} failed:\n${String(err?.stderr ?? err?.message).slice(-2000)}`);
    }
  }
  const args = [
    `-Xms${opts.heapMb}m`,
    `-Xmx${opts.heapMb}m`,
    '-XX:+UseG1GC',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info',
    '-cp',
    cp,
    'kafka.Kafka',
    props,
  ];
  return { args, endpoint: `${HOST}:${plain}`, scramEndpoint: `${HOST}:${scram}` };
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), or undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * True when the recorded process is still the one the stack started: alive, with the same start
 * time, and its command line naming the server's directory (where /proc tells). A pid that
 * exited may since belong to anything else.
 */
export function isOurProcess(server: Pick<RunningServer, 'pid' | 'dir' | 'startTime'>): boolean {
  if (!isAlive(server.pid)) return false;
  const started = processStartTime(server.pid);
  if (started === undefined) return existsSync('/proc/self') ? false : true;
  if (server.startTime !== undefined) return started === server.startTime;
  try {
    return readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').includes(server.dir);
  } catch {
    return false;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True when the server answers: cluster health yellow or green, or Kafka metadata. */
export async function isHealthy(server: Pick<RunningServer, 'kind' | 'endpoint'>): Promise<boolean> {
  try {
    if (server.kind === 'kafka') {
      const admin = new Kafka({ brokers: [server.endpoint], clientId: 'local-stack-probe', logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 }).admin();
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0;
      } finally {
        await admin.disconnect();
      }
    }
    const res = await fetch(`${server.endpoint}/_cluster/health?wait_for_status=yellow&timeout=2s`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { status?: string };
    return body.status === 'yellow' || body.status === 'green';
  } catch {
    return false;
  }
}

async function waitReady(server: RunningServer, child: ChildProcess, timeoutMs: number): Promise<void> {
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? -1));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== null || !isAlive(server.pid)) {
      throw new UserError('START_FAILED', `${describe(server.kind)} exited during start (code ${exitCode}). Last lines of ${server.logFile}:\n${logTail(server.logFile)}`);
    }
    if (await isHealthy(server)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  stopPid(server.pid, 5000).catch(() => undefined);
  throw new UserError('START_TIMEOUT', `${describe(server.kind)} did not become ready within ${Math.round(timeoutMs / 1000)} s. Last lines of ${server.logFile}:\n${logTail(server.logFile)}`);
}

/** SIGTERM the server's process group (it was started detached), then SIGKILL after the grace period. */
export async function stopPid(pid: number, graceMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  signal('SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
}

/**
 * A KRaft cluster id: 16 bytes in base64url. The top bit of the first byte is cleared so the id
 * never starts with '-' or '_': kafka-storage's argument parser reads a leading '-' as an option
 * (one start in 64 failed that way).
 */
export function kafkaClusterId(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[0] = b[0]! & 0x7f;
  return b.toString('base64url');
}
