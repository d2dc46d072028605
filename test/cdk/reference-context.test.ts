import { ContextError, readMigrationContext } from '../../bin/context';
import { buildApp, exampleContext } from './app-fixture';

/** Reads a context as the app does: every key listed, so that unknown ones are caught. */
function read(ctx: Record<string, unknown>) {
  return readMigrationContext((k) => ctx[k], Object.keys(ctx));
}
const withExample = (overrides: Record<string, unknown>) => read({ ...exampleContext(), ...overrides });
function problems(ctx: Record<string, unknown>): string[] {
  try {
    read(ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(ContextError);
    return (err as ContextError).problems;
  }
  throw new Error('expected a ContextError');
}

describe('context keys', () => {
  it('an unknown key is an error that names it; the CDK\'s own feature flags and settings are not', () => {
    expect(problems({ ...exampleContext(), replayerr: { enabled: false } })).toEqual([expect.stringMatching(/^replayerr: unknown context key \(ours: stage, deployId/)]);
    expect(() => withExample({ '@aws-cdk/aws-s3:createDefaultLoggingPolicy': true, 'aws:cdk:enable-path-metadata': true, 'availability-zones:account=123456789012:region=us-east-1': ['us-east-1a'], 'acknowledged-issue-numbers': [1] })).not.toThrow();
  });

  it("maps the reference's keys that mean what ours do", () => {
    const c = withExample({
      trafficReplayerServiceEnabled: false,
      migrationConsoleServiceEnabled: true,
      reindexFromSnapshotServiceEnabled: false,
      trafficReplayerGroupId: 'group-from-reference',
      trafficReplayerExtraArgs: '--speedup-factor 5',
      trafficReplayerUserAgentSuffix: 'AWS/test/v1.0.0',
      captureProxyExtraArgs: '--suppressCaptureForHeaderMatch user-agent .*healthcheck.*',
      reindexFromSnapshotWorkerSize: 'maximum',
      artifactBucketRemovalPolicy: 'RETAIN',
      mskBrokersPerAZCount: 2,
      migrationAssistanceEnabled: true,
      vpcEnabled: true,
      defaultFargateCpuArch: 'X86_64',
      replayer: undefined,
      backfill: undefined,
      captureProxy: undefined,
      kafka: undefined,
      removalPolicies: undefined,
    });
    expect(c.replayer).toMatchObject({ enabled: false, groupId: 'group-from-reference' });
    expect(c.replayer.extraArgs).toEqual(['--speedup-factor', '5', '--user-agent', 'AWS/test/v1.0.0']);
    expect(c.backfill).toMatchObject({ enabled: false, cpu: 16384, memoryMiB: 32768 });
    expect(c.captureProxy.extraArgs).toEqual(['--suppressCaptureForHeaderMatch', 'user-agent', '.*healthcheck.*']);
    expect(c.removalPolicies.artifactsBucket).toBe('retain');
    expect(c.kafka.brokersPerAz).toBe(2);
  });

  it("maps the reference's ECS capture proxy behind its load balancer onto the proxy fleet", () => {
    const cert = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
    const c = withExample({
      captureProxy: undefined,
      captureProxyService: undefined,
      captureProxyServiceEnabled: true,
      captureProxyDesiredCount: 3,
      albAcmCertArn: cert,
      captureProxyExtraArgs: '--suppressCaptureForMethod HEAD',
      targetClusterProxyServiceEnabled: true,
    });
    expect(c.captureProxyService).toMatchObject({ enabled: true, desiredCount: 3, certificateArn: cert, extraArgs: ['--suppressCaptureForMethod', 'HEAD'] });
    // The fleet replaces the on-node layout.
    expect(c.captureProxy.enabled).toBe(false);
    expect(c.captureProxy.extraArgs).toEqual([]);
    // Enabled without a certificate: ours names the key and how to get one.
    expect(problems({ ...exampleContext(), captureProxy: undefined, captureProxyService: undefined, captureProxyServiceEnabled: true })).toEqual([expect.stringMatching(/^captureProxyService\.certificateArn: required \(the ACM certificate of the HTTPS listener/)]);
    // The on-node proxy said on, the reference's key says the fleet: one of them must go.
    expect(problems({ ...exampleContext(), captureProxyService: undefined, captureProxyServiceEnabled: true, albAcmCertArn: cert })).toEqual([
      expect.stringMatching(/^captureProxyServiceEnabled: says false where captureProxy\.enabled says true/),
      expect.stringMatching(/^captureProxyService\.enabled: the proxy fleet and the on-node proxy .* would capture the same traffic twice/),
    ]);
    expect(problems({ ...exampleContext(), targetClusterProxyServiceEnabled: true })).toEqual([expect.stringMatching(/^targetClusterProxyServiceEnabled: .*set captureProxyServiceEnabled/)]);
  });

  it("the reference's trafficReplayerServiceEnabled: false deploys no replayer", () => {
    const { stacks } = buildApp({ trafficReplayerServiceEnabled: false, replayer: undefined });
    expect(stacks.replayer).toBeUndefined();
  });

  it("refuses the reference's keys with no counterpart, naming ours or why there is none", () => {
    const p = problems({ ...exampleContext(), targetClusterProxyDesiredCount: 2, engineVersion: 'OS_2.11', trafficReplayerJvmArgs: '-Xmx4g', addOnMigrationDeployId: 'replay2', snapshot: { snapshotName: 's' }, vpcEnabled: false });
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^targetClusterProxyDesiredCount: a key of the reference that is not used here: .*captureProxyService\.desiredCount/),
        expect.stringMatching(/^engineVersion: .*give the existing one in targetCluster/),
        expect.stringMatching(/^trafficReplayerJvmArgs: .*<service>\.cpu and <service>\.memoryMiB/),
        expect.stringMatching(/^addOnMigrationDeployId: .*ours: deployId/),
        expect.stringMatching(/^snapshot: .*no snapshot/),
        expect.stringMatching(/^vpcEnabled: .*always run in a VPC/),
      ]),
    );
    expect(p).toHaveLength(6);
  });

  it('reads a block of the reference\'s cdk.context.json selected with contextId, with its cluster spellings', () => {
    const block = {
      stage: 'ref',
      sourceClusterEndpoint: 'http://10.0.0.5:9200',
      targetCluster: { endpoint: 'https://vpc-target-abc123.us-east-1.es.amazonaws.com', version: 'OS 2.11', allow_insecure: true, auth: { type: 'sigv4', region: 'us-east-1', serviceSigningName: 'es' } },
      trafficReplayerServiceEnabled: true,
    };
    const c = read({ contextId: 'default', default: block, env: { account: '123456789012', region: 'us-east-1' } });
    expect(c.stage).toBe('ref');
    expect(c.sourceCluster).toMatchObject({ endpoint: 'http://10.0.0.5:9200', auth: { type: 'none' } });
    expect(c.targetCluster).toMatchObject({ version: 'OS_2.11', allowInsecure: true });
    // Without contextId the block is an unknown key, with the hint.
    expect(problems({ default: block, env: { account: '123456789012', region: 'us-east-1' }, stage: 'x', sourceCluster: { endpoint: 'http://s:9200' }, targetCluster: { endpoint: 'http://t:9200' } })).toEqual([
      expect.stringMatching(/^default: unknown context key: it looks like a block of the reference's cdk\.context\.json; select it with -c contextId=default/),
    ]);
  });

  it('a reference key that contradicts ours is an error naming both', () => {
    expect(problems({ ...exampleContext(), trafficReplayerServiceEnabled: false })).toEqual([expect.stringMatching(/^trafficReplayerServiceEnabled: says false where replayer\.enabled says true: keep one/)]);
    expect(problems({ ...exampleContext(), sourceCluster: { ...(exampleContext().sourceCluster as object), disabled: true } })).toEqual([expect.stringMatching(/^sourceCluster\.disabled: a live source cluster is required/)]);
  });
});
