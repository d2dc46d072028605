import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../runtime/src/local/ports';

// What `npm run demo` runs: the demo lives beside the local stack, out of the images.
const CLI = path.resolve(__dirname, '../../../runtime/dist/local/cli.js');
const CONSOLE_CLI = path.resolve(__dirname, '../../../runtime/dist/console/cli.js');

describe('the demo migration (README main command), on the running stack', () => {
  it('captures live traffic, backfills, replays, and ends with the same documents and no different answer', async () => {
    const proxyPort = await freePort();
    const { stdout } = await promisify(execFile)('node', [CLI, 'demo', '--json', '--proxy-port', String(proxyPort), '--documents', '3000', '--live-seconds', '4'], { maxBuffer: 10 * 1024 * 1024 });
    const result = JSON.parse(stdout);
    expect(result.verified).toBe(true);
    for (const index of result.indices) expect(index.target).toBe(index.source);
    expect(result.liveRequests).toBeGreaterThan(20);
    // Writes the source gave ids to (POST /index/_doc, _bulk without _id) reached the target under the same ids (verify above).
    expect(result.autoIdRequests).toBeGreaterThan(0);
    // Every live request came back as a tuple from the replay of the capture, and none is answered differently.
    expect(result.report.tuples).toBeGreaterThanOrEqual(result.liveRequests);
    expect(result.report.totals.different).toBe(0);
    expect(result.report.byClass.map((c: any) => c.class)).toEqual(expect.arrayContaining(['search', 'write', 'bulk', 'scroll']));
    expect(readFileSync(result.report.html, 'utf8')).toContain('<svg');
  });

  it('is also `migration-console demo`, which hands over to the local stack\'s CLI', async () => {
    const { stdout } = await promisify(execFile)('node', [CONSOLE_CLI, 'demo', '--help']);
    expect(stdout).toContain('Usage: migration-local demo');
    expect(stdout).toContain('--proxy-port');
  });
});
