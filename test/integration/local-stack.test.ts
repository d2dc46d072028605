import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { freePort, freePortRange } from '../../runtime/src/local/ports';
import { isAlive } from '../../runtime/src/local/servers';
import { down, readState, status, up } from '../../runtime/src/local/stack';

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
    expect(stderr).toContain('expected a port number 1-65535, got "abc"');
  });
});
