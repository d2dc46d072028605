import {
  ELASTICSEARCH_7_10,
  FramingRules,
  HeaderCollector,
  hexDigit,
  isToken,
  parseChunkSize,
  parseRequestLine,
  Refusal,
  RequestLine,
  refusesMethod,
  requestFraming,
  skippedBeforeRequest,
} from './framing-rules';

/**
 * An incremental HTTP/1.1 boundary parser: it finds where each request or response head ends and
 * where its body ends (Content-Length, chunked, no body, until close), without copying body bytes.
 * It never buffers a body; a head is copied only when it spans chunks. Callers drive it with
 * execute() and get one event at a time, so they can act on exact byte offsets (relay, capture).
 *
 * Requests are framed as the source's server frames them (core/http/framing-rules.ts: Netty's
 * HttpObjectDecoder as Elasticsearch 7.10 or OpenSearch 2.19 apply it, with its table of cases), so
 * that one parsed request is one request the source executed; a request the source refuses is an
 * Error. With `reportBody`, body bytes come as Body events (bodyStart..offset, chunk framing left
 * out), so that a message parser can be built on top of this one.
 */

export enum ParseEvent {
  /** Everything from the offset was consumed; no boundary in it. */
  NeedMore,
  /** A head just ended at `offset`; `head` describes it. */
  HeadComplete,
  /** A message (head and body) just ended at `offset`. */
  MessageComplete,
  /**
   * Requests: the source refuses the message (400, or it closes: `closesWithoutAnswer`) and reads
   * nothing more of the connection. Responses: the bytes are not HTTP/1.x. `error` says why. The
   * parser stays in this state.
   */
  Error,
  /** With `reportBody`: body bytes from `bodyStart` to `offset`. */
  Body,
}

export type HttpMessageKind = 'request' | 'response';

export interface HttpHead {
  /** Request method as sent ('' for a response). */
  method: string;
  /** Request target as sent ('' for a response). */
  target: string;
  /** Response status code (0 for a request). */
  statusCode: number;
  /** Response reason phrase ('' for a request). */
  reason: string;
  /** e.g. 'HTTP/1.1' */
  version: string;
  /** Header names and values as the server reads them, in order (values trimmed, folded lines joined). */
  headers: Array<[string, string]>;
  /** Bytes of the start line with its line end. */
  firstLineByteLength: number;
  /** Bytes of the header lines after the start line, with the closing empty line. */
  headersByteLength: number;
  /** Body length from Content-Length, or -1. */
  contentLength: number;
  chunked: boolean;
  /** The message has no body (by method, status, framing or a failed expectation). */
  bodyless: boolean;
  /** A body that ends when the connection closes. */
  untilClose: boolean;
  /** Request asks to switch protocols (Upgrade header) or is CONNECT. */
  upgrade: boolean;
  /** The source answers 100 Continue before it reads the body. */
  expectContinue: boolean;
  /** The source answers 417/413 at once and reads what follows the head as the next request. */
  expectationFailed: boolean;
  /** Exact bytes of the head (any leading empty lines included). */
  raw: Buffer;
}

export interface HttpBoundaryParserOptions {
  /** A head longer than this is an error (default 64 KiB, or more when the request rules allow more). */
  maxHeadBytes?: number;
  /** Response parsers: the method of the request being answered (HEAD and CONNECT change framing). */
  requestMethod?: () => string | undefined;
  /** Request parsers: the framing rules of the server the requests go to (default Elasticsearch 7.10). */
  rules?: FramingRules;
  /** Emit Body events for body bytes. */
  reportBody?: boolean;
}

const enum S {
  HeadStart,
  Head,
  BodyLength,
  ChunkSizeLine,
  ChunkData,
  ChunkDelimiter,
  TrailerLine,
  UntilClose,
  Done,
  Failed,
}

const LF = 10;
const CR = 13;
const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;
/** Chunk-size and trailer lines of responses: our own bound, as for heads. */
const MAX_RESPONSE_LINE = 64 * 1024;

