import { hasToken, isLocalHostHeader, readApiToken } from '../../../runtime/src/console/api/auth';
import { parseClusterName } from '../../../runtime/src/console/cluster-access';
import { indicesToClear, testDocument } from '../../../runtime/src/console/commands/clusters';
import { pickBootstrapBrokers, resolveBrokers } from '../../../runtime/src/console/kafka-admin';
import { componentOf, groupByComponent } from '../../../runtime/src/console/metrics-source';
import { inputSchema, runVerb, Verb } from '../../../runtime/src/console/verb';
import { ClusterClient } from '../../../runtime/src/core/cluster-client';
import { CatalogCode, ConfigError, ERROR_CATALOG, EXIT_LEASE_LOST, UserError } from '../../../runtime/src/core/errors';

describe('error catalog', () => {
  it('gives each code its HTTP status and exit code; unknown codes are 500 and exit 1', () => {
    expect(new UserError('ECS_SERVICE_MISSING', 'x')).toMatchObject({ httpStatus: 404, exitCode: 1 });
    expect(new UserError('NOT_CONFIGURED', 'x')).toMatchObject({ httpStatus: 409, exitCode: 2 });
    expect(new ConfigError('x')).toMatchObject({ code: 'CONFIG', httpStatus: 400, exitCode: 2 });
    expect(new UserError('SOMETHING_NEW' as CatalogCode, 'x')).toMatchObject({ httpStatus: 500, exitCode: 1 });
    expect(new UserError('CLUSTER_UNREACHABLE', 'x', 3).exitCode).toBe(3);
    for (const [code, e] of Object.entries(ERROR_CATALOG)) expect([code, e.httpStatus >= 400 && e.httpStatus < 600, [1, 2, EXIT_LEASE_LOST].includes(e.exitCode)]).toEqual([code, true, true]);
  });
});

describe('API token and host checks', () => {
  const token = 'a-token-of-enough-length';
  it('accepts the token as Bearer or as the Basic password, nothing else', () => {
    expect(hasToken(`Bearer ${token}`, token)).toBe(true);
    expect(hasToken(`bearer   ${token}`, token)).toBe(true);
    expect(hasToken(`Basic ${Buffer.from(`anyone:${token}`).toString('base64')}`, token)).toBe(true);
    expect(hasToken(`Basic ${Buffer.from(`${token}:x`).toString('base64')}`, token)).toBe(false);
    expect(hasToken(`Bearer ${token}x`, token)).toBe(false);
    expect(hasToken(`Bearer ${token.slice(1)}`, token)).toBe(false);
    expect(hasToken(token, token)).toBe(false);
    expect(hasToken(undefined, token)).toBe(false);
  });

  it('reads the token from the environment and refuses a short one', () => {
    expect(readApiToken(undefined, { MIGRATION_CONSOLE_API_TOKEN: ` ${token}\n` })).toBe(token);
    expect(readApiToken(undefined, {})).toBeUndefined();
    expect(() => readApiToken(undefined, { MIGRATION_CONSOLE_API_TOKEN: 'short' })).toThrow(/shorter than 16/);
    expect(() => readApiToken('/no/such/token/file', {})).toThrow(/cannot read --token-file/);
  });

  it('takes only Host headers of this machine as local', () => {
    for (const h of ['127.0.0.1:8000', 'localhost:8000', 'localhost', '[::1]:8000', '127.1.2.3']) expect([h, isLocalHostHeader(h)]).toEqual([h, true]);
    for (const h of ['attacker.example', '127.0.0.1.attacker.example:8000', 'localhost.evil:80', '10.0.0.5:8000', '', undefined]) expect([h, isLocalHostHeader(h)]).toEqual([h, false]);
  });
});

