import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ConfigError, UserError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';
import { defaultStateDir, requireSection } from './context';

export type ServiceName = 'backfill' | 'replay';

export interface ServiceStatus {
  service: ServiceName;
  /** none: services.yaml names no workers (a deep check still reads the working state). */
  where: 'ecs' | 'local' | 'none';
  desired: number;
  running: number;
  pending: number;
  detail?: string;
}

/** Starts, stops and scales one service: ECS desiredCount in AWS, processes locally. */
export interface ServiceControl {
  start(): Promise<ServiceStatus>;
  stop(): Promise<ServiceStatus>;
  scale(count: number): Promise<ServiceStatus>;
  status(): Promise<ServiceStatus>;
}

/** Polls until no worker runs or is starting; the last status either way. */
export async function waitForStopped(control: ServiceControl, timeoutMs: number, pollMs = 2000): Promise<ServiceStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await control.status();
    if ((s.running === 0 && s.pending === 0) || Date.now() >= deadline) return s;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}

export function serviceControl(config: ServicesYaml, service: ServiceName, stateDir = defaultStateDir()): ServiceControl {
  const section = requireSection(config, service);
  if (section.ecs) return new EcsServiceControl(service, section.ecs, section.scale);
  return new LocalServiceControl(service, section.local?.command, section.scale, stateDir);
}

class EcsServiceControl implements ServiceControl {
  private readonly ecs: ECSClient;

  constructor(
    private readonly service: ServiceName,
    private readonly target: { cluster_name: string; service_name: string; aws_region?: string },
    private readonly defaultScale: number,
  ) {
    this.ecs = new ECSClient({ region: target.aws_region ?? process.env.AWS_REGION });
  }

  start() {
    return this.scale(Math.max(1, this.defaultScale));
  }

  stop() {
    return this.scale(0);
  }

  async scale(count: number): Promise<ServiceStatus> {
    if (!Number.isInteger(count) || count < 0) throw new ConfigError(`scale must be a whole number of 0 or more (got ${count})`);
    await this.call(() => this.ecs.send(new UpdateServiceCommand({ cluster: this.target.cluster_name, service: this.target.service_name, desiredCount: count })));
    return this.status();
  }

  async status(): Promise<ServiceStatus> {
    const out = await this.call(() => this.ecs.send(new DescribeServicesCommand({ cluster: this.target.cluster_name, services: [this.target.service_name] })));
    const svc = out.services?.[0];
    if (!svc || svc.status === 'INACTIVE') {
      throw new UserError('ECS_SERVICE_MISSING', `ECS service ${this.target.service_name} was not found in cluster ${this.target.cluster_name}: ${out.failures?.[0]?.reason ?? svc?.status ?? 'no such service'}`);
    }
    return { service: this.service, where: 'ecs', desired: svc.desiredCount ?? 0, running: svc.runningCount ?? 0, pending: svc.pendingCount ?? 0, detail: svc.status };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const { name, message } = err as Error;
      const where = `ECS ${this.target.cluster_name}/${this.target.service_name}`;
      if (name === 'ServiceNotFoundException' || name === 'ClusterNotFoundException') {
        throw new UserError('ECS_SERVICE_MISSING', `${where} does not exist (${name}): check ${this.service}.ecs in services.yaml, or deploy the service`);
      }
      if (name === 'ServiceNotActiveException') throw new UserError('ECS_SERVICE_INACTIVE', `${where} is not active (deleted or draining): redeploy it`);
      throw new UserError('ECS_CALL_FAILED', `${where}: ${name}: ${message}`);
    }
  }
}

/** A worker process: its pid and its start time, so that a pid the system gave to another process later is not ours. */
interface WorkerPid {
  pid: number;
  startedTicks: string | null;
  /** Sent SIGTERM: no longer wanted, but still finishing its work. */
  stopping?: boolean;
}

/** Field 22 of /proc/<pid>/stat (start time since boot); null where there is no /proc. */
function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(w: WorkerPid): boolean {
  try {
    process.kill(w.pid, 0);
  } catch {
    return false;
  }
  return w.startedTicks === null || processStartTicks(w.pid) === w.startedTicks;
}

/** Local workers: detached processes (each its own process group) of the configured command, tracked by a pid file. */
class LocalServiceControl implements ServiceControl {
  private readonly pidFile: string;

  constructor(
    private readonly service: ServiceName,
    private readonly command: string[] | undefined,
    private readonly defaultScale: number,
    private readonly stateDir: string,
  ) {
    this.pidFile = path.join(stateDir, `${service}.pids.json`);
  }

  start() {
    return this.scale(Math.max(1, this.defaultScale));
  }

  stop() {
    return this.scale(0);
  }

  async scale(count: number): Promise<ServiceStatus> {
    if (!Number.isInteger(count) || count < 0) throw new ConfigError(`scale must be a whole number of 0 or more (got ${count})`);
    const all = this.liveWorkers();
    const stopping = all.filter((w) => w.stopping);
    const workers = all.filter((w) => !w.stopping);
    while (workers.length > count) {
      const w = workers.pop()!;
      try {
        // The whole group: a command that is a shell or npm script has children that do the work.
        process.kill(-w.pid, 'SIGTERM');
        stopping.push({ ...w, stopping: true });
      } catch {
        /* already gone */
      }
    }
    if (workers.length < count) {
      if (!this.command?.length) throw new ConfigError(`${this.service}.local.command is not set in services.yaml: name the command that runs one ${this.service} worker`);
      mkdirSync(this.stateDir, { recursive: true });
      while (workers.length < count) {
        const log = path.join(this.stateDir, `${this.service}-${Date.now()}-${workers.length}.log`);
        const fd = openSync(log, 'a');
        const child = spawn(this.command[0], this.command.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
        closeSync(fd);
        child.unref();
        if (child.pid) workers.push({ pid: child.pid, startedTicks: processStartTicks(child.pid) });
      }
    }
    writeFileSync(this.pidFile, JSON.stringify([...workers, ...stopping]));
    return this.status();
  }

  /** desired: workers wanted; running: every worker process still alive, those finishing after a stop included. */
  async status(): Promise<ServiceStatus> {
    const live = this.liveWorkers();
    const wanted = live.filter((w) => !w.stopping).map((w) => w.pid);
    const finishing = live.filter((w) => w.stopping).map((w) => w.pid);
    const detail = [wanted.length ? `pids ${wanted.join(' ')}` : '', finishing.length ? `stopping ${finishing.join(' ')}` : ''].filter(Boolean).join(', ');
    return { service: this.service, where: 'local', desired: wanted.length, running: live.length, pending: 0, detail: detail || undefined };
  }

  private liveWorkers(): WorkerPid[] {
    if (!existsSync(this.pidFile)) return [];
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(this.pidFile, 'utf8'));
    } catch {
      throw new ConfigError(`${this.pidFile} is not a pid file the console wrote: remove it (and stop any ${this.service} worker by hand)`);
    }
    if (!Array.isArray(saved)) return [];
    // Files of older consoles hold bare pids.
    const workers = saved.map((w) => (typeof w === 'number' ? { pid: w, startedTicks: null } : (w as WorkerPid))).filter((w) => Number.isInteger(w.pid) && w.pid > 1);
    return workers.filter(isAlive);
  }
}
