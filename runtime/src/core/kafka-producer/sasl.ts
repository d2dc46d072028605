import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

export type SaslConfig =
  | { mechanism: 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<{ value: string }> };

/** One SaslAuthenticate round trip: client bytes out, server bytes back. */
export type SaslExchange = (clientBytes: Buffer) => Promise<Buffer>;

export const SASL_MECHANISM_NAMES = { 'scram-sha-512': 'SCRAM-SHA-512', oauthbearer: 'OAUTHBEARER' } as const;

const pbkdf2Async = promisify(pbkdf2);

/** Runs the client side of the mechanism; throws when the server's answer does not check out. */
export async function authenticate(config: SaslConfig, exchange: SaslExchange): Promise<void> {
  if (config.mechanism === 'oauthbearer') {
    const { value } = await config.oauthBearerProvider();
    await exchange(Buffer.from(`n,,\x01auth=Bearer ${value}\x01\x01`));
    return;
  }
  await scramSha512(config.username, config.password, exchange);
}

function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

const hmac = (key: Buffer, text: string) => createHmac('sha512', key).update(text).digest();

/** RFC 5802 SCRAM with SHA-512, as Kafka's SCRAM-SHA-512 mechanism. */
async function scramSha512(username: string, password: string, exchange: SaslExchange): Promise<void> {
  const nonce = randomBytes(24).toString('base64');
  const clientFirstBare = `n=${saslName(username)},r=${nonce}`;
  const serverFirst = (await exchange(Buffer.from(`n,,${clientFirstBare}`))).toString('utf8');
  const first = attributes(serverFirst);
  const serverNonce = first.get('r');
  const salt = first.get('s');
  const iterations = Number(first.get('i'));
  if (first.has('e')) throw new Error(`SCRAM authentication failed: ${first.get('e')}`);
  if (!serverNonce?.startsWith(nonce) || !salt || !Number.isInteger(iterations) || iterations < 1) {
    throw new Error('SCRAM authentication failed: the server\'s first message is not valid');
  }
  const salted = await pbkdf2Async(password.normalize('NFKC'), Buffer.from(salt, 'base64'), iterations, 64, 'sha512');
  const clientKey = hmac(salted, 'Client Key');
  const storedKey = createHash('sha512').update(clientKey).digest();
  const clientFinalBare = `c=biws,r=${serverNonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${clientFinalBare}`;
  const signature = hmac(storedKey, authMessage);
  const proof = Buffer.alloc(clientKey.length);
  for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i] ^ signature[i];
  const serverFinal = attributes((await exchange(Buffer.from(`${clientFinalBare},p=${proof.toString('base64')}`))).toString('utf8'));
  if (serverFinal.has('e')) throw new Error(`SCRAM authentication failed: ${serverFinal.get('e')}`);
  const expected = hmac(hmac(salted, 'Server Key'), authMessage);
  const got = Buffer.from(serverFinal.get('v') ?? '', 'base64');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new Error('SCRAM authentication failed: the server\'s signature does not match');
}
