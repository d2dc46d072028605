import { ContextError, readMigrationContext } from '../../bin/context';
import { exampleContext } from './app-fixture';

function read(overrides: Record<string, unknown>) {
  const ctx = { ...exampleContext(), ...overrides };
  return readMigrationContext((k) => ctx[k]);
}

function problems(overrides: Record<string, unknown>): string[] {
  try {
    read(overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(ContextError);
    return (err as ContextError).problems;
  }
  throw new Error('expected a ContextError');
}

test('the example context of cdk.json is valid and typed', () => {
  const c = read({});
  expect(c.stage).toBe('dev');
  expect(c.network).toEqual(expect.objectContaining({ kind: 'new', azCount: 2, availabilityZones: ['us-east-1a', 'us-east-1b'] }));
  expect(c.targetCluster.auth).toEqual({ type: 'sigv4', region: 'us-east-1', serviceSigningName: 'es', resourceName: 'target' });
  expect(c.sourceCluster.endpoint).toMatch(/^https:/);
  expect(c.captureProxyService.enabled).toBe(false);
  expect(c.replayer.groupId).toBe('logging-group-default');
});

test('stage longer than 15 characters is refused, naming the key', () => {
  expect(problems({ stage: 'abcdefghijklmnop' })).toEqual([expect.stringMatching(/^stage: .*at most 15 characters/)]);
});

test('every problem is reported at once', () => {
  const p = problems({ stage: undefined, targetCluster: { endpoint: 'localhost9200', auth: { type: 'kerberos' } }, logRetentionDays: 31 });
  expect(p).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^stage: required/),
      expect.stringMatching(/^targetCluster\.endpoint: expected a URL .*localhost9200/),
      expect.stringMatching(/^targetCluster\.auth\.type: expected none, basic or sigv4/),
      expect.stringMatching(/^logRetentionDays: must be one of/),
    ]),
  );
});

test('MSK needs 2 or 3 subnets in distinct AZs when a VPC is imported', () => {
  const base = { vpcId: 'vpc-0a1b2c3d', vpcAZCount: undefined };
  expect(problems({ ...base, vpcSubnetIds: ['subnet-00000001'], vpcSubnetAZs: ['us-east-1a'] })).toEqual([expect.stringMatching(/^vpcSubnetIds: MSK needs 2 or 3 subnets.*\(got 1\)/)]);
  expect(problems({ ...base, vpcSubnetIds: ['subnet-00000001', 'subnet-00000002', 'subnet-00000003', 'subnet-00000004'], vpcSubnetAZs: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'] })).toEqual([
    expect.stringMatching(/^vpcSubnetIds: MSK needs 2 or 3 subnets.*\(got 4\)/),
  ]);
  expect(problems({ ...base, vpcSubnetIds: ['subnet-00000001', 'subnet-00000002'], vpcSubnetAZs: ['us-east-1a', 'us-east-1a'] })).toEqual([expect.stringMatching(/^vpcSubnetAZs: MSK needs its subnets in distinct Availability Zones/)]);
  expect(problems({ ...base, vpcSubnetIds: ['subnet-00000001', 'subnet-00000002'] })).toEqual([expect.stringMatching(/^vpcSubnetAZs: required with vpcSubnetIds/)]);
  const ok = read({ ...base, vpcSubnetIds: 'subnet-00000001,subnet-00000002', vpcSubnetAZs: 'us-east-1a,us-east-1b' });
  expect(ok.network).toEqual({ kind: 'imported', vpcId: 'vpc-0a1b2c3d', vpcCidr: undefined, subnets: [{ subnetId: 'subnet-00000001', availabilityZone: 'us-east-1a' }, { subnetId: 'subnet-00000002', availabilityZone: 'us-east-1b' }] });
});

test('plain-text passwords are refused; secrets must be Secrets Manager ARNs', () => {
  const p = problems({ sourceCluster: { endpoint: 'http://s:9200', auth: { type: 'basic', username: 'admin', password: 'hunter2', passwordSecretArn: 'not-an-arn' } } });
  expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/^sourceCluster\.auth\.passwordSecretArn: expected a Secrets Manager secret ARN/), expect.stringMatching(/^sourceCluster\.auth\.password: plain-text passwords are not accepted/)]));
});

test('-c values arrive as strings and are decoded', () => {
  const c = read({ vpcAZCount: '3', replayer: '{"speedupFactor": 2, "extraArgs": "--max-concurrent-requests 64 --user-agent \\"a b\\""}' });
  expect(c.network.kind === 'new' && c.network.azCount).toBe(3);
  expect(c.replayer.speedupFactor).toBe(2);
  expect(c.replayer.extraArgs).toEqual(['--max-concurrent-requests', '64', '--user-agent', 'a b']);
});

