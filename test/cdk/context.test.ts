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
  expect(c.targetCluster.auth).toEqual({ type: 'sigv4', region: 'us-east-1', serviceSigningName: 'es' });
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
