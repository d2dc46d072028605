import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stackEndpoints } from '../../support/env';

/* The reference console's services.yaml, used as it is by our console against the real clusters. */

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../runtime/dist/console/cli.js');
const env = stackEndpoints();
const dir = mkdtempSync(path.join(os.tmpdir(), 'reference-yaml-'));

async function connectionCheck(yaml: string, extraEnv: Record<string, string> = {}) {
  const file = path.join(dir, `services-${Date.now()}.yaml`);
  writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await run('node', [CLI, '--config', file, '--json', 'clusters', 'connection-check'], { env: { ...process.env, ...extraEnv } });
    return { code: 0, out: JSON.parse(stdout), stderr };
  } catch (err: any) {
    return { code: err.code, out: err.stdout ? JSON.parse(err.stdout) : undefined, stderr: err.stderr as string };
  }
}

describe("the reference console's services.yaml in our console", () => {
  it('checks both clusters of a Kubernetes-chart file, and lists (and warns about) each key that does nothing here', async () => {
    const r = await connectionCheck(`
source_cluster:
  endpoint: ${env.sourceUrl}
  allow_insecure: true
  no_auth:
  version: 7.10.2
target_cluster:
  endpoint: ${env.targetUrl}
  no_auth:
  version: 2.19.1
backfill:
  reindex_from_snapshot:
    k8s:
      deployment_name: bulk-loader
      namespace: ma
snapshot:
  snapshot_name: s
  fs:
    repo_path: /snapshot
kafka:
  broker_endpoints: kafka:9092
  standard: ""
`);
    expect(r.code).toBe(0);
    expect(r.out.clusters).toEqual([expect.objectContaining({ cluster: 'source', ok: true, version: 'ES 7.10.2' }), expect.objectContaining({ cluster: 'target', ok: true, version: 'OS 2.19.1' })]);
    expect(r.out.ignoredKeys.map((i: { key: string }) => i.key)).toEqual(['snapshot', 'backfill.reindex_from_snapshot.k8s']);
    expect(r.stderr).toMatch(/warning: .*: snapshot is ignored: the backfill and the metadata migration read the live source cluster/);
  });

  it('signs SigV4 for sigv4_signing_endpoint while sending to the endpoint (a source behind the capture proxy), region from that endpoint', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const proxy = http.createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/' ? JSON.stringify({ version: { number: '7.10.2' } }) : JSON.stringify({ status: 'green' }));
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    try {
      const r = await connectionCheck(
        `source_cluster:\n  endpoint: http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}\n  sigv4:\n  sigv4_signing_endpoint: https://search-src.eu-west-1.es.amazonaws.com\n`,
        { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' },
      );
      expect(r.out.clusters[0]).toMatchObject({ ok: true, version: 'ES 7.10.2' });
      expect(seen[0].host).toBe('search-src.eu-west-1.es.amazonaws.com');
      expect(seen[0].authorization).toMatch(/Credential=testing\/\d{8}\/eu-west-1\/es\/aws4_request/);
    } finally {
      proxy.close();
    }
  });
});
