/**
 * An incremental HTTP/1.1 boundary parser: it finds where each request or response head ends and
 * where its body ends (Content-Length, chunked, no body, until close), without copying body bytes.
 * It never buffers a body; a head is copied only when it spans chunks. Callers drive it with
 * execute() and get one event at a time, so they can act on exact byte offsets (relay, capture).
 */

export enum ParseEvent {
  /** Everything from the offset was consumed; no boundary in it. */
  NeedMore,
  /** A head just ended at `offset`; `head` describes it. */
  HeadComplete,
  /** A message (head and body) just ended at `offset`. */
  MessageComplete,
  /** The bytes are not HTTP/1.x; `error` says why. The parser stays in this state. */
  Error,
}

export type HttpMessageKind = 'request' | 'response';

export interface HttpHead {
  /** Request method as sent ('' for a response). */
  method: string;
  /** Request target as sent ('' for a response). */
  target: string;
  /** Response status code (0 for a request). */
  statusCode: number;
  /** e.g. 'HTTP/1.1' */
  version: string;
  /** Header names and values as sent, in order (values trimmed). */
  headers: Array<[string, string]>;
  /** Bytes of the start line with its line end. */
  firstLineByteLength: number;
  /** Bytes of the header lines after the start line, with the closing empty line. */
  headersByteLength: number;
  /** Body length from Content-Length, or -1. */
  contentLength: number;
  chunked: boolean;
  /** The message has no body (by method, status or framing). */
  bodyless: boolean;
  /** A response body that ends when the connection closes. */
  untilClose: boolean;
  /** Request asks to switch protocols (Upgrade header) or is CONNECT. */
  upgrade: boolean;
  expectContinue: boolean;
  /** Exact bytes of the head (any leading empty lines included). */
  raw: Buffer;
}

export interface HttpBoundaryParserOptions {
  /** A head longer than this is an error (default 64 KiB). */
  maxHeadBytes?: number;
  /** Response parsers: the method of the request being answered (HEAD and CONNECT change framing). */
  requestMethod?: () => string | undefined;
}

const enum S {
  HeadStart,
  Head,
  BodyLength,
  ChunkSize,
  ChunkExt,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  TrailerLineStart,
  TrailerLine,
  TrailerEndLf,
  UntilClose,
  Done,
  Failed,
}

const LF = 10;
const CR = 13;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP\/\d\.\d)$/;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: .*)?$/;
const MAX_CHUNK_SIZE = 2 ** 40;

export class HttpBoundaryParser {
  /** Where the last execute() stopped, in the buffer it was given. */
  offset = 0;
  /** The head of the message being parsed (valid from HeadComplete until the next message starts). */
  head: HttpHead | undefined;
  error: string | undefined;
  private state = S.HeadStart;
  private readonly maxHeadBytes: number;
  private headParts: Buffer[] = [];
  private headBytes = 0;
  private lineBytes = 0;
  private lineIsCr = false;
  private remaining = 0;
  private chunkDigits = 0;
  private completeAfterHead = false;

  constructor(
    readonly kind: HttpMessageKind,
    private readonly opts: HttpBoundaryParserOptions = {},
  ) {
    this.maxHeadBytes = opts.maxHeadBytes ?? 64 * 1024;
  }

  /** True while a head is being collected (its bytes are held by the parser, see carriedHeadBytes()). */
  get inHead(): boolean {
    return this.state === S.Head || (this.state === S.HeadStart && this.headBytes > 0);
  }

  /** True between messages: nothing of a next message has been seen. */
  get atMessageStart(): boolean {
    return this.state === S.HeadStart && this.headBytes === 0;
  }

  get failed(): boolean {
    return this.state === S.Failed;
  }

  /** Head bytes from earlier chunks that execute() has not handed back (for relaying after an Error). */
  carriedHeadBytes(): Buffer[] {
    return this.headParts;
  }

