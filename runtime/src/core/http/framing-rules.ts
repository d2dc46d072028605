/**
 * How the source's HTTP server cuts a byte stream into requests, so that the capture's request
 * boundaries are the requests the source executed. Elasticsearch and OpenSearch read HTTP/1.1 with
 * Netty's HttpObjectDecoder (ES 7.10.2: Netty 4.1.49; OpenSearch 2.19.1: Netty 4.1.118) followed by
 * HttpObjectAggregator. A request the decoder refuses is answered 400 (or the connection is closed)
 * and every later byte of the connection is discarded (Netty's BAD_MESSAGE state).
 *
 * Each row was sent to both real servers (test/integration/capture-proxy/framing.test.ts sends it
 * again, directly and through the proxy, every run; test/unit/core/http/framing-rules.test.ts has a
 * case per row). "request" = one request with that framing; "refused" = 400, rest of the
 * connection ignored; "closed" = the connection closes without an answer, nothing more executed.
 *
 * | row                                        | Elasticsearch 7.10                  | OpenSearch 2.19                      |
 * |--------------------------------------------|-------------------------------------|--------------------------------------|
 * | Content-Length + TE chunked                | chunked, Content-Length ignored     | same                                 |
 * | TE xchunked + Content-Length               | not chunked: Content-Length body    | same                                 |
 * | TE "chunked, identity" (a list)            | not chunked: no body (whole value)  | chunked (any item of the list)       |
 * | TE "xchunked, chunked" + Content-Length    | not chunked: Content-Length body    | chunked                              |
 * | TE gzip, then TE chunked (two headers)     | chunked (any header's value)        | chunked                              |
 * | TE CHUNKED (case)                          | chunked                             | same                                 |
 * | TE "chunked;x=1"                           | not chunked: no body                | same                                 |
 * | obs-fold "TE:" CRLF " chunked"             | value " chunked": not chunked       | refused (value starts with a space)  |
 * | obs-fold of another header                 | joined with a space                 | same                                 |
 * | Content-Length: +7                         | 7 (Long.parseLong takes a sign)     | refused (must start with a digit)    |
 * | Content-Length: -1                         | no body                             | refused                              |
 * | Content-Length: -2                         | body until close (never answered)   | refused                              |
 * | Content-Length: 007                        | 7                                   | same                                 |
 * | two Content-Length, same value             | refused                             | same                                 |
 * | Content-Length: 7, 7                       | refused                             | same                                 |
 * | two Content-Length on HTTP/1.0             | the first one                       | same                                 |
 * | Content-Length: 7 7 / 0x7 / empty / 2^64   | refused                             | same                                 |
 * | chunk size " 7", "7 ", "7\t", "7;ext"      | 7                                   | same                                 |
 * | chunk size "+7"                            | 7 (Integer.parseInt takes a sign)   | refused                              |
 * | chunk size "-0"                            | 0: last chunk                       | refused                              |
 * | chunk size "-1"                            | closed (negative size throws)       | refused                              |
 * | chunk size "0x7", "", ";ext", 80000000     | refused                             | same                                 |
 * | chunk data not followed by CRLF            | bytes up to the next LF skipped     | same                                 |
 * | bare LF line ends                          | accepted                            | same                                 |
 * | CR inside a line (not before its LF)       | whitespace: trimmed at a value's    | refused                              |
 * |                                            | end, refused inside a value         |                                      |
 * | "Name : value" (space before the colon)    | refused                             | same                                 |
 * | header line without a colon, empty name    | refused                             | same                                 |
 * | name with "/" or a control character       | accepted                            | refused (names are tokens)           |
 * | name with a byte >= 0x80                   | refused                             | same                                 |
 * | value with NUL, VT or FF; VT before value  | refused                             | same                                 |
 * | value with 0x01 or DEL                     | accepted                            | refused                              |
 * | first header line starting with a space    | leading space skipped               | refused                              |
 * | leading control bytes before the request   | skipped (0x00-0x20, 0x7F-0x9F)      | skipped (0x00-0x20, 0x7F)            |
 * | request line split by several SP, HT, VT   | accepted                            | same                                 |
 * | request line of 1, 2 or 4 parts            | refused                             | same                                 |
 * | method "put", "FOO"                        | a request (answered 405)            | closed (not a known method; a request|
 * |                                            |                                     | pipelined after it may still run)    |
 * | method with a byte >= 0x80                 | a request (405)                     | refused (methods are tokens)         |
 * | Expect: other than 100-continue (HTTP/1.1) | 417, the body is read as requests   | same                                 |
 * | Expect: 100-continue                       | 100 Continue, then the body         | same                                 |
 * | header section of 8192 bytes (CRLF-less)   | refused (the CR is counted first)   | accepted; 8193 refused               |
 * | request line of 4096 bytes                 | refused (same)                      | accepted; 4097 refused               |
 * | chunked trailers; a trailer without colon  | read until the empty line; refused  | same                                 |
 * | "0" CRLF then no empty line before the next| next request line read as a trailer | same                                 |
 * |   request                                  | (no colon): refused                 |                                      |
 * | TE chunked on HTTP/1.0                     | chunked (then the connection closes)| same                                 |
 * | GET without a length, then a request       | no body: two requests               | same                                 |
 */

