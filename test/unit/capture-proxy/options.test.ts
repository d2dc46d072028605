import { parseProxyArgs } from '../../../runtime/src/capture-proxy/options';

const base = ['--destinationUri', 'http://localhost:19200', '--listenPort', '9200'];
const parse = (env: NodeJS.ProcessEnv, args: string[] = []) => parseProxyArgs([...base, ...args], env, () => undefined);

describe('capture proxy flags from CAPTURE_PROXY_* variables', () => {
  it('reads a switch as true or false from its variable', () => {
    expect(parse({ CAPTURE_PROXY_NO_CAPTURE: 'true' }).capture.kind).toBe('none');
    expect(parse({ CAPTURE_PROXY_NO_CAPTURE: 'yes', CAPTURE_PROXY_INSECURE_DESTINATION: '1' }).insecureDestination).toBe(true);
    // "false" turns it off: a set variable is not enough.
    const off = parse({ CAPTURE_PROXY_INSECURE_DESTINATION: 'false' }, ['--noCapture']);
    expect(off.insecureDestination).toBe(false);
    expect(() => parse({ CAPTURE_PROXY_NO_CAPTURE: 'false' })).toThrow(/say where the capture goes/);
  });

  it('lets the command line win and names a variable it cannot read', () => {
    expect(parse({ CAPTURE_PROXY_INSECURE_DESTINATION: 'off' }, ['--noCapture', '--insecureDestination']).insecureDestination).toBe(true);
    expect(() => parse({ CAPTURE_PROXY_NO_CAPTURE: 'maybe' })).toThrow('CAPTURE_PROXY_NO_CAPTURE: expected true or false (got "maybe")');
  });

  it('reads valued flags from the process environment itself, as the CLI and the systemd unit pass them', () => {
    const vars = { CAPTURE_PROXY_KAFKA_TOPIC: 'from-env', CAPTURE_PROXY_JOURNAL_DIRECTORY: '/var/lib/capture-proxy-journal', CAPTURE_PROXY_NO_CAPTURE: 'false' };
    Object.assign(process.env, vars);
    try {
      const config = parseProxyArgs([...base, '--kafkaConnection', 'k:9092'], process.env, () => undefined);
      expect(config.capture).toMatchObject({ kind: 'kafka', topic: 'from-env' });
      expect(config.journalDir).toBe('/var/lib/capture-proxy-journal');
      expect(process.env.CAPTURE_PROXY_KAFKA_TOPIC).toBe('from-env');
    } finally {
      for (const k of Object.keys(vars)) delete process.env[k];
    }
  });
});