export class HttpBoundaryParser {
  /** Where the last execute() stopped, in the buffer it was given. */
  offset = 0;
  /** With reportBody: where the body bytes of the last Body event begin. */
  bodyStart = 0;
  /** The head of the message being parsed (valid from HeadComplete until the next message starts). */
  head: HttpHead | undefined;
  error: string | undefined;
  /** Requests: the source closes the connection without answering the refused message. */
  closesWithoutAnswer = false;
  private state = S.HeadStart;
  private readonly maxHeadBytes: number;
  private readonly rules: FramingRules;
  private readonly isRequest: boolean;
  private headParts: Buffer[] = [];
  private headBytes = 0;
  private headStartInChunk = -1;
  /** Bytes of the current line so far (no LF), and whether the last of them is a CR. */
  private lineBytes = 0;
  private lineEndsCr = false;
  /** Lines of the head completed so far (0: in the start line). */
  private lineIndex = 0;
  /** Bytes before the start line (skipped by the server). */
  private leadingBytes = 0;
  /** Header bytes the source counts against http.max_header_size (trailers included). */
  private headerSize = 0;
  private remaining = 0;
  /** The message ends at the start of the next call (a head without a body, or after Body). */
  private completeAfterHead = false;
  /** A chunk-size or trailer line that spans chunks. */
  private lineParts: Buffer[] = [];
  private trailers: HeaderCollector | undefined;
  /** The request line and the headers so far, of the head being read. */
  private requestLine: RequestLine | undefined;
  private collector: HeaderCollector | undefined;
  /** Lines of the head judged so far (the request line is line 0). */
  private linesJudged = 0;

  constructor(
    readonly kind: HttpMessageKind,
    private readonly opts: HttpBoundaryParserOptions = {},
  ) {
    this.rules = opts.rules ?? ELASTICSEARCH_7_10;
    this.isRequest = kind === 'request';
    // A request head is bounded by the source's own limits; this bound only caps what is buffered.
    const sourceBound = this.isRequest ? 2 * (this.rules.maxInitialLineLength + this.rules.maxHeaderSize) + 1024 : 0;
    this.maxHeadBytes = opts.maxHeadBytes ?? Math.max(64 * 1024, sourceBound);
  }

  /** True while a head is being collected (its bytes are held by the parser, see carriedHeadBytes()). */
  get inHead(): boolean {
    return this.state === S.Head || (this.state === S.HeadStart && this.headBytes > 0);
  }

