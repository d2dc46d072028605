import Ajv from 'ajv';
import Fastify, { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify';
import { CatalogCode, ConfigError, errorBody, UserError } from '../../core/errors';
import type { ConsoleContext } from '../context';
import { StatusSampler, StatusWatch } from '../status-history';
import { inputSchema, runVerb, Verb } from '../verb';
import { hasToken, isLocalHostHeader, isLoopbackHost } from './auth';
import { statusPagePlugin } from './status-page-routes';

export interface ApiOptions {
  context: ConsoleContext;
  /** Groups of verbs, each served under /api/<group>/<verb>. */
  verbs: Verb[];
  /** The address it will listen on: anything but loopback requires a token. @default 127.0.0.1 */
  host?: string;
  port?: number;
  /** Required on every route but /api/health when set. */
  token?: string;
  /** How often the status page's history is sampled; 0 turns sampling off. @default 10000 */
  sampleIntervalMs?: number;
  /** What the status page follows. @default logging-traffic-topic, logging-group-default, .migrations_working_state */
  watch?: StatusWatch;
}

// A served report runs no script and loads nothing: the page's own CSP says so too.
const HTML_HEADERS = { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'", 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

const errorSchema = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } } };

/** The catalog code for fastify's own errors (bad JSON, wrong media type, body too large...), by status. */
function codeForStatus(status: number): CatalogCode {
  const byStatus: Record<number, CatalogCode> = { 400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 404: 'ROUTE_NOT_FOUND', 413: 'BAD_REQUEST', 415: 'UNSUPPORTED_MEDIA_TYPE' };
  return byStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}

/** One group's verbs: reads as GET with the query string, changes as POST with a JSON body; schemas both ways. */
function verbPlugin(ctx: ConsoleContext, verbs: Verb[]): FastifyPluginAsync {
  return async (app) => {
    for (const verb of verbs) {
      const input = inputSchema(verb);
      const html = verb.kind === 'read' ? verb.html : undefined;
      // ?format=html: the verb's own page (the same file its CLI writes), instead of JSON.
      if (html) input.properties = { ...(input.properties as object), format: { type: 'string', enum: ['json', 'html'], default: 'json' } };
      const schema = { summary: verb.description, response: { 200: verb.output, '4xx': errorSchema, '5xx': errorSchema }, ...(verb.kind === 'read' ? { querystring: input } : { body: input }) };
      app.route({
        method: verb.kind === 'read' ? 'GET' : 'POST',
        url: `/${verb.path[1]}`,
        schema,
        handler: async (req, reply) => {
          const given = ((verb.kind === 'read' ? req.query : req.body) ?? {}) as Record<string, unknown>;
          if (!html) return runVerb(verb, ctx, given);
          const { format, ...rest } = given;
          const out = await runVerb(verb, ctx, rest);
          return format === 'html' ? reply.headers(HTML_HEADERS).type('text/html; charset=utf-8').send(html(out)) : out;
        },
      });
    }
  };
}

// Query strings arrive as text: integers and booleans are coerced. JSON bodies are taken as sent: "5" is not 5, unknown keys are refused.
const queryAjv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false });
const bodyAjv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false });
for (const ajv of [queryAjv, bodyAjv]) ajv.addKeyword('summary');

export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !opts.token) {
    throw new ConfigError(`the API would listen on ${host} without a token: give --token-file FILE or MIGRATION_CONSOLE_API_TOKEN (or listen on 127.0.0.1)`);
  }
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, return503OnClosing: true });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : queryAjv).compile(schema));
  // Only JSON bodies: a cross-site form or text/plain POST (no CORS preflight) is refused before any route runs.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch {
      done(Object.assign(new UserError('BAD_REQUEST', 'the body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0];
    if (path === '/api/health') return;
    if (opts.token) {
      if (!hasToken(req.headers.authorization, opts.token)) {
        // Browsers ask for it on the page itself; scripts send Authorization: Bearer <token>.
        if (!path.startsWith('/api/')) reply.header('www-authenticate', 'Basic realm="migration console", charset="UTF-8"');
        throw new UserError('UNAUTHORIZED', 'this API needs its token: send Authorization: Bearer <token> (the token the console was started with)');
      }
    } else if (!isLocalHostHeader(req.headers.host)) {
      throw new UserError('FORBIDDEN_HOST', `Host "${req.headers.host ?? ''}" is not this machine: without a token the API answers only requests to localhost or 127.0.0.1`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json') throw new UserError('UNSUPPORTED_MEDIA_TYPE', `${req.method} needs Content-Type: application/json (got "${type || 'none'}"): send a JSON body, {} when there is nothing to say`);
    }
  });

  app.setErrorHandler((err: FastifyError | UserError, _req, reply) => {
    // Every answer goes through the catalog: code, message and hint.
    if ((err as FastifyError).validation) return reply.status(400).send(errorBody(new UserError('BAD_REQUEST', err.message)));
    if (err instanceof UserError) return reply.status(err.httpStatus).send(errorBody(err));
    const status = (err as FastifyError).statusCode ?? 500;
    const body = errorBody(new UserError(codeForStatus(status), status >= 500 ? `internal error: ${err.message}` : err.message));
    return reply.status(status >= 400 ? status : 500).send(body);
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send(errorBody(new UserError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}: GET /api/routes lists them`))));

  const groups = new Map<string, Verb[]>();
  for (const v of opts.verbs.filter((v) => !v.cliOnly)) groups.set(v.path[0], [...(groups.get(v.path[0]) ?? []), v]);
  for (const [group, verbs] of groups) await app.register(verbPlugin(opts.context, verbs), { prefix: `/api/${group}` });

  const sampler = opts.sampleIntervalMs === 0 ? undefined : new StatusSampler(opts.context, opts.sampleIntervalMs ?? 10_000, opts.watch);
  await app.register(statusPagePlugin(sampler));

  app.get('/api/health', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }));
  const routes = [...groups.values()].flat().map((v) => ({ method: v.kind === 'read' ? 'GET' : 'POST', path: `/api/${v.path.join('/')}`, description: v.description, destructive: Boolean(v.destructive) }));
  app.get('/api/routes', { schema: { response: { 200: { type: 'array', items: { type: 'object', properties: { method: { type: 'string' }, path: { type: 'string' }, description: { type: 'string' }, destructive: { type: 'boolean' } } } } } } }, async () => routes);

  if (sampler) {
    app.addHook('onReady', async () => sampler.start());
    app.addHook('onClose', async () => sampler.stop());
  }
  return app;
}

export async function startApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = await buildApi(opts);
  await app.listen({ port: opts.port ?? 8000, host: opts.host ?? '127.0.0.1' });
  return app;
}
