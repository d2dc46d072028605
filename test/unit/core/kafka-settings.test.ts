import { parseProxyArgs } from '../../../runtime/src/capture-proxy/options';
import { kafkaAuthFor } from '../../../runtime/src/console/kafka-admin';
import { KafkaOptionNames, kafkaSettings, resolveKafkaAuth } from '../../../runtime/src/core/kafka-settings';

import { resolveConfig } from '../../../runtime/src/replayer/config';
import { parseCli } from '../../../runtime/src/replayer/cli';

const names: KafkaOptionNames = { authType: '--auth', enableMskAuth: '--msk', username: '--user', password: '--pass', propertiesFile: '--props' };
const settings = (values: Partial<Parameters<typeof kafkaSettings>[0]>, env: NodeJS.ProcessEnv = {}) => kafkaSettings({ clientId: 'cid', brokers: 'b1:9092,b2:9092', ...values }, names, env);

describe('Kafka flags to Kafka settings', () => {
  it('without auth: brokers as a list, no TLS override, the client id', () => {
    expect(settings({})).toEqual({ brokers: ['b1:9092', 'b2:9092'], clientId: 'cid', auth: { type: 'none' }, tls: undefined, requestTimeoutMs: undefined, warnings: [] });
  });

  it('no brokers anywhere: no Kafka', () => {
    expect(settings({ brokers: undefined })).toBeUndefined();
  });

  it('ssl: TLS by the auth type, no SASL', () => {
    expect(settings({ authType: 'ssl' })?.auth).toEqual({ type: 'ssl' });
  });

  it('MSK IAM takes the region from the env it is given, never from process.env', () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'ap-south-1';
    try {
      expect(settings({ authType: 'msk-iam' }, { AWS_REGION: 'eu-west-3' })?.auth).toEqual({ type: 'msk-iam', region: 'eu-west-3' });
      expect(settings({ enableMskAuth: true }, { AWS_DEFAULT_REGION: 'us-west-2' })?.auth).toEqual({ type: 'msk-iam', region: 'us-west-2' });
      expect(() => settings({ enableMskAuth: true }, {})).toThrow('Kafka MSK IAM auth needs the AWS region: set AWS_REGION');
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  it('the MSK switch and another auth type contradict each other', () => {
    expect(settings({ enableMskAuth: true, authType: 'msk-iam' }, { AWS_REGION: 'us-east-1' })?.auth.type).toBe('msk-iam');
    expect(() => settings({ enableMskAuth: true, authType: 'scram-sha-512' }, { AWS_REGION: 'us-east-1' })).toThrow('--msk contradicts --auth scram-sha-512: keep one');
  });

  it('SCRAM needs a user and a password, named by the caller\'s flags; the password never shows in the error', () => {
    expect(settings({ authType: 'scram-sha-512', username: 'u', password: 'p' })?.auth).toEqual({ type: 'scram-sha-512', username: 'u', password: 'p' });
    expect(() => settings({ authType: 'scram-sha-512', password: 'hunter2' })).toThrow(/--user and --pass \(or sasl\.jaas\.config in --props\)/);
    expect(() => settings({ authType: 'scram-sha-512', password: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('--plaintext turns TLS off whatever the auth', () => {
    expect(settings({ authType: 'scram-sha-512', username: 'u', password: 'p', plaintext: true })?.tls).toBe(false);
  });

  it('an unknown auth type and a bad broker are one clear error each', () => {
    expect(() => settings({ authType: 'kerberos' })).toThrow('--auth must be one of none, msk-iam, scram-sha-512, ssl (got "kerberos")');
    expect(() => settings({ brokers: 'b1' })).toThrow(/expected host:port, got "b1"/);
  });

  it('resolveKafkaAuth serves a services.yaml section the same way', () => {
    const hint = { authFlag: 'kafka', credentials: 'kafka.scram' };
    expect(resolveKafkaAuth({ type: 'msk-iam' }, { AWS_REGION: 'sa-east-1' }, hint)).toEqual({ type: 'msk-iam', region: 'sa-east-1' });
    expect(resolveKafkaAuth({ type: 'none' }, {}, hint)).toEqual({ type: 'none' });
  });
});

describe('every service resolves Kafka the same way, with the env it was handed', () => {
  const withProcessRegion = async (fn: () => unknown) => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'ap-south-1';
    try {
      await fn();
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  };

  it('capture proxy: --enableMSKAuth takes the region from its env argument', () =>
    withProcessRegion(() => {
      const config = parseProxyArgs(['--destinationUri', 'http://localhost:19200', '--listenPort', '9200', '--kafkaConnection', 'b:9098', '--enableMSKAuth'], { AWS_REGION: 'eu-west-3' }, () => undefined);
      expect(config.capture).toMatchObject({ kind: 'kafka', auth: { type: 'msk-iam', region: 'eu-west-3' } });
    }));

  it('replayer: --kafka-traffic-enable-msk-auth takes the region from its env argument', () =>
    withProcessRegion(() => {
      const o = parseCli(['--target-uri', 'http://t:9200', '--kafka-traffic-brokers', 'b:9098', '--kafka-traffic-enable-msk-auth'], {});
      expect(resolveConfig(o, { AWS_REGION: 'eu-west-3' }).kafka?.auth).toEqual({ type: 'msk-iam', region: 'eu-west-3' });
      expect(() => resolveConfig(o, {})).toThrow(/MSK IAM auth needs the AWS region/);
    }));

  it('console: services.yaml kafka.msk takes the region from its env argument', () =>
    withProcessRegion(async () => {
      expect(await kafkaAuthFor({ broker_endpoints: 'b:9098', msk: null }, { AWS_REGION: 'eu-west-3' })).toEqual({ type: 'msk-iam', region: 'eu-west-3' });
      expect(await kafkaAuthFor({ broker_endpoints: 'b:9096', scram: { username: 'u', password: 'p' } }, {})).toEqual({ type: 'scram-sha-512', username: 'u', password: 'p' });
    }));
});
