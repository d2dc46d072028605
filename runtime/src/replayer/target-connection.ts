import net from 'node:net';
import tls from 'node:tls';
import { HttpBoundaryParser, HttpHead, ParseEvent } from '../core/http/boundary-parser';
import { Header, serializeRequest } from '../core/http/message';

/** Response headers as undici handed them over: lower-case names, an array for a repeated name. */
export type ResponseHeaders = Record<string, string | string[]>;

/** Told once per send: the final response, or why there is none. */
export interface ResponseHandler {
  onResponse(statusCode: number, headers: ResponseHeaders, body: Buffer): void;
  onConnectionError(err: ConnectionError): void;
}

export interface TargetConnectionOptions {
  /** Verify the target's certificate (https). */
  rejectUnauthorized: boolean;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** A request fails when the target sends nothing for this long (head or body). @default 60000 */
  requestTimeoutMs?: number;
  /** An idle connection is closed after this long, or sooner when the target says so (Keep-Alive: timeout=). @default 60000 */
  keepAliveTimeoutMs?: number;
}

/** A request that got no response; the codes and messages are undici's, which earlier tuples carry. */
export class ConnectionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const KEEP_ALIVE_TIMEOUT = /timeout=(\d+)/;

/** The headers of a response head as undici's parseHeaders builds them. */
export function responseHeaders(head: readonly Header[]): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (let i = 0; i < head.length; i++) {
    const key = head[i][0].toLowerCase();
    const value = head[i][1];
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    if (prev === undefined) {
      if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
      else out[key] = value;
    } else if (typeof prev === 'string') out[key] = [prev, value];
    else prev.push(value);
  }
  return out;
}

const EMPTY = Buffer.alloc(0);

