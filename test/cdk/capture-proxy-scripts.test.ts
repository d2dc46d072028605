import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { INSTALL_SCRIPT, REMOVE_SCRIPT } from '../../lib/capture-proxy/ssm-documents';
import { FakeNode, fakeNode, ORIGINAL_YML } from './fake-node';

const unitFile = (n: FakeNode) => n.unitFile;
let nodes: FakeNode[] = [];
afterEach(() => {
  for (const n of nodes) n.remove();
  nodes = [];
});
function node(yml?: string): FakeNode {
  const n = fakeNode({ yml });
  nodes.push(n);
  return n;
}

test('first install moves the node to 19200 and runs the release\'s executable on 9200 with MSK IAM auth, no Node.js needed', () => {
  const n = node();
  const r = n.run(INSTALL_SCRIPT);
  expect(r.stderr).toContain('installed');
  expect(r.status).toBe(0);
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML.replace('http.port: 9200', 'http.port: 19200'));
  const unit = readFileSync(unitFile(n), 'utf8');
  expect(unit).toContain(`ExecStart=${n.dir}/opt/capture-proxy/app/CaptureProxyX64/bin/CaptureProxyX64 $PROXY_ARGS\n`);
  expect(unit).toContain(`EnvironmentFile=${n.envFile}\n`);
  expect(unit).toContain('After=network-online.target elasticsearch.service\n');
  expect(unit).toContain('StateDirectory=capture-proxy-journal');
  const env = readFileSync(n.envFile, 'utf8');
  expect(env).toMatch(/^PROXY_ARGS=--destinationUri http:\/\/localhost:19200 --listenPort 9200 --kafkaConnection b-1.msk:9098,b-2.msk:9098 --kafkaTopic logging-traffic-topic --kafkaClientId capture-proxy-\S+ --enableMSKAuth$/m);
  expect(env).toMatch(/^AWS_REGION=us-east-1$/m);
  expect(n.listening(19200)).toBe('elasticsearch');
  expect(n.listening(9200)).toBe('capture-proxy');
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app/CaptureProxyX64/bin/CaptureProxyX64'))).toBe(true);
});

test('reinstall is idempotent and keeps the original port for removal', () => {
  const n = node();
  expect(n.run(INSTALL_SCRIPT).status).toBe(0);
  const r = n.run(INSTALL_SCRIPT, { PROXY_EXTRA_ARGS: '--maxTrafficBufferSize 524288' });
  expect(r.status).toBe(0);
  const yml = readFileSync(n.yml, 'utf8');
  expect(yml.match(/http\.port/g)).toHaveLength(1);
  expect(yml).toContain('http.port: 19200');
  expect(readFileSync(n.envFile, 'utf8')).toContain('--maxTrafficBufferSize 524288');
  expect(readFileSync(path.join(n.dir, 'state/original-http-port'), 'utf8').trim()).toBe('http.port: 9200');
  expect(n.listening(9200)).toBe('capture-proxy');
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app.prev'))).toBe(false);
});

test('a proxy that never listens rolls everything back: config, unit, files, node on 9200', () => {
  const n = node();
  const r = n.run(INSTALL_SCRIPT, { FAKE_PROXY_FAILS: '1' });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('capture proxy is not listening on port 9200');
  expect(r.stderr).toContain('rolled back');
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML);
  expect(existsSync(unitFile(n))).toBe(false);
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app'))).toBe(false);
  expect(n.listening(9200)).toBe('elasticsearch');
  expect(n.listening(19200)).toBeUndefined();
});

test('a failed upgrade puts the previous proxy back', () => {
  const n = node();
  expect(n.run(INSTALL_SCRIPT).status).toBe(0);
  const before = readFileSync(unitFile(n), 'utf8');
  const envBefore = readFileSync(n.envFile, 'utf8');
  const r = n.run(INSTALL_SCRIPT, { FAKE_PROXY_FAILS: '1', PROXY_EXTRA_ARGS: '--noCapture' });
  expect(r.status).not.toBe(0);
  expect(readFileSync(unitFile(n), 'utf8')).toBe(before);
  expect(readFileSync(n.envFile, 'utf8')).toBe(envBefore);
  expect(readFileSync(n.yml, 'utf8')).toContain('http.port: 19200');
  expect(n.listening(19200)).toBe('elasticsearch');
  // The fake keeps failing the proxy, so check that rollback started the restored unit again.
  const calls = readFileSync(path.join(n.dir, 'systemctl.log'), 'utf8').trim().split('\n');
  expect(calls.at(-1)).toBe('start capture-proxy.service');
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app/CaptureProxyX64/bin/CaptureProxyX64'))).toBe(true);
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app.prev'))).toBe(false);
});

