#!/usr/bin/env bash
# Installs the capture proxy on an Elasticsearch/OpenSearch coordinator node: the node's HTTP port
# moves to NODE_PORT, the proxy (a systemd unit) takes LISTEN_PORT and records traffic to Kafka.
# Safe to run again (reinstall/upgrade). On any failure the node's config, the previous proxy
# (if any) and the node's service are put back as they were, and the script exits non-zero.
#
# Inputs (environment; defaults are for a production node):
#   ARTIFACT          capture-proxy.tgz, or a directory holding it (required)
#   KAFKA_BROKERS     bootstrap brokers host:port,... (required)
#   KAFKA_TOPIC       default logging-traffic-topic
#   ENABLE_MSK_AUTH   true|false, default true (SASL/IAM over TLS)
#   LISTEN_PORT       default 9200          NODE_PORT   default 19200
#   DESTINATION_SCHEME http|https, default http; INSECURE_DESTINATION true|false, default false
#   PROXY_EXTRA_ARGS  appended to the proxy's command line (split on spaces)
#   NODE_CONFIG       elasticsearch.yml or opensearch.yml; default: the one found under /etc
#   NODE_SERVICE      systemd unit of the node; default elasticsearch or opensearch, from NODE_CONFIG
#   SYSTEMD_UNIT_DIR  default /etc/systemd/system     INSTALL_DIR default /opt/capture-proxy
#   STATE_DIR         default /var/lib/capture-proxy  NODE_BIN    default: node on PATH
#   CHECK_PORT_CMD    command given a port, succeeds when something listens; default: bash /dev/tcp
#   PORT_WAIT_SECONDS default 120
set -Eeuo pipefail

SCRIPT_NAME=install-capture-proxy
source "$(dirname "${BASH_SOURCE[0]}")/node-common.sh"

KAFKA_TOPIC="${KAFKA_TOPIC:-logging-traffic-topic}"
ENABLE_MSK_AUTH="${ENABLE_MSK_AUTH:-true}"
NODE_PORT="${NODE_PORT:-19200}"
DESTINATION_SCHEME="${DESTINATION_SCHEME:-http}"
INSECURE_DESTINATION="${INSECURE_DESTINATION:-false}"
PROXY_EXTRA_ARGS="${PROXY_EXTRA_ARGS:-}"

[ -n "${ARTIFACT:-}" ] || die "ARTIFACT is not set: give the path of capture-proxy.tgz"
[ -n "${KAFKA_BROKERS:-}" ] || die "KAFKA_BROKERS is not set: give the MSK bootstrap brokers (host:9098,...)"
[[ "$LISTEN_PORT" =~ ^[0-9]+$ && "$NODE_PORT" =~ ^[0-9]+$ ]] || die "LISTEN_PORT and NODE_PORT must be port numbers (got '$LISTEN_PORT', '$NODE_PORT')"
[ "$LISTEN_PORT" != "$NODE_PORT" ] || die "LISTEN_PORT and NODE_PORT must differ (both $LISTEN_PORT)"

if [ -d "$ARTIFACT" ]; then
  found="$(find "$ARTIFACT" -maxdepth 2 -type f -name '*.tgz' | head -n 1)"
  [ -n "$found" ] || die "no .tgz artifact in directory $ARTIFACT"
  ARTIFACT="$found"
fi
[ -f "$ARTIFACT" ] || die "ARTIFACT $ARTIFACT does not exist"

NODE_BIN="${NODE_BIN:-$(command -v node || true)}"
# V8 starts a full GC every ~60 ms under capture load when the old generation's first limit is
# small (runtime/src/capture-proxy/node-flags.ts says why); the same flag as the image's.
PROXY_NODE_FLAGS="--initial-old-space-size=64"
[ -n "$NODE_BIN" ] || die "Node.js is not installed: the capture proxy needs node 20 or later on PATH (or set NODE_BIN)"
node_major="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 20 ] || die "Node.js $node_major found at $NODE_BIN: the capture proxy needs node 20 or later"

