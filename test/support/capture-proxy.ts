import { spawn } from 'node:child_process';
import net from 'node:net';
import { resolve } from 'node:path';
import { freePort } from '../../runtime/src/local/ports';

const PROXY_CLI = resolve(__dirname, '../../runtime/dist/capture-proxy/cli.js');

export interface RunningProxy {
  url: URL;
  /** SIGTERM: the proxy flushes its capture to Kafka and exits; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/** The real capture proxy in front of the source, recording to a Kafka topic. */
export async function startCaptureProxy(opts: { sourceUrl: string; kafkaBrokers: string; topic: string }): Promise<RunningProxy> {
  const port = await freePort();
  const proxy = spawn(process.execPath, [PROXY_CLI, '--destinationUri', opts.sourceUrl, '--listenPort', String(port), '--listenHost', '127.0.0.1', '--kafkaConnection', opts.kafkaBrokers, '--kafkaTopic', opts.topic], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proxy.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => proxy.once('exit', (code) => res(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        res(true);
      }).once('error', () => res(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      proxy.kill('SIGKILL');
      throw new Error(`the capture proxy did not listen within 30 s:\n${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    stop: async () => {
      proxy.kill('SIGTERM');
      return exited;
    },
  };
}
