import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { stackEndpoints, uniqueName } from '../../support/env';
import { DOCUMENTS_CLI, es, METADATA_CLI, runCli } from '../../support/backfill-helpers';

const env = stackEndpoints();
const awsEnv = { AWS_ENDPOINT_URL: env.motoUrl!, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
const sm = new SecretsManagerClient({ region: 'us-east-1', endpoint: env.motoUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
const password = 'pw-from-secrets-manager';
const index = uniqueName('bf-secret-auth');
const workingState = uniqueName('.bf-ws-secret');
const dir = mkdtempSync(join(tmpdir(), 'bf-secret-'));
let guarded: Server;
let guardedUrl: string;
const seen: string[] = [];

beforeAll(async () => {
  await es(env.sourceUrl, 'PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0 } });
  // The source behind basic auth: only admin with the secret's password gets through.
  const expected = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  guarded = createServer(async (req, res) => {
    seen.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"status":401}');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(`${env.sourceUrl}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body: chunks.length ? Buffer.concat(chunks) : undefined });
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((r) => guarded.listen(0, '127.0.0.1', r));
  guardedUrl = `http://127.0.0.1:${(guarded.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => guarded.close(r));
  await es(env.sourceUrl, 'DELETE', `/${index}`).catch(() => undefined);
  await es(env.targetUrl, 'DELETE', `/${workingState}`).catch(() => undefined);
});

// Templates other tests leave on the shared stack are not this test's business.
const onlyIndex = ['--index-allowlist', index, '--index-template-allowlist', `regex:^${index}$`, '--component-template-allowlist', `regex:^${index}$`];

function servicesYaml(basicAuth: string): string {
  const file = join(dir, `${uniqueName('services')}.yaml`);
  writeFileSync(file, `source_cluster:\n  endpoint: ${guardedUrl}\n  basic_auth:\n${basicAuth}target_cluster:\n  endpoint: ${env.targetUrl}\n  no_auth:\n`);
  return file;
}

test('the backfill reads basic_auth user_secret_arn from Secrets Manager; the password never shows', async () => {
  const secret = await sm.send(new CreateSecretCommand({ Name: uniqueName('bf-source-creds'), SecretString: JSON.stringify({ username: 'admin', password }) }));
  const config = servicesYaml(`    user_secret_arn: ${secret.ARN}\n`);
  const meta = await runCli(METADATA_CLI, ['evaluate', '--config', config, ...onlyIndex, '--json'], awsEnv);
  expect(meta.stderr).not.toMatch(/401|Error/);
  expect(meta.code).toBe(0);
  expect(JSON.parse(meta.stdout).items.some((i: { name: string }) => i.name === index)).toBe(true);
  const verify = await runCli(DOCUMENTS_CLI, ['verify', '--config', config, '--index-allowlist', index, '--json'], awsEnv);
  expect(verify.stderr).not.toContain('401');
  expect(verify.stderr).toMatch(/^$|Warning/);
  expect(seen.length).toBeGreaterThan(0);
  expect(new Set(seen)).toEqual(new Set([`Basic ${Buffer.from(`admin:${password}`).toString('base64')}`]));
  for (const out of [meta, verify]) expect(out.stdout + out.stderr).not.toContain(password);
}, 120_000);

test('password_secret_arn works the same; a secret that cannot be read is one error naming it, nothing written', async () => {
  const secret = await sm.send(new CreateSecretCommand({ Name: uniqueName('bf-source-pw'), SecretString: password }));
  const good = await runCli(METADATA_CLI, ['evaluate', '--config', servicesYaml(`    username: admin\n    password_secret_arn: ${secret.ARN}\n`), ...onlyIndex], awsEnv);
  expect(good.code).toBe(0);
  const missing = `${secret.ARN}-nope`;
  const bad = await runCli(DOCUMENTS_CLI, ['run', '--config', servicesYaml(`    username: admin\n    password_secret_arn: ${missing}\n`), '--index-allowlist', index, '--working-state-index', workingState], awsEnv);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toMatch(new RegExp(`cannot read secret ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ResourceNotFoundException`));
  expect(bad.stdout + bad.stderr).not.toContain(password);
  expect((await fetch(`${env.targetUrl}/${encodeURIComponent(workingState)}`, { method: 'HEAD' })).status).toBe(404);
}, 120_000);
