import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { RunningProxy } from '../../../runtime/src/capture-proxy/capture-proxy';
import { stackEndpoints } from '../../support/env';
import { startProxy } from './support';

/* The reference proxy's mutual-TLS and warm-connection flags, honoured. */

const { sourceUrl } = stackEndpoints();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cp-mtls-'));
const f = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });

beforeAll(() => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=test-client-ca');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.pem'), '-days', '1', '-subj', '/CN=127.0.0.1');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=good-client');
  openssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '1');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('rogue.key'), '-out', f('rogue.pem'), '-days', '1', '-subj', '/CN=rogue-client');
});

/** GET / over TLS, with or without a client certificate: the status line, or why there is none. */
async function getRoot(port: number, cert?: 'client' | 'rogue'): Promise<string> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(cert ? { cert: readFileSync(f(`${cert}.pem`)), key: readFileSync(f(`${cert}.key`)) } : {}) });
  return new Promise((resolve) => {
    let data = '';
    const done = (result: string) => {
      socket.destroy();
      resolve(result);
    };
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    socket.on('data', (d) => {
      data += d;
      if (data.includes('\r\n')) done(data.split('\r\n')[0]);
    });
    socket.on('error', (err) => done(`refused (${(err as NodeJS.ErrnoException).code ?? err.message})`));
    socket.on('close', () => done(data ? data.split('\r\n')[0] : 'refused (closed)'));
  });
}

describe('--sslTrustCertFile and --requireClientAuth', () => {
  const proxies: RunningProxy[] = [];
  afterAll(() => Promise.all(proxies.map((p) => p.stop())));
  const start = async (extra: string[]) => {
    const p = await startProxy(['--destinationUri', sourceUrl, '--noCapture', '--sslCertChainFile', f('server.pem'), '--sslKeyFile', f('server.key'), '--sslTrustCertFile', f('ca.pem'), ...extra]);
    proxies.push(p);
    return p.port;
  };

  it('with a trust file alone: clients without a certificate pass, a certificate not signed by it is refused', async () => {
    const port = await start([]);
    expect(await getRoot(port)).toBe('HTTP/1.1 200 OK');
    expect(await getRoot(port, 'client')).toBe('HTTP/1.1 200 OK');
    expect(await getRoot(port, 'rogue')).toMatch(/^refused/);
  });

  it('with --requireClientAuth: only clients with a certificate signed by the trust file pass', async () => {
    const port = await start(['--requireClientAuth']);
    expect(await getRoot(port, 'client')).toBe('HTTP/1.1 200 OK');
    expect(await getRoot(port)).toMatch(/^refused/);
    expect(await getRoot(port, 'rogue')).toMatch(/^refused/);
  });
});

describe('--destinationConnectionPoolSize and --destinationConnectionPoolTimeout', () => {
  it('opens connections to the destination ahead of clients, hands one to a client, and replaces them when they have waited too long', async () => {
    const accepted: net.Socket[] = [];
    const requestsOn: number[] = [];
    const destination = net.createServer((socket) => {
      const n = accepted.push(socket) - 1;
      socket.on('data', () => {
        requestsOn.push(n);
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => destination.listen(0, '127.0.0.1', () => r()));
    const port = (destination.address() as net.AddressInfo).port;
    const proxy = await startProxy(['--destinationUri', `http://127.0.0.1:${port}`, '--noCapture', '--destinationConnectionPoolSize', '2', '--destinationConnectionPoolTimeout', 'PT2S']);
    const until = async (what: string, check: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until('two warm connections', () => accepted.length >= 2);
      expect(accepted).toHaveLength(2);
      const answer = await fetch(`http://127.0.0.1:${proxy.port}/`).then((r) => r.text());
      expect(answer).toBe('ok');
      // The request travelled on a connection opened before the client came.
      expect(requestsOn[0]).toBeLessThan(2);
      // The pool fills up again, and connections idle past the timeout are replaced.
      await until('the replacement of idle connections', () => accepted.length >= 5);
    } finally {
      await proxy.stop();
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => destination.close(() => r()));
    }
  });
});
