/**
 * The rows of the framing table in runtime/src/core/http/framing-rules.ts as bytes, with what each
 * server does with them: the unit test checks the parser against `es`/`os`, the integration test
 * checks `es`/`os` against the real Elasticsearch 7.10 and OpenSearch 2.19 (and the proxy and the
 * replay against both). Each case writes `{"a":N}` documents with ids N into index `ix`; unless
 * `noFollowUp`, a well-formed `PUT ix/_doc/9` follows on the same connection, which shows whether
 * the server still reads the connection afterwards.
 */

export interface Outcome {
  /** Ids of the documents the server creates. */
  docs: string[];
  /** Requests the server reads whole (the follow-up included). */
  requests: number;
  /** The last message is refused: answered 400 (and the rest ignored), or the connection closed. */
  refused?: 'answered' | 'closed';
}

export interface FramingCase {
  /** Short name, also part of index names. */
  id: string;
  /** The table row it checks (as written in the table). */
  row: string;
  bytes: (ix: string) => string;
  noFollowUp?: boolean;
  es: Outcome;
  os: Outcome;
}

export const HEADERS = 'Host: x\r\nContent-Type: application/json\r\n';
const doc = (n: number) => `{"a":${n}}`;
const put = (ix: string, id: number, extra = '') => `PUT /${ix}/_doc/${id} HTTP/1.1\r\n${HEADERS}${extra}`;
const withLength = (ix: string, id: number, extra = '') => `${put(ix, id, extra)}Content-Length: 7\r\n\r\n${doc(id)}`;
const chunked = (ix: string, id: number, extra = '', size = '7') => `${put(ix, id, extra)}Transfer-Encoding: chunked\r\n\r\n${size}\r\n${doc(id)}\r\n0\r\n\r\n`;
export const followUp = (ix: string) => withLength(ix, 9);

/** A request whose header lines (without their CRLFs) take exactly `size` bytes. */
function headerSection(ix: string, size: number): string {
  const base = `${HEADERS}Content-Length: 7\r\n`;
  const counted = base.length - 2 * 3;
  return `PUT /${ix}/_doc/1 HTTP/1.1\r\n${base}X-Pad: ${'p'.repeat(size - counted - 'X-Pad: '.length)}\r\n\r\n${doc(1)}`;
}

/** A request whose request line (without its CRLF) takes exactly `size` bytes. */
function requestLine(ix: string, size: number): string {
  const head = `PUT /${ix}/_doc/1?timeout=`;
  const tail = '1m HTTP/1.1';
  return `${head}${'0'.repeat(size - head.length - tail.length)}${tail}\r\n${HEADERS}Content-Length: 7\r\n\r\n${doc(1)}`;
}

const ok: Outcome = { docs: ['1', '9'], requests: 2 };
const refused: Outcome = { docs: [], requests: 0, refused: 'answered' };

