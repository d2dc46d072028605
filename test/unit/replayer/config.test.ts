import { ConfigError } from '../../../runtime/src/core/errors';
import { CliOptions, resolveConfig } from '../../../runtime/src/replayer/config';

const base: CliOptions = {
  targetUri: 'https://target:9200',
  input: 'capture.log',
  kafkaTrafficTopic: 'logging-traffic-topic',
  kafkaTrafficGroupId: 'logging-group-default',
  kafkaTrafficClientId: 'traffic-replayer',
  kafkaSessionTimeoutSeconds: '30',
  speedupFactor: '1',
  maxConcurrentRequests: '1024',
  maxPendingRequests: '10000',
  packetTimeoutSeconds: '70',
  maxRetries: '4',
  targetDownRetrySeconds: '600',
  tupleDir: './tuples',
  tupleFileMaxMb: '64',
  summaryIntervalSeconds: '5',
  shutdownGraceSeconds: '10',
  targetResponseTimeout: '60',
  quiescentPeriodMs: '0',
  mode: 'replay',
  previewBytesRead: '24',
  previewBytesWrite: '24',
};

describe('replayer flags', () => {
  it('resolves SigV4, basic auth and Kafka SCRAM settings', () => {
    expect(resolveConfig({ ...base, sigv4AuthHeaderServiceRegion: 'es,us-east-1' }).sigv4).toEqual({ service: 'es', region: 'us-east-1' });
    expect(resolveConfig({ ...base, targetUsername: 'u', targetPassword: 'p' }).auth).toEqual({ type: 'basic', header: `Basic ${Buffer.from('u:p').toString('base64')}` });
    const kafka = resolveConfig({ ...base, input: undefined, kafkaTrafficBrokers: 'b1:9094', kafkaTrafficAuthType: 'scram-sha-512', kafkaTrafficUsername: 'u', kafkaTrafficPassword: 'p' }).kafka!;
    expect(kafka.auth).toEqual({ type: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it.each([
    [{ targetUri: undefined }, /--target-uri is required/],
    [{ targetUri: 'target9200' }, /must be a URL/],
    [{ input: undefined }, /give an input/],
    [{ kafkaTrafficBrokers: 'b:9092' }, /not both/],
    [{ speedupFactor: '0' }, /--speedup-factor must be greater than 0/],
    [{ maxConcurrentRequests: 'many' }, /--max-concurrent-requests must be an integer/],
    [{ sigv4AuthHeaderServiceRegion: 'us-east-1' }, /SERVICE,REGION/],
    [{ targetUsername: 'u' }, /go together/],
    [{ removeAuthHeader: true, sigv4AuthHeaderServiceRegion: 'es,us-east-1' }, /choose one way/],
    [{ transformerConfig: '[{"Nope":{}}]' }, /unknown transformer/],
  ] as [Partial<CliOptions>, RegExp][])('rejects %j with a ConfigError that says what to fix', (override, message) => {
    const attempt = () => resolveConfig({ ...base, ...override });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });
});
