import type net from 'node:net';

/**
 * Warm connections to the source (the reference's --destinationConnectionPoolSize): a new client
 * connection takes one that is already open instead of waiting for a TCP (and TLS) handshake.
 * Each waits at most `maxIdleMs` (--destinationConnectionPoolTimeout) and is then replaced, so
 * that none outlives the source's own idle timeout. Size 0 is no pool.
 */
export class UpstreamPool {
  private readonly idle = new Map<net.Socket, { timer: NodeJS.Timeout; drop: () => void }>();
  private stopped = false;

  constructor(
    private readonly size: number,
    private readonly maxIdleMs: number,
    private readonly connect: () => net.Socket,
  ) {}

  /** Opens connections until `size` are idle. */
  fill(): void {
    while (!this.stopped && this.idle.size < this.size) this.add();
  }

  /** An open connection, or undefined when none is ready (the caller connects anew). */
  take(): net.Socket | undefined {
    for (const [socket, entry] of this.idle) {
      this.release(socket, entry);
      queueMicrotask(() => this.fill());
      if (!socket.destroyed) return socket;
    }
    return undefined;
  }

  get idleCount(): number {
    return this.idle.size;
  }

  stop(): void {
    this.stopped = true;
    for (const [socket, entry] of this.idle) {
      this.release(socket, entry);
      socket.destroy();
    }
  }

  private add(): void {
    const socket = this.connect();
    // An idle connection that errs, closes or is sent anything is of no use: replace it.
    const drop = () => {
      const entry = this.idle.get(socket);
      if (!entry) return;
      this.release(socket, entry);
      socket.destroy();
      if (!this.stopped) setTimeout(() => this.fill(), 100).unref();
    };
    const timer = setTimeout(drop, this.maxIdleMs);
    timer.unref();
    socket.on('error', drop).on('close', drop).on('end', drop).on('data', drop);
    this.idle.set(socket, { timer, drop });
  }

  private release(socket: net.Socket, entry: { timer: NodeJS.Timeout; drop: () => void }): void {
    clearTimeout(entry.timer);
    socket.off('error', entry.drop).off('close', entry.drop).off('end', entry.drop).off('data', entry.drop);
    this.idle.delete(socket);
  }
}