export type SourceHttpRulesName = 'ES_7.10' | 'OS_2.19';

export interface FramingRules {
  readonly name: SourceHttpRulesName;
  /** Netty 4.1.49 counts a CR towards the line limits before it drops it with the LF. */
  readonly limitCountsCr: boolean;
  /** OpenSearch: a CR anywhere but before its LF refuses the request. */
  readonly crInLineRefused: boolean;
  /** Bytes 0x7F-0x9F are skipped before a request line (Netty 4.1.49 reads them unsigned). */
  readonly skipsC1Controls: boolean;
  /** Request line parts may be split by any Java whitespace (else SP, HT, VT, FF only). */
  readonly lineSplitJavaWhitespace: boolean;
  /** Methods and header names must be RFC 9110 tokens. */
  readonly tokens: boolean;
  /** Header values: Netty 4.1.49 refuses NUL, VT, FF and CR; OpenSearch wants RFC field-content. */
  readonly fieldContentValues: boolean;
  /** A first header line that starts with whitespace has it skipped (else refused). */
  readonly leadingSpaceHeader: boolean;
  /** Content-Length and chunk sizes may carry a sign (Long.parseLong / Integer.parseInt). */
  readonly signedNumbers: boolean;
  /** chunked: any comma-separated item of a Transfer-Encoding value (else the whole value). */
  readonly chunkedInList: boolean;
  /** The source closes the connection on a method outside RestRequest.Method. */
  readonly unknownMethodCloses: boolean;
  /** http.max_initial_line_length: the request line and each chunk-size line. */
  readonly maxInitialLineLength: number;
  /** http.max_header_size: all header lines of a request and its trailers. */
  readonly maxHeaderSize: number;
  /**
   * http.max_content_length, when known: an `Expect: 100-continue` request above it is answered
   * 413 and its body read as requests. Undefined: not modelled (operators often raise it).
   */
  readonly maxContentLength?: number;
}

export const ELASTICSEARCH_7_10: FramingRules = {
  name: 'ES_7.10',
  limitCountsCr: true,
  crInLineRefused: false,
  skipsC1Controls: true,
  lineSplitJavaWhitespace: true,
  tokens: false,
  fieldContentValues: false,
  leadingSpaceHeader: true,
  signedNumbers: true,
  chunkedInList: false,
  unknownMethodCloses: false,
  maxInitialLineLength: 4096,
  maxHeaderSize: 8192,
};

export const OPENSEARCH_2_19: FramingRules = {
  name: 'OS_2.19',
  limitCountsCr: false,
  crInLineRefused: true,
  skipsC1Controls: false,
  lineSplitJavaWhitespace: false,
  tokens: true,
  fieldContentValues: true,
  leadingSpaceHeader: false,
  signedNumbers: false,
  chunkedInList: true,
  unknownMethodCloses: true,
  maxInitialLineLength: 4096,
  maxHeaderSize: 8192,
};

/**
 * The rules of a source version as services.yaml writes it (ES_7.10, OS_2.19...): Elasticsearch
 * 6.x/7.x get Elasticsearch 7.10's, OpenSearch its 2.19 rules (the ones checked against real servers).
 */
export function framingRulesFor(version: string): FramingRules | undefined {
  if (/^ES_\d/i.test(version)) return ELASTICSEARCH_7_10;
  if (/^OS_\d/i.test(version)) return OPENSEARCH_2_19;
  return undefined;
}

