import { parse } from 'yaml';
import { readMigrationContext } from '../../bin/context';
import { referenceConsoleGap, servicesYaml } from '../../lib/services-yaml';
import { referenceServicesSchema } from '../fixtures/reference-services/reference-schema';
import { exampleContext } from './app-fixture';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:creds-AbCdEf';

function yamlFor(overrides: Record<string, unknown>): { doc: unknown; gap?: string } {
  const ctx = { ...exampleContext(), ...overrides };
  const config = readMigrationContext((k) => (ctx as Record<string, unknown>)[k]);
  return { doc: parse(servicesYaml(config, 'b-1.msk:9098,b-2.msk:9098')), gap: referenceConsoleGap(config) };
}

describe("our CDK's services.yaml in the reference console", () => {
  it.each([
    ['no auth and SigV4', { sourceCluster: { endpoint: 'http://10.0.0.1:9200', version: 'ES_7.10', auth: { type: 'none' } } }],
    ['a user secret', { sourceCluster: { endpoint: 'http://10.0.0.1:9200', auth: { type: 'basic', userSecretArn: SECRET } } }],
    ['SigV4 for Serverless, without backfill and replayer', { sourceCluster: { endpoint: 'https://s.local:9200', auth: { type: 'none' } }, targetCluster: { endpoint: 'https://x.us-east-1.aoss.amazonaws.com', auth: { type: 'sigv4', region: 'us-east-1', serviceSigningName: 'aoss' } }, backfill: { enabled: false }, replayer: { enabled: false } }],
  ])('passes the reference schema with %s', (_name, overrides) => {
    const { doc, gap } = yamlFor(overrides);
    const result = referenceServicesSchema.safeParse(doc);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(gap).toBeUndefined();
  });

  it('says so when one setting (username + passwordSecretArn) makes a file the reference console cannot read', () => {
    const { doc, gap } = yamlFor({ sourceCluster: { endpoint: 'http://10.0.0.1:9200', auth: { type: 'basic', username: 'admin', passwordSecretArn: SECRET } } });
    expect(referenceServicesSchema.safeParse(doc).success).toBe(false);
    expect(gap).toMatch(/use auth\.userSecretArn/);
  });
});
