import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { releaseName, releaseUnit } from '../../lib/capture-proxy/release/release-tarball';

/*
 * A fake coordinator node for the real install/remove scripts: a temp dir with elasticsearch.yml,
 * a systemd unit dir, and a systemctl stand-in on PATH. The node "listens" on its configured
 * http.port through a marker file. The proxy either does the same (a stub release), or, with a
 * real release, really runs: its unit's ExecStart with the unit's environment file, as systemd
 * would, from a PATH that holds no Node.js.
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
stop_proxy() {
  [ -f "$FAKE/active/proxy.pid" ] || return 0
  pid="$(cat "$FAKE/active/proxy.pid")"; rm -f "$FAKE/active/proxy.pid"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
case "$cmd" in
  daemon-reload|enable|disable) exit 0 ;;
  is-active) [ -e "$FAKE/active/$unit" ]; exit $? ;;
  stop) free "$unit"; [ "$unit" = capture-proxy ] && stop_proxy; rm -f "$FAKE/active/$unit"; exit 0 ;;
  start|restart)
    free "$unit"; touch "$FAKE/active/$unit"
    if [ "$unit" = elasticsearch ]; then
      port="$(sed -nE 's/^[[:space:]]*http\\.port[[:space:]]*:[[:space:]]*([0-9]+).*/\\1/p' "$FAKE/etc/elasticsearch.yml" | tail -n 1)"
      echo elasticsearch > "$listening/\${port:-9200}"
    elif [ "$unit" = capture-proxy ]; then
      [ "\${FAKE_PROXY_FAILS:-0}" = 1 ] && exit 0   # starts, then dies before listening
      unitfile="$FAKE/units/capture-proxy.service"
      envfile="$(sed -n 's/^EnvironmentFile=//p' "$unitfile")"
      if [ "\${FAKE_RUN_PROXY:-0}" = 1 ]; then
        stop_proxy
        exec_start="$(sed -n 's/^ExecStart=//p' "$unitfile")"
        # systemd: the environment file's variables, $PROXY_ARGS split into words; the journal in
        # the state directory (here under FAKE); no Node.js on PATH.
        env_args=(); while IFS= read -r line; do case "$line" in ''|'#'*) ;; *) env_args+=("$line") ;; esac; done < "$envfile"
        PROXY_ARGS="$(sed -n 's/^PROXY_ARGS=//p' "$envfile")"
        # shellcheck disable=SC2086
        setsid env -i PATH="$FAKE/bin" HOME="$FAKE" "\${env_args[@]}" CAPTURE_PROXY_JOURNAL_DIRECTORY="$FAKE/journal" \\
          \${exec_start/\\$PROXY_ARGS/$PROXY_ARGS} > "$FAKE/proxy.log" 2>&1 < /dev/null &
        echo $! > "$FAKE/active/proxy.pid"
      else
        port="$(sed -nE 's/.*--listenPort ([0-9]+).*/\\1/p' "$envfile")"
        echo capture-proxy > "$listening/$port"
      fi
    fi
    exit 0 ;;
  *) echo "fake systemctl: unsupported $cmd" >&2; exit 1 ;;
