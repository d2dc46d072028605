import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { checkBootstrapped } from '../../bin/predeploy-check';
import { repoRoot } from './app-fixture';

let moto: ChildProcess;
let endpoint: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn(path.join(repoRoot, '.cache/venv/bin/moto_server'), ['-p', String(port), '-H', '127.0.0.1'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${endpoint}/moto-api/`).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  Object.assign(process.env, { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
}, 60000);

afterAll(() => {
  moto?.kill();
  delete process.env.AWS_ENDPOINT_URL;
});

test('an un-bootstrapped region fails with the command that fixes it', async () => {
  await expect(checkBootstrapped('us-east-1', '123456789012')).rejects.toThrow('run `npx cdk bootstrap aws://123456789012/us-east-1`');
});

test('a bootstrapped region passes and reports its bootstrap version', async () => {
  const ssm = new SSMClient({ region: 'us-west-2', endpoint });
  await ssm.send(new PutParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version', Value: '27', Type: 'String' }));
  ssm.destroy();
  await expect(checkBootstrapped('us-west-2', '123456789012')).resolves.toBe('27');
  await expect(checkBootstrapped('us-east-1', '123456789012')).rejects.toThrow(/not CDK-bootstrapped/);
});
