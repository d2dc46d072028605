#!/usr/bin/env bash
# Installs the capture proxy on an Elasticsearch/OpenSearch coordinator node: the node's HTTP port
# moves to NODE_PORT, the proxy (one executable, no Node.js needed, run by the release's systemd
# unit) takes LISTEN_PORT and records traffic to Kafka. Safe to run again (reinstall/upgrade). On
# any failure the node's config, the previous proxy (if any) and the node's service are put back
# as they were, and the script exits non-zero; the node is not restarted unless it was changed.
#
# Inputs (environment; defaults are for a production node):
#   ARTIFACT          CaptureProxyX64.tar.gz / CaptureProxyArm64.tar.gz, or a directory holding them (required)
#   ARCH              x64|arm64, default: this machine's (uname -m)
#   KAFKA_BROKERS     bootstrap brokers host:port,... (required)
#   KAFKA_TOPIC       default logging-traffic-topic
#   ENABLE_MSK_AUTH   true|false, default true (SASL/IAM over TLS; needs AWS_REGION)
#   AWS_REGION        the region of MSK, written to the proxy's environment
#   LISTEN_PORT       default 9200          NODE_PORT   default 19200
#   DESTINATION_SCHEME http|https, default http; INSECURE_DESTINATION true|false, default false
#   PROXY_EXTRA_ARGS  appended to the proxy's command line (split on spaces)
#   NODE_CONFIG       elasticsearch.yml or opensearch.yml; default: the one found under /etc
#   NODE_SERVICE      systemd unit of the node; default elasticsearch or opensearch, from NODE_CONFIG
#   SYSTEMD_UNIT_DIR  default /etc/systemd/system     INSTALL_DIR default /opt/capture-proxy
#   STATE_DIR         default /var/lib/capture-proxy  CONFIG_DIR  default /etc/capture-proxy
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

[ -n "${ARTIFACT:-}" ] || die "ARTIFACT is not set: give the path of CaptureProxyX64.tar.gz (or of a directory holding it)"
[ -n "${KAFKA_BROKERS:-}" ] || die "KAFKA_BROKERS is not set: give the MSK bootstrap brokers (host:9098,...)"
[[ "$LISTEN_PORT" =~ ^[0-9]+$ && "$NODE_PORT" =~ ^[0-9]+$ ]] || die "LISTEN_PORT and NODE_PORT must be port numbers (got '$LISTEN_PORT', '$NODE_PORT')"
[ "$LISTEN_PORT" != "$NODE_PORT" ] || die "LISTEN_PORT and NODE_PORT must differ (both $LISTEN_PORT)"
if [ "$ENABLE_MSK_AUTH" = true ] && [ -z "${AWS_REGION:-}" ]; then die "ENABLE_MSK_AUTH=true needs AWS_REGION (the region of the MSK cluster)"; fi

case "${ARCH:-$(uname -m)}" in
  x64 | x86_64 | amd64) RELEASE=CaptureProxyX64 ;;
  arm64 | aarch64) RELEASE=CaptureProxyArm64 ;;
  *) die "no capture proxy release for CPU '${ARCH:-$(uname -m)}' (x86_64 and aarch64 are built)" ;;
esac
if [ -d "$ARTIFACT" ]; then
  # Named so by hand or by user data; SSM's download keeps the S3 key's name, in a directory named so.
  found="$(find "$ARTIFACT" -maxdepth 3 -type f \( -name "$RELEASE.tar.gz" -o -path "*/$RELEASE/*.tar.gz" \) | head -n 1)"
  [ -n "$found" ] || die "no $RELEASE.tar.gz in directory $ARTIFACT"
  ARTIFACT="$found"
fi
[ -f "$ARTIFACT" ] || die "ARTIFACT $ARTIFACT does not exist"

# Sets http.port in the node's YAML: replaces the existing key, or appends it.
set_http_port() { # file port
  if grep -Eq '^[[:space:]]*http\.port[[:space:]]*:' "$1"; then
    sed -i -E "s/^[[:space:]]*http\.port[[:space:]]*:.*/http.port: $2/" "$1"
  else
    if [ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ]; then echo >>"$1"; fi
    printf 'http.port: %s\n' "$2" >>"$1"
  fi
}

mkdir -p "$STATE_DIR" "$INSTALL_DIR" "$SYSTEMD_UNIT_DIR" "$CONFIG_DIR"
run_dir="$(mktemp -d "$STATE_DIR/run.XXXXXX")"
# What the node had before the first install; removal gives it back. Kept across reinstalls.
if [ ! -f "$STATE_DIR/original-http-port" ]; then
  grep -E '^[[:space:]]*http\.port[[:space:]]*:' "$NODE_CONFIG" | tail -n 1 >"$STATE_DIR/original-http-port" || true
