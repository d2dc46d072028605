import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { UserError } from '../../core/errors';
import type { StatusSampler } from '../status-history';
import { STATUS_PAGE, STATUS_PAGE_SCRIPT } from '../status-page';

/** uPlot's browser build and stylesheet, from the console's own node_modules (read once). */
function uplotAsset(file: string): string {
  return readFileSync(path.join(path.dirname(require.resolve('uplot/package.json')), 'dist', file), 'utf8');
}

// The page runs only its own scripts, is not framed by other sites, and types are not sniffed.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const sampleSchema = {
  type: 'object',
  properties: {
    t: { type: 'number' },
    backfill: { type: 'object', additionalProperties: { type: 'integer' } },
    kafka: { type: 'object', properties: { records: { type: 'integer' }, replayed: { type: 'integer' }, lag: { type: 'integer' } } },
  },
};

/** The status page at /, its assets, and the sampled history its charts draw. */
export function statusPagePlugin(sampler: StatusSampler | undefined): FastifyPluginAsync {
  return async (app) => {
    const assets: Record<string, { type: string; body: string }> = {
      'uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', body: uplotAsset('uPlot.iife.min.js') },
      'uPlot.min.css': { type: 'text/css; charset=utf-8', body: uplotAsset('uPlot.min.css') },
      'status-page.js': { type: 'text/javascript; charset=utf-8', body: STATUS_PAGE_SCRIPT },
    };
    app.get('/', async (_req, reply) => reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(STATUS_PAGE));
    app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
      const asset = assets[req.params.file];
      if (!asset) throw new UserError('ROUTE_NOT_FOUND', `no asset ${req.params.file}`);
      return reply.headers({ ...PAGE_HEADERS, 'cache-control': 'max-age=3600' }).type(asset.type).send(asset.body);
    });
    app.get(
      '/api/status/history',
      { schema: { response: { 200: { type: 'object', properties: { intervalMs: { type: 'integer' }, topic: { type: 'string' }, group: { type: 'string' }, workingStateIndex: { type: 'string' }, samples: { type: 'array', items: sampleSchema }, notes: { type: 'object', additionalProperties: { type: 'string' } } } } } } },
      async () => {
        if (!sampler) throw new UserError('NOT_CONFIGURED', 'the console was started with sampling off (--sample-interval 0)');
        return sampler.history();
      },
    );
  };
}
