import { createSigner } from '../../../runtime/src/core/sigv4';

// Vectors published by AWS: the SigV4 test suite's get-vanilla and post-vanilla cases, and the
// GET Object example of the S3 SigV4 documentation (which signs x-amz-content-sha256 too).
const suiteCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const suiteDate = new Date('2015-08-30T12:36:00Z');

describe('SigV4 signing', () => {
  it('gives the published signature for get-vanilla', async () => {
    const sign = createSigner({ region: 'us-east-1', service: 'service', credentials: suiteCredentials, signPayloadHeader: false });
    const headers = await sign({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} }, suiteDate);
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('gives the published signature for post-vanilla', async () => {
    const sign = createSigner({ region: 'us-east-1', service: 'service', credentials: suiteCredentials, signPayloadHeader: false });
    const headers = await sign({ method: 'POST', url: new URL('https://example.amazonaws.com/'), headers: {} }, suiteDate);
    expect(headers.authorization).toContain('Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
  });

  it('gives the published signature of the S3 GET Object example, payload hash header included', async () => {
    const sign = createSigner({
      region: 'us-east-1',
      service: 's3',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    });
    const headers = await sign({ method: 'GET', url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'), headers: { Range: 'bytes=0-9' } }, new Date('2013-05-24T00:00:00Z'));
    expect(headers['x-amz-content-sha256']).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('signs for the signing host, and sends it as Host, when requests go through a proxy (sigv4_signing_endpoint)', async () => {
    const direct = createSigner({ region: 'us-east-1', service: 'service', credentials: suiteCredentials, signPayloadHeader: false });
    const viaProxy = createSigner({ region: 'us-east-1', service: 'service', credentials: suiteCredentials, signPayloadHeader: false, signingHost: 'example.amazonaws.com' });
    const expected = await direct({ method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} }, suiteDate);
    const headers = await viaProxy({ method: 'GET', url: new URL('https://capture-proxy:9201/'), headers: {} }, suiteDate);
    expect(headers.host).toBe('example.amazonaws.com');
    expect(headers.authorization).toBe(expected.authorization);
  });

  it('does not sign hop-by-hop headers that proxies rewrite', async () => {
    const sign = createSigner({ region: 'us-east-1', service: 'es', credentials: suiteCredentials });
    const headers = await sign({ method: 'PUT', url: new URL('https://search.example.com/idx/_doc/1'), headers: { 'Content-Length': '2', Connection: 'keep-alive' }, body: '{}' }, suiteDate);
    expect(headers.authorization).toMatch(/SignedHeaders=host;x-amz-content-sha256;x-amz-date,/);
    expect(headers['Content-Length']).toBe('2');
  });
});
