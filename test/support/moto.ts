import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../runtime/src/local/ports';

const MOTO = path.resolve(__dirname, '../../.cache/venv/bin/moto_server');

/** Starts moto's server (AWS APIs on loopback) and waits until it answers. */
export async function startMoto(): Promise<{ url: string; process: ChildProcess }> {
  if (!existsSync(MOTO)) throw new Error(`${MOTO} is missing: run scripts/python-tools.sh (npm test does)`);
  const port = await freePort();
  const child = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', detached: true });
  child.unref();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) return { url, process: child };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error('moto_server did not answer within 30 s');
}
