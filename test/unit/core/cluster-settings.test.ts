import { clusterClient, ClusterFlagNames, clusterSettingsFromFlags, clusterSettingsFromYaml, resolveClusterAuth } from '../../../runtime/src/core/cluster-settings';
import { UserError } from '../../../runtime/src/core/errors';
import { readPasswordSecret, SecretReader } from '../../../runtime/src/core/secrets';
import { ClusterYaml, parseServicesYaml } from '../../../runtime/src/core/services-yaml';

const names: ClusterFlagNames = { endpoint: '--host', username: '--user', password: '--pass', awsRegion: '--region', noEndpoint: 'no cluster: pass --host' };
const cluster = (body: string): ClusterYaml => parseServicesYaml(`source_cluster:\n  endpoint: https://source:9200\n${body}`).source_cluster!;
const secrets = (values: Record<string, string>): SecretReader => async (arn) => {
  if (!(arn in values)) throw new UserError('SECRET_UNREADABLE', `cannot read secret ${arn}: ResourceNotFoundException`);
  return values[arn];
};

describe('a cluster from services.yaml', () => {
  it('no auth, allow_insecure and the version as given', () => {
    expect(clusterSettingsFromYaml(cluster('  no_auth:\n  allow_insecure: true\n  version: ES_7.10\n'), {})).toEqual({ endpoint: 'https://source:9200', auth: { type: 'none' }, allowInsecure: true, version: 'ES_7.10' });
  });

  it('sigv4 without a region takes the given env\'s AWS_REGION', () => {
    expect(clusterSettingsFromYaml(cluster('  sigv4:\n    service: es\n'), { AWS_REGION: 'eu-north-1' }).auth).toEqual({ type: 'sigv4', region: 'eu-north-1', service: 'es' });
  });

  it('ca_file is passed on, also when flags take the rest from the section', () => {
    const yaml = cluster('  no_auth:\n  ca_file: /etc/pki/cluster-ca.pem\n');
    expect(clusterSettingsFromYaml(yaml, {}).caFile).toBe('/etc/pki/cluster-ca.pem');
    expect(clusterSettingsFromFlags({ username: 'u', password: 'p' }, names, yaml, {}).caFile).toBe('/etc/pki/cluster-ca.pem');
  });

  it('basic auth keeps the secret ARN until the client is opened', () => {
    const s = clusterSettingsFromYaml(cluster('  basic_auth:\n    user_secret_arn: arn:aws:secretsmanager:us-east-1:123456789012:secret:creds\n'), {});
    expect(s.auth).toMatchObject({ type: 'basic', userSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:creds' });
  });
});

describe('a cluster from flags', () => {
  it('basic, sigv4 (es by default) and insecure', () => {
    expect(clusterSettingsFromFlags({ endpoint: 'http://h:9200', username: 'u', password: 'p', insecure: true }, names, undefined, {})).toEqual({ endpoint: 'http://h:9200', auth: { type: 'basic', username: 'u', password: 'p' }, allowInsecure: true, version: undefined });
    expect(clusterSettingsFromFlags({ endpoint: 'http://h:9200', awsRegion: 'us-east-2' }, names, undefined, {}).auth).toEqual({ type: 'sigv4', region: 'us-east-2', service: 'es' });
    expect(clusterSettingsFromFlags({ endpoint: 'http://h:9200', awsRegion: 'us-east-2', awsServiceSigningName: 'aoss' }, names, undefined, {}).auth).toMatchObject({ service: 'aoss' });
  });

  it('flags win over the services.yaml section, which fills what they leave out', () => {
    const yaml = cluster('  basic_auth:\n    username: admin\n    password: from-yaml\n  allow_insecure: true\n  version: OS_2.19\n');
    expect(clusterSettingsFromFlags({}, names, yaml, {})).toEqual({ endpoint: 'https://source:9200', auth: { type: 'basic', username: 'admin', password: 'from-yaml' }, allowInsecure: true, version: 'OS_2.19' });
    expect(clusterSettingsFromFlags({ endpoint: 'http://other:9200', username: 'me', password: 'mine', insecure: false }, names, yaml, {})).toMatchObject({ endpoint: 'http://other:9200', auth: { username: 'me', password: 'mine' }, allowInsecure: false });
  });

  it('names the flags in its errors', () => {
    expect(() => clusterSettingsFromFlags({}, names, undefined, {})).toThrow('no cluster: pass --host');
    expect(() => clusterSettingsFromFlags({ endpoint: 'h:9200' }, names, undefined, {})).toThrow('--host must be a URL such as https://host:9200 (got "h:9200")');
    expect(() => clusterSettingsFromFlags({ endpoint: 'http://h', username: 'u' }, names, undefined, {})).toThrow('--user and --pass go together: pass both');
    expect(() => clusterSettingsFromFlags({ endpoint: 'http://h', username: 'u', password: 'p', awsRegion: 'x' }, names, undefined, {})).toThrow('--user and --region are two different auths: pass one');
  });
});

describe('secrets to auth', () => {
  const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:s';
  it('user_secret_arn: a JSON secret with username and password', async () => {
    expect(await resolveClusterAuth({ type: 'basic', userSecretArn: arn }, secrets({ [arn]: '{"username":"admin","password":"pw"}' }))).toEqual({ type: 'basic', username: 'admin', password: 'pw' });
  });

  it('password_secret_arn: the password itself or JSON with a password field', async () => {
    expect(await resolveClusterAuth({ type: 'basic', username: 'u', passwordSecretArn: arn }, secrets({ [arn]: 'plain-pw' }))).toEqual({ type: 'basic', username: 'u', password: 'plain-pw' });
    expect(await readPasswordSecret(arn, secrets({ [arn]: '{"password":"json-pw"}' }))).toBe('json-pw');
  });

  it('a secret of the wrong shape is named by its ARN, its value is never shown', async () => {
    await expect(resolveClusterAuth({ type: 'basic', userSecretArn: arn }, secrets({ [arn]: 'not-json-s3cret' }))).rejects.toThrow(`secret ${arn} must be JSON with string "username" and "password" fields`);
    await expect(resolveClusterAuth({ type: 'basic', userSecretArn: arn }, secrets({ [arn]: '{"username":"u","pass":"s3cret"}' }))).rejects.not.toThrow(/s3cret/);
    await expect(resolveClusterAuth({ type: 'basic', userSecretArn: `${arn}-nope` }, secrets({}))).rejects.toThrow(/cannot read secret .*-nope: ResourceNotFoundException/);
  });

  it('no secret is read for other auths', async () => {
    const none = secrets({});
    expect(await resolveClusterAuth({ type: 'none' }, none)).toEqual({ type: 'none' });
    expect(await resolveClusterAuth({ type: 'basic', username: 'u', password: 'p' }, none)).toEqual({ type: 'basic', username: 'u', password: 'p' });
  });

  it('the client gets the resolved settings', async () => {
    const client = clusterClient({ endpoint: 'https://h:9200', auth: { type: 'none' }, allowInsecure: false, version: 'OS_2.19' });
    expect(client.endpoint.origin).toBe('https://h:9200');
    expect((await client.detectVersion()).flavor).toBeDefined();
    await client.close();
  });
});
