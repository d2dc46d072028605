import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface SigV4Options {
  region: string;
  /** `es` for Amazon OpenSearch Service domains, `aoss` for OpenSearch Serverless. */
  service: string;
  /** Defaults to the AWS default credential chain (env, profile, ECS task role, instance role...). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Adds x-amz-content-sha256, which OpenSearch Serverless requires; on by default. */
  signPayloadHeader?: boolean;
  /**
   * Sign for this host (and send it as Host) rather than the URL's: requests that go through a
   * proxy to a domain are signed for the domain (services.yaml sigv4_signing_endpoint).
   */
  signingHost?: string;
}

export interface SignableRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/**
 * Returns the headers to send: the given ones plus host, x-amz-date, authorization (and
 * x-amz-security-token / x-amz-content-sha256 where they apply). Signed anew for every attempt.
 */
export function createSigner(opts: SigV4Options) {
  const signer = new SignatureV4({
    credentials: opts.credentials ?? defaultProvider(),
    region: opts.region,
    service: opts.service,
    sha256: Sha256,
    applyChecksum: opts.signPayloadHeader ?? true,
  });
  return async (req: SignableRequest, signingDate?: Date): Promise<Record<string, string>> => {
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of req.url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      // Hop-by-hop or proxy-rewritten headers would break the signature on the way.
      if (!/^(connection|transfer-encoding|content-length|expect)$/i.test(k)) headers[k.toLowerCase()] = v;
    }
    const host = opts.signingHost ? new URL(`${req.url.protocol}//${opts.signingHost}`) : req.url;
    headers.host = host.host;
    const signed = await signer.sign(
      {
        method: req.method,
        protocol: req.url.protocol,
        hostname: host.hostname,
        port: host.port ? Number(host.port) : undefined,
        // As sent; the signer escapes it once more, as SigV4 wants for every service but S3.
        path: req.url.pathname,
        query,
        headers,
        body: req.body,
      },
      signingDate ? { signingDate } : undefined,
    );
    return { ...req.headers, ...(signed.headers as Record<string, string>) };
  };
}
