import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterClientFor } from '../../runtime/src/console/cluster-access';
import { parseServicesYaml } from '../../runtime/src/core/services-yaml';

const dir = mkdtempSync(join(tmpdir(), 'cluster-ca-'));
const file = (name: string) => join(dir, name);
let server: Server;
let url: string;

beforeAll(async () => {
  // A self-signed certificate for 127.0.0.1 is its own private CA, as on many self-managed clusters.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', file('node.key'), '-out', file('ca.pem')], { stdio: 'pipe' });
  server = createServer({ key: readFileSync(file('node.key')), cert: readFileSync(file('ca.pem')) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":{"number":"7.10.2","distribution":"elasticsearch"},"tagline":"You Know, for Search"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  rmSync(dir, { recursive: true, force: true });
});

const clusterYaml = (extra: string) => parseServicesYaml(`source_cluster:\n  endpoint: ${url}\n  no_auth:\n${extra}`).source_cluster!;

test('a cluster behind a private CA is verified against services.yaml ca_file, without allow_insecure', async () => {
  const trusted = await clusterClientFor(clusterYaml(`  ca_file: ${file('ca.pem')}\n`), undefined, { maxRetries: 0 }, {});
  expect((await trusted.request({ method: 'GET', path: '/' })).statusCode).toBe(200);
  await trusted.close();

  const untrusted = await clusterClientFor(clusterYaml(''), undefined, { maxRetries: 0 }, {});
  await expect(untrusted.request({ method: 'GET', path: '/' })).rejects.toThrow(/certificate is not trusted/);
  await untrusted.close();
});

test('a ca_file that cannot be read is one error naming it', async () => {
  await expect(clusterClientFor(clusterYaml(`  ca_file: ${file('missing.pem')}\n`), undefined, {}, {})).rejects.toThrow(`ca_file ${file('missing.pem')}: cannot read it (ENOENT)`);
});
