import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { freePort } from '../../../runtime/src/local/ports';
import { stackEndpoints, uniqueName } from '../../support/env';
import { DOCUMENTS_CLI, es, METADATA_CLI, runCli } from '../../support/backfill-helpers';

const { sourceUrl, targetUrl } = stackEndpoints();
const workingState = uniqueName('.bf-ws-bad');
const missingIndex = uniqueName('bf-no-such-index');
let secured: Server;
let securedUrl: string;

beforeAll(async () => {
  // Answers like a cluster with the security plugin and wrong credentials.
  secured = createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="security"' });
    res.end('{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}');
  });
  await new Promise<void>((r) => secured.listen(0, '127.0.0.1', r));
  securedUrl = `http://127.0.0.1:${(secured.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => secured.close(r));
  await es(targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
});

async function nothingWritten() {
  expect((await fetch(`${targetUrl}/${encodeURIComponent(workingState)}`, { method: 'HEAD' })).status).toBe(404);
  expect((await fetch(`${targetUrl}/${missingIndex}`, { method: 'HEAD' })).status).toBe(404);
}

test('an unreachable source: a clear error naming it, non-zero exit, nothing written', async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  for (const [cli, cmd] of [[DOCUMENTS_CLI, 'run'], [METADATA_CLI, 'migrate']] as const) {
    const r = await runCli(cli, [cmd, '--source-host', closed, '--target-host', targetUrl, '--index-allowlist', missingIndex, ...(cmd === 'run' ? ['--working-state-index', workingState] : [])]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${closed}/ failed: ECONNREFUSED`);
  }
  await nothingWritten();
}, 60_000);

test('wrong credentials: says 401 and which flags to check, nothing written', async () => {
  const r = await runCli(DOCUMENTS_CLI, ['run', '--source-host', securedUrl, '--source-username', 'admin', '--source-password', 'wrong-secret', '--target-host', targetUrl, '--working-state-index', workingState]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('the source');
  expect(r.stderr).toContain('answered 401 Unauthorized: check --source-username/--source-password');
  expect(r.stderr).not.toContain('wrong-secret');
  await nothingWritten();
});

test('an allowlist that names a missing index: names it, exit 2, nothing written', async () => {
  const doc = await runCli(DOCUMENTS_CLI, ['run', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', missingIndex, '--working-state-index', workingState]);
  expect(doc.code).toBe(2);
  expect(doc.stderr).toContain(`--index-allowlist names an index that the source does not have: ${missingIndex}`);
  const meta = await runCli(METADATA_CLI, ['migrate', '--source-host', sourceUrl, '--target-host', targetUrl, '--index-allowlist', missingIndex]);
  expect(meta.code).toBe(2);
  expect(meta.stderr).toContain(`--index-allowlist names indices that the source does not have: ${missingIndex}`);
  await nothingWritten();
});

test('a missing host or a bad flag value is a usage error (exit 2) that says how to fix it', async () => {
  const r = await runCli(DOCUMENTS_CLI, ['run', '--target-host', targetUrl], { BACKFILL_SOURCE_HOST: '' });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('no source cluster: pass --source-host <url>');
  const bad = await runCli(DOCUMENTS_CLI, ['run', '--source-host', sourceUrl, '--target-host', targetUrl, '--page-size', 'lots']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--page-size must be a whole number >= 1 (got "lots")');
});