test('unknown keys are named with the known ones', () => {
  expect(problems({ kafka: { brokersPerAZ: 2 } })).toEqual([expect.stringMatching(/^kafka\.brokersPerAZ: unknown key \(known keys: brokersPerAz,/)]);
});

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const fleet = (o: Record<string, unknown>) => ({ captureProxy: { enabled: false }, captureProxyService: { enabled: true, certificateArn: CERT, ...o } });

test('the proxy fleet: typed with its defaults, clients from the VPC unless told otherwise', () => {
  const c = read(fleet({}));
  expect(c.captureProxyService).toEqual({ enabled: true, desiredCount: 2, cpu: 1024, memoryMiB: 2048, listenerPort: 9200, certificateArn: CERT, internetFacing: false, clientCidrs: ['10.212.0.0/16'], extraArgs: [] });
  expect(read(fleet({ clientCidrs: '10.1.0.0/16,192.168.0.0/24', desiredCount: '4' })).captureProxyService).toMatchObject({ clientCidrs: ['10.1.0.0/16', '192.168.0.0/24'], desiredCount: 4 });
});

test('the proxy fleet: a certificate of the region, client ranges for an internet-facing listener, one capture layout', () => {
  expect(problems(fleet({ certificateArn: undefined }))).toEqual([expect.stringMatching(/^captureProxyService\.certificateArn: required .*self-signed/)]);
  expect(problems(fleet({ certificateArn: CERT.replace('us-east-1', 'eu-west-1') }))).toEqual([expect.stringMatching(/^captureProxyService\.certificateArn: the certificate is in eu-west-1; a load balancer in us-east-1 needs one from ACM in us-east-1/)]);
  expect(problems(fleet({ internetFacing: true }))).toEqual([expect.stringMatching(/^captureProxyService\.clientCidrs: required with internetFacing/)]);
  expect(problems(fleet({ clientCidrs: ['10.0.0.0'] }))).toEqual([expect.stringMatching(/^captureProxyService\.clientCidrs\[0\]: expected a CIDR/)]);
  expect(problems({ ...fleet({}), captureProxy: { enabled: true } })).toEqual([expect.stringMatching(/^captureProxyService\.enabled: .*capture the same traffic twice: set captureProxy\.enabled to false/)]);
  const imported = { vpcId: 'vpc-0a1b2c3d', vpcAZCount: undefined, vpcSubnetIds: ['subnet-00000001', 'subnet-00000002'], vpcSubnetAZs: ['us-east-1a', 'us-east-1b'] };
  expect(problems({ ...imported, ...fleet({}) })).toEqual([expect.stringMatching(/^captureProxyService\.clientCidrs: required with an imported VPC that has no vpcCidr/)]);
  expect(problems({ ...imported, ...fleet({ internetFacing: true, clientCidrs: ['0.0.0.0/0'] }) })).toEqual([expect.stringMatching(/^captureProxyService\.internetFacing: an internet-facing load balancer needs public subnets/)]);
  // Disabled, it asks for nothing.
  expect(read({ captureProxyService: { enabled: false } }).captureProxyService.enabled).toBe(false);
});

test('SigV4 permissions are scoped to the domain or collection the endpoint names, or to the one given', () => {
  const target = (endpoint: string, auth: Record<string, unknown> = {}) => ({ targetCluster: { endpoint, auth: { type: 'sigv4', region: 'us-east-1', ...auth } } });
  const resource = (o: Record<string, unknown>) => (read(o).targetCluster.auth as { resourceName: string }).resourceName;
  expect(resource(target('https://search-my-logs-2-abcdefghijklmnopqrstuvwxyz.us-east-1.es.amazonaws.com'))).toBe('my-logs-2');
  expect(resource(target('https://vpc-target-abc123.us-east-1.es.amazonaws.com:443'))).toBe('target');
  expect(resource(target('https://abc123xyz.us-east-1.aoss.amazonaws.com', { serviceSigningName: 'aoss' }))).toBe('abc123xyz');
  expect(resource(target('https://search.example.com', { domainName: 'prod-search' }))).toBe('prod-search');
  expect(resource(target('https://search.example.com', { domainName: '*' }))).toBe('*');
  expect(problems(target('https://search.example.com'))).toEqual([expect.stringMatching(/^targetCluster\.auth\.domainName: required: the endpoint is not of the form vpc-<domain>-<id>/)]);
  expect(problems(target('https://vpc-target-abc123.us-east-1.es.amazonaws.com', { domainName: 'other' }))).toEqual([expect.stringMatching(/^targetCluster\.auth\.domainName: "other" is not the one the endpoint names \("target"\)/)]);
  expect(problems(target('https://search.example.com', { collectionId: 'x' }))).toEqual([expect.stringMatching(/^targetCluster\.auth\.collectionId: unknown key/), expect.stringMatching(/^targetCluster\.auth\.domainName: required/)]);
});

test('log groups: no KMS key by default, one this app creates, or one given by ARN in the region', () => {
  expect(read({}).logEncryption).toEqual({ kind: 'none' });
  expect(read({ logEncryptionKey: 'create' }).logEncryption).toEqual({ kind: 'create' });
  const key = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  expect(read({ logEncryptionKey: key }).logEncryption).toEqual({ kind: 'key', keyArn: key });
  expect(problems({ logEncryptionKey: key.replace('us-east-1', 'us-west-2') })).toEqual([expect.stringMatching(/^logEncryptionKey: the key is in us-west-2/)]);
  expect(problems({ logEncryptionKey: 'yes' })).toEqual([expect.stringMatching(/^logEncryptionKey: expected "create" \(a key this app makes\) or a KMS key ARN/)]);
});
