import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { INSTALL_SCRIPT, REMOVE_SCRIPT } from '../../lib/capture-proxy/ssm-documents';

/*
 * The real install/remove scripts against a fake node: a temp dir with elasticsearch.yml, a
 * systemd unit dir, and a systemctl stand-in on PATH that "listens" on ports by writing marker
 * files (the node on its configured http.port, the proxy on its --listenPort).
 */

const FAKE_SYSTEMCTL = `#!/usr/bin/env bash
set -u
echo "$*" >> "$FAKE/systemctl.log"
[ "$1" = "--quiet" ] && shift
cmd="$1"; shift || true
[ "\${1:-}" = "--quiet" ] && shift
unit="\${1:-}"; unit="\${unit%.service}"
listening="$FAKE/listening"; mkdir -p "$listening" "$FAKE/active"
free() { grep -lx "$1" "$listening"/* 2>/dev/null | xargs -r rm -f; }
case "$cmd" in
  daemon-reload|enable|disable) exit 0 ;;
  is-active) [ -e "$FAKE/active/$unit" ]; exit $? ;;
  stop) free "$unit"; rm -f "$FAKE/active/$unit"; exit 0 ;;
  start|restart)
    free "$unit"; touch "$FAKE/active/$unit"
    if [ "$unit" = elasticsearch ]; then
      port="$(sed -nE 's/^[[:space:]]*http\\.port[[:space:]]*:[[:space:]]*([0-9]+).*/\\1/p' "$FAKE/etc/elasticsearch.yml" | tail -n 1)"
      echo elasticsearch > "$listening/\${port:-9200}"
    elif [ "$unit" = capture-proxy ]; then
      [ "\${FAKE_PROXY_FAILS:-0}" = 1 ] && exit 0   # starts, then dies before listening
      port="$(sed -nE 's/.*--listenPort ([0-9]+).*/\\1/p' "$FAKE/units/capture-proxy.service")"
      echo capture-proxy > "$listening/$port"
    fi
    exit 0 ;;
  *) echo "fake systemctl: unsupported $cmd" >&2; exit 1 ;;
esac
`;

const ORIGINAL_YML = 'cluster.name: source\nnode.name: coord-1\nhttp.port: 9200\nnetwork.host: 0.0.0.0\n';

interface Node {
  dir: string;
  yml: string;
  run(script: string, env?: Record<string, string>): { status: number | null; stderr: string };
  listening(port: number): string | undefined;
}

function fakeNode(yml = ORIGINAL_YML): Node {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-node-'));
  for (const d of ['bin', 'etc', 'units', 'artifact/dist/capture-proxy', 'artifact/node_modules/dep']) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, 'etc/elasticsearch.yml'), yml);
  writeFileSync(path.join(dir, 'bin/systemctl'), FAKE_SYSTEMCTL);
  writeFileSync(path.join(dir, 'bin/check-port'), '#!/usr/bin/env bash\n[ -e "$FAKE/listening/$1" ]\n');
  for (const f of ['systemctl', 'check-port']) chmodSync(path.join(dir, 'bin', f), 0o755);
  writeFileSync(path.join(dir, 'artifact/dist/capture-proxy/cli.js'), 'console.log("proxy")\n');
  writeFileSync(path.join(dir, 'artifact/package.json'), '{"name":"@migration-assistant/runtime"}\n');
  const tar = spawnSync('tar', ['-czf', path.join(dir, 'capture-proxy.tgz'), '-C', path.join(dir, 'artifact'), '.']);
  expect(tar.status).toBe(0);
  return {
    dir,
    yml: path.join(dir, 'etc/elasticsearch.yml'),
    run(script, env = {}) {
      const r = spawnSync('bash', [script], {
        encoding: 'utf8',
        env: {
          PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
          FAKE: dir,
          ARTIFACT: path.join(dir, 'capture-proxy.tgz'),
          KAFKA_BROKERS: 'b-1.msk:9098,b-2.msk:9098',
          NODE_CONFIG: path.join(dir, 'etc/elasticsearch.yml'),
          SYSTEMD_UNIT_DIR: path.join(dir, 'units'),
          INSTALL_DIR: path.join(dir, 'opt/capture-proxy'),
          STATE_DIR: path.join(dir, 'state'),
          NODE_BIN: process.execPath,
          CHECK_PORT_CMD: path.join(dir, 'bin/check-port'),
          PORT_WAIT_SECONDS: '2',
          ...env,
        },
      });
      return { status: r.status, stderr: r.stderr };
    },
    listening(port) {
      const f = path.join(dir, 'listening', String(port));
      return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
    },
  };
}