test('install refuses, before touching the node, an artifact without the proxy', () => {
  const n = node();
  const bad = path.join(n.dir, 'CaptureProxyX64.tar.gz');
  expect(spawnSync('tar', ['-czf', bad, '-C', path.join(n.dir, 'etc'), '.']).status).toBe(0);
  const r = n.run(INSTALL_SCRIPT, { ARTIFACT: bad });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('the artifact has no CaptureProxyX64/bin/CaptureProxyX64');
  expect(r.stderr).toContain('elasticsearch was not touched');
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML);
  expect(n.listening(9200)).toBe('elasticsearch');
  expect(readFileSync(path.join(n.dir, 'systemctl.log'), 'utf8')).not.toMatch(/restart elasticsearch/);
});

test('install refuses an executable that does not run on the node (another CPU, an old glibc), before touching it', () => {
  const n = node();
  const root = path.join(n.dir, 'release', 'CaptureProxyX64');
  writeFileSync(path.join(root, 'bin', 'CaptureProxyX64'), '#!/usr/bin/env bash\necho "GLIBC_2.28 not found" >&2\nexit 1\n');
  expect(spawnSync('tar', ['-czf', path.join(n.dir, 'CaptureProxyX64.tar.gz'), '-C', path.join(n.dir, 'release'), 'CaptureProxyX64']).status).toBe(0);
  const r = n.run(INSTALL_SCRIPT);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/CaptureProxyX64 does not run on this node: GLIBC_2.28 not found/);
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML);
  expect(existsSync(unitFile(n))).toBe(false);
});

test('install takes this CPU\'s release from the download directory SSM fills', () => {
  const n = node();
  // aws:downloadContent keeps the S3 key's name, in a directory per release.
  const download = path.join(n.dir, 'download');
  for (const name of ['CaptureProxyX64', 'CaptureProxyArm64']) spawnSync('mkdir', ['-p', path.join(download, name)]);
  spawnSync('cp', [path.join(n.dir, 'CaptureProxyX64.tar.gz'), path.join(download, 'CaptureProxyX64', 'f00d.tar.gz')]);
  expect(n.run(INSTALL_SCRIPT, { ARTIFACT: download }).status).toBe(0);
  const arm = n.run(INSTALL_SCRIPT, { ARTIFACT: download, ARCH: 'aarch64' });
  expect(arm.stderr).toContain(`no CaptureProxyArm64.tar.gz in directory ${download}`);
  expect(n.run(INSTALL_SCRIPT, { ARCH: 'riscv64' }).stderr).toContain("no capture proxy release for CPU 'riscv64'");
  expect(n.run(INSTALL_SCRIPT, { AWS_REGION: '' }).stderr).toContain('ENABLE_MSK_AUTH=true needs AWS_REGION');
});

test('removal after cutover gives 9200 back to the node and removes the unit', () => {
  const n = node();
  expect(n.run(INSTALL_SCRIPT).status).toBe(0);
  const r = n.run(REMOVE_SCRIPT);
  expect(r.status).toBe(0);
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML);
  expect(existsSync(unitFile(n))).toBe(false);
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy'))).toBe(false);
  expect(existsSync(n.envFile)).toBe(false);
  expect(n.listening(9200)).toBe('elasticsearch');
  expect(n.run(REMOVE_SCRIPT).status).toBe(0);
});

test('removal restores a config that had no http.port line exactly', () => {
  const yml = 'cluster.name: source\nnode.name: coord-1\n';
  const n = node(yml);
  expect(n.run(INSTALL_SCRIPT).status).toBe(0);
  expect(readFileSync(n.yml, 'utf8')).toBe(`${yml}http.port: 19200\n`);
  expect(n.run(REMOVE_SCRIPT).status).toBe(0);
  expect(readFileSync(n.yml, 'utf8')).toBe(yml);
  expect(n.listening(9200)).toBe('elasticsearch');
});
