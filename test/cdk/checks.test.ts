import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { buildApp, repoRoot } from './app-fixture';

const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-checks-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const variants: Record<string, Record<string, unknown>> = {
  'example context (new VPC)': {},
  'imported VPC, basic auth target, retained resources': {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcSubnetIds: ['subnet-0a1b2c3d4e5f6071a', 'subnet-0a1b2c3d4e5f6071b'],
    vpcSubnetAZs: ['us-east-1a', 'us-east-1b'],
    vpcAZCount: undefined,
    targetCluster: { endpoint: 'https://target:9200', auth: { type: 'basic', username: 'admin', passwordSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:target-pw' } },
    removalPolicies: { artifactsBucket: 'retain', resultsBucket: 'retain', logGroups: 'retain', kafka: 'retain' },
  },
  'proxy fleet behind a load balancer, managed-domain source, KMS-encrypted logs': {
    captureProxy: { enabled: false },
    captureProxyService: { enabled: true, certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555' },
    sourceCluster: { endpoint: 'https://vpc-source-xyz789.us-east-1.es.amazonaws.com', version: 'ES_7.10', auth: { type: 'sigv4', region: 'us-east-1' } },
    logEncryptionKey: 'create',
  },
};

describe.each(Object.entries(variants))('%s', (name, overrides) => {
  const dir = path.join(outdir, name.replace(/\W+/g, '-'));
  const built = buildApp(overrides, { nag: true, outdir: dir });
  built.app.synth();

  test('cdk-nag AwsSolutions reports no unsuppressed error', () => {
    for (const stack of Object.values(built.stacks)) {
      const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
      expect(errors.map((e) => `${e.id}: ${String(e.entry.data).slice(0, 80)}`)).toEqual([]);
    }
  });

  test('cfn-lint finds no error in any synthesized template', () => {
    const templates = readdirSync(dir).filter((f) => f.endsWith('.template.json'));
    expect(templates).toHaveLength(6);
    const r = spawnSync(path.join(repoRoot, '.cache/venv/bin/cfn-lint'), ['--format', 'parseable', ...templates.map((f) => path.join(dir, f))], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    const errors = r.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
    expect(errors).toEqual([]);
    // cfn-lint's exit code is a bit mask: 2 = errors (4 = warnings, 8 = informational).
    expect(r.status! & 2).toBe(0);
  });
});
