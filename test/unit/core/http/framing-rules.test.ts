import { HttpBoundaryParser, ParseEvent } from '../../../../runtime/src/core/http/boundary-parser';
import { ELASTICSEARCH_7_10, FramingRules, framingRulesFor, OPENSEARCH_2_19 } from '../../../../runtime/src/core/http/framing-rules';
import { caseBytes, FRAMING_CASES, Outcome } from '../../../support/framing-cases';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Requests read whole, and how the stream ended, when the bytes come in these pieces. */
function parse(rules: FramingRules, pieces: Buffer[]): { requests: number; refused?: 'answered' | 'closed'; error?: string } {
  const parser = new HttpBoundaryParser('request', { rules });
  let requests = 0;
  for (const buf of pieces) {
    let pos = 0;
    let ev = ParseEvent.NeedMore;
    while (pos < buf.length || ev === ParseEvent.HeadComplete) {
      ev = parser.execute(buf, pos);
      if (ev === ParseEvent.Error) return { requests, refused: parser.closesWithoutAnswer ? 'closed' : 'answered', error: parser.error };
      pos = parser.offset;
      if (ev === ParseEvent.MessageComplete) requests++;
    }
  }
  return { requests };
}

function cuts(bytes: Buffer): Buffer[][] {
  const out = [[bytes], [...bytes].map((b) => Buffer.from([b]))];
  for (const at of [1, 7, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 3]) {
    if (at > 0 && at < bytes.length) out.push([bytes.subarray(0, at), bytes.subarray(at)]);
  }
  return out;
}

const expected = (o: Outcome) => (o.refused ? { requests: o.requests, refused: o.refused } : { requests: o.requests });

describe('request framing as the source reads it (one case per row of the table)', () => {
  describe.each([
    ['Elasticsearch 7.10', ELASTICSEARCH_7_10, 'es'],
    ['OpenSearch 2.19', OPENSEARCH_2_19, 'os'],
  ] as const)('%s', (_name, rules, side) => {
    it.each(FRAMING_CASES.map((c) => [c.id, c] as const))('%s', (_id, c) => {
      for (const pieces of cuts(caseBytes(c, 'ix'))) {
        const got = parse(rules, pieces);
        expect({ row: c.row, requests: got.requests, refused: got.refused }).toEqual({ row: c.row, ...expected(c[side]) });
      }
    });
  });

  it('lists every case\'s row in the table of framing-rules.ts', () => {
    const table = readFileSync(path.resolve(__dirname, '../../../../runtime/src/core/http/framing-rules.ts'), 'utf8');
    for (const c of FRAMING_CASES) expect({ row: c.row, inTable: table.includes(`| ${c.row}`) }).toEqual({ row: c.row, inTable: true });
  });

  it('judges each line of a head when it ends, as Netty does (no need to wait for the empty line)', () => {
    for (const [bytes, error] of [
      ['GARBAGE\r\n', 'request line has no HTTP version'],
      ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 random\n', 'request line has no HTTP version'],
      ['PUT / HTTP/1.1\r\nFoo\r\nBar', 'header line without a colon "Foo"'],
    ]) {
      const parser = new HttpBoundaryParser('request');
      expect([parser.execute(Buffer.from(bytes, 'latin1')), parser.error]).toEqual([ParseEvent.Error, error]);
    }
  });

  it('picks the rules from a services.yaml version', () => {
    expect(framingRulesFor('ES_7.10')).toBe(ELASTICSEARCH_7_10);
    expect(framingRulesFor('ES_6.8')).toBe(ELASTICSEARCH_7_10);
    expect(framingRulesFor('OS_2.19')).toBe(OPENSEARCH_2_19);
    expect(framingRulesFor('OS_1.3')).toBe(OPENSEARCH_2_19);
    expect(framingRulesFor('Solr_9')).toBeUndefined();
  });

  it('reports the source\'s view of a request head: folded values, framing, expectations', () => {
    const parser = new HttpBoundaryParser('request', { rules: OPENSEARCH_2_19 });
    const head = 'POST /x HTTP/1.1\r\nX-A: b\r\n  c\r\nExpect: 100-Continue\r\nTransfer-Encoding: gzip, chunked\r\n\r\n';
    expect(parser.execute(Buffer.from(head))).toBe(ParseEvent.HeadComplete);
    expect(parser.head).toMatchObject({ headers: [['X-A', 'b c'], ['Expect', '100-Continue'], ['Transfer-Encoding', 'gzip, chunked']], chunked: true, expectContinue: true, expectationFailed: false, bodyless: false });
    const failed = new HttpBoundaryParser('request');
    expect(failed.execute(Buffer.from('PUT /x HTTP/1.1\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc'))).toBe(ParseEvent.HeadComplete);
    expect(failed.head).toMatchObject({ expectationFailed: true, bodyless: true });
    // HTTP/1.0 ignores Expect.
    const old = new HttpBoundaryParser('request');
    expect(old.execute(Buffer.from('PUT /x HTTP/1.0\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc'))).toBe(ParseEvent.HeadComplete);
    expect(old.head).toMatchObject({ expectationFailed: false, bodyless: false, contentLength: 3 });
  });

  it('answers 413 for an Expect: 100-continue above a known http.max_content_length', () => {
    const parser = new HttpBoundaryParser('request', { rules: { ...ELASTICSEARCH_7_10, maxContentLength: 10 } });
    expect(parser.execute(Buffer.from('PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n'))).toBe(ParseEvent.HeadComplete);
    expect(parser.head).toMatchObject({ expectationFailed: true, bodyless: true });
  });
});
