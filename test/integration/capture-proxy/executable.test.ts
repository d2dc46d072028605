import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { INSTALL_SCRIPT, REMOVE_SCRIPT } from '../../../lib/capture-proxy/ssm-documents';
import { buildRelease, Release, releaseName } from '../../../lib/capture-proxy/release/release-tarball';
import type { TrafficStream } from '../../../runtime/src/core/traffic-stream';
import { freePort } from '../../../runtime/src/local/ports';
import { fakeNode } from '../../cdk/fake-node';
import { buildApp } from '../../cdk/app-fixture';
import { stackEndpoints, uniqueName } from '../../support/env';
import { byConnection, ClientConnection, processAlive, readTopic, statusOf } from './support';

/*
 * The release as an operator gets it: CaptureProxyX64.tar.gz built in this run (npm registry's
 * Node.js, esbuild, postject), unpacked, and run from a PATH that has no node.
 */

const { sourceUrl, kafkaBrokers } = stackEndpoints();
const source = new URL(sourceUrl);
const NAME = releaseName('x64');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(path.join(os.tmpdir(), 'proxy-release-'));
/** A bin directory with bash and nohup only: what `env -i PATH=...` gives the executable. */
const bareBin = path.join(work, 'bare-bin');
let release: Release;
let exe: string;