describe('cluster verbs', () => {
  it('knows the reference cluster names too', () => {
    expect(parseClusterName('source_cluster')).toBe('source');
    expect(parseClusterName('TARGET')).toBe('target');
    expect(() => parseClusterName('staging')).toThrow(/unknown cluster "staging"/);
  });

  it('clears user indices and the working state, never system indices', () => {
    expect(indicesToClear(['logs', '.kibana_1', '.migrations_working_state', '.migrations_working_state_archive_x', '.opendistro-job', 'a'])).toEqual(['.migrations_working_state', '.migrations_working_state_archive_x', 'a', 'logs']);
  });

  it('makes test documents of the size asked for', () => {
    for (const size of [150, 1000, 20000]) expect(Math.abs(JSON.stringify(testDocument(7, size)).length - size)).toBeLessThanOrEqual(2);
  });

  it('never sends a request (and its credentials) to another host than the endpoint', async () => {
    const client = new ClusterClient({ endpoint: 'http://127.0.0.1:1', auth: { type: 'basic', username: 'u', password: 'p' } });
    for (const path of ['//evil.example/x', '/\\evil.example/x', 'http://evil.example/', 'https:evil.example']) {
      await expect(client.request({ method: 'GET', path })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await client.close();
  });
});

describe('MSK bootstrap brokers', () => {
  const arn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/migration/abcd-1234';
  const answer = { BootstrapBrokerString: 'b-1:9092', BootstrapBrokerStringTls: 'b-1:9094', BootstrapBrokerStringSaslScram: 'b-1:9096', BootstrapBrokerStringSaslIam: 'b-1:9098,b-2:9098' };

  it('resolves a cluster ARN through GetBootstrapBrokers in the ARN\'s region, by the auth the yaml names', async () => {
    const calls: string[] = [];
    const get = async (a: string, region: string) => {
      calls.push(`${a} ${region}`);
      return answer;
    };
    expect(await resolveBrokers({ broker_endpoints: arn, msk: null }, get)).toBe('b-1:9098,b-2:9098');
    expect(await resolveBrokers({ broker_endpoints: arn, scram: { username: 'u', password: 'p' } }, get)).toBe('b-1:9096');
    expect(await resolveBrokers({ broker_endpoints: arn, standard: null }, get)).toBe('b-1:9094');
    expect(calls).toEqual([`${arn} eu-west-1`, `${arn} eu-west-1`, `${arn} eu-west-1`]);
    expect(await resolveBrokers({ broker_endpoints: 'k1:9092,k2:9092', standard: null }, get)).toBe('k1:9092,k2:9092');
  });

  it('says which listener is missing', () => {
    expect(() => pickBootstrapBrokers({ broker_endpoints: arn, msk: null }, { BootstrapBrokerString: 'b:9092' }, arn)).toThrow(/has no IAM listener/);
  });
});

describe('metrics by component', () => {
  it('groups EMF and Prometheus names by the service that publishes them', () => {
    expect(componentOf('captureRequests')).toBe('captureProxy');
    expect(componentOf('capture_proxy_requests_total')).toBe('captureProxy');
    expect(componentOf('replayer_requests_total')).toBe('replayer');
    expect(componentOf('replayLatencyMs')).toBe('replayer');
    expect(componentOf('backfillDocumentsMigrated')).toBe('backfill');
    expect(componentOf('captured')).toBeUndefined();
    expect(groupByComponent(['replayRequests', 'captureRequests', 'replayErrors', 'replayRequests', 'cpu'])).toEqual({ replayer: ['replayErrors', 'replayRequests'], captureProxy: ['captureRequests'], other: ['cpu'] });
  });
});

describe('verbs', () => {
  const destructive: Verb = {
    path: ['kafka', 'delete-topic'],
    description: 'x',
    kind: 'change',
    destructive: true,
    args: [{ key: 'topic', name: '[topic]', description: 't', schema: { type: 'string' } }],
    options: [{ key: 'topic', flags: '--topic-name <n>', description: 't', schema: { type: 'string' }, cliOnly: true }, { key: 'units', flags: '--units <n>', description: 'u', schema: { type: 'integer' }, required: true }],
    output: {},
    run: async () => 'ran',
    text: String,
  };

  it('refuses a destructive verb unless the input acknowledges the risk', async () => {
    const ctx = { config: async () => ({}), stateDir: '/tmp', env: {}, progress: () => undefined };
    await expect(runVerb(destructive, ctx, {})).rejects.toMatchObject({ code: 'RISK_NOT_ACKNOWLEDGED' });
    await expect(runVerb(destructive, ctx, { acknowledgeRisk: 'yes' })).rejects.toMatchObject({ code: 'RISK_NOT_ACKNOWLEDGED' });
    await expect(runVerb(destructive, ctx, { acknowledgeRisk: true })).resolves.toBe('ran');
  });

  it('builds one strict input schema from arguments and options', () => {
    expect(inputSchema(destructive)).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { topic: { type: 'string' }, units: { type: 'integer' }, acknowledgeRisk: { type: 'boolean' } },
      required: ['units'],
    });
  });
});
