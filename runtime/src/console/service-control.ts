import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ConfigError, UserError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';

export type ServiceName = 'backfill' | 'replay';

export interface ServiceStatus {
  service: ServiceName;
  where: 'ecs' | 'local';
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

export function serviceControl(config: ServicesYaml, service: ServiceName, stateDir = defaultStateDir()): ServiceControl {
  const section = config[service];
  if (!section) throw new ConfigError(`services.yaml has no "${service}" section: add one with ecs: {cluster_name, service_name} or local: {command: [...]}`);
  if (section.ecs) return new EcsServiceControl(service, section.ecs, section.scale);
  return new LocalServiceControl(service, section.local?.command, section.scale, stateDir);
}

function defaultStateDir(): string {
  return process.env.MIGRATION_CONSOLE_STATE ?? path.join(os.tmpdir(), 'migration-console');
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
    if (!svc) throw new UserError('ECS_SERVICE_MISSING', `ECS service ${this.target.service_name} was not found in cluster ${this.target.cluster_name}: ${out.failures?.[0]?.reason ?? 'no such service'}`);
    return { service: this.service, where: 'ecs', desired: svc.desiredCount ?? 0, running: svc.runningCount ?? 0, pending: svc.pendingCount ?? 0, detail: svc.status };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new UserError('ECS_CALL_FAILED', `ECS ${this.target.cluster_name}/${this.target.service_name}: ${(err as Error).name}: ${(err as Error).message}`);
    }
  }
}

/** Local workers: detached processes of the configured command, tracked by pid files. */
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
    let pids = this.livePids();
    while (pids.length > count) {
      const pid = pids.pop()!;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    if (pids.length < count) {
      if (!this.command?.length) throw new ConfigError(`${this.service}.local.command is not set in services.yaml: name the command that runs one ${this.service} worker`);
      mkdirSync(this.stateDir, { recursive: true });
      while (pids.length < count) {
        const log = path.join(this.stateDir, `${this.service}-${Date.now()}-${pids.length}.log`);
        const fd = openSync(log, 'a');
        const child = spawn(this.command[0], this.command.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
        closeSync(fd);
        child.unref();
        if (child.pid) pids = [...pids, child.pid];
      }
    }
    writeFileSync(this.pidFile, JSON.stringify(pids));
    return this.status();
  }

  async status(): Promise<ServiceStatus> {
    const pids = this.livePids();
    return { service: this.service, where: 'local', desired: pids.length, running: pids.length, pending: 0, detail: pids.length ? `pids ${pids.join(' ')}` : undefined };
  }

  private livePids(): number[] {
    if (!existsSync(this.pidFile)) return [];
    const pids = JSON.parse(readFileSync(this.pidFile, 'utf8')) as number[];
    return pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
  }
}
