import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProxyArgs } from '../../../runtime/src/capture-proxy/options';

const dir = mkdtempSync(join(tmpdir(), 'proxy-flags-'));
const pem = join(dir, 'x.pem');
writeFileSync(pem, 'not checked at parse time');
const base = ['--destinationUri', 'http://localhost:19200', '--listenPort', '9200'];
function parse(args: string[]) {
  const warnings: string[] = [];
  const config = parseProxyArgs([...base, ...args], {}, (m) => warnings.push(m));
  return { config, warnings };
}

describe("the reference proxy's flags", () => {
  it('take its Kafka names: --kafkaBrokers, --kafkaUserName, --kafkaPassword, --kafkaPropertyFile', () => {
    const props = join(dir, 'kafka.properties');
    writeFileSync(props, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nlinger.ms=5\n');
    const { config, warnings } = parse(['--kafkaBrokers', 'b1:9092,b2:9092', '--kafkaUserName', 'alice', '--kafkaPassword', 's3cret', '--kafkaPropertyFile', props]);
    expect(config.capture).toMatchObject({ kind: 'kafka', brokers: ['b1:9092', 'b2:9092'], auth: { type: 'scram-sha-512', username: 'alice', password: 's3cret' }, tls: false });
    expect(warnings).toEqual([expect.stringMatching(/linger\.ms tune the reference's Java Kafka client and are ignored/)]);
  });

  it('verify client certificates against --sslTrustCertFile, and require them only with --requireClientAuth', () => {
    const tls = ['--noCapture', '--sslCertChainFile', pem, '--sslKeyFile', pem, '--sslTrustCertFile', pem];
    expect(parse(tls).config.tls).toMatchObject({ clientCaFile: pem, requireClientCert: false });
    expect(parse([...tls, '--requireClientAuth']).config.tls).toMatchObject({ clientCaFile: pem, requireClientCert: true });
    expect(() => parse(['--noCapture', '--sslCertChainFile', pem, '--sslKeyFile', pem, '--requireClientAuth'])).toThrow(/--requireClientAuth needs the CA/);
    expect(() => parse(['--noCapture', '--sslTrustCertFile', pem])).toThrow(/needs a TLS listener/);
  });

  it('take --destinationConnectionPoolSize with its ISO-8601 --destinationConnectionPoolTimeout', () => {
    expect(parse(['--noCapture']).config.destinationPool).toEqual({ size: 0, maxIdleMs: 30_000 });
    expect(parse(['--noCapture', '--destinationConnectionPoolSize', '4', '--destinationConnectionPoolTimeout', 'PT1M30S']).config.destinationPool).toEqual({ size: 4, maxIdleMs: 90_000 });
    expect(() => parse(['--noCapture', '--destinationConnectionPoolTimeout', '30s'])).toThrow(/must be an ISO-8601 duration such as PT30S/);
  });

  it('accept --otelCollectorEndpoint with a warning, and refuse --sslConfigFile naming the flags to use', () => {
    expect(parse(['--noCapture', '--otelCollectorEndpoint', 'http://otel:4317']).warnings).toEqual([expect.stringMatching(/--otelCollectorEndpoint http:\/\/otel:4317 is ignored/)]);
    expect(() => parse(['--noCapture', '--sslConfigFile', pem])).toThrow(/--sslConfigFile is a flag of the reference that is not supported here: .*--sslCertChainFile and --sslKeyFile/);
  });
});