  /** True while the parser holds views of earlier buffers (a head, or a chunk-size or trailer line, cut between them). */
  get holdsBytes(): boolean {
    return this.inHead || this.lineParts.length > 0;
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
      // A head without a body (or a body already handed out): the message ends here.
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
          // Bytes the server skips before a start line stay in the head's bytes.
          const b = buf[pos];
          if (this.isRequest ? skippedBeforeRequest(this.rules, b) : b === CR || b === LF) {
            pos++;
            leadingInChunk++;
            this.headBytes++;
            this.leadingBytes++;
            if (this.headBytes > this.maxHeadBytes) return this.fail('too many bytes before a message', start);
            // Netty 4.1.118 refuses more skipped bytes than a request line may have (4.1.49 counts them into the line).
            if (this.isRequest && !this.rules.limitCountsCr && this.leadingBytes > this.rules.maxInitialLineLength) return this.fail('too many control bytes before a request', start);
            continue;
          }
          this.state = S.Head;
          this.lineBytes = 0;
          this.lineEndsCr = false;
          this.lineIndex = 0;
          this.headStartInChunk = pos - this.headBytes >= start ? pos - this.headBytes : -1;
          continue;
        }
        case S.Head: {
          const headChunkStart = this.headStartInChunk >= 0 ? this.headStartInChunk : start;
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) {
            this.lineBytes += end - pos;
            this.lineEndsCr = buf[end - 1] === CR;
            this.headBytes += end - pos;
            const problem = this.headLimit(false);
            if (problem) return this.fail(problem, start);
            this.headParts.push(buf.subarray(headChunkStart, end));
            this.headStartInChunk = -1;
            // As Netty, which judges each line when it ends: the lines that did, before waiting for more.
            const refusal = this.isRequest && this.lineIndex > this.linesJudged ? this.judgeLines(Buffer.concat(this.headParts)) : undefined;
            if (refusal) return this.fail(refusal, start);
            this.offset = end;
            return ParseEvent.NeedMore;
          }
          this.lineBytes += nl - pos;
          if (nl > pos) this.lineEndsCr = buf[nl - 1] === CR;
          this.headBytes += nl + 1 - pos;
          pos = nl + 1;
          const problem = this.headLimit(true);
          if (problem) return this.fail(problem, start);
          const emptyLine = this.lineBytes === 0 || (this.lineBytes === 1 && this.lineEndsCr);
          this.lineBytes = 0;
          this.lineEndsCr = false;
          this.lineIndex++;
          if (!emptyLine || this.lineIndex === 1) continue;
          const tail = buf.subarray(headChunkStart, pos);
          const raw = this.headParts.length === 0 ? tail : Buffer.concat([...this.headParts, tail]);
          this.headParts = [];
          this.headStartInChunk = -1;
          const refusal = this.isRequest ? this.parseRequestHead(raw) : this.parseResponseHead(raw);
          if (refusal) return this.fail(refusal, start);
          this.offset = pos;
          return ParseEvent.HeadComplete;
        }
        case S.BodyLength: {
          const from = pos;
          const take = Math.min(this.remaining, end - pos);
          this.remaining -= take;
          pos += take;
          if (this.opts.reportBody) {
            // The message completes on the next call, after its last body bytes.
            if (this.remaining === 0) this.completeAfterHead = true;
            return this.body(from, pos);
          }
          if (this.remaining === 0) return this.complete(pos);
          break;
        }
        case S.ChunkSizeLine: {
          const line = this.takeLine(buf, pos, end);
          if (line === undefined) {
            const problem = this.lineLimit(this.rules.maxInitialLineLength, 0);
            if (problem) return this.fail(problem, start);
            pos = end;
            break;
          }
          pos = this.offset;
          const problem = this.lineLimit(this.rules.maxInitialLineLength, 0);
          if (problem) return this.fail(problem, start);
          const size = this.isRequest ? parseChunkSize(this.rules, line) : responseChunkSize(line);
          if (typeof size !== 'number') return this.fail(size, start);
          this.lineBytes = 0;
          if (size === 0) {
            this.state = S.TrailerLine;
            this.trailers = this.isRequest ? new HeaderCollector(this.rules) : undefined;
          } else {
            this.remaining = size;
            this.state = S.ChunkData;
          }
          break;
        }
        case S.ChunkData: {
          const from = pos;
          const take = Math.min(this.remaining, end - pos);
          this.remaining -= take;
          pos += take;
          if (this.remaining === 0) this.state = S.ChunkDelimiter;
          if (this.opts.reportBody) return this.body(from, pos);
          break;
        }
        case S.ChunkDelimiter: {
          // Netty skips whatever follows chunk data up to the next LF.
          const nl = buf.indexOf(LF, pos);
          if (nl < 0) {
            pos = end;
          } else {
            pos = nl + 1;
            this.startChunk();
          }
          break;
        }
        case S.TrailerLine: {
          const line = this.takeLine(buf, pos, end);
          if (line === undefined) {
            const problem = this.trailerLimit(false);
            if (problem) return this.fail(problem, start);
            pos = end;
            break;
          }
          pos = this.offset;
          const problem = this.trailerLimit(true);
          if (problem) return this.fail(problem, start);
          this.lineBytes = 0;
          if (line.length === 0) {
            const refusal = this.trailers?.finish();
            if (refusal) return this.fail(refusal, start);
            return this.complete(pos);
          }
          if (this.isRequest && this.rules.crInLineRefused && line.includes('\r')) return this.fail('a CR inside a trailer line', start);
          const refusal = this.trailers?.add(line);
          if (refusal) return this.fail(refusal, start);
          break;
        }
        case S.UntilClose: {
          const from = pos;
          pos = end;
          if (this.opts.reportBody) return this.body(from, pos);
          break;
        }
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
      const refusal = this.isRequest && this.lineIndex > this.linesJudged ? this.judgeLines(Buffer.concat(this.headParts)) : undefined;
      if (refusal) return this.fail(refusal, start);
    }
    this.offset = pos;
    return ParseEvent.NeedMore;
  }

  /**
   * The connection ended. Completes a response body that runs until close; a message cut short is
   * an Error (the source never executes a request it did not get whole); NeedMore when the stream
   * ended cleanly between messages.
   */
  finish(): ParseEvent {
    if (this.state === S.UntilClose && !this.isRequest) {
      this.state = S.Done;
      return ParseEvent.MessageComplete;
    }
    if (this.state === S.Done || this.atMessageStart) return ParseEvent.NeedMore;
    if (this.state === S.Failed) return ParseEvent.Error;
    this.state = S.Failed;
    this.error = 'connection closed inside a message';
    return ParseEvent.Error;
  }

  private resetMessage(): void {
    this.state = S.HeadStart;
    this.head = undefined;
    this.headBytes = 0;
    this.headParts = [];
    this.remaining = 0;
    this.leadingBytes = 0;
    this.headerSize = 0;
    this.lineBytes = 0;
    this.trailers = undefined;
    this.requestLine = undefined;
    this.collector = undefined;
    this.linesJudged = 0;
  }

  private fail(reason: string | Refusal, start: number): ParseEvent {
    this.state = S.Failed;
    if (typeof reason === 'string') {
      this.error = reason;
    } else {
      this.error = reason.reason;
      this.closesWithoutAnswer = reason.closes;
    }
    this.offset = start;
    return ParseEvent.Error;
  }

  private complete(pos: number): ParseEvent {
    this.state = S.Done;
    this.offset = pos;
    return ParseEvent.MessageComplete;
  }

  private body(from: number, pos: number): ParseEvent {
    this.bodyStart = from;
    this.offset = pos;
    return ParseEvent.Body;
  }

  private startChunk(): void {
    this.state = S.ChunkSizeLine;
    this.remaining = 0;
    this.lineBytes = 0;
  }

  /**
   * The line from pos to the next LF, without its line end (one CR before the LF dropped), with
   * `offset` set after the LF; undefined (the bytes kept) when there is no LF yet.
   */
  private takeLine(buf: Buffer, pos: number, end: number): string | undefined {
    const nl = buf.indexOf(LF, pos);
    if (nl < 0) {
      this.lineParts.push(buf.subarray(pos, end));
      this.lineBytes += end - pos;
      this.lineEndsCr = buf[end - 1] === CR;
      return undefined;
    }
    let text: string;
    if (this.lineParts.length === 0) {
      text = buf.toString('latin1', pos, nl);
    } else {
      this.lineParts.push(buf.subarray(pos, nl));
      text = Buffer.concat(this.lineParts).toString('latin1');
      this.lineParts = [];
    }
    this.lineBytes = text.length;
    this.lineEndsCr = text.charCodeAt(text.length - 1) === CR;
    this.offset = nl + 1;
    return this.lineEndsCr ? text.slice(0, -1) : text;
  }

  /** The source's limits on the start line and on the header section, checked as Netty does. */
  private headLimit(atLineEnd: boolean): string | undefined {
    if (this.headBytes > this.maxHeadBytes) return `head longer than ${this.maxHeadBytes} bytes`;
    if (!this.isRequest) return undefined;
    if (this.lineIndex === 0) {
      const used = this.rules.limitCountsCr ? this.leadingBytes : 0;
      return this.lineLimit(this.rules.maxInitialLineLength, used) && `request line longer than ${this.rules.maxInitialLineLength} bytes`;
    }
    const problem = this.lineLimit(this.rules.maxHeaderSize, this.headerSize);
    if (problem) return `headers longer than ${this.rules.maxHeaderSize} bytes`;
    if (atLineEnd) this.headerSize += this.lineBytes - (this.lineEndsCr ? 1 : 0);
    return undefined;
  }

  private trailerLimit(atLineEnd: boolean): string | undefined {
    if (!this.isRequest) return this.lineBytes > MAX_RESPONSE_LINE ? 'trailer line too long' : undefined;
    const problem = this.lineLimit(this.rules.maxHeaderSize, this.headerSize);
    if (problem) return `headers and trailers longer than ${this.rules.maxHeaderSize} bytes`;
    if (atLineEnd) this.headerSize += this.lineBytes - (this.lineEndsCr ? 1 : 0);
    return undefined;
  }

  /**
   * Set when the current line breaks a limit of `max` with `used` bytes counted before it. Netty
   * 4.1.49 counts the CR it drops with the LF; 4.1.118 does not (a trailing CR is taken as that one).
   */
  private lineLimit(max: number, used: number): string | undefined {
    if (!this.isRequest) return this.lineBytes > MAX_RESPONSE_LINE ? 'line too long' : undefined;
    const counted = !this.rules.limitCountsCr && this.lineEndsCr ? this.lineBytes - 1 : this.lineBytes;
    return used + counted > max ? 'line too long' : undefined;
  }

  /**
   * Judges the lines of the head not judged yet, up to the last complete one in `head` (the head's
   * bytes so far, leading bytes included). A head that arrives whole is judged once, at its end.
   */
  private judgeLines(head: Buffer): Refusal | string | undefined {
    const rules = this.rules;
    const lines = head.toString('latin1', this.leadingBytes).split('\n');
    // The last item is what follows the last LF (nothing yet, or an unfinished line).
    for (let i = this.linesJudged; i < lines.length - 1; i++) {
      let line = lines[i];
      if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
      if (i > 0 && line.length === 0) break;
      this.linesJudged = i + 1;
      if (rules.crInLineRefused && line.includes('\r')) return 'a CR inside a line of the head';
      if (i === 0) {
        const parsed = parseRequestLine(rules, line);
        if ('reason' in parsed) return parsed;
        this.requestLine = parsed;
        this.collector = new HeaderCollector(rules);
        continue;
      }
      const refusal = this.collector!.add(line);
      if (refusal) return refusal;
    }
    return undefined;
  }

  /** The request head is complete: its framing as the source reads it; returns the refusal, or sets the next state. */
  private parseRequestHead(raw: Buffer): Refusal | string | undefined {
    const rules = this.rules;
    const unjudged = this.judgeLines(raw);
    if (unjudged) return unjudged;
    const line = this.requestLine!;
    const collector = this.collector!;
    const refusal = collector.finish();
    if (refusal) return refusal;
    const framing = requestFraming(rules, line, collector);
    if ('reason' in framing) return framing;
    const closes = refusesMethod(rules, line.method);
    if (closes) return closes;
    const leading = this.leadingBytes;
    const firstLineByteLength = raw.indexOf(LF, leading) + 1 - leading;
    let upgrade = line.method === 'CONNECT';
    for (const [n] of collector.headers) if (n.length === 7 && n.toLowerCase() === 'upgrade') upgrade = true;
    const head: HttpHead = {
      method: line.method,
      target: line.target,
      statusCode: 0,
      reason: '',
      version: line.version,
      headers: collector.headers,
      firstLineByteLength,
      headersByteLength: raw.length - leading - firstLineByteLength,
      contentLength: framing.contentLength,
      chunked: framing.chunked,
      bodyless: framing.bodyless,
      untilClose: framing.untilClose,
      upgrade,
      expectContinue: framing.expectContinue,
      expectationFailed: framing.expectationFailed,
      raw,
    };
    this.head = head;
    if (framing.bodyless) this.completeAfterHead = true;
    else if (framing.chunked) this.startChunk();
    else if (framing.untilClose) this.state = S.UntilClose;
    else this.setLengthBody(framing.contentLength);
    return undefined;
  }

  /** Reads a response head (a server's own output: plain HTTP/1.x rules); sets the next state. */
  private parseResponseHead(raw: Buffer): string | undefined {
    const text = raw.toString('latin1');
    let lineStart = 0;
    while (text.charCodeAt(lineStart) === CR || text.charCodeAt(lineStart) === LF) lineStart++;
    const leading = lineStart;
    let nl = text.indexOf('\n', lineStart);
    const firstLine = stripCr(text.slice(lineStart, nl));
    const firstLineByteLength = nl + 1 - leading;
    const m = STATUS_LINE.exec(firstLine);
    if (!m) return `malformed status line "${firstLine.slice(0, 100)}"`;
    const head: HttpHead = {
      method: '',
      target: '',
      statusCode: Number(m[2]),
      reason: m[3] ?? '',
      version: m[1],
      headers: [],
      firstLineByteLength,
      headersByteLength: raw.length - leading - firstLineByteLength,
      contentLength: -1,
      chunked: false,
      bodyless: false,
      untilClose: false,
      upgrade: false,
      expectContinue: false,
      expectationFailed: false,
      raw,
    };
    let transferEncoding: string | undefined;
    for (lineStart = nl + 1; ; lineStart = nl + 1) {
      nl = text.indexOf('\n', lineStart);
      if (nl < 0) break;
      const line = stripCr(text.slice(lineStart, nl));
      if (line.length === 0) break;
      const colon = line.indexOf(':');
      if (colon <= 0) return `malformed header line "${line.slice(0, 100)}"`;
      const name = line.slice(0, colon);
      if (!isToken(name)) return `malformed header name "${name.slice(0, 100)}"`;
      const value = line.slice(colon + 1).trim();
      head.headers.push([name, value]);
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return `invalid Content-Length "${value.slice(0, 40)}"`;
        const n = Number(value);
        if (head.contentLength >= 0 && head.contentLength !== n) return 'conflicting Content-Length headers';
        head.contentLength = n;
      } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
        transferEncoding = transferEncoding ? `${transferEncoding}, ${value}` : value;
      }
    }
    if (transferEncoding !== undefined) {
      const codings = transferEncoding.toLowerCase().split(',');
      head.chunked = codings[codings.length - 1].trim() === 'chunked';
    }
    this.head = head;
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

/** A response's chunk size: hex digits, then optional extensions. */
function responseChunkSize(line: string): number | string {
  let n = 0;
  let i = 0;
  for (; i < line.length; i++) {
    const d = hexDigit(line.charCodeAt(i));
    if (d < 0) break;
    n = n * 16 + d;
  }
  if (i === 0 || n > 2 ** 40) return `chunk size "${line.slice(0, 40)}" is not a hex number`;
  const rest = line.charCodeAt(i);
  if (i < line.length && rest !== 0x3b && rest !== 0x20 && rest !== 0x09) return `chunk size "${line.slice(0, 40)}" is not a hex number`;
  return n;
}

/** Methods that change data: the ones a capture must hold until Kafka has them. */
export function isMutatingMethod(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'DELETE' || method === 'PATCH';
}
