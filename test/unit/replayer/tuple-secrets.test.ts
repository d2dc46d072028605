import type { Header, HttpRequest } from '../../../runtime/src/core/http/message';
import type { PreparedRequest } from '../../../runtime/src/replayer/prepare';
import { maskedRawRequest, maskSecret, preparedJson, preparedMessage, requestJson, requestMessage } from '../../../runtime/src/replayer/tuple';

const SOURCE_AUTH = `Basic ${Buffer.from('client:client-secret').toString('base64')}`;
const TARGET_AUTH = `Basic ${Buffer.from('replayer:target-secret').toString('base64')}`;

function request(headers: Header[]): HttpRequest {
  return { method: 'GET', uri: '/i/_search', httpVersion: 'HTTP/1.1', headers, body: Buffer.alloc(0) };
}
function prepared(headers: Header[]): PreparedRequest {
  return { method: 'GET', path: '/i/_search', headers, body: Buffer.alloc(0) };
}

describe('credentials in tuples', () => {
  it('masks what the client sent, keeping the scheme, by default', () => {
    const req = request([['Host', 'h'], ['Authorization', SOURCE_AUTH], ['X-Amz-Security-Token', 'tok'], ['Cookie', 'sid=1']]);
    const line = requestJson(req);
    expect(JSON.parse(line)).toMatchObject({ Authorization: 'Basic [masked]', 'X-Amz-Security-Token': '[masked]', Cookie: '[masked]', Host: 'h' });
    expect(line).toBe(JSON.stringify(requestMessage(req)));
    expect(line).not.toContain(SOURCE_AUTH.slice(6));
  });

  it('keeps what the client sent with keep', () => {
    const req = request([['authorization', SOURCE_AUTH]]);
    expect(JSON.parse(requestJson(req, '', 'keep')).authorization).toBe(SOURCE_AUTH);
  });

  it("records the replayer's own basic auth as replaced, never its value", () => {
    const req = prepared([['Host', 'target'], ['Authorization', TARGET_AUTH]]);
    const line = preparedJson(req, 'HTTP/1.1', undefined, 'basic');
    expect(JSON.parse(line).Authorization).toBe('[replaced by the replayer: basic]');
    expect(line).toBe(JSON.stringify(preparedMessage(req, 'HTTP/1.1', 'basic')));
    expect(line).not.toContain('target-secret');
    expect(line).not.toContain(TARGET_AUTH.slice(6));
  });

  it('records SigV4 signing, which happens after the tuple is built', () => {
    const req = prepared([['Host', 'target']]);
    const line = preparedJson(req, 'HTTP/1.1', undefined, 'sigv4');
    expect(JSON.parse(line).Authorization).toBe('[replaced by the replayer: sigv4]');
    expect(line).toBe(JSON.stringify(preparedMessage(req, 'HTTP/1.1', 'sigv4')));
  });

  it('masks the same header in the object form used for awkward header names', () => {
    const req = request([['1st', 'x'], ['Authorization', SOURCE_AUTH]]);
    expect(JSON.parse(requestJson(req)).Authorization).toBe('Basic [masked]');
  });

  it('masks credential headers in raw bytes that did not parse', () => {
    const raw = Buffer.from(`GET / HTTP/1.1\r\nauthorization:  ${SOURCE_AUTH}\r\nHost: h\r\n\r\n`);
    const masked = maskedRawRequest(raw).toString('latin1');
    expect(masked).toContain('authorization:  Basic [masked]\r\nHost: h');
    expect(maskedRawRequest(raw, 'keep')).toBe(raw);
    expect(maskSecret('AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc')).toBe('AWS4-HMAC-SHA256 [masked]');
  });
});
