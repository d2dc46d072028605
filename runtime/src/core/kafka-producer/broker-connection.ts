import net from 'node:net';
import tls, { ConnectionOptions } from 'node:tls';
import { authenticate, SASL_MECHANISM_NAMES, SaslConfig } from './sasl';
import { Reader, Writer } from './wire';

export const ApiKey = { Produce: 0, Metadata: 3, SaslHandshake: 17, SaslAuthenticate: 36 } as const;

export interface ConnectionConfig {
  clientId: string;
  /** false: plain TCP; true or options: TLS (certificates verified unless the options say otherwise). */
  tls: boolean | ConnectionOptions;
  sasl?: SaslConfig;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** A broker's answer could not be had: the connection failed, closed or timed out. */
export class KafkaConnectionError extends Error {
  readonly retriable = true;
}

interface InFlight {
  resolve: (r: Reader) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One connection to one broker: requests framed with a correlation id, answered in order.
 * Connects (TLS, SASL) on first use and again after a failure; a request that times out closes
 * the connection, so that a late answer can never be taken for another request's.
 */
export class BrokerConnection {
  private socket: net.Socket | undefined;
  private ready: Promise<void> | undefined;
  private readonly inFlight = new Map<number, InFlight>();
  private correlationId = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bumped by every failure or close: a connect that was under way when it happened is dropped. */
  private generation = 0;
  private readonly clientId: Buffer;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly config: ConnectionConfig,
  ) {
    this.clientId = Buffer.from(config.clientId);
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /**
   * Sends a request whose body `writeBody` writes (sizeHint: its expected size) and resolves with
   * a reader positioned after the response's correlation id.
   */
  async request(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, sizeHint = 256): Promise<Reader> {
    const ready = (this.ready ??= this.open());
    try {
      await ready;
    } catch (err) {
      if (this.ready === ready) this.ready = undefined;
      throw err;
    }
    return this.send(apiKey, apiVersion, writeBody, sizeHint);
  }

  close(): void {
    this.fail(new KafkaConnectionError(`Kafka broker ${this.address}: connection closed by the client`));
  }

  private send(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, sizeHint: number): Promise<Reader> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new KafkaConnectionError(`Kafka broker ${this.address}: not connected`));
    const id = (this.correlationId = (this.correlationId + 1) & 0x7fffffff);
    const w = new Writer(4 + 10 + this.clientId.length + sizeHint);
    w.int32(0).int16(apiKey).int16(apiVersion).int32(id).int16(this.clientId.length).raw(this.clientId);
    writeBody(w);
    w.buf.writeInt32BE(w.pos - 4, 0);
    return new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new KafkaConnectionError(`Kafka broker ${this.address}: no answer within ${this.config.requestTimeoutMs} ms`));
      }, this.config.requestTimeoutMs);
      this.inFlight.set(id, { resolve, reject, timer });
      socket.write(w.result);
    });
  }

  private async open(): Promise<void> {
    const { tls: tlsOptions, connectionTimeoutMs } = this.config;
    const generation = this.generation;
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = tlsOptions
        ? tls.connect({ host: this.host, port: this.port, servername: net.isIP(this.host) ? undefined : this.host, ...(typeof tlsOptions === 'object' ? tlsOptions : {}) })
        : net.connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new KafkaConnectionError(`Kafka broker ${this.address}: could not connect within ${connectionTimeoutMs} ms`));
      }, connectionTimeoutMs);
      s.once(tlsOptions ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err: Error & { code?: string }) => {
        clearTimeout(timer);
        reject(new KafkaConnectionError(`Kafka broker ${this.address}: ${err.code ?? err.message}`));
      });
    });
    if (generation !== this.generation) {
      socket.destroy();
      throw new KafkaConnectionError(`Kafka broker ${this.address}: connection closed while it was being opened`);
    }
    socket.setNoDelay(true);
    this.socket = socket;
    this.chunks = [];
    this.buffered = 0;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Only while it is the current socket: a late event of an old one must not close its successor.
    socket.on('error', (err: Error & { code?: string }) => {
      if (this.socket === socket) this.fail(new KafkaConnectionError(`Kafka broker ${this.address}: ${err.code ?? err.message}`));
    });
    socket.on('close', () => {
      if (this.socket === socket) this.fail(new KafkaConnectionError(`Kafka broker ${this.address}: connection closed`));
    });
    try {
      if (this.config.sasl) await this.authenticate(this.config.sasl);
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
  }

  private async authenticate(sasl: SaslConfig): Promise<void> {
    const mechanism = SASL_MECHANISM_NAMES[sasl.mechanism];
    const hs = await this.send(ApiKey.SaslHandshake, 1, (w) => w.string(mechanism), 32);
    const code = hs.int16();
    const offered = hs.array((r) => r.string());
    if (code !== 0) throw new Error(`Kafka broker ${this.address} does not accept SASL ${mechanism} (it offers ${offered.join(', ') || 'none'})`);
    await authenticate(sasl, async (clientBytes) => {
      const r = await this.send(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(clientBytes), clientBytes.length + 8);
      const errorCode = r.int16();
      const message = r.string();
      const serverBytes = r.bytes() ?? Buffer.alloc(0);
      if (errorCode !== 0) throw new Error(`Kafka SASL ${mechanism} authentication failed at ${this.address}: ${message ?? `error ${errorCode}`}`);
      return serverBytes;
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : Buffer.concat(this.chunks);
      const size = head.readInt32BE(0);
      if (this.buffered < 4 + size) return;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      const reader = new Reader(frame);
      const id = reader.int32();
      const pending = this.inFlight.get(id);
      if (!pending) continue;
      this.inFlight.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(reader);
    }
  }

  /** Closes the socket and fails every request waiting on it; the next request reconnects. */
  private fail(err: Error): void {
    this.generation++;
    const socket = this.socket;
    this.socket = undefined;
    this.ready = undefined;
    socket?.destroy();
    for (const p of this.inFlight.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.inFlight.clear();
  }
}