/** A request the source will not execute: refused with 400, or the connection closed. */
export interface Refusal {
  reason: string;
  /** The source closes without answering (nothing on the connection is executed afterwards). */
  closes: boolean;
}

export function refused(reason: string, closes = false): Refusal {
  return { reason, closes };
}

// ---- characters as Java sees them ----

/** Character.isWhitespace for a latin1 char. */
export function isJavaWhitespace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}


/** Bytes Netty's SKIP_CONTROL_CHARS passes over before a request line. */
export function skippedBeforeRequest(rules: FramingRules, b: number): boolean {
  return b <= 0x20 || b === 0x7f || (rules.skipsC1Controls && b >= 0x80 && b <= 0x9f);
}

/** String.trim(): chars up to 0x20 off both ends. */
function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** An RFC 9110 token (methods, header names). */
export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

function lineSeparator(rules: FramingRules, c: number): boolean {
  return rules.lineSplitJavaWhitespace ? isJavaWhitespace(c) : c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d;
}

// ---- request line ----

export interface RequestLine {
  method: string;
  target: string;
  /** As sent (trimmed). */
  version: string;
  major: number;
  minor: number;
}

// Java's (\S+)/(\d+)\.(\d+), with Java's \s (not JavaScript's, which also matches 0xA0).
const VERSION = /^([^ \t\n\v\f\r]+)\/(\d+)\.(\d+)$/;
/** RestRequest.Method: OpenSearch closes the connection on anything else. */
const REST_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE', 'CONNECT']);

/** Splits a request line as HttpObjectDecoder.splitInitialLine does: three runs of non-separators. */
export function parseRequestLine(rules: FramingRules, line: string): RequestLine | Refusal {
  const n = line.length;
  let i = 0;
  while (i < n && lineSeparator(rules, line.charCodeAt(i))) i++;
  const methodStart = i;
  while (i < n && !lineSeparator(rules, line.charCodeAt(i))) i++;
  const method = line.slice(methodStart, i);
  while (i < n && lineSeparator(rules, line.charCodeAt(i))) i++;
  const targetStart = i;
  while (i < n && !lineSeparator(rules, line.charCodeAt(i))) i++;
  const target = line.slice(targetStart, i);
  while (i < n && lineSeparator(rules, line.charCodeAt(i))) i++;
  let end = n;
  while (end > i && isJavaWhitespace(line.charCodeAt(end - 1))) end--;
  const version = line.slice(i, end);
  if (!version) return refused('request line has no HTTP version');
  let major = 1;
  let minor = 1;
  if (version === 'HTTP/1.0') minor = 0;
  else if (version !== 'HTTP/1.1') {
    const m = VERSION.exec(version.toUpperCase());
    if (!m) return refused(`invalid HTTP version "${version.slice(0, 40)}"`);
    major = Number(m[2]);
    minor = Number(m[3]);
  }
  if (rules.tokens ? !isToken(method) : !validLegacyMethod(method)) return refused(`invalid method "${method.slice(0, 40)}"`);
  return { method, target, version, major, minor };
}

