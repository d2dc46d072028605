import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../runtime/src/local/ports';
import { stackEndpoints } from '../support/env';

const DIST = path.resolve(__dirname, '../../runtime/dist');
const env = stackEndpoints();
const emfEnv = { ...process.env, METRICS_FORMAT: 'emf', MIGRATION_STAGE: 'itest' };

function run(entry: string, args: string[]) {
  const child = spawn(process.execPath, [path.join(DIST, entry), ...args], { env: emfEnv, stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const emfLines = () => stdout.split('\n').filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
  return { child, exited, emfLines };
}

const sum = (lines: any[], name: string) => lines.reduce((n, l) => n + (l[name] ?? 0), 0);

describe('metrics for CloudWatch (METRICS_FORMAT=emf), capture to a file and replay from it', () => {
  it('the proxy and the replayer print embedded-metric-format lines for what they did', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'emf-'));
    const traceDirectory = path.join(dir, 'trace');
    const proxy = run('capture-proxy/cli.js', ['--destinationUri', env.sourceUrl, '--listenPort', String(port), '--listenHost', '127.0.0.1', '--traceDirectory', traceDirectory]);
    for (let i = 0; ; i++) {
      if (await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text().then(() => r.ok), () => false)) break;
      if (i > 100) throw new Error('the proxy did not answer');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < 4; i++) await (await fetch(`http://127.0.0.1:${port}/_cluster/health`)).text();
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
    const captured = proxy.emfLines();
    expect(captured[0]._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'OpenSearchMigrations', Dimensions: [['stage']] });
    expect(captured.every((l) => l.stage === 'itest')).toBe(true);
    expect(sum(captured, 'captureRequests')).toBe(5);
    expect(sum(captured, 'captureBytesRead')).toBeGreaterThan(0);

    // The file form of the capture (base64 TrafficStream lines) is the replayer's input as it is.
    const capture = path.join(dir, 'capture.log');
    writeFileSync(capture, readdirSync(traceDirectory).sort().map((f) => readFileSync(path.join(traceDirectory, f), 'utf8')).join(''));
    const replayer = run('replayer/cli.js', ['--target-uri', env.targetUrl, '-i', capture, '--speedup-factor', '10', '--tuple-dir', path.join(dir, 'tuples')]);
    expect(await replayer.exited).toBe(0);
    const replayed = replayer.emfLines();
    expect(sum(replayed, 'replayRequests')).toBe(5);
    expect(sum(replayed, 'replayStatusMismatches')).toBe(0);
  });
});
