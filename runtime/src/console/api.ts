import Fastify, { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { UserError } from '../core/errors';
import type { ServicesYaml } from '../core/services-yaml';
import { catIndices, checkConnection } from './clusters';
import { describeTraffic } from './kafka-info';
import { ServiceName, serviceControl } from './service-control';
import { summarizeTuples } from './tuples';
import { STATUS_PAGE } from './status-page';

export interface ApiOptions {
  loadConfig: () => Promise<ServicesYaml>;
  tupleDir?: string;
  port?: number;
  host?: string;
}

interface Ctx {
  loadConfig: () => Promise<ServicesYaml>;
  tupleDir?: string;
}

// One plugin a verb group, each a thin layer over the functions the CLI calls.
const clustersPlugin = (ctx: Ctx): FastifyPluginAsync => async (app) => {
  app.get('/connection-check', async () => {
    const config = await ctx.loadConfig();
    return Promise.all((['source', 'target'] as const).filter((n) => config[`${n}_cluster`]).map((n) => checkConnection(n, config[`${n}_cluster`]!)));
  });
  app.get('/indices', async () => {
    const config = await ctx.loadConfig();
    const out: Record<string, unknown> = {};
    for (const n of ['source', 'target'] as const) if (config[`${n}_cluster`]) out[n] = await catIndices(config[`${n}_cluster`]!);
    return out;
  });
};

const servicePlugin = (ctx: Ctx, name: ServiceName): FastifyPluginAsync => async (app) => {
  app.get('/status', async () => serviceControl(await ctx.loadConfig(), name).status());
  app.post('/start', async () => serviceControl(await ctx.loadConfig(), name).start());
  app.post('/stop', async () => serviceControl(await ctx.loadConfig(), name).stop());
  app.post<{ Body: { count: number } }>(
    '/scale',
    { schema: { body: { type: 'object', required: ['count'], properties: { count: { type: 'integer', minimum: 0 } } } } },
    async (req) => serviceControl(await ctx.loadConfig(), name).scale(req.body.count),
  );
};

const kafkaPlugin = (ctx: Ctx): FastifyPluginAsync => async (app) => {
  app.get<{ Querystring: { topic?: string; group?: string } }>('/topic', async (req) => {
    const config = await ctx.loadConfig();
    if (!config.kafka) throw new UserError('NO_KAFKA', 'services.yaml has no kafka section', 2);
    return describeTraffic(config.kafka, req.query.topic, req.query.group);
  });
};

const tuplesPlugin = (ctx: Ctx): FastifyPluginAsync => async (app) => {
  app.get('/summary', async () => {
    if (!ctx.tupleDir) throw new UserError('NO_TUPLES', 'the console was started without --tuple-dir', 2);
    return summarizeTuples(ctx.tupleDir);
  });
};

export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const ctx: Ctx = { loadConfig: opts.loadConfig, tupleDir: opts.tupleDir };
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err.validation) return reply.status(400).send({ error: 'BAD_REQUEST', message: err.message });
    if (err instanceof UserError) return reply.status(err.exitCode === 2 ? 400 : 502).send({ error: err.code, message: err.message });
    return reply.status(500).send({ error: 'INTERNAL', message: err.message });
  });
  await app.register(clustersPlugin(ctx), { prefix: '/api/clusters' });
  await app.register(servicePlugin(ctx, 'backfill'), { prefix: '/api/backfill' });
  await app.register(servicePlugin(ctx, 'replay'), { prefix: '/api/replay' });
  await app.register(kafkaPlugin(ctx), { prefix: '/api/kafka' });
  await app.register(tuplesPlugin(ctx), { prefix: '/api/tuples' });
  app.get('/api/health', async () => ({ ok: true }));
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(STATUS_PAGE));
  return app;
}

export async function startApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = await buildApi(opts);
  await app.listen({ port: opts.port ?? 8000, host: opts.host ?? '0.0.0.0' });
  return app;
}
