import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../core/logging';
import type { CaptureOffloader } from './offloader';
import { ConnectionSettings, ProxyConnection } from './proxy-connection';
import type { ProxyStats } from './proxy-stats';
import { UpstreamPool } from './upstream-pool';

export interface ProxyServerOptions {
  /** Where the source listens: http(s)://host:port. */
  destination: URL;
  /** Skip certificate verification of an https destination. */
  insecureDestination: boolean;
  listenHost: string;
  listenPort: number;
  /** A TLS listener when set (PEM contents); with clientCa, client certificates are verified, and required with requireClientCert. */
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer; requireClientCert?: boolean };
  settings: ConnectionSettings;
  offloader: CaptureOffloader;
  stats: ProxyStats;
  log: Logger;
  /** Emit capture of quiet connections at least this often. */
  flushIntervalMs: number;
  /** Warm connections to the destination. @default none */
  destinationPool?: { size: number; maxIdleMs: number };
}

/** The listener: one ProxyConnection per accepted client, a flush timer, and a graceful stop. */
export class ProxyServer {
  private readonly server: net.Server;
  private readonly connections = new Set<ProxyConnection>();
  private readonly idPrefix = randomBytes(6).toString('hex');
  private counter = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly pool?: UpstreamPool;

  constructor(private readonly opts: ProxyServerOptions) {
    const onConnection = (socket: net.Socket) => this.accept(socket);
    if (opts.tls) {
      this.server = tls.createServer(
        {
          // A client that shuts down its side after a request still gets the answer.
          allowHalfOpen: true,
          cert: opts.tls.cert,
          key: opts.tls.key,
          ca: opts.tls.clientCa,
          requestCert: Boolean(opts.tls.clientCa),
          rejectUnauthorized: Boolean(opts.tls.clientCa && opts.tls.requireClientCert),
        },
        (socket: tls.TLSSocket) => {
          // Optional client certificates: none is fine, a bad one is not.
          if (opts.tls?.clientCa && !socket.authorized && Object.keys(socket.getPeerCertificate() ?? {}).length > 0) {
            opts.log.debug({ err: String(socket.authorizationError) }, 'refused a client certificate');
            socket.destroy();
            return;
          }
          onConnection(socket);
        },
      );
      this.server.on('tlsClientError', (err) => opts.log.debug({ err: err.message }, 'TLS handshake with a client failed'));
    } else {
      this.server = net.createServer({ noDelay: true, allowHalfOpen: true }, onConnection);
    }
    this.server.on('error', (err) => opts.log.error({ err }, 'listener error'));
    if (opts.destinationPool?.size) this.pool = new UpstreamPool(opts.destinationPool.size, opts.destinationPool.maxIdleMs, () => this.openUpstream());
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.opts.listenHost, port: this.opts.listenPort, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.startServing();
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Serves connections accepted elsewhere (a --numThreads primary hands them over) instead of listening. */
  serveAdopted(): void {
    this.startServing();
  }

  /** A client connection accepted by another process; with TLS, the handshake happens here. */
  adopt(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.server.emit('connection', socket);
  }

  /** The flush timer and the warm source connections. */
  private startServing(): void {
    this.flushTimer = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) c.tick(now);
    }, this.opts.flushIntervalMs);
    this.flushTimer.unref();
    this.pool?.fill();
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting, lets each connection finish its request in flight (up to graceMs, then
   * closes it), and flushes every connection's capture.
   */
  async stop(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.pool?.stop();
    for (const c of this.connections) c.shutdown();
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.destroy();
    while (this.connections.size > 0) await new Promise((r) => setTimeout(r, 10));
    if (this.flushTimer) clearInterval(this.flushTimer);
    await closed;
  }

  private accept(socket: net.Socket): void {
    const connectionId = `${this.idPrefix}-${(++this.counter).toString(16).padStart(8, '0')}`;
    const conn = new ProxyConnection(socket, {
      settings: this.opts.settings,
      offloader: this.opts.offloader,
      stats: this.opts.stats,
      log: this.opts.log,
      connectionId,
      connectUpstream: () => this.connectUpstream(),
      onClosed: (c) => this.connections.delete(c),
    });
    this.connections.add(conn);
  }

  private connectUpstream(): net.Socket {
    return this.pool?.take() ?? this.openUpstream();
  }

  private openUpstream(): net.Socket {
    const d = this.opts.destination;
    const https = d.protocol === 'https:';
    const port = Number(d.port) || (https ? 443 : 80);
    const host = d.hostname.replace(/^\[|\]$/g, '');
    if (https) {
      // allowHalfOpen is a documented tls.connect option that @types/node leaves out.
      const options = { host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: !this.opts.insecureDestination, ALPNProtocols: ['http/1.1'], allowHalfOpen: true };
      return tls.connect(options as tls.ConnectionOptions);
    }
    // Half-closes pass through: the client's end of stream reaches the source, and the source's answer still goes back.
    return net.connect({ host, port, noDelay: true, allowHalfOpen: true });
  }
}
