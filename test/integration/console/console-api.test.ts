import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../runtime/src/console/api/server';
import { CONSOLE_VERBS } from '../../../runtime/src/console/commands';
import type { ConsoleContext } from '../../../runtime/src/console/context';
import { parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { createKafka } from '../../../runtime/src/core/kafka-client';
import { clustersYaml, CONSOLE_CLI, consoleCli } from '../../support/console-cli';
import { stackEndpoints, uniqueName } from '../../support/env';

const env = stackEndpoints();
const TOKEN = 'test-token-0123456789abcdef';
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'console-api-state-'));
const replayYaml = `replay:\n  scale: 1\n  local:\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n`;
const kafkaYaml = `kafka:\n  broker_endpoints: ${env.kafkaBrokers}\n  standard:\n`;

function context(yaml: string, extraEnv: NodeJS.ProcessEnv = {}): ConsoleContext {
  const config = parseServicesYaml(yaml);
  return { config: async () => config, stateDir, env: { ...process.env, ...extraEnv }, progress: () => undefined };
}

async function listen(app: FastifyInstance, host = '127.0.0.1'): Promise<string> {
  await app.listen({ port: 0, host });
  return `http://127.0.0.1:${(app.server.address() as any).port}`;
}

/** A raw request, so that the Host header is what the test says (fetch does not let one set it). */
function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, body });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('console API', () => {
  it('listens on 127.0.0.1 by default and refuses another address without a token', async () => {
    const child: ChildProcess = spawn('node', [CONSOLE_CLI, '--config-file', '/nonexistent.yaml', 'api', '--port', '0', '--sample-interval', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (c) => {
          err += c;
          if (err.includes('\n')) resolve(err);
        });
        child.once('exit', (code) => reject(new Error(`api exited ${code}: ${err}`)));
      });
      const m = /on http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
      expect(m).not.toBeNull();
      expect((await fetch(`http://127.0.0.1:${m![1]}/api/health`)).status).toBe(200);
      const external = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
      if (external) await expect(fetch(`http://${external.address}:${m![1]}/api/health`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    } finally {
      child.kill('SIGTERM');
    }
    const open = await consoleCli(['api', '--host', '0.0.0.0', '--port', '0'], replayYaml, { ...process.env, MIGRATION_CONSOLE_API_TOKEN: '' });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/would listen on 0\.0\.0\.0 without a token/);
  });

  it('with --host 0.0.0.0 answers 401 on every route but /api/health without the token', async () => {
    const app = await buildApi({ context: context(replayYaml), verbs: CONSOLE_VERBS, host: '0.0.0.0', token: TOKEN, sampleIntervalMs: 0 });
    const base = await listen(app, '0.0.0.0');
    try {
      const bearer = { authorization: `Bearer ${TOKEN}` };
      const routes = (await (await fetch(`${base}/api/routes`, { headers: bearer })).json()) as { method: string; path: string }[];
      expect(routes).toHaveLength(CONSOLE_VERBS.length);
      expect(routes).toContainEqual(expect.objectContaining({ method: 'POST', path: '/api/clusters/clear-indices', destructive: true }));
      const all = [...routes, { method: 'GET', path: '/api/routes' }, { method: 'GET', path: '/api/status/history' }, { method: 'GET', path: '/' }, { method: 'GET', path: '/assets/uPlot.iife.min.js' }];
      for (const r of all) {
        for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${Buffer.from('x:wrong').toString('base64')}`]) {
          const res = await fetch(`${base}${r.path}`, { method: r.method, headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: r.method === 'POST' ? '{}' : undefined });
          expect([r.path, res.status]).toEqual([r.path, 401]);
          expect(((await res.json()) as any).error).toBe('UNAUTHORIZED');
        }
      }
      expect((await fetch(`${base}/`)).headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      expect((await fetch(`${base}/api/health`)).status).toBe(200);
      // The browser's form of the token (the page's own login prompt) works too.
      const page = await fetch(`${base}/`, { headers: { authorization: `Basic ${Buffer.from(`operator:${TOKEN}`).toString('base64')}` } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect((await fetch(`${base}/api/replay/status`, { headers: bearer })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('refuses text/plain, form and body-less POSTs, so that a cross-site page cannot change anything', async () => {
    const app = await buildApi({ context: context(replayYaml), verbs: CONSOLE_VERBS, sampleIntervalMs: 0 });
    const base = await listen(app);
    try {
      for (const [type, body] of [
        ['text/plain', '{}'],
        ['application/x-www-form-urlencoded', 'a=1'],
        ['multipart/form-data; boundary=x', '--x--'],
        [undefined, undefined],
      ] as const) {
        const res = await fetch(`${base}/api/replay/start`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
        expect([type, res.status]).toEqual([type, 415]);
        expect(((await res.json()) as any).error).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
      const status = (await (await fetch(`${base}/api/replay/status`)).json()) as any;
      expect(status).toMatchObject({ desired: 0, running: 0 });
      // Through a name that was rebound to 127.0.0.1: refused without a token.
      const rebound = await rawRequest(`${base}/api/replay/status`, { headers: { host: 'attacker.example:80' } });
      expect(rebound.status).toBe(403);
      expect(rebound.body.error).toBe('FORBIDDEN_HOST');
    } finally {
      await app.close();
    }
  });

  it('rejects bad bodies with 400 by the route schemas, and destructive calls without acknowledgeRisk', async () => {
    const topic = uniqueName('api-topic');
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: 'api-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });
    const app = await buildApi({ context: context(`${replayYaml}${kafkaYaml}`), verbs: CONSOLE_VERBS, sampleIntervalMs: 0 });
    const base = await listen(app);
    const post = (p: string, body: string) => fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    try {
      for (const body of ['{"units":-1}', '{"units":"2"}', '{"units":2,"extra":true}', '{}', '{not json', '[]']) {
        const res = await post('/api/replay/scale', body);
        expect([body, res.status]).toEqual([body, 400]);
        expect(((await res.json()) as any).error).toBe('BAD_REQUEST');
      }
      const refused = await post('/api/kafka/delete-topic', JSON.stringify({ topic }));
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as any).error).toBe('RISK_NOT_ACKNOWLEDGED');
      expect(await admin.listTopics()).toContain(topic);
      const deleted = await post('/api/kafka/delete-topic', JSON.stringify({ topic, acknowledgeRisk: true }));
      expect(deleted.status).toBe(200);
      expect(await deleted.json()).toEqual({ topic, deleted: true });
      const q = await fetch(`${base}/api/tuples/show?limit=nope`);
      expect(q.status).toBe(400);
      const notFound = await fetch(`${base}/api/nothing/here`);
      expect(notFound.status).toBe(404);
      expect(((await notFound.json()) as any).error).toBe('ROUTE_NOT_FOUND');
    } finally {
      await app.close();
      await admin.disconnect();
    }
  });

  it('answers with the catalog\'s status: a missing ECS service is 404, a missing section 409, an unreachable cluster 502', async () => {
    const aws = { AWS_ENDPOINT_URL: env.motoUrl, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
    const cluster = uniqueName('api-ecs');
    await new ECSClient({ region: 'us-east-1', endpoint: env.motoUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } }).send(new CreateClusterCommand({ clusterName: cluster }));
    const saved = { ...process.env };
    Object.assign(process.env, aws);
    const yaml = `${clustersYaml(env.sourceUrl, 'http://127.0.0.1:1')}backfill:\n  ecs:\n    cluster_name: ${cluster}\n    service_name: not-deployed\n    aws_region: us-east-1\n`;
    const app = await buildApi({ context: context(yaml, aws), verbs: CONSOLE_VERBS, sampleIntervalMs: 0 });
    const base = await listen(app);
    try {
      const missing = await fetch(`${base}/api/backfill/status`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as any).error).toBe('ECS_SERVICE_MISSING');
      const scale = await fetch(`${base}/api/backfill/scale`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"units":2}' });
      expect(scale.status).toBe(404);
      const noReplay = await fetch(`${base}/api/replay/status`);
      expect(noReplay.status).toBe(409);
      expect(((await noReplay.json()) as any).error).toBe('NOT_CONFIGURED');
      const away = await fetch(`${base}/api/clusters/cat-indices`);
      expect(away.status).toBe(502);
      expect(((await away.json()) as any).error).toBe('CLUSTER_UNREACHABLE');
      const checks = ((await (await fetch(`${base}/api/clusters/connection-check`)).json()) as any).clusters as any[];
      expect(checks.map((c) => c.ok)).toEqual([true, false]);
    } finally {
      await app.close();
      process.env = saved;
    }
  });
});
