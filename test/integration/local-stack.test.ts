import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, freePortRange } from '../../runtime/src/local/ports';
import { isAlive, processStartTime, RunningServer, ServerKind } from '../../runtime/src/local/servers';
import { down, readState, stackDir, status, up } from '../../runtime/src/local/stack';

/** A process of ours that stands in for a server (a detached sleep, as servers are started). */
function standIn(): number {
  const child = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

function fakeServer(kind: ServerKind, name: string, pid: number, startTime: string | undefined): RunningServer {
  const dir = path.join(stackDir(name), kind);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'data.bin'), 'kept');
  return { kind, pid, port: 1, endpoint: 'http://127.0.0.1:1', logFile: path.join(dir, 'server.log'), dir, startTime };
}

function writeStack(name: string, servers: Partial<Record<ServerKind, RunningServer>>): void {
  mkdirSync(stackDir(name), { recursive: true });
  writeFileSync(path.join(stackDir(name), 'stack.json'), JSON.stringify({ name, baseDir: stackDir(name), startedAt: new Date().toISOString(), servers }));
}

const CLI = path.resolve(__dirname, '../../runtime/dist/local/cli.js');

describe('local stack lifecycle', () => {
  it('starts a server, reports it, and stops it by pid leaving nothing behind', async () => {
    const port = await freePortRange(3);
    const name = `lifecycle-${process.pid}`;
    const state = await up({ name, only: ['kafka'], ports: { kafka: port, source: 1, target: 1 } });
    const pid = state.servers.kafka!.pid;
    expect(isAlive(pid)).toBe(true);
    expect(await status(name)).toEqual([expect.objectContaining({ kind: 'kafka', running: true, healthy: true })]);
    expect(state.reused).toBeUndefined();
    // A second up of a running stack reuses it, and says so.
    const again = await up({ name, only: ['kafka'], ports: { kafka: port, source: 1, target: 1 } });
    expect(again.servers.kafka!.pid).toBe(pid);
    expect(again.reused).toBe(true);

    expect(await down(name)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    expect(readState(name)).toBeUndefined();
  });

  it('up --only kafka starts Kafka beside a running stack and keeps the other servers and their data', async () => {
    const name = `only-${process.pid}`;
    const source = standIn();
    const target = standIn();
    writeStack(name, { source: fakeServer('source', name, source, processStartTime(source)), target: fakeServer('target', name, target, processStartTime(target)) });
    const port = await freePortRange(3);
    const state = await up({ name, only: ['kafka'], ports: { kafka: port, source: 1, target: 1 } });
    try {
      expect(Object.keys(state.servers).sort()).toEqual(['kafka', 'source', 'target']);
      expect([isAlive(source), isAlive(target), isAlive(state.servers.kafka!.pid)]).toEqual([true, true, true]);
      expect(existsSync(path.join(stackDir(name), 'source', 'data.bin'))).toBe(true);
      expect(existsSync(path.join(stackDir(name), 'target', 'data.bin'))).toBe(true);
      expect(Object.keys(readState(name)!.servers).sort()).toEqual(['kafka', 'source', 'target']);
    } finally {
      await down(name);
    }
    expect([isAlive(source), isAlive(target), isAlive(state.servers.kafka!.pid)]).toEqual([false, false, false]);
  });

  it('down signals nothing when a recorded pid is no longer the process the stack started', async () => {
    const name = `stale-${process.pid}`;
    // The kernel gave the recorded pid to another process: same pid, another start time.
    const other = standIn();
    writeStack(name, { kafka: fakeServer('kafka', name, other, '1') });
    const lines: string[] = [];
    try {
      expect(await down(name, { log: (l) => lines.push(l) })).toBe(true);
      expect(isAlive(other)).toBe(true);
      expect(lines.join('\n')).toContain(`(pid ${other}) is not running any more; nothing to stop`);
      // A state without start times (an older stack.json): the command line must name the server's directory.
      writeStack(name, { kafka: fakeServer('kafka', name, other, undefined) });
      await down(name);
      expect(isAlive(other)).toBe(true);
      expect((await status(name))).toEqual([]);
    } finally {
      process.kill(-other, 'SIGKILL');
    }
  });

  it('names a busy port and exits non-zero', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      let stderr = '';
      let code = 0;
      try {
        execFileSync('node', [CLI, 'up', '--name', `busy-${process.pid}`, '--only', 'kafka', '--kafka-port', String(port)], { stdio: 'pipe' });
      } catch (err: any) {
        stderr = String(err.stderr);
        code = err.status;
      }
      expect(code).not.toBe(0);
      expect(stderr).toContain(`Port ${port} (kafka) is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('says what to install when Java or Maven is missing', async () => {
    const port = String(await freePort());
    const runUp = (env: NodeJS.ProcessEnv) => {
      try {
        execFileSync(process.execPath, [CLI, 'up', '--name', `nojava-${process.pid}`, '--only', 'kafka', '--kafka-port', port], { stdio: 'pipe', env });
        return '';
      } catch (err: any) {
        return String(err.stderr);
      }
    };
    expect(runUp({ PATH: '/nonexistent', JAVA_HOME: '/nonexistent' })).toContain('Java was not found (looked at $JAVA_HOME/bin/java and PATH). Install a JDK 17 or newer');
    expect(runUp({ ...process.env, MAVEN_CMD: '/nonexistent/mvn' })).toContain('Maven (mvn) was not found on PATH');
  });

  it('rejects a bad port option with a usage error', () => {
    let code = 0;
    let stderr = '';
    try {
      execFileSync('node', [CLI, 'up', '--source-port', 'abc'], { stdio: 'pipe' });
    } catch (err: any) {
      code = err.status;
      stderr = String(err.stderr);
    }
    expect(code).toBe(2);
    expect(stderr).toContain('--source-port must be a whole number from 1 to 65535 (got "abc")');
  });
});