/** The body of a response from the parser's Body events: chunk framing already left out, content coding kept. */
export function responseBody(head: HttpHead, parts: Buffer[]): Buffer {
  if (head.bodyless || parts.length === 0) return EMPTY;
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** Whether the connection may carry another request after this response. */
function keepsAlive(head: HttpHead, headers: ResponseHeaders): boolean {
  if (head.untilClose) return false;
  const connection = headers.connection;
  if (connection !== undefined) {
    const tokens = (Array.isArray(connection) ? connection.join(',') : connection).toLowerCase();
    if (/(^|,)\s*close\s*(,|$)/.test(tokens)) return false;
    if (head.version === 'HTTP/1.0') return /(^|,)\s*keep-alive\s*(,|$)/.test(tokens);
  }
  return head.version !== 'HTTP/1.0';
}

/**
 * Plain connections read into this one buffer (net's onread): no buffer and no stream event per
 * read. Whatever outlives a read is copied out of it; a head cut between reads is held by the
 * parser as a view, so the buffer is then left to it and a new one taken.
 */
let readBuffer = Buffer.allocUnsafeSlow(64 * 1024);

const enum Phase {
  Connecting,
  Open,
}

/**
 * One keep-alive HTTP/1.1 connection to the target, one request at a time (the replayer's
 * TargetSession orders them). It reconnects on the next send when the target has closed it, and a
 * request that got no byte back on a reused connection that the target closed meanwhile is sent
 * once more on a new one (the target closed an idle connection as the request went out). The
 * response is framed by the project's boundary parser; no per-request promises or streams.
 */
export class TargetConnection {
  private socket?: net.Socket;
  private parser?: HttpBoundaryParser;
  private phase = Phase.Connecting;
  /** The current socket carried a response already (a close before an answer may be a stale reuse). */
  private reused = false;
  private timeoutMs = 0;
  private idleMs: number;
  private destroyed = false;
  private tlsSession?: Buffer;
  private readonly port: number;
  private readonly hostname: string;
  private readonly host: string;
  private readonly secure: boolean;
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly keepAliveTimeoutMs: number;
  // The request in flight.
  private handler?: ResponseHandler;
  private method = '';
  private payload?: Buffer;
  private resent = false;
  private answered = false;
  private head?: HttpHead;
  private parts: Buffer[] = [];

  constructor(
    target: URL,
    private readonly opts: TargetConnectionOptions,
  ) {
    this.secure = target.protocol === 'https:';
    this.port = target.port ? Number(target.port) : this.secure ? 443 : 80;
    this.hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
    this.host = target.host;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.keepAliveTimeoutMs = opts.keepAliveTimeoutMs ?? 60_000;
    this.idleMs = this.keepAliveTimeoutMs;
  }

  /** The request's bytes for this connection's target (see serializeRequest). */
  serialize(method: string, path: string, headers: readonly Header[], body: Buffer): Buffer {
    return serializeRequest(method, path, headers, body, this.host);
  }

  /** Sends a serialized request; the handler hears once. Not while another request is in flight. */
  send(method: string, payload: Buffer, handler: ResponseHandler): void {
    if (this.handler) throw new Error('TargetConnection: a request is already in flight');
    if (this.destroyed) return;
    this.handler = handler;
    this.method = method;
    this.payload = payload;
    this.resent = false;
    this.write();
  }

  /** Closes the connection once idle; nothing more will be sent. */
  close(): void {
    this.destroyed = true;
    if (!this.handler) this.socket?.end();
  }

  /** Closes the connection now; a request in flight is abandoned without a word. */
  destroy(): void {
    this.destroyed = true;
    this.handler = undefined;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private write(): void {
    if (!this.socket) this.open();
    else {
      this.socket.ref();
      this.setTimer(this.requestTimeoutMs);
    }
    this.answered = false;
    this.head = undefined;
    this.parts = [];
    this.socket!.write(this.payload!);
  }

  private open(): void {
    const socket = this.secure
      ? tls.connect({
          host: this.hostname,
          port: this.port,
          servername: net.isIP(this.hostname) ? undefined : this.hostname,
          rejectUnauthorized: this.opts.rejectUnauthorized,
          ALPNProtocols: ['http/1.1'],
          session: this.tlsSession,
        })
      : net.connect({
          host: this.hostname,
          port: this.port,
          onread: {
            buffer: () => readBuffer,
            callback: (n: number, buf: Uint8Array) => {
              if (this.socket === socket) this.onData(buf as Buffer, n, true);
              return true;
            },
          },
        });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.socket = socket;
    this.parser = new HttpBoundaryParser('response', { requestMethod: () => this.method, reportBody: true });
    this.phase = Phase.Connecting;
    this.reused = false;
    this.timeoutMs = 0;
    this.setTimer(this.connectTimeoutMs);
    socket.on(this.secure ? 'secureConnect' : 'connect', () => {
      if (this.socket !== socket) return;
      this.phase = Phase.Open;
      this.setTimer(this.handler ? this.requestTimeoutMs : this.idleMs);
    });
    if (this.secure) socket.on('session', (session: Buffer) => (this.tlsSession = session));
    if (this.secure) {
      socket.on('data', (buf: Buffer) => {
        if (this.socket === socket) this.onData(buf, buf.length, false);
      });
    }
    socket.on('end', () => this.lost(socket));
    socket.on('close', () => this.lost(socket));
    socket.on('error', (err: NodeJS.ErrnoException) => this.lost(socket, err));
    socket.on('timeout', () => {
      if (this.socket !== socket) return;
      if (this.phase === Phase.Connecting) this.lost(socket, new ConnectionError('UND_ERR_CONNECT_TIMEOUT', 'Connect Timeout Error'));
      else if (!this.handler) this.lost(socket);
      else if (this.head) this.lost(socket, new ConnectionError('UND_ERR_BODY_TIMEOUT', 'Body Timeout Error'));
      else this.lost(socket, new ConnectionError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'));
    });
  }

  /** socket.setTimeout only when the value changes: it re-arms a timer. */
  private setTimer(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket!.setTimeout(ms);
  }

  /** Bytes buf[0..end) arrived; shared: buf is reused for the next read. */
  private onData(buf: Buffer, end: number, shared: boolean): void {
    const parser = this.parser!;
    if (!this.handler) {
      // Bytes nobody asked for: the connection is out of step.
      this.lost(this.socket!);
      return;
    }
    this.answered = true;
    if (end < buf.length) buf = buf.subarray(0, end);
    let pos = 0;
    for (;;) {
      const event = parser.execute(buf, pos);
      const at = parser.offset;
      if (event === ParseEvent.NeedMore) {
        // A head or a chunk line cut between reads is held as a view of this buffer: leave it to the parser.
        if (shared && parser.holdsBytes) readBuffer = Buffer.allocUnsafeSlow(readBuffer.length);
        return;
      }
      if (event === ParseEvent.Error) {
        this.lost(this.socket!, new ConnectionError('HPE_INVALID_RESPONSE', `Response does not match the HTTP/1.1 protocol (${parser.error})`));
        return;
      }
      pos = at;
      if (event === ParseEvent.HeadComplete) {
        this.head = parser.head;
        continue;
      }
      if (event === ParseEvent.Body) {
        const body = buf.subarray(parser.bodyStart, at);
        this.parts.push(shared ? Buffer.from(body) : body);
        continue;
      }
      // MessageComplete
      const head = this.head!;
      if (head.statusCode < 200 && head.statusCode !== 101) {
        // An interim answer (100 Continue): the final one follows.
        this.head = undefined;
        this.parts = [];
        continue;
      }
      this.complete(head, pos < buf.length);
      return;
    }
  }

  private complete(head: HttpHead, trailingBytes: boolean): void {
    const handler = this.handler!;
    const headers = responseHeaders(head.headers);
    const body = responseBody(head, this.parts);
    this.handler = undefined;
    this.payload = undefined;
    this.head = undefined;
    this.parts = [];
    let keep = !trailingBytes && head.statusCode !== 101 && !this.destroyed && keepsAlive(head, headers);
    if (keep && headers['keep-alive'] !== undefined) {
      const m = KEEP_ALIVE_TIMEOUT.exec(String(headers['keep-alive']));
      if (m) {
        const ms = Math.min(Number(m[1]) * 1000 - 2000, 600_000);
        if (ms <= 0) keep = false;
        else this.idleMs = ms;
      }
    }
    if (keep) {
      this.reused = true;
      this.setTimer(this.idleMs);
      // As undici: an idle kept-alive connection does not keep the process alive.
      this.socket!.unref();
    } else {
      const socket = this.socket!;
      this.socket = undefined;
      if (this.destroyed) socket.end();
      else socket.destroy();
    }
    handler.onResponse(head.statusCode, headers, body);
  }

  /** The socket ended, failed or timed out: forget it, and settle the request in flight. */
  private lost(socket: net.Socket, err?: Error): void {
    if (this.socket !== socket) return;
    // A body that runs until the connection closes ends here.
    if (!err && this.handler && this.head?.untilClose && this.parser!.finish() === ParseEvent.MessageComplete) {
      this.complete(this.head, false);
      return;
    }
    this.socket = undefined;
    socket.destroy();
    const handler = this.handler;
    if (!handler) return;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (this.reused && !this.answered && !this.resent && (!err || code === 'ECONNRESET' || code === 'EPIPE')) {
      this.resent = true;
      this.write();
      return;
    }
    this.handler = undefined;
    this.payload = undefined;
    if (err instanceof ConnectionError) handler.onConnectionError(err);
    else if (err) handler.onConnectionError(new ConnectionError(code ?? 'UND_ERR_SOCKET', err.message));
    else handler.onConnectionError(new ConnectionError('UND_ERR_SOCKET', 'other side closed'));
  }
}
