import { Agent, errors as undiciErrors, request as undiciRequest } from 'undici';
import { UserError } from './errors';
import { retryAfterMs, withRetries } from './retry';
import { createSigner, SigV4Options } from './sigv4';
import { ClusterVersion, parseVersion, versionFromRootResponse } from './version';

export type ClusterAuth =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | ({ type: 'sigv4' } & SigV4Options);

export interface ClusterClientOptions {
  endpoint: string;
  auth?: ClusterAuth;
  /** Accept any TLS certificate. Off by default: certificates are verified. */
  allowInsecure?: boolean;
  /** PEM CA bundle to verify the cluster's certificate against instead of the system's roots. */
  ca?: string | Buffer;
  /** From config (ES_7.10, OS_2.19, AOSS); when set, detectVersion() does not call GET /. */
  version?: string;
  /** Per attempt, for headers and for body. */
  timeoutMs?: number;
  /** Attempts after the first on 429, 5xx and connection errors. */
  maxRetries?: number;
  retryBaseDelayMs?: number;
  /** Parallel connections to the endpoint. */
  connections?: number;
  userAgent?: string;
}

export interface ClusterRequest {
  method: string;
  /** Path and query, e.g. `/idx/_search?size=0`. */
  path: string;
  /** A string or bytes are sent as they are; any other value as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** false: one attempt only (for requests that must not be repeated). */
  retry?: boolean;
}

export interface ClusterResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class ClusterRequestError extends UserError {
  constructor(
    readonly request: ClusterRequest,
    readonly response: ClusterResponse,
  ) {
    super('CLUSTER_REQUEST', `${request.method} ${request.path} answered ${response.statusCode}: ${response.body.toString('utf8').slice(0, 500)}`);
  }
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * An HTTP client for one Elasticsearch/OpenSearch endpoint, over undici: keep-alive connection
 * pools and the lowest per-request cost in Node, with no coupling to one server's API version
 * (the official clients each speak one product line; we talk to ES 6.8 through OpenSearch 3).
 */
export class ClusterClient {
  readonly endpoint: URL;
  private readonly agent: Agent;
  private readonly sign?: ReturnType<typeof createSigner>;
  private readonly basicHeader?: string;
  private cachedVersion?: ClusterVersion;

  constructor(private readonly opts: ClusterClientOptions) {
    try {
      this.endpoint = new URL(opts.endpoint);
    } catch {
      throw new UserError('BAD_ENDPOINT', `cluster endpoint must be a URL such as https://host:9200 (got "${opts.endpoint}")`, 2);
    }
    const timeout = opts.timeoutMs ?? 60_000;
    this.agent = new Agent({
      connections: opts.connections ?? 16,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: { rejectUnauthorized: !opts.allowInsecure, ca: opts.ca, timeout: Math.min(timeout, 10_000) },
    });
    const auth = opts.auth ?? { type: 'none' };
    if (auth.type === 'basic') this.basicHeader = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    if (auth.type === 'sigv4') this.sign = createSigner(auth);
    if (opts.version) this.cachedVersion = parseVersion(opts.version);
  }

  /** One request with bounded retries (core/retry: backoff with jitter, Retry-After honoured). */
  async request(req: ClusterRequest): Promise<ClusterResponse> {
    const maxRetries = req.retry === false ? 0 : (this.opts.maxRetries ?? 3);
    try {
      return await withRetries(() => this.once(req), {
        policy: { baseMs: this.opts.retryBaseDelayMs ?? 200, capMs: 30_000, maxAttempts: maxRetries + 1 },
        retryAfter: (o) => {
          if (o.ok) return RETRYABLE_STATUS.has(o.value.statusCode) ? (retryAfterMs(o.value.headers['retry-after']) ?? 0) : undefined;
          return isRetryableNetworkError(o.error) ? 0 : undefined;
        },
      });
    } catch (err) {
      throw this.wrapNetworkError(err, req);
    }
  }

  /** Like request(), but a non-2xx answer is an error; returns the parsed JSON body. */
  async json<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const req = { method, path, body, headers };
    const res = await this.request(req);
    if (res.statusCode < 200 || res.statusCode >= 300) throw new ClusterRequestError(req, res);
    return (res.body.length ? JSON.parse(res.body.toString('utf8')) : undefined) as T;
  }

  /** The cluster's flavor and version: from config when given (Serverless has no GET /), else GET /. */
  async detectVersion(): Promise<ClusterVersion> {
    if (!this.cachedVersion) this.cachedVersion = versionFromRootResponse(await this.json('GET', '/'));
    return this.cachedVersion;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async once(req: ClusterRequest): Promise<ClusterResponse> {
    const url = new URL(req.path, this.endpoint);
    // A path such as //host/x (or with a backslash) names another host: the cluster's credentials must not go there.
    if (url.origin !== this.endpoint.origin) throw new UserError('BAD_REQUEST', `request path "${req.path}" leaves ${this.endpoint.origin}: give a path such as /_cat/indices`);
    let body: string | Buffer | undefined;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined && req.body !== null) {
      body = typeof req.body === 'string' || Buffer.isBuffer(req.body) ? req.body : JSON.stringify(req.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
    if (this.basicHeader) headers.authorization = this.basicHeader;
    const finalHeaders = this.sign ? await this.sign({ method: req.method, url, headers, body }) : headers;
    const res = await undiciRequest(url, { method: req.method as any, headers: finalHeaders, body, dispatcher: this.agent });
    const buf = Buffer.from(await res.body.arrayBuffer());
    return { statusCode: res.statusCode, headers: res.headers, body: buf };
  }

  private wrapNetworkError(err: unknown, req: ClusterRequest): Error {
    if (err instanceof UserError) return err;
    const code = (err as { code?: string }).code ?? '';
    const message = (err as Error).message ?? String(err);
    if (err instanceof undiciErrors.UndiciError || RETRYABLE_CODES.has(code) || /certificate|self.signed|SSL/i.test(message)) {
      const hint = /certificate|self.signed/i.test(message) ? ' (the certificate is not trusted: fix it, name its CA with ca_file in services.yaml, or allow_insecure: true if you accept the risk)' : '';
      return new ClusterUnreachableError(`${req.method} ${this.endpoint.origin}${req.path} failed: ${code || message}${hint}`, RETRYABLE_CODES.has(code));
    }
    return err as Error;
  }
}

/** A request that got no answer; `transient` when another attempt may get one (a reset, a refused connection, a timeout). */
export class ClusterUnreachableError extends UserError {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super('CLUSTER_UNREACHABLE', message);
  }
}

function isRetryableNetworkError(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}
