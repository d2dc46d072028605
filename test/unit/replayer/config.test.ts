import { ConfigError } from '../../../runtime/src/core/errors';
import { parseCli } from '../../../runtime/src/replayer/cli';
import { CliOptions, resolveConfig } from '../../../runtime/src/replayer/config';

const base: CliOptions = {
  targetUri: 'https://target:9200',
  input: 'capture.log',
  kafkaTrafficTopic: 'logging-traffic-topic',
  kafkaTrafficGroupId: 'logging-group-default',
  kafkaTrafficClientId: 'traffic-replayer',
  kafkaSessionTimeoutSeconds: 30,
  speedupFactor: 1,
  maxConcurrentRequests: 1024,
  maxPendingRequests: 10000,
  packetTimeoutSeconds: 70,
  maxRetries: 4,
  targetDownRetrySeconds: 600,
  tupleDir: './tuples',
  tupleFileMaxMb: 64,
  tupleS3Prefix: 'tuples/',
  tupleMaxBufferSeconds: 5,
  summaryIntervalSeconds: 5,
  shutdownGraceSeconds: 10,
  targetResponseTimeout: 60,
  quiescentPeriodMs: 0,
  mode: 'replay',
  previewBytesRead: 24,
  previewBytesWrite: 24,
};

describe('replayer flags', () => {
  it('replays writes with the source\'s versions and keeps tombstones a day, unless told otherwise', () => {
    expect(resolveConfig(base)).toMatchObject({ replayWritesAsCaptured: false, replayRefusedWrites: false, targetGcDeletes: '24h', restoreTargetGcDeletes: false });
    expect(resolveConfig({ ...base, targetGcDeletes: 'off' }).targetGcDeletes).toBeUndefined();
    expect(resolveConfig({ ...base, replayWritesAsCaptured: true, replayRefusedWrites: true })).toMatchObject({ replayWritesAsCaptured: true, replayRefusedWrites: true, targetGcDeletes: undefined });
    // The restore needs the target only.
    expect(resolveConfig({ ...base, input: undefined, restoreTargetGcDeletes: true }).restoreTargetGcDeletes).toBe(true);
  });

  it('resolves SigV4, basic auth and Kafka SCRAM settings', () => {
    expect(resolveConfig({ ...base, sigv4AuthHeaderServiceRegion: 'es,us-east-1' }).sigv4).toEqual({ service: 'es', region: 'us-east-1' });
    expect(resolveConfig({ ...base, targetUsername: 'u', targetPassword: 'p' }).auth).toEqual({ type: 'basic', header: `Basic ${Buffer.from('u:p').toString('base64')}` });
    const kafka = resolveConfig({ ...base, input: undefined, kafkaTrafficBrokers: 'b1:9094', kafkaTrafficAuthType: 'scram-sha-512', kafkaTrafficUsername: 'u', kafkaTrafficPassword: 'p' }).kafka!;
    expect(kafka.auth).toEqual({ type: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it('resolves the S3 tuple sink: region from the flag or AWS_REGION, the prefix ending in a slash', () => {
    expect(resolveConfig({ ...base, tupleS3Bucket: 'migration-results', tupleS3Prefix: 'run-1', tupleS3Region: 'eu-west-1' }).tupleS3).toEqual({ bucket: 'migration-results', prefix: 'run-1/', region: 'eu-west-1', endpoint: undefined });
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'us-west-2';
    try {
      expect(resolveConfig({ ...base, tupleS3Bucket: 'migration-results' }).tupleS3?.region).toBe('us-west-2');
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
    expect(resolveConfig(base).tupleS3).toBeUndefined();
  });

  it.each([
    [{ targetUri: undefined }, /--target-uri is required/],
    [{ targetGcDeletes: 'forever' }, /--target-gc-deletes must be a time such as 24h/],
    [{ targetGcDeletes: '0s' }, /--target-gc-deletes must be a time/],
    [{ targetUri: 'target9200' }, /must be a URL/],
    [{ input: undefined }, /give an input/],
    [{ kafkaTrafficBrokers: 'b:9092' }, /not both/],
    [{ sigv4AuthHeaderServiceRegion: 'us-east-1' }, /SERVICE,REGION/],
    [{ targetUsername: 'u' }, /go together/],
    [{ removeAuthHeader: true, sigv4AuthHeaderServiceRegion: 'es,us-east-1' }, /choose one way/],
    [{ tupleS3Bucket: 'Not_A_Bucket', tupleS3Region: 'us-east-1' }, /--tuple-s3-bucket must be an S3 bucket name/],
    [{ tupleS3Bucket: 'results', tupleS3Region: 'us-east-1', tupleS3Endpoint: 'localhost5000' }, /--tuple-s3-endpoint must be a URL/],
    [{ transformerConfig: '[{"Nope":{}}]' }, /unknown transformer/],
  ] as [Partial<CliOptions>, RegExp][])('rejects %j with a ConfigError that says what to fix', (override, message) => {
    const attempt = () => resolveConfig({ ...base, ...override });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });

  // Numbers are checked where the flags are declared (cli.ts), from the command line and from TRAFFIC_REPLAYER_*.
  it.each([
    [['--speedup-factor', '0'], /--speedup-factor must be a number > 0 \(got "0"\)/],
    [['--max-concurrent-requests', 'many'], /--max-concurrent-requests must be a whole number >= 1 \(got "many"\)/],
    [['--tuple-max-buffer-seconds', '0'], /--tuple-max-buffer-seconds must be a number >= 0.1/],
  ])('rejects %j with a ConfigError that says what to fix', (argv, message) => {
    const attempt = () => parseCli(['--target-uri', 'https://target:9200', '-i', 'capture.log', ...argv], {});
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });
});