beforeAll(() => {
  release = buildRelease('x64', path.join(work, 'out'));
  expect(spawnSync('tar', ['-xzf', release.tarball, '-C', work]).status).toBe(0);
  exe = path.join(work, NAME, 'bin', NAME);
  mkdirSync(bareBin);
  for (const tool of ['bash', 'nohup']) symlinkSync(`/usr/bin/${tool}`, path.join(bareBin, tool));
  expect(spawnSync('bash', ['-c', 'command -v node'], { env: { PATH: bareBin } }).status).not.toBe(0);
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const get = (target: string) => Buffer.from(`GET ${target} HTTP/1.1\r\nHost: ${source.host}\r\n\r\n`);
const put = (target: string, body: string) => Buffer.from(`PUT ${target} HTTP/1.1\r\nHost: ${source.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

/** A topic made before the proxy writes to it, so that reading it never races its creation. */
async function newTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = new Kafka({ brokers: [kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      (await ClientConnection.open(port)).close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** One GET and one PUT through the proxy, then the capture of that connection from Kafka. */
async function roundTrip(port: number, topic: string, index: string) {
  const c = await ClientConnection.open(port);
  await c.send([get('/'), put(`/${index}/_doc/1`, '{"through":"the executable"}')]);
  c.close();
  expect(c.answers.map(statusOf)).toEqual([200, 201]);
  // Port checks made connections of their own, with nothing on them.
  const ours = (s: TrafficStream[]) => [...byConnection(s).values()].find((x) => x.reads.length > 0 && x.closed);
  const captured = ours(await readTopic(kafkaBrokers, topic, (s) => ours(s) !== undefined))!;
  expect(captured.reads.equals(Buffer.concat(c.sent))).toBe(true);
  expect(captured.writes.equals(Buffer.concat(c.received))).toBe(true);
}

describe('the capture proxy executable (release tarball)', () => {
  it('is laid out as the install guide expects, with Node.js inside', () => {
    expect(readdirSync(path.join(work, NAME)).sort()).toEqual(['README.md', 'bin', 'capture-proxy.service', 'licenses']);
    expect(readFileSync(path.join(work, NAME, 'capture-proxy.service'), 'utf8')).toContain(`ExecStart=/opt/${NAME}/bin/${NAME} $PROXY_ARGS`);
    expect(readFileSync(path.join(work, NAME, 'licenses', 'THIRD-PARTY-NOTICES'), 'utf8')).toMatch(/^commander@/m);
    const r = spawnSync(exe, ['-e', 'x'], { env: { PATH: bareBin }, encoding: 'utf8' });
    // Node's own options are the proxy's arguments here: it is not a node binary any more.
    expect(r.stderr).toContain("unknown option '-e'");
  });

  it('prints --help with no Node.js on PATH', () => {
    const r = spawnSync(exe, ['--help'], { env: { PATH: bareBin }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: capture-proxy [options]');
    expect(r.stdout).toContain('--numThreads <n>');
  });

  it('runs the install guide line (em dashes, nohup, env -i) and captures through to Kafka', async () => {
    const port = await freePort();
    const topic = await newTopic('exe-guide');
    const index = uniqueName('exe-guide-idx');
    const journal = mkdtempSync(path.join(work, 'journal-'));
    const line = `cd ${path.join(work, NAME, 'bin')} && nohup ./${NAME} \u2014kafkaConnection ${kafkaBrokers} \u2014destinationUri ${sourceUrl} \u2014listenPort ${port} \u2014insecureDestination &`;
    const env = { PATH: bareBin, HOME: work, CAPTURE_PROXY_LISTEN_HOST: '127.0.0.1', CAPTURE_PROXY_KAFKA_TOPIC: topic, CAPTURE_PROXY_JOURNAL_DIRECTORY: journal };
    // nohup writes to nohup.out only from a terminal; here its output goes to a file we read.
    const out = path.join(work, 'guide-line.out');
    const fd = openSync(out, 'w');
    spawnSync('env', ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'bash', '-c', line], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    // `cd && nohup ... &` runs in a subshell: the proxy's own pid is in its ready line.
    let pid = 0;
    try {
      await waitForPort(port);
      await roundTrip(port, topic, index);
      const log = readFileSync(out, 'utf8');
      expect(log).toContain('read "\u2014listenPort" as "--listenPort"');
      const ready = JSON.parse(log.split('\n').find((l) => l.includes('capture proxy ready'))!);
      pid = ready.pid;
      // The native CRC-32C loads from the executable's asset; one worker a core, at most 4.
      expect(ready).toMatchObject({ nativeCrc32c: true, threads: Math.min(os.availableParallelism(), 4) });
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 300 && processAlive(pid); i++) await sleep(50);
      expect(processAlive(pid)).toBe(false);
      expect(readFileSync(out, 'utf8')).toMatch(/"recordsDropped":0,"requests":2,"msg":"capture proxy stopped"/);
    } finally {
      if (pid && processAlive(pid)) process.kill(pid, 'SIGKILL');
      await fetch(`${sourceUrl}/${index}`, { method: 'DELETE' });
    }
  });

  it('is installed by the SSM install script on a node without Node.js, serves through to the node, and is removed', async () => {
    const node = fakeNode({ release: release.tarball });
    const topic = await newTopic('exe-install');
    const index = uniqueName('exe-install-idx');
    const listenPort = await freePort();
    // The node "moves" to the port where the real source listens, so the proxy forwards to it.
    const env = { FAKE_RUN_PROXY: '1', ENABLE_MSK_AUTH: 'false', KAFKA_BROKERS: kafkaBrokers, KAFKA_TOPIC: topic, LISTEN_PORT: String(listenPort), NODE_PORT: source.port, PORT_WAIT_SECONDS: '30', PROXY_EXTRA_ARGS: '--listenHost 127.0.0.1' };
    try {
      const installed = node.run(INSTALL_SCRIPT, env);
      expect(installed.stderr).toContain('installed');
      expect(installed.status).toBe(0);
      expect(readFileSync(node.unitFile, 'utf8')).toContain(`ExecStart=${node.dir}/opt/capture-proxy/app/${NAME}/bin/${NAME} $PROXY_ARGS`);
      await roundTrip(listenPort, topic, index);
      const removed = node.run(REMOVE_SCRIPT, { ...env, LISTEN_PORT: '9200' });
      expect(removed.status).toBe(0);
      await expect(ClientConnection.open(listenPort)).rejects.toThrow(/ECONNREFUSED/);
      expect(readFileSync(path.join(node.dir, 'proxy.log'), 'utf8')).toContain('capture proxy stopped');
    } finally {
      node.remove();
      await fetch(`${sourceUrl}/${index}`, { method: 'DELETE' });
    }
  });

  it('is what the CDK app uploads: one release per CPU, built at synth', () => {
    const outdir = mkdtempSync(path.join(work, 'cdk-'));
    const { app } = buildApp({}, { bundle: true, outdir, bundlingStacks: ['*CaptureProxy*'] });
    app.synth();
    const tarballs = readdirSync(outdir).filter((f) => f.endsWith('.tar.gz'));
    expect(tarballs).toHaveLength(2);
    const listings = tarballs.map((f) => spawnSync('tar', ['-tzf', path.join(outdir, f)], { encoding: 'utf8' }).stdout);
    expect(listings.some((l) => l.includes('CaptureProxyX64/bin/CaptureProxyX64\n'))).toBe(true);
    expect(listings.some((l) => l.includes('CaptureProxyArm64/bin/CaptureProxyArm64\n'))).toBe(true);
  }, 240_000);
});