# Sets http.port in the node's YAML: replaces the existing key, or appends it.
set_http_port() { # file port
  if grep -Eq '^[[:space:]]*http\.port[[:space:]]*:' "$1"; then
    sed -i -E "s/^[[:space:]]*http\.port[[:space:]]*:.*/http.port: $2/" "$1"
  else
    if [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then echo >>"$1"; fi
    printf 'http.port: %s\n' "$2" >>"$1"
  fi
}

mkdir -p "$STATE_DIR" "$INSTALL_DIR" "$SYSTEMD_UNIT_DIR"
run_dir="$(mktemp -d "$STATE_DIR/run.XXXXXX")"
# What the node had before the first install; removal gives it back. Kept across reinstalls.
if [ ! -f "$STATE_DIR/original-http-port" ]; then
  grep -E '^[[:space:]]*http\.port[[:space:]]*:' "$NODE_CONFIG" | tail -n 1 >"$STATE_DIR/original-http-port" || true
fi

# Snapshot for rollback: the config, the unit, the installed release.
cp -p "$NODE_CONFIG" "$run_dir/node-config"
had_unit=false
if [ -f "$SYSTEMD_UNIT_DIR/$PROXY_UNIT" ]; then had_unit=true; cp -p "$SYSTEMD_UNIT_DIR/$PROXY_UNIT" "$run_dir/unit"; fi
had_app=false
if [ -d "$INSTALL_DIR/app" ]; then had_app=true; fi
proxy_was_active=false
if systemctl is-active --quiet "$PROXY_UNIT" 2>/dev/null; then proxy_was_active=true; fi

rollback() {
  local status=$?
  trap - ERR EXIT
  set +e
  log "install failed (exit $status): rolling back"
  systemctl stop "$PROXY_UNIT" >/dev/null 2>&1
  cp -p "$run_dir/node-config" "$NODE_CONFIG"
  if $had_unit; then cp -p "$run_dir/unit" "$SYSTEMD_UNIT_DIR/$PROXY_UNIT"; else rm -f "$SYSTEMD_UNIT_DIR/$PROXY_UNIT"; systemctl disable "$PROXY_UNIT" >/dev/null 2>&1; fi
  rm -rf "$INSTALL_DIR/app.new"
  if $had_app && [ -d "$INSTALL_DIR/app.prev" ]; then rm -rf "$INSTALL_DIR/app"; mv "$INSTALL_DIR/app.prev" "$INSTALL_DIR/app"; fi
  if ! $had_app; then rm -rf "$INSTALL_DIR/app"; rm -f "$STATE_DIR/original-http-port"; fi
  systemctl daemon-reload
  systemctl restart "$NODE_SERVICE" || log "could not restart $NODE_SERVICE: check it by hand"
  if $proxy_was_active; then systemctl start "$PROXY_UNIT" || log "could not restart the previous capture proxy"; fi
  rm -rf "$run_dir"
  log "rolled back: $NODE_CONFIG restored, $NODE_SERVICE restarted"
  exit "$status"
}
trap rollback ERR

# 1. Unpack the new release next to the current one.
rm -rf "$INSTALL_DIR/app.new"
mkdir -p "$INSTALL_DIR/app.new"
tar -xzf "$ARTIFACT" -C "$INSTALL_DIR/app.new"
[ -f "$INSTALL_DIR/app.new/dist/capture-proxy/cli.js" ] || { log "the artifact has no dist/capture-proxy/cli.js"; false; }
if [ ! -d "$INSTALL_DIR/app.new/node_modules" ]; then (cd "$INSTALL_DIR/app.new" && npm install --omit=dev --no-audit --no-fund); fi
rm -rf "$INSTALL_DIR/app.prev"
if $had_app; then mv "$INSTALL_DIR/app" "$INSTALL_DIR/app.prev"; fi
mv "$INSTALL_DIR/app.new" "$INSTALL_DIR/app"

# 2. The proxy's unit.
args=(--destinationUri "$DESTINATION_SCHEME://localhost:$NODE_PORT" --listenPort "$LISTEN_PORT" --kafkaConnection "$KAFKA_BROKERS" --kafkaTopic "$KAFKA_TOPIC" --kafkaClientId "capture-proxy-$(hostname 2>/dev/null || echo node)")
if [ "$ENABLE_MSK_AUTH" = true ]; then args+=(--enableMSKAuth); fi
if [ "$INSECURE_DESTINATION" = true ]; then args+=(--insecureDestination); fi
# shellcheck disable=SC2206 # extra args are deliberately split on spaces
if [ -n "$PROXY_EXTRA_ARGS" ]; then extra=($PROXY_EXTRA_ARGS); args+=("${extra[@]}"); fi
cat >"$SYSTEMD_UNIT_DIR/$PROXY_UNIT" <<UNIT
[Unit]
Description=Migration Assistant capture proxy (port $LISTEN_PORT -> $NODE_SERVICE on $NODE_PORT)
After=network-online.target $NODE_SERVICE.service
Wants=network-online.target

[Service]
Type=simple
ExecStart=$NODE_BIN $PROXY_NODE_FLAGS $INSTALL_DIR/app/dist/capture-proxy/cli.js ${args[*]}
Restart=on-failure
RestartSec=5
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
Environment=NODE_ENV=production

[Install]
WantedBy=multi-user.target
UNIT

# 3. Move the node to NODE_PORT, then put the proxy on LISTEN_PORT.
systemctl stop "$PROXY_UNIT" >/dev/null 2>&1 || true
set_http_port "$NODE_CONFIG" "$NODE_PORT"
systemctl daemon-reload
systemctl restart "$NODE_SERVICE"
wait_for_port "$NODE_PORT" "$NODE_SERVICE"
systemctl enable "$PROXY_UNIT"
systemctl restart "$PROXY_UNIT"
wait_for_port "$LISTEN_PORT" "capture proxy"

trap - ERR
rm -rf "$INSTALL_DIR/app.prev" "$run_dir"
log "installed: clients on $LISTEN_PORT reach $NODE_SERVICE on $NODE_PORT through the capture proxy (topic $KAFKA_TOPIC)"
