import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { clusterAuth, ignoredKeysOf, parseServicesYaml } from '../../../runtime/src/core/services-yaml';
import { referenceServicesSchema } from '../../fixtures/reference-services/reference-schema';

const FIXTURES = join(__dirname, '../../fixtures/reference-services');
const text = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
function load(name: string) {
  const warnings: string[] = [];
  const config = parseServicesYaml(text(name), name, { warn: (l) => warnings.push(l) });
  return { config, warnings, ignored: ignoredKeysOf(config).map((i) => i.key) };
}

describe('the reference console\'s services.yaml files', () => {
  it.each(['docker.yaml', 'ecs.yaml', 'k8s.yaml', 'k8s-proxy.yaml'])('%s is a file the reference schema accepts (the fixtures are faithful)', (name) => {
    const result = referenceServicesSchema.safeParse(parse(text(name)));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('Docker layout: maps what we do the same way, warns once about each key that does nothing here', () => {
    const { config, warnings, ignored } = load('docker.yaml');
    expect(config.backfill).toEqual({ scale: 1, local: null });
    expect(config.replay).toEqual({ scale: 1, local: null });
    expect(config.kafka).toEqual({ broker_endpoints: 'kafka.local:9092', standard: null });
    expect(ignored).toEqual(['snapshot', 'backfill.reindex_from_snapshot.docker', 'replay.docker', 'metadata_migration.from_snapshot', 'metadata_migration.min_replicas', 'metadata_migration.otel_endpoint']);
    expect(warnings).toContain('warning: docker.yaml: snapshot is ignored: the backfill and the metadata migration read the live source cluster, not a snapshot');
    // Said once per process, not at every load.
    expect(load('docker.yaml').warnings).toEqual([]);
  });

  it('ECS layout: reindex_from_snapshot.ecs is the backfill\'s ECS service, with its scale', () => {
    const { config, ignored } = load('ecs.yaml');
    expect(config.backfill).toEqual({ scale: 4, ecs: { cluster_name: 'migration-prod-ecs-cluster', service_name: 'migration-prod-reindex-from-snapshot', aws_region: 'us-west-2' } });
    expect(config.replay).toMatchObject({ scale: 2, ecs: { service_name: 'migration-prod-traffic-replayer-default' } });
    expect(config.metadata_migration?.index_allowlist).toEqual(['logs-2024', 'metrics']);
    expect(config.client_options?.user_agent_extra).toBe('my-migration/1.0');
    expect(config.kafka?.broker_endpoints).toEqual(['b-1.msk.internal:9098', 'b-2.msk.internal:9098']);
    expect(ignored).toEqual(expect.arrayContaining(['backfill.reindex_from_snapshot.snapshot_name', 'backfill.reindex_from_snapshot.session_name', 'metadata_migration.cluster_awareness_attributes', 'snapshot']));
  });

  it('Kubernetes layout: bare versions are read, source_cluster_version fills in, k8s services are named as not driven here', () => {
    const { config, ignored } = load('k8s.yaml');
    expect(config.source_cluster?.version).toBe('ES_7.10.2');
    expect(config.target_cluster?.version).toBe('OS_2.16.0');
    expect(ignored).toEqual(expect.arrayContaining(['backfill.reindex_from_snapshot.k8s', 'replay.k8s']));
    expect(ignoredKeysOf(config).find((i) => i.key === 'replay.k8s')!.reason).toMatch(/give replay\.ecs .* or replay\.local/);
  });

  it('proxy and secrets layout: sigv4 with no region, the signing endpoint, the proxy\'s endpoint; a Kubernetes secret fails when used, clearly', () => {
    const { config, ignored } = load('k8s-proxy.yaml');
    expect(clusterAuth(config.source_cluster!)).toEqual({ type: 'sigv4', region: 'us-east-1', service: 'es', signingHost: 'search-source.us-east-1.es.amazonaws.com' });
    expect(config.source_cluster?.proxy).toEqual({ endpoint: 'http://capture-proxy:9201' });
    expect(ignored).toEqual(expect.arrayContaining(['source_cluster.proxy.name', 'source_cluster.proxy.client_cert', 'target_cluster.basic_auth.k8s_secret_name', 'backfill.reindex_from_snapshot.argo']));
    expect(() => clusterAuth(config.target_cluster!)).toThrow(/target_cluster\.basic_auth\.k8s_secret_name: the credentials are in a Kubernetes secret.*user_secret_arn/);
    expect(config.metrics_source).toEqual({ cloudwatch: {} });
  });

  it('the older reference forms: username + aws_secret_arn, opensearch_ingestion', () => {
    const config = parseServicesYaml(
      'source_cluster:\n  endpoint: http://s:9200\n  basic_auth:\n    username: u\n    aws_secret_arn: arn:aws:secretsmanager:us-east-1:1:secret:p\nbackfill:\n  opensearch_ingestion:\n    pipeline_role_arn: arn:aws:iam::1:role/r\n    vpc_subnet_ids: [subnet-1]\n    security_group_ids: [sg-1]\n    aws_region: us-east-1\n',
      'old.yaml',
      { warn: () => undefined },
    );
    expect(clusterAuth(config.source_cluster!)).toMatchObject({ type: 'basic', username: 'u', passwordSecretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:p' });
    expect(ignoredKeysOf(config).map((i) => i.key)).toEqual(['backfill.opensearch_ingestion']);
  });

  it('a backfill from a snapshot with no live source is an error that says what to add', () => {
    expect(() => parseServicesYaml('target_cluster:\n  endpoint: http://t:9200\n  no_auth:\nbackfill:\n  reindex_from_snapshot:\n    docker:\nsnapshot:\n  snapshot_name: s\n  fs:\n    repo_path: /s\n', 'rfs.yaml', { warn: () => undefined })).toThrow(
      /backfill\.reindex_from_snapshot: this backfill copies documents from the live source cluster, and services\.yaml has no source_cluster/,
    );
  });

  it('still names a misspelt key inside the reference\'s sections', () => {
    expect(() => parseServicesYaml('source_cluster:\n  endpoint: http://s:9200\n  no_auth:\nbackfill:\n  reindex_from_snapshot:\n    ecs:\n      cluster_name: c\n      service_name: s\n    scael: 2\n', 'typo.yaml', { warn: () => undefined })).toThrow(
      /backfill\.reindex_from_snapshot\.scael: unknown key/,
    );
  });
});