  /**
   * Consumes bytes from buf[offset..] up to the next event. After HeadComplete, call it again even
   * with no bytes left: a message without a body completes right there. On Error, `offset` is left
   * where this call started, so that the caller can relay the rest as it is.
   */
  execute(buf: Buffer, offset = 0): ParseEvent {
    const start = offset;
    const end = buf.length;
    let pos = offset;
    if (this.completeAfterHead) {
      // A head without a body: the message ends where the head did.
      this.completeAfterHead = false;
      this.state = S.Done;
      this.offset = pos;
      return ParseEvent.MessageComplete;
    }
    if (this.state === S.Done) this.resetMessage();
    let leadingInChunk = 0;
    while (pos < end) {
      switch (this.state) {
        case S.HeadStart: {
          // Empty lines before a request line are ignored (RFC 9112 2.2); they stay in the head's bytes.
          const b = buf[pos];
          if (b === CR || b === LF) {
            pos++;
            leadingInChunk++;
            this.headBytes++;
            if (this.headBytes > this.maxHeadBytes) return this.fail('too many empty lines before a message', start);
            continue;
          }
          this.state = S.Head;
          this.lineBytes = 0;
          this.lineIsCr = false;
          this.headStartInChunk = pos - this.headBytes >= start ? pos - this.headBytes : -1;
          continue;
        }
        case S.Head: {
          const headChunkStart = this.headStartInChunk >= 0 ? this.headStartInChunk : start;
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) {
            this.lineIsCr = this.lineBytes === 0 && end - pos === 1 && buf[pos] === CR;
            this.lineBytes += end - pos;
            this.headBytes += end - pos;
            if (this.headBytes > this.maxHeadBytes) return this.fail(`head longer than ${this.maxHeadBytes} bytes`, start);
            this.headParts.push(buf.subarray(headChunkStart, end));
            this.headStartInChunk = -1;
            this.offset = end;
            return ParseEvent.NeedMore;
          }
          const lineLen = this.lineBytes + (nl - pos);
          const emptyLine = lineLen === 0 || (lineLen === 1 && (nl > pos ? buf[pos] === CR : this.lineIsCr));
          this.headBytes += nl + 1 - pos;
          pos = nl + 1;
          this.lineBytes = 0;
          this.lineIsCr = false;
          if (this.headBytes > this.maxHeadBytes) return this.fail(`head longer than ${this.maxHeadBytes} bytes`, start);
          if (!emptyLine) continue;
          const tail = buf.subarray(headChunkStart, pos);
          const raw = this.headParts.length === 0 ? tail : Buffer.concat([...this.headParts, tail]);
          this.headParts = [];
          this.headStartInChunk = -1;
          const problem = this.parseHead(raw);
          if (problem) return this.fail(problem, start);
          this.offset = pos;
          return ParseEvent.HeadComplete;
        }
        case S.BodyLength: {
          const take = Math.min(this.remaining, end - pos);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) return this.complete(pos);
          break;
        }
        case S.ChunkSize: {
          const b = buf[pos];
          const digit = hexValue(b);
          if (digit >= 0) {
            this.remaining = this.remaining * 16 + digit;
            this.chunkDigits++;
            if (this.remaining > MAX_CHUNK_SIZE) return this.fail('chunk size too large', start);
          } else if (this.chunkDigits === 0) {
            return this.fail('chunk size is not a hex number', start);
          } else if (b === 0x3b /* ; */ || b === 0x20 || b === 0x09) {
            this.state = S.ChunkExt;
          } else if (b === CR) {
            this.state = S.ChunkSizeLf;
          } else if (b === LF) {
            this.afterChunkSize();
          } else {
            return this.fail('chunk size is not a hex number', start);
          }
          pos++;
          break;
        }
        case S.ChunkExt: {
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) {
            pos = end;
          } else {
            pos = nl + 1;
            this.afterChunkSize();
          }
          break;
        }
        case S.ChunkSizeLf:
          if (buf[pos] !== LF) return this.fail('chunk size line does not end with CRLF', start);
          pos++;
          this.afterChunkSize();
          break;
        case S.ChunkData: {
          const take = Math.min(this.remaining, end - pos);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.state = S.ChunkDataCr;
          break;
        }
        case S.ChunkDataCr: {
          const b = buf[pos++];
          if (b === CR) this.state = S.ChunkDataLf;
          else if (b === LF) this.startChunk();
          else return this.fail('chunk data is longer than its size', start);
          break;
        }
        case S.ChunkDataLf:
          if (buf[pos++] !== LF) return this.fail('chunk data is not followed by CRLF', start);
          this.startChunk();
          break;
        case S.TrailerLineStart: {
          const b = buf[pos++];
          if (b === LF) return this.complete(pos);
          this.state = b === CR ? S.TrailerEndLf : S.TrailerLine;
          break;
        }
        case S.TrailerEndLf:
          if (buf[pos++] !== LF) return this.fail('chunked body does not end with CRLF', start);
          return this.complete(pos);
        case S.TrailerLine: {
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) pos = end;
          else {
            pos = nl + 1;
            this.state = S.TrailerLineStart;
          }
          break;
        }
        case S.UntilClose:
          pos = end;
          break;
        case S.Done:
          this.resetMessage();
          break;
        case S.Failed:
          this.offset = start;
          return ParseEvent.Error;
      }
    }
    // Head bytes of this chunk (or empty lines before a message) are kept for the head.
    if (this.state === S.HeadStart && leadingInChunk > 0) this.headParts.push(buf.subarray(end - leadingInChunk, end));
    if (this.state === S.Head) {
      this.headParts.push(buf.subarray(this.headStartInChunk >= 0 ? this.headStartInChunk : start, end));
      this.headStartInChunk = -1;
    }
    this.offset = pos;
    return ParseEvent.NeedMore;
  }

  /**
   * The connection ended. Completes a body that runs until close; a message cut short is an Error;
   * NeedMore when the stream ended cleanly between messages.
   */
  finish(): ParseEvent {
    if (this.state === S.UntilClose) {
      this.state = S.Done;
      return ParseEvent.MessageComplete;
    }
    if (this.state === S.Done || this.atMessageStart) return ParseEvent.NeedMore;
    if (this.state === S.Failed) return ParseEvent.Error;
    this.state = S.Failed;
    this.error = 'connection closed inside a message';
    return ParseEvent.Error;
  }

  private headStartInChunk = -1;

  private resetMessage(): void {
    this.state = S.HeadStart;
    this.head = undefined;
    this.headBytes = 0;
    this.headParts = [];
    this.remaining = 0;
  }

  private fail(reason: string, start: number): ParseEvent {
    this.state = S.Failed;
    this.error = reason;
    this.offset = start;
    return ParseEvent.Error;
  }

  private complete(pos: number): ParseEvent {
    this.state = S.Done;
    this.offset = pos;
    return ParseEvent.MessageComplete;
  }

  private afterChunkSize(): void {
    if (this.remaining === 0) {
      this.state = S.TrailerLineStart;
    } else {
      this.state = S.ChunkData;
    }
  }

  private startChunk(): void {
    this.state = S.ChunkSize;
    this.remaining = 0;
    this.chunkDigits = 0;
  }

  /** Reads the head's framing; returns a problem or undefined. Sets the next state. */
  private parseHead(raw: Buffer): string | undefined {
    const text = raw.toString('latin1');
    let lineStart = 0;
    while (text.charCodeAt(lineStart) === CR || text.charCodeAt(lineStart) === LF) lineStart++;
    const leading = lineStart;
    let nl = text.indexOf('\n', lineStart);
    const firstLine = stripCr(text.slice(lineStart, nl));
    const firstLineByteLength = nl + 1 - leading;
    const head: HttpHead = {
      method: '',
      target: '',
      statusCode: 0,
      version: '',
      headers: [],
      firstLineByteLength,
      headersByteLength: raw.length - leading - firstLineByteLength,
      contentLength: -1,
      chunked: false,
      bodyless: false,
      untilClose: false,
      upgrade: false,
      expectContinue: false,
      raw,
    };
    if (this.kind === 'request') {
      const m = REQUEST_LINE.exec(firstLine);
      if (!m) return `malformed request line "${firstLine.slice(0, 100)}"`;
      head.method = m[1];
      head.target = m[2];
      head.version = m[3];
    } else {
      const m = STATUS_LINE.exec(firstLine);
      if (!m) return `malformed status line "${firstLine.slice(0, 100)}"`;
      head.version = m[1];
      head.statusCode = Number(m[2]);
    }
    let transferEncoding: string | undefined;
    let hasUpgradeHeader = false;
    for (lineStart = nl + 1; ; lineStart = nl + 1) {
      nl = text.indexOf('\n', lineStart);
      if (nl < 0) break;
      const line = stripCr(text.slice(lineStart, nl));
      if (line.length === 0) break;
      const colon = line.indexOf(':');
      if (colon <= 0) return `malformed header line "${line.slice(0, 100)}"`;
      const name = line.slice(0, colon);
      if (!TOKEN.test(name)) return `malformed header name "${name.slice(0, 100)}"`;
      const value = line.slice(colon + 1).trim();
      head.headers.push([name, value]);
      switch (name.length) {
        case 14:
          if (name.toLowerCase() === 'content-length') {
            if (!/^\d{1,15}$/.test(value)) return `invalid Content-Length "${value.slice(0, 40)}"`;
            const n = Number(value);
            if (head.contentLength >= 0 && head.contentLength !== n) return 'conflicting Content-Length headers';
            head.contentLength = n;
          }
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') transferEncoding = transferEncoding ? `${transferEncoding}, ${value}` : value;
          break;
        case 7:
          if (name.toLowerCase() === 'upgrade') hasUpgradeHeader = true;
          break;
        case 6:
          if (name.toLowerCase() === 'expect' && value.toLowerCase() === '100-continue') head.expectContinue = true;
          break;
      }
    }
    if (transferEncoding !== undefined) {
      const codings = transferEncoding.toLowerCase().split(',');
      head.chunked = codings[codings.length - 1].trim() === 'chunked';
      if (!head.chunked && this.kind === 'request') return `Transfer-Encoding "${transferEncoding}" does not end with chunked`;
    }
    this.head = head;
    if (this.kind === 'request') {
      head.upgrade = hasUpgradeHeader || head.method === 'CONNECT';
      if (head.chunked) this.startChunk();
      else this.setLengthBody(head.contentLength);
    } else {
      const method = this.opts.requestMethod?.();
      const status = head.statusCode;
      if (status < 200 || status === 204 || status === 304 || method === 'HEAD' || (method === 'CONNECT' && status < 300)) {
        this.setLengthBody(0);
      } else if (head.chunked) {
        this.startChunk();
      } else if (head.contentLength >= 0) {
        this.setLengthBody(head.contentLength);
      } else {
        head.untilClose = true;
        this.state = S.UntilClose;
      }
    }
    head.bodyless = this.completeAfterHead;
    return undefined;
  }

  private setLengthBody(length: number): void {
    if (length <= 0) {
      this.completeAfterHead = true;
    } else {
      this.remaining = length;
      this.state = S.BodyLength;
    }
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/** The value of the first header with this name (case-insensitive), or undefined. */
export function headerValue(head: HttpHead, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of head.headers) if (n.length === lower.length && n.toLowerCase() === lower) return v;
  return undefined;
}

/** Methods that change data: the ones a capture must hold until Kafka has them. */
export function isMutatingMethod(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'PATCH';
}