const unitFile = (n: Node) => path.join(n.dir, 'units/capture-proxy.service');
let nodes: Node[] = [];
afterEach(() => {
  for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
  nodes = [];
});
function node(yml?: string): Node {
  const n = fakeNode(yml);
  nodes.push(n);
  return n;
}

test('first install moves the node to 19200 and runs the proxy on 9200 with MSK IAM auth', () => {
  const n = node();
  const r = n.run(INSTALL_SCRIPT);
  expect(r.stderr).toContain('installed');
  expect(r.status).toBe(0);
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML.replace('http.port: 9200', 'http.port: 19200'));
  const unit = readFileSync(unitFile(n), 'utf8');
  expect(unit).toMatch(/ExecStart=\S+node --initial-old-space-size=64 \S+\/opt\/capture-proxy\/app\/dist\/capture-proxy\/cli\.js /);
  expect(unit).toContain('--destinationUri http://localhost:19200 --listenPort 9200 --kafkaConnection b-1.msk:9098,b-2.msk:9098 --kafkaTopic logging-traffic-topic');
  expect(unit).toContain('--enableMSKAuth');
  expect(n.listening(19200)).toBe('elasticsearch');
  expect(n.listening(9200)).toBe('capture-proxy');
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app/dist/capture-proxy/cli.js'))).toBe(true);
});

test('reinstall is idempotent and keeps the original port for removal', () => {
  const n = node();
  expect(n.run(INSTALL_SCRIPT).status).toBe(0);
  const r = n.run(INSTALL_SCRIPT, { PROXY_EXTRA_ARGS: '--maxTrafficBufferSize 524288' });
  expect(r.status).toBe(0);
  const yml = readFileSync(n.yml, 'utf8');
  expect(yml.match(/http\.port/g)).toHaveLength(1);
  expect(yml).toContain('http.port: 19200');
  expect(readFileSync(unitFile(n), 'utf8')).toContain('--maxTrafficBufferSize 524288');
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
  const r = n.run(INSTALL_SCRIPT, { FAKE_PROXY_FAILS: '1', PROXY_EXTRA_ARGS: '--noCapture' });
  expect(r.status).not.toBe(0);
  expect(readFileSync(unitFile(n), 'utf8')).toBe(before);
  expect(readFileSync(n.yml, 'utf8')).toContain('http.port: 19200');
  expect(n.listening(19200)).toBe('elasticsearch');
  // The fake keeps failing the proxy, so check that rollback started the restored unit again.
  const calls = readFileSync(path.join(n.dir, 'systemctl.log'), 'utf8').trim().split('\n');
  expect(calls.at(-1)).toBe('start capture-proxy.service');
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app/dist/capture-proxy/cli.js'))).toBe(true);
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy/app.prev'))).toBe(false);
});

test('install refuses, before touching the node, an artifact without the proxy', () => {
  const n = node();
  const bad = path.join(n.dir, 'bad.tgz');
  expect(spawnSync('tar', ['-czf', bad, '-C', path.join(n.dir, 'etc'), '.']).status).toBe(0);
  const r = n.run(INSTALL_SCRIPT, { ARTIFACT: bad });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('no dist/capture-proxy/cli.js');
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML);
  expect(n.listening(9200)).toBe('elasticsearch');
});

test('removal after cutover gives 9200 back to the node and removes the unit', () => {
  const n = node();
  expect(n.run(INSTALL_SCRIPT).status).toBe(0);
  const r = n.run(REMOVE_SCRIPT);
  expect(r.status).toBe(0);
  expect(readFileSync(n.yml, 'utf8')).toBe(ORIGINAL_YML);
  expect(existsSync(unitFile(n))).toBe(false);
  expect(existsSync(path.join(n.dir, 'opt/capture-proxy'))).toBe(false);
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