fi

# Snapshot for rollback: the config, the unit and its environment, the installed release.
cp -p "$NODE_CONFIG" "$run_dir/node-config"
had_unit=false
if [ -f "$SYSTEMD_UNIT_DIR/$PROXY_UNIT" ]; then had_unit=true; cp -p "$SYSTEMD_UNIT_DIR/$PROXY_UNIT" "$run_dir/unit"; fi
had_env=false
if [ -f "$ENV_FILE" ]; then had_env=true; cp -p "$ENV_FILE" "$run_dir/env"; fi
node_changed=false
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
  if $had_env; then cp -p "$run_dir/env" "$ENV_FILE"; else rm -f "$ENV_FILE"; fi
  rm -rf "$INSTALL_DIR/app.new"
  if $had_app && [ -d "$INSTALL_DIR/app.prev" ]; then rm -rf "$INSTALL_DIR/app"; mv "$INSTALL_DIR/app.prev" "$INSTALL_DIR/app"; fi
  if ! $had_app; then rm -rf "$INSTALL_DIR/app"; rm -f "$STATE_DIR/original-http-port"; fi
  systemctl daemon-reload
  if $node_changed; then systemctl restart "$NODE_SERVICE" || log "could not restart $NODE_SERVICE: check it by hand"; fi
  if $proxy_was_active; then systemctl start "$PROXY_UNIT" || log "could not restart the previous capture proxy"; fi
  rm -rf "$run_dir"
  if $node_changed; then log "rolled back: $NODE_CONFIG restored, $NODE_SERVICE restarted"; else log "rolled back: $NODE_SERVICE was not touched"; fi
  exit "$status"
}
trap rollback ERR

# 1. Unpack the new release next to the current one, and check that it runs on this node (CPU,
#    C library) before anything else changes.
rm -rf "$INSTALL_DIR/app.new"
mkdir -p "$INSTALL_DIR/app.new"
tar -xzf "$ARTIFACT" -C "$INSTALL_DIR/app.new" --no-same-owner
exe="$INSTALL_DIR/app.new/$RELEASE/bin/$RELEASE"
[ -x "$exe" ] || { log "the artifact has no $RELEASE/bin/$RELEASE"; false; }
if ! check_output="$("$exe" --help 2>&1 >/dev/null)"; then log "$exe does not run on this node: ${check_output:-no output} (it needs Linux $(uname -m) with glibc 2.28 or newer)"; false; fi
rm -rf "$INSTALL_DIR/app.prev"
if $had_app; then mv "$INSTALL_DIR/app" "$INSTALL_DIR/app.prev"; fi
mv "$INSTALL_DIR/app.new" "$INSTALL_DIR/app"

# 2. The release's unit, pointed at this install, and its environment: the proxy's command line.
args=(--destinationUri "$DESTINATION_SCHEME://localhost:$NODE_PORT" --listenPort "$LISTEN_PORT" --kafkaConnection "$KAFKA_BROKERS" --kafkaTopic "$KAFKA_TOPIC" --kafkaClientId "capture-proxy-$(hostname 2>/dev/null || echo node)")
if [ "$ENABLE_MSK_AUTH" = true ]; then args+=(--enableMSKAuth); fi
if [ "$INSECURE_DESTINATION" = true ]; then args+=(--insecureDestination); fi
# shellcheck disable=SC2206 # extra args are deliberately split on spaces
if [ -n "$PROXY_EXTRA_ARGS" ]; then extra=($PROXY_EXTRA_ARGS); args+=("${extra[@]}"); fi
{
  echo "# Written by install-capture-proxy.sh; the proxy's flags (also CAPTURE_PROXY_<FLAG> variables)."
  echo "PROXY_ARGS=${args[*]}"
  if [ -n "${AWS_REGION:-}" ]; then echo "AWS_REGION=$AWS_REGION"; fi
} >"$ENV_FILE"
sed -e "s|/opt/$RELEASE|$INSTALL_DIR/app/$RELEASE|g" \
  -e "s|^EnvironmentFile=.*|EnvironmentFile=$ENV_FILE|" \
  -e "s|^Description=.*|Description=Migration Assistant capture proxy (port $LISTEN_PORT -> $NODE_SERVICE on $NODE_PORT)|" \
  -e "s|^After=.*|After=network-online.target $NODE_SERVICE.service|" \
  "$INSTALL_DIR/app/$RELEASE/capture-proxy.service" >"$SYSTEMD_UNIT_DIR/$PROXY_UNIT"

# 3. Move the node to NODE_PORT, then put the proxy on LISTEN_PORT.
systemctl stop "$PROXY_UNIT" >/dev/null 2>&1 || true
node_changed=true
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
