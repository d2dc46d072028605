import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../core/errors';

/** Loopback addresses: an API there is reachable only from this machine (or this task). */
export function isLoopbackHost(host: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i.test(host);
}

/**
 * The API token: --token-file, else MIGRATION_CONSOLE_API_TOKEN (in ECS the task gets it from
 * Secrets Manager). Undefined when neither is given.
 */
export function readApiToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let token: string | undefined;
  if (tokenFile) {
    try {
      token = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`cannot read --token-file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!token) throw new ConfigError(`--token-file ${tokenFile} is empty: put the API token in it`);
  } else token = env.MIGRATION_CONSOLE_API_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 16) throw new ConfigError('the API token is shorter than 16 characters: use a long random one (openssl rand -hex 32)');
  return token;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when the Authorization header carries the token: `Bearer <token>`, or Basic with the token as password (what a browser sends). */
export function hasToken(authorization: string | undefined, token: string): boolean {
  if (!authorization) return false;
  const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
  let given: string | undefined;
  if (/^bearer$/i.test(scheme)) given = value;
  else if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    given = decoded.slice(decoded.indexOf(':') + 1);
  }
  // Equal-length digests: the comparison takes the same time whatever the guess.
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * A Host header that names this machine. Without a token the API serves only those, so that a web
 * page cannot reach it through a DNS name rebound to 127.0.0.1.
 */
export function isLocalHostHeader(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0];
  return isLoopbackHost(host);
}
