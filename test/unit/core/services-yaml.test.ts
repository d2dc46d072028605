import { clusterAuth, parseServicesYaml } from '../../../runtime/src/core/services-yaml';

function problems(yaml: string): string {
  try {
    parseServicesYaml(yaml);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('services.yaml', () => {
  it('accepts the reference layout and fills defaults', () => {
    const config = parseServicesYaml(`
source_cluster:
  endpoint: http://localhost:19200
  version: ES_7.10
  no_auth:
  proxy:
    endpoint: http://localhost:9200
target_cluster:
  endpoint: https://search.example.com
  sigv4:
    region: us-east-1
backfill:
  ecs:
    cluster_name: migration-dev-ecs-cluster
    service_name: migration-dev-reindex-from-snapshot
kafka:
  broker_endpoints: b-1:9098,b-2:9098
  msk:
metrics_source:
  cloudwatch:
    aws_region: us-east-1
client_options:
  user_agent_extra: test-agent
`);
    expect(config.target_cluster?.allow_insecure).toBe(false);
    expect(clusterAuth(config.target_cluster!)).toEqual({ type: 'sigv4', region: 'us-east-1', service: 'es' });
    expect(clusterAuth(config.source_cluster!)).toEqual({ type: 'none' });
    expect(config.backfill?.scale).toBe(1);
  });

  it('takes basic auth in its three forms and refuses mixtures', () => {
    const auth = (body: string) => clusterAuth(parseServicesYaml(`target_cluster:\n  endpoint: https://x\n  basic_auth:\n${body}`).target_cluster!);
    expect(auth('    username: a\n    password: b\n')).toMatchObject({ type: 'basic', username: 'a', password: 'b' });
    expect(auth('    username: a\n    password_secret_arn: arn:p\n')).toMatchObject({ username: 'a', passwordSecretArn: 'arn:p' });
    expect(auth('    user_secret_arn: arn:u\n')).toMatchObject({ userSecretArn: 'arn:u' });
    expect(() => auth('    username: a\n    user_secret_arn: arn:u\n')).toThrow(/user_secret_arn alone/);
    expect(() => auth('    username: a\n    password: b\n    password_secret_arn: arn:p\n')).toThrow(/basic_auth: expected/);
  });

  it('accepts an empty file: every section is optional', () => {
    expect(parseServicesYaml('')).toEqual({});
  });

  it('names every bad key with what was expected and what it got', () => {
    const message = problems(`
source_cluster:
  endpoint: localhost9200
  basic_auth:
    username: admin
target_cluster:
  endpont: http://x:9200
  no_auth:
replay:
  scale: -1
  ecs: {cluster_name: c, service_name: s}
  local: {}
kafka:
  broker_endpoints: b:9092
`);
    expect(message).toContain('source_cluster.endpoint: expected a URL such as https://host:9200 (got "localhost9200")');
    expect(message).toContain('source_cluster.basic_auth: expected username + password, username + password_secret_arn, or user_secret_arn alone');
    expect(message).toContain('target_cluster.endpont: unknown key');
    expect(message).toContain('target_cluster.endpoint: required (expected string)');
    expect(message).toContain('replay.scale:');
    expect(message).toContain('replay: expected only one of ecs, local (got ecs and local)');
    expect(message).toContain('kafka: expected one of msk, standard, scram');
    expect(message).toMatch(/has 7 problems/);
  });

  it('rejects two auth methods, an unknown sigv4 service and a bad version', () => {
    const message = problems(`
target_cluster:
  endpoint: https://x
  version: OpenSearch2
  basic_auth: {username: a, password: b}
  sigv4: {region: us-east-1, service: s3}
`);
    expect(message).toContain('target_cluster: expected only one of no_auth, basic_auth, sigv4 (got basic_auth and sigv4)');
    expect(message).toContain('target_cluster.sigv4.service: expected es or aoss (got "s3")');
    expect(message).toContain('target_cluster.version: expected a version such as ES_7.10, OS_2.19 or AOSS (got "OpenSearch2")');
  });

  it('says when the file is not YAML or not a mapping', () => {
    expect(problems('source_cluster: [unclosed')).toMatch(/is not valid YAML/);
    expect(problems('- a\n- b')).toMatch(/expected a mapping of sections/);
  });
});