function validLegacyMethod(method: string): boolean {
  if (method.length === 0) return false;
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

/** A known method the source dispatches; OpenSearch closes the connection on any other. */
export function refusesMethod(rules: FramingRules, method: string): Refusal | undefined {
  return rules.unknownMethodCloses && !REST_METHODS.has(method) ? refused(`method "${method.slice(0, 40)}" is not one OpenSearch knows`, true) : undefined;
}

// ---- header lines ----

/** Folds and checks header (or trailer) lines; keeps the result as Netty adds it to the headers. */
export class HeaderCollector {
  readonly headers: Array<[string, string]> = [];
  /** The values that frame the body, gathered as headers are added. */
  readonly contentLengths: string[] = [];
  readonly transferEncodings: string[] = [];
  expect: string | undefined;
  private name: string | undefined;
  private value = '';

  constructor(private readonly rules: FramingRules) {}

  /** One line without its line end; a Refusal when the source would refuse it. */
  add(line: string): Refusal | undefined {
    const first = line.charCodeAt(0);
    if (this.name !== undefined && (first === 0x20 || first === 0x09)) {
      // obs-fold: joined to the previous value with one space.
      this.value = `${this.value} ${javaTrim(line)}`;
      return undefined;
    }
    const problem = this.flush();
    if (problem) return problem;
    return this.split(line);
  }

  /** The last header is complete (end of the head). */
  finish(): Refusal | undefined {
    return this.flush();
  }

  private split(line: string): Refusal | undefined {
    const n = line.length;
    let start = 0;
    if (isJavaWhitespace(line.charCodeAt(0))) {
      if (!this.rules.leadingSpaceHeader) return refused('a header line starts with whitespace');
      while (start < n && isJavaWhitespace(line.charCodeAt(start))) start++;
    }
    const colon = line.indexOf(':', start);
    if (colon < 0) return refused(`header line without a colon "${line.slice(0, 60)}"`);
    const name = line.slice(start, colon);
    let v = colon + 1;
    while (v < n && isJavaWhitespace(line.charCodeAt(v))) {
      const c = line.charCodeAt(v);
      if (c !== 0x20 && c !== 0x09) return refused(`header "${name.slice(0, 40)}": a control character before its value`);
      v++;
    }
    let end = n;
    while (end > v && isJavaWhitespace(line.charCodeAt(end - 1))) end--;
    this.name = name;
    this.value = line.slice(v, end);
    return undefined;
  }

  private flush(): Refusal | undefined {
    if (this.name === undefined) return undefined;
    const name = this.name;
    const value = this.value;
    this.name = undefined;
    const bad = this.rules.tokens ? !isToken(name) : !validLegacyName(name);
    if (bad) return refused(`invalid header name "${name.slice(0, 40)}"`);
    if (!(this.rules.fieldContentValues ? validFieldContent(value) : validLegacyValue(value))) return refused(`header "${name.slice(0, 40)}" has an invalid value`);
    this.headers.push([name, value]);
    const n = name.length;
    if (n === 14 && name.toLowerCase() === 'content-length') this.contentLengths.push(value);
    else if (n === 17 && name.toLowerCase() === 'transfer-encoding') this.transferEncodings.push(value);
    else if (n === 6 && this.expect === undefined && name.toLowerCase() === 'expect') this.expect = value;
    return undefined;
  }
}

// The checks below run for every header of every request: one regex each (faster than a loop in JS).
// eslint-disable-next-line no-control-regex
const LEGACY_NAME_BAD = /[\x00\t\n\v\f\r ,:;=\x80-\uffff]/;
// eslint-disable-next-line no-control-regex
const LEGACY_VALUE_BAD = /[\x00\v\f\r]/;
// eslint-disable-next-line no-control-regex
const FIELD_CONTENT_BAD = /[\x00-\x08\x0a-\x1f\x7f]/;
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Netty 4.1.49's header name check: no NUL, whitespace, ",:;=" or non-ASCII. */
function validLegacyName(name: string): boolean {
  return name.length > 0 && !LEGACY_NAME_BAD.test(name);
}

/** Netty 4.1.49's value check: NUL, VT and FF refused; a CR must be followed by LF (never, here). */
function validLegacyValue(value: string): boolean {
  return !LEGACY_VALUE_BAD.test(value);
}

/** RFC 9110 field-content: starts with a visible char; no controls but HT; no DEL. */
function validFieldContent(value: string): boolean {
  if (value.length === 0) return true;
  const first = value.charCodeAt(0);
  return first >= 0x21 && first !== 0x7f && !FIELD_CONTENT_BAD.test(value);
}

// ---- framing of the body ----

export interface RequestFraming {
  chunked: boolean;
  /** Content-Length as the source reads it (-1: none). */
  contentLength: number;
  /** The body runs until the connection closes (Elasticsearch, Content-Length below -1). */
  untilClose: boolean;
  /** The source reads no body: the next bytes are the next request. */
  bodyless: boolean;
  /** The source answers 100 Continue before the body. */
  expectContinue: boolean;
  /** The source answers 417/413 at once and reads the body as the next requests. */
  expectationFailed: boolean;
}

/** The body framing the source derives from the headers (readHeaders, then the aggregator). */
export function requestFraming(rules: FramingRules, line: RequestLine, headers: HeaderCollector): RequestFraming | Refusal {
  const lengths = headers.contentLengths;
  let contentLength = -1;
  if (lengths.length > 0) {
    const multiple = lengths.length > 1 || lengths[0].includes(',');
    const http10OrEarlier = line.major < 1 || (line.major === 1 && line.minor === 0);
    // Netty 4.1.49 compares with the HTTP_1_1 constant, which only an exact "HTTP/1.1" yields.
    const http11 = line.version === 'HTTP/1.1';
    if (multiple && (rules.signedNumbers ? http11 : !http10OrEarlier)) return refused('more than one Content-Length');
    const n = parseJavaLong(lengths[0], rules.signedNumbers);
    if (n === undefined || (!rules.signedNumbers && n < 0)) return refused(`invalid Content-Length "${lengths[0].slice(0, 40)}"`);
    contentLength = n;
  }
  let chunked = false;
  for (const v of headers.transferEncodings) {
    if (rules.chunkedInList ? v.split(',').some((item) => javaTrim(item).toLowerCase() === 'chunked') : v.toLowerCase() === 'chunked') chunked = true;
  }
  const framing: RequestFraming = { chunked, contentLength: chunked ? -1 : contentLength, untilClose: false, bodyless: false, expectContinue: false, expectationFailed: false };
  if (!chunked) {
    if (contentLength === 0 || contentLength === -1) framing.bodyless = true;
    else if (contentLength < -1) framing.untilClose = true;
  }
  // HttpObjectAggregator, for HTTP/1.1 and later: the first Expect header decides.
  if (line.major > 1 || (line.major === 1 && line.minor >= 1)) {
    const expect = headers.expect;
    if (expect !== undefined) {
      const tooLarge = rules.maxContentLength !== undefined && contentLength > rules.maxContentLength;
      if (expect.toLowerCase() !== '100-continue' || tooLarge) {
        framing.expectationFailed = true;
        framing.bodyless = true;
        framing.untilClose = false;
      } else {
        framing.expectContinue = true;
      }
    }
  }
  return framing;
}

/** Long.parseLong: optional sign (when allowed), decimal digits, within 64 bits. */
function parseJavaLong(text: string, signed: boolean): number | undefined {
  // The usual case: a few plain digits.
  if (text.length > 0 && text.length <= 15) {
    let n = 0;
    let i = 0;
    for (; i < text.length; i++) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (i === text.length) return n;
  }
  const m = signed ? /^([+-]?)(\d+)$/.exec(text) : /^()(\d+)$/.exec(text);
  if (!m) return undefined;
  const digits = m[2].replace(/^0+(?=\d)/, '');
  if (digits.length > 19 || (digits.length === 19 && digits > (m[1] === '-' ? '9223372036854775808' : '9223372036854775807'))) return undefined;
  const n = Number(digits);
  return m[1] === '-' ? -n : n;
}

/**
 * A chunk-size line (without its line end) as the source reads it; a negative size in
 * Elasticsearch makes it close the connection without answering.
 */
export function parseChunkSize(rules: FramingRules, line: string): number | Refusal {
  let hex: string;
  if (rules.signedNumbers) {
    // getChunkSize: trim, cut at ';' or whitespace or a control char, Integer.parseInt(hex, 16).
    hex = javaTrim(line);
    for (let i = 0; i < hex.length; i++) {
      const c = hex.charCodeAt(i);
      if (c === 0x3b || isJavaWhitespace(c) || c <= 0x1f || (c >= 0x7f && c <= 0x9f)) {
        hex = hex.slice(0, i);
        break;
      }
    }
    const m = /^([+-]?)([0-9a-fA-F]+)$/.exec(hex);
    if (!m) return refused(`invalid chunk size "${line.slice(0, 40)}"`);
    const n = parseInt(m[2], 16) * (m[1] === '-' ? -1 : 1);
    if (n > 0x7fffffff || n < -0x80000000) return refused(`chunk size "${line.slice(0, 40)}" overflows`);
    if (n < 0) return refused(`negative chunk size "${line.slice(0, 40)}"`, true);
    return n;
  }
  let i = 0;
  while (i < line.length && isJavaWhitespace(line.charCodeAt(i))) i++;
  let n = 0;
  const from = i;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const d = hexDigit(c);
    if (d < 0) {
      if (c === 0x3b || c <= 0x20 || c === 0x7f) break;
      return refused(`invalid character in chunk size "${line.slice(0, 40)}"`);
    }
    n = n * 16 + d;
    if (n > 0x7fffffff) return refused(`chunk size "${line.slice(0, 40)}" overflows`);
  }
  if (i === from) return refused(`empty chunk size "${line.slice(0, 40)}"`);
  return n;
}

export function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}
