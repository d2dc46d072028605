import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli, resolveCli } from '../../../runtime/src/replayer/cli';
import { retryableBulkBody } from '../../../runtime/src/replayer/bulk-retry';
import type { ReplayerConfig } from '../../../runtime/src/replayer/config';
import type { DumpConfig } from '../../../runtime/src/replayer/dump';

const replay = (...argv: string[]) => resolveCli(parseCli(argv, {})) as ReplayerConfig;

describe("the reference replayer's command lines", () => {
  it('take the target as a positional argument, -t, camelCase spellings and the other long names', () => {
    const c = replay('https://target:9200', '-i', 'capture.log', '-t', '90', '--speedupFactor', '3', '--maxConcurrentRequests', '7', '--targetServerResponseTimeoutSeconds', '15', '--removeAuthHeader');
    expect(c.target.href).toBe('https://target:9200/');
    expect(c.packetTimeoutMs).toBe(90_000);
    expect(c.speedupFactor).toBe(3);
    expect(c.maxConcurrentRequests).toBe(7);
    expect(c.requestTimeoutMs).toBe(15_000);
    expect(c.auth).toEqual({ type: 'remove' });
    const k = replay('--target-uri', 'http://t:9200', '--kafkaBrokers', 'b:9092', '--kafkaTopic', 'topic-x', '--kafkaGroupId', 'g', '--kafka-traffic-auth-type', 'scram-sha-512', '--kafka-traffic-user-name', 'alice', '--kafkaPassword', 'pw').kafka!;
    expect(k).toMatchObject({ brokers: 'b:9092', topic: 'topic-x', groupId: 'g', auth: { type: 'scram-sha-512', username: 'alice', password: 'pw' } });
    expect(() => replay('http://a:9200', '--target-uri', 'http://b:9200', '-i', 'x')).toThrow(/give the target once/);
  });

  it('read the Kafka properties file: SASL mechanism, credentials, TLS, client id; other keys are named as ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'props-'));
    const file = join(dir, 'kafka.properties');
    writeFileSync(file, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";\nclient.id=my-replayer\nmax.poll.records=10\n');
    const c = replay('http://t:9200', '--kafka-traffic-brokers', 'b:9092', '--kafka-traffic-property-file', file);
    expect(c.kafka).toMatchObject({ auth: { type: 'scram-sha-512', username: 'u', password: 'p' }, tls: false, clientId: 'my-replayer' });
    expect(c.warnings).toEqual([expect.stringMatching(/max\.poll\.records tune the reference's Java Kafka client and are ignored/)]);
    expect(() => replay('http://t:9200', '--kafka-traffic-brokers', 'b:9092', '--kafka-traffic-property-file', join(dir, 'none'))).toThrow(/cannot read/);
  });

  it('resolve the flags the reference has and we lacked', () => {
    const c = replay('http://t:9200', '-i', 'x', '--auth-header-value', 'Bearer abc', '--lookahead-time-window', '300', '--quiescent-period-ms', '5000', '--non-retryable-doc-exception-types', 'mapper_parsing_exception, illegal_argument_exception', '--num-client-threads', '4', '--otel-collector-endpoint', 'otel:4317');
    expect(c.auth).toEqual({ type: 'basic', header: 'Bearer abc' });
    expect(c.lookaheadMs).toBe(300_000);
    expect(c.quiescentMs).toBe(5000);
    expect([...c.nonRetryableDocTypes!]).toEqual(['mapper_parsing_exception', 'illegal_argument_exception']);
    expect(c.warnings).toEqual([expect.stringMatching(/--num-client-threads 4 is ignored/), expect.stringMatching(/--otel-collector-endpoint otel:4317 is ignored/)]);
    expect(() => replay('http://t:9200', '-i', 'x', '--lookahead-time-window', '60')).toThrow(/--lookahead-time-window \(60\) must be greater than --packet-timeout-seconds \(70\)/);
    expect(() => replay('http://t:9200', '-i', 'x', '--auth-header-value', 'x', '--remove-auth-header')).toThrow(/choose one way/);
  });

  it('take --transformer-config-encoded, and refuse it with another transformer flag', () => {
    const encoded = Buffer.from('[{"TypeRemoval":{}}]').toString('base64');
    expect(replay('http://t:9200', '-i', 'x', '--transformer-config-encoded', encoded).transforms).toHaveLength(1);
    expect(() => replay('http://t:9200', '-i', 'x', '--transformer-config-encoded', encoded, '--transformer-config', 'TypeRemoval')).toThrow(/give one of/);
    expect(() => replay('http://t:9200', '-i', 'x', '--transformer-config-encoded', 'not base64!')).toThrow(/must be the base64/);
  });

  it('need no target in the dump modes, and check their ranges', () => {
    const d = resolveCli(parseCli(['--mode', 'dump-raw', '--kafka-traffic-brokers', 'b:9092', '--start-offset', '5', '--end-offset', '9', '--preview-bytes-read', '64'], {})) as DumpConfig;
    expect(d).toMatchObject({ mode: 'dump-raw', startOffset: 5, endOffset: 9, previewRead: 64 });
    expect(() => resolveCli(parseCli(['--mode', 'dump-http', '-i', 'x', '--start-offset', '5'], {}))).toThrow(/select records of a Kafka topic/);
    expect(() => resolveCli(parseCli(['--mode', 'dump-all', '-i', 'x'], {}))).toThrow(/--mode must be replay, dump-raw, dump-http, dump-both/);
  });

  it('refuse the Kubernetes-only flags with what to use instead', () => {
    expect(() => parseCli(['--kafkaSecretName', 's'], {})).toThrow(/--kafkaSecretName is a flag of the reference that is not supported here: it names a Kubernetes secret/);
  });
});

describe('--non-retryable-doc-exception-types', () => {
  const body = Buffer.from('{"index":{"_id":"1"}}\n{"a":1}\n{"index":{"_id":"2"}}\n{"a":2}\n{"index":{"_id":"3"}}\n{"a":3}\n');
  const response = Buffer.from(JSON.stringify({ errors: true, items: [
    { index: { status: 400, error: { type: 'mapper_parsing_exception' } } },
    { index: { status: 400, error: { type: 'illegal_argument_exception' } } },
    { index: { status: 409, error: { type: 'version_conflict_engine_exception' } } },
  ] }));
  it('retries every failed item whose type is not listed (never a version conflict); without it only 429/5xx items', () => {
    expect(retryableBulkBody(body, response)).toBeUndefined();
    expect(retryableBulkBody(body, response, new Set(['mapper_parsing_exception']))!.toString()).toBe('{"index":{"_id":"2"}}\n{"a":2}\n');
  });
});