esac
`;

/** A stub of the release's executable: answers --help, nothing else. */
const STUB_EXECUTABLE = '#!/usr/bin/env bash\n[ "${1:-}" = --help ] && { echo "Usage: capture-proxy [options]"; exit 0; }\nexit 1\n';

export const ORIGINAL_YML = 'cluster.name: source\nnode.name: coord-1\nhttp.port: 9200\nnetwork.host: 0.0.0.0\n';

export interface FakeNode {
  dir: string;
  yml: string;
  unitFile: string;
  envFile: string;
  run(script: string, env?: Record<string, string>): { status: number | null; stderr: string };
  /** Who listens on a port through a marker file (the fake node, or a stub proxy). */
  listening(port: number): string | undefined;
  remove(): void;
}

/** Tools the scripts use, linked into the node's bin: its PATH has nothing else (no node, no npm). */
const TOOLS = ['bash', 'env', 'setsid', 'sed', 'grep', 'cat', 'cp', 'mv', 'rm', 'mkdir', 'mktemp', 'tar', 'gzip', 'find', 'head', 'tail', 'dirname', 'basename', 'rmdir', 'sleep', 'seq', 'kill', 'xargs', 'uname', 'hostname', 'touch', 'printf'];

function which(tool: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) if (existsSync(path.join(dir, tool))) return path.join(dir, tool);
  return undefined;
}

/**
 * A fake node. `release` is a real CaptureProxyX64.tar.gz to install; without it, a stub release
 * (the real unit, a stub executable) is packed.
 */
export function fakeNode(opts: { yml?: string; release?: string } = {}): FakeNode {
  const dir = mkdtempSync(path.join(tmpdir(), 'fake-node-'));
  for (const d of ['bin', 'etc', 'units', 'config']) mkdirSync(path.join(dir, d), { recursive: true });
  for (const tool of TOOLS) {
    const found = which(tool);
    if (found) symlinkSync(found, path.join(dir, 'bin', tool));
  }
  const yml = opts.yml ?? ORIGINAL_YML;
  writeFileSync(path.join(dir, 'etc/elasticsearch.yml'), yml);
  // The node is up on its port before anything happens.
  mkdirSync(path.join(dir, 'listening'));
  writeFileSync(path.join(dir, 'listening', /^http\.port:\s*(\d+)/m.exec(yml)?.[1] ?? '9200'), 'elasticsearch\n');
  writeFileSync(path.join(dir, 'bin/systemctl'), FAKE_SYSTEMCTL);
  writeFileSync(path.join(dir, 'bin/check-port'), '#!/usr/bin/env bash\n[ -e "$FAKE/listening/$1" ] || (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null\n');
  for (const f of ['systemctl', 'check-port']) chmodSync(path.join(dir, 'bin', f), 0o755);
  let release = opts.release;
  if (!release) {
    const name = releaseName('x64');
    const root = path.join(dir, 'release', name);
    mkdirSync(path.join(root, 'bin'), { recursive: true });
    writeFileSync(path.join(root, 'bin', name), STUB_EXECUTABLE, { mode: 0o755 });
    writeFileSync(path.join(root, 'capture-proxy.service'), releaseUnit('x64'));
    release = path.join(dir, `${name}.tar.gz`);
    expect(spawnSync('tar', ['-czf', release, '-C', path.join(dir, 'release'), name]).status).toBe(0);
  }
  const node: FakeNode = {
    dir,
    yml: path.join(dir, 'etc/elasticsearch.yml'),
    unitFile: path.join(dir, 'units/capture-proxy.service'),
    envFile: path.join(dir, 'config/capture-proxy.env'),
    run(script, env = {}) {
      const r = spawnSync(path.join(dir, 'bin', 'bash'), [script], {
        encoding: 'utf8',
        env: {
          PATH: path.join(dir, 'bin'),
          FAKE: dir,
          ARCH: 'x64',
          ARTIFACT: release!,
          KAFKA_BROKERS: 'b-1.msk:9098,b-2.msk:9098',
          AWS_REGION: 'us-east-1',
          NODE_CONFIG: path.join(dir, 'etc/elasticsearch.yml'),
          SYSTEMD_UNIT_DIR: path.join(dir, 'units'),
          INSTALL_DIR: path.join(dir, 'opt/capture-proxy'),
          STATE_DIR: path.join(dir, 'state'),
          CONFIG_DIR: path.join(dir, 'config'),
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
    remove() {
      spawnSync(path.join(dir, 'bin', 'systemctl'), ['stop', 'capture-proxy.service'], { env: { FAKE: dir, PATH: path.join(dir, 'bin') } });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return node;
}
