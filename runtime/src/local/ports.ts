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
