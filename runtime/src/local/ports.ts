import net from 'node:net';
import { UserError } from '../core/errors';

/** Resolves true when nothing listens on 127.0.0.1:port and we may bind it. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortsFree(ports: Record<string, number>): Promise<void> {
  for (const [what, port] of Object.entries(ports)) {
    if (!(await isPortFree(port))) {
      throw new UserError('PORT_BUSY', `Port ${port} (${what}) is already in use. Stop what holds it (\`ss -ltnp 'sport = :${port}'\` shows it) or choose another port with the matching --*-port option.`);
    }
  }
}

/** Asks the OS for a free loopback port (for tests that need a spare server). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A base port whose next `count` ports are all free, for servers that take several (Kafka: port,
 * controller, SASL). Chosen below Linux's ephemeral range (32768+), where outgoing connections
 * would otherwise grab the neighbours of a port the OS just handed out.
 */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let free = true;
    for (let p = base; p < base + count && free; p++) free = await isPortFree(p);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found between 20000 and 32000`);
}
