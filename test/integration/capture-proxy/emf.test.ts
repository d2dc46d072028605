import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../runtime/src/local/ports';
import { stackEndpoints } from '../support/env';

const CLI = path.resolve(__dirname, '../../../runtime/dist/capture-proxy/cli.js');

describe('capture proxy metrics for CloudWatch', () => {
  it('prints embedded-metric-format lines with the requests it relayed when METRICS_FORMAT=emf', async () => {
    const port = await freePort();
    const traceDirectory = mkdtempSync(path.join(os.tmpdir(), 'emf-trace-'));
    const child = spawn(process.execPath, [CLI, '--destinationUri', stackEndpoints().sourceUrl, '--listenPort', String(port), '--listenHost', '127.0.0.1', '--traceDirectory', traceDirectory], {
      env: { ...process.env, METRICS_FORMAT: 'emf', MIGRATION_STAGE: 'itest' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 100) throw new Error('the proxy did not answer');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 4; i++) await (await fetch(`http://127.0.0.1:${port}/_cluster/health`)).text();
    child.kill('SIGTERM');
    await exited;
    const lines = stdout.split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]._aws.CloudWatchMetrics[0].Namespace).toBe('OpenSearchMigrations');
    expect(lines.reduce((n, l) => n + (l.captureRequests ?? 0), 0)).toBe(5);
    expect(lines.reduce((n, l) => n + (l.captureBytesRead ?? 0), 0)).toBeGreaterThan(0);
  });
});