export const FRAMING_CASES: FramingCase[] = [
  { id: 'cl-te', row: 'Content-Length + TE chunked', bytes: (ix) => chunked(ix, 1, 'Content-Length: 3\r\n'), es: ok, os: ok },
  { id: 'te-xchunked', row: 'TE xchunked + Content-Length', bytes: (ix) => withLength(ix, 1, 'Transfer-Encoding: xchunked\r\n'), es: ok, os: ok },
  { id: 'te-list', row: 'TE "chunked, identity" (a list)', bytes: (ix) => chunked(ix, 1).replace('chunked', 'chunked, identity'), es: { docs: [], requests: 1, refused: 'answered' }, os: ok },
  { id: 'te-list-cl', row: 'TE "xchunked, chunked" + Content-Length', bytes: (ix) => withLength(ix, 1, 'Transfer-Encoding: xchunked, chunked\r\n'), es: ok, os: refused },
  { id: 'te-two', row: 'TE gzip, then TE chunked (two headers)', bytes: (ix) => chunked(ix, 1, 'Transfer-Encoding: gzip\r\n'), es: ok, os: { docs: ['9'], requests: 2 } },
  { id: 'te-upper', row: 'TE CHUNKED (case)', bytes: (ix) => chunked(ix, 1).replace('chunked', 'CHUNKED'), es: ok, os: ok },
  { id: 'te-params', row: 'TE "chunked;x=1"', bytes: (ix) => chunked(ix, 1).replace('chunked', 'chunked;x=1'), es: { docs: [], requests: 1, refused: 'answered' }, os: { docs: [], requests: 1, refused: 'answered' } },
  { id: 'fold-te', row: 'obs-fold "TE:" CRLF " chunked"', bytes: (ix) => chunked(ix, 1).replace('Transfer-Encoding: chunked', 'Transfer-Encoding:\r\n chunked'), es: { docs: [], requests: 1, refused: 'answered' }, os: refused },
  { id: 'fold-other', row: 'obs-fold of another header', bytes: (ix) => withLength(ix, 1, 'X-A: b\r\n c\r\n'), es: ok, os: ok },
  { id: 'cl-plus', row: 'Content-Length: +7', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length: +7'), es: ok, os: refused },
  { id: 'cl-minus-1', row: 'Content-Length: -1', bytes: (ix) => `${put(ix, 1)}Content-Length: -1\r\n\r\n${withLength(ix, 2)}`, es: { docs: ['2', '9'], requests: 3 }, os: refused },
  { id: 'cl-minus-2', row: 'Content-Length: -2', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length: -2'), es: { docs: [], requests: 0 }, os: refused },
  { id: 'cl-zeros', row: 'Content-Length: 007', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length: 007'), es: ok, os: ok },
  { id: 'cl-twice', row: 'two Content-Length, same value', bytes: (ix) => withLength(ix, 1, 'Content-Length: 7\r\n'), es: refused, os: refused },
  { id: 'cl-list', row: 'Content-Length: 7, 7', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length: 7, 7'), es: refused, os: refused },
  { id: 'cl-http10', row: 'two Content-Length on HTTP/1.0', bytes: (ix) => withLength(ix, 1).replace('HTTP/1.1', 'HTTP/1.0').replace('\r\n\r\n', '\r\nContent-Length: 99\r\n\r\n'), noFollowUp: true, es: { docs: ['1'], requests: 1 }, os: { docs: ['1'], requests: 1 } },
  { id: 'cl-space', row: 'Content-Length: 7 7 / 0x7 / empty / 2^64', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length: 7 7'), es: refused, os: refused },
  { id: 'cl-hex', row: 'Content-Length: 7 7 / 0x7 / empty / 2^64', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length: 0x7'), es: refused, os: refused },
  { id: 'cl-empty', row: 'Content-Length: 7 7 / 0x7 / empty / 2^64', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length:'), es: refused, os: refused },
  { id: 'cl-huge', row: 'Content-Length: 7 7 / 0x7 / empty / 2^64', bytes: (ix) => withLength(ix, 1).replace('Length: 7', 'Length: 18446744073709551616'), es: refused, os: refused },
  { id: 'chunk-lead', row: 'chunk size " 7", "7 ", "7\\t", "7;ext"', bytes: (ix) => chunked(ix, 1, '', ' 7'), es: ok, os: ok },
  { id: 'chunk-trail', row: 'chunk size " 7", "7 ", "7\\t", "7;ext"', bytes: (ix) => chunked(ix, 1, '', '7 '), es: ok, os: ok },
  { id: 'chunk-tab', row: 'chunk size " 7", "7 ", "7\\t", "7;ext"', bytes: (ix) => chunked(ix, 1, '', '7\t'), es: ok, os: ok },
  { id: 'chunk-ext', row: 'chunk size " 7", "7 ", "7\\t", "7;ext"', bytes: (ix) => chunked(ix, 1, '', '7;a=b'), es: ok, os: ok },
  { id: 'chunk-plus', row: 'chunk size "+7"', bytes: (ix) => chunked(ix, 1, '', '+7'), es: ok, os: refused },
  { id: 'chunk-minus-0', row: 'chunk size "-0"', bytes: (ix) => chunked(ix, 1).replace('\r\n0\r\n\r\n', '\r\n-0\r\n\r\n'), es: ok, os: refused },
  { id: 'chunk-minus-1', row: 'chunk size "-1"', bytes: (ix) => chunked(ix, 1, '', '-1'), es: { docs: [], requests: 0, refused: 'closed' }, os: refused },
  { id: 'chunk-0x', row: 'chunk size "0x7", "", ";ext", 80000000', bytes: (ix) => chunked(ix, 1, '', '0x7'), es: refused, os: refused },
  { id: 'chunk-empty', row: 'chunk size "0x7", "", ";ext", 80000000', bytes: (ix) => chunked(ix, 1, '', ''), es: refused, os: refused },
  { id: 'chunk-semi', row: 'chunk size "0x7", "", ";ext", 80000000', bytes: (ix) => chunked(ix, 1, '', ';a'), es: refused, os: refused },
  { id: 'chunk-big', row: 'chunk size "0x7", "", ";ext", 80000000', bytes: (ix) => chunked(ix, 1, '', '80000000'), es: refused, os: refused },
  { id: 'chunk-no-crlf', row: 'chunk data not followed by CRLF', bytes: (ix) => chunked(ix, 1).replace(`${doc(1)}\r\n`, `${doc(1)}XX\r\n`), es: ok, os: ok },
  { id: 'lf-only', row: 'bare LF line ends', bytes: (ix) => chunked(ix, 1).replace(/\r\n/g, '\n'), es: ok, os: ok },
  { id: 'cr-end', row: 'CR inside a line (not before its LF)', bytes: (ix) => withLength(ix, 1, 'X-A: b\r\r\n'), es: ok, os: refused },
  { id: 'cr-inside', row: 'CR inside a line (not before its LF)', bytes: (ix) => withLength(ix, 1, 'X-A: b\rc\r\n'), es: refused, os: refused },
  { id: 'space-colon', row: '"Name : value" (space before the colon)', bytes: (ix) => chunked(ix, 1).replace('Transfer-Encoding:', 'Transfer-Encoding :'), es: refused, os: refused },
  { id: 'no-colon', row: 'header line without a colon, empty name', bytes: (ix) => withLength(ix, 1, 'Foo\r\n'), es: refused, os: refused },
  { id: 'empty-name', row: 'header line without a colon, empty name', bytes: (ix) => withLength(ix, 1, ': b\r\n'), es: refused, os: refused },
  { id: 'name-slash', row: 'name with "/" or a control character', bytes: (ix) => withLength(ix, 1, 'X/A: b\r\n'), es: ok, os: refused },
  { id: 'name-ctrl', row: 'name with "/" or a control character', bytes: (ix) => withLength(ix, 1, 'X\x01A: b\r\n'), es: ok, os: refused },
  { id: 'name-high', row: 'name with a byte >= 0x80', bytes: (ix) => withLength(ix, 1, 'X\xe9A: b\r\n'), es: refused, os: refused },
  { id: 'value-nul', row: 'value with NUL, VT or FF; VT before value', bytes: (ix) => withLength(ix, 1, 'X-A: b\x00c\r\n'), es: refused, os: refused },
  { id: 'value-vt', row: 'value with NUL, VT or FF; VT before value', bytes: (ix) => withLength(ix, 1, 'X-A: b\x0bc\r\n'), es: refused, os: refused },
  { id: 'vt-before', row: 'value with NUL, VT or FF; VT before value', bytes: (ix) => withLength(ix, 1, 'X-A:\x0bb\r\n'), es: refused, os: refused },
  { id: 'value-ctrl', row: 'value with 0x01 or DEL', bytes: (ix) => withLength(ix, 1, 'X-A: b\x01c\r\n'), es: ok, os: refused },
  { id: 'value-del', row: 'value with 0x01 or DEL', bytes: (ix) => withLength(ix, 1, 'X-A: b\x7fc\r\n'), es: ok, os: refused },
  { id: 'first-space', row: 'first header line starting with a space', bytes: (ix) => withLength(ix, 1).replace('\r\nHost:', '\r\n Host:'), es: ok, os: refused },
  { id: 'lead-ctrl', row: 'leading control bytes before the request', bytes: (ix) => `\x00\x01\r\n${withLength(ix, 1)}`, es: ok, os: ok },
  { id: 'lead-c1', row: 'leading control bytes before the request', bytes: (ix) => `\x7f\x85${withLength(ix, 1)}`, es: ok, os: refused },
  { id: 'line-spaces', row: 'request line split by several SP, HT, VT', bytes: (ix) => withLength(ix, 1).replace(/^PUT (\S+) HTTP/, 'PUT  $1  HTTP'), es: ok, os: ok },
  { id: 'line-tab', row: 'request line split by several SP, HT, VT', bytes: (ix) => withLength(ix, 1).replace(/^PUT (\S+) HTTP/, 'PUT\t$1\x0bHTTP'), es: ok, os: ok },
  { id: 'line-2-parts', row: 'request line of 1, 2 or 4 parts', bytes: (ix) => `PUT /${ix}/_doc/1\r\n${withLength(ix, 2)}`, es: refused, os: refused },
  { id: 'line-4-parts', row: 'request line of 1, 2 or 4 parts', bytes: (ix) => withLength(ix, 1).replace('HTTP/1.1', 'HTTP/1.1 x'), es: refused, os: refused },
  // OpenSearch closes the connection, but may have read a pipelined request first: none follows here.
  { id: 'method-lower', row: 'method "put", "FOO"', bytes: (ix) => withLength(ix, 1).replace(/^PUT/, 'put'), noFollowUp: true, es: { docs: [], requests: 1 }, os: { docs: [], requests: 0, refused: 'closed' } },
  { id: 'method-foo', row: 'method "put", "FOO"', bytes: (ix) => withLength(ix, 1).replace(/^PUT/, 'FOO'), noFollowUp: true, es: { docs: [], requests: 1 }, os: { docs: [], requests: 0, refused: 'closed' } },
  // An unusual token method on bare-LF heads: Elasticsearch reads it (405), the capture holds it, the replayer must read it too.
  { id: 'method-token-lf', row: 'method "put", "FOO"', bytes: (ix) => withLength(ix, 1).replace(/^PUT/, 'M-SEARCH').replace(/\r\n/g, '\n'), noFollowUp: true, es: { docs: [], requests: 1 }, os: { docs: [], requests: 0, refused: 'closed' } },
  { id: 'method-high', row: 'method with a byte >= 0x80', bytes: (ix) => withLength(ix, 1).replace(/^PUT/, 'P\xe9T'), es: { docs: ['9'], requests: 2 }, os: refused },
  { id: 'expect-other', row: 'Expect: other than 100-continue (HTTP/1.1)', bytes: (ix) => `${put(ix, 1, 'Expect: foo\r\n')}Content-Length: ${withLength(ix, 2).length}\r\n\r\n${withLength(ix, 2)}`, es: { docs: ['2', '9'], requests: 3 }, os: { docs: ['2', '9'], requests: 3 } },
  { id: 'expect-100', row: 'Expect: 100-continue', bytes: (ix) => withLength(ix, 1, 'Expect: 100-continue\r\n'), es: ok, os: ok },
  { id: 'headers-8192', row: 'header section of 8192 bytes (CRLF-less)', bytes: (ix) => headerSection(ix, 8192), es: refused, os: ok },
  { id: 'headers-8193', row: 'header section of 8192 bytes (CRLF-less)', bytes: (ix) => headerSection(ix, 8193), es: refused, os: refused },
  { id: 'line-4096', row: 'request line of 4096 bytes', bytes: (ix) => requestLine(ix, 4096), es: refused, os: ok },
  { id: 'line-4097', row: 'request line of 4096 bytes', bytes: (ix) => requestLine(ix, 4097), es: refused, os: refused },
  { id: 'trailer', row: 'chunked trailers; a trailer without colon', bytes: (ix) => chunked(ix, 1).replace('\r\n0\r\n\r\n', '\r\n0\r\nX-T: 1\r\n\r\n') + withLength(ix, 2), es: { docs: ['1', '2', '9'], requests: 3 }, os: { docs: ['1', '2', '9'], requests: 3 } },
  { id: 'trailer-bad', row: 'chunked trailers; a trailer without colon', bytes: (ix) => chunked(ix, 1).replace('\r\n0\r\n\r\n', '\r\n0\r\nbad\r\n\r\n'), es: refused, os: refused },
  { id: 'last-chunk', row: '"0" CRLF then no empty line before the next', bytes: (ix) => chunked(ix, 1).replace(/0\r\n\r\n$/, '0\r\n'), es: refused, os: refused },
  { id: 'http10-chunked', row: 'TE chunked on HTTP/1.0', bytes: (ix) => chunked(ix, 1).replace('HTTP/1.1', 'HTTP/1.0'), noFollowUp: true, es: { docs: ['1'], requests: 1 }, os: { docs: ['1'], requests: 1 } },
  { id: 'get-no-length', row: 'GET without a length, then a request', bytes: (ix) => `GET /${ix}/_search HTTP/1.1\r\nHost: x\r\n\r\n${withLength(ix, 2)}`, es: { docs: ['2', '9'], requests: 3 }, os: { docs: ['2', '9'], requests: 3 } },
];

/** The bytes of a case as sent: its own, then the follow-up. */
export function caseBytes(c: FramingCase, ix: string): Buffer {
  return Buffer.from(c.bytes(ix) + (c.noFollowUp ? '' : followUp(ix)), 'latin1');
}
