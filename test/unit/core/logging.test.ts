import { Writable } from 'node:stream';
import { createLogger, redact, REDACTED } from '../../../runtime/src/core/logging';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().trim().split('\n'));
      done();
    },
  });
  return { lines, destination };
}

describe('logging', () => {
  it('never writes auth headers, passwords, tokens or keys', async () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'test', destination: destination as any });
    log.info(
      {
        request: { headers: { Authorization: 'Basic YWRtaW46c2VjcmV0', 'X-Amz-Security-Token': 'tok', host: 'h' } },
        config: { basic_auth: { username: 'admin', password: 'hunter2' }, kafka: { scram: { password: 'pw' } } },
        aws: { accessKeyId: 'AKIA123', secretAccessKey: 'abc', sessionToken: 'def' },
        apiKey: 'k',
        endpoint: 'https://admin:hunter2@search.example.com:9200',
      },
      'connecting to https://user:pass@host:9200',
    );
    await new Promise((r) => setTimeout(r, 50));
    const text = lines.join('\n');
    for (const secret of ['YWRtaW46c2VjcmV0', 'hunter2', 'tok"', 'AKIA123', '"abc"', '"def"', ':pass@', '"pw"']) expect(text).not.toContain(secret);
    const entry = JSON.parse(lines[0]);
    expect(entry.request.headers.Authorization).toBe(REDACTED);
    expect(entry.request.headers.host).toBe('h');
    expect(entry.config.basic_auth.username).toBe('admin');
    expect(entry.endpoint).toBe(`https://admin:${REDACTED}@search.example.com:9200`);
    expect(entry.msg).toBe(`connecting to https://user:${REDACTED}@host:9200`);
  });

  it('redacts inside arrays and errors', () => {
    expect(redact([{ token: 'x' }])).toEqual([{ token: REDACTED }]);
    const err = redact(new Error('bad http://a:b@c/')) as { message: string };
    expect(err.message).toBe(`bad http://a:${REDACTED}@c/`);
  });
});
