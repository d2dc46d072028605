#!/usr/bin/env bash
# Removes the capture proxy from a coordinator node after cutover: stops and deletes its systemd
# unit, gives the node its HTTP port back (the http.port line it had before the first install, or
# none), restarts the node and checks that it answers on LISTEN_PORT again. Safe to run twice.
#
# Inputs (environment; defaults are for a production node), as for install-capture-proxy.sh:
#   LISTEN_PORT (9200), NODE_CONFIG, NODE_SERVICE, SYSTEMD_UNIT_DIR, INSTALL_DIR, STATE_DIR,
#   CHECK_PORT_CMD, PORT_WAIT_SECONDS; KEEP_INSTALL_DIR=true keeps the proxy's files.
set -Eeuo pipefail

log() { echo "[remove-capture-proxy] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

LISTEN_PORT="${LISTEN_PORT:-9200}"
SYSTEMD_UNIT_DIR="${SYSTEMD_UNIT_DIR:-/etc/systemd/system}"
INSTALL_DIR="${INSTALL_DIR:-/opt/capture-proxy}"
STATE_DIR="${STATE_DIR:-/var/lib/capture-proxy}"
PORT_WAIT_SECONDS="${PORT_WAIT_SECONDS:-120}"
KEEP_INSTALL_DIR="${KEEP_INSTALL_DIR:-false}"
PROXY_UNIT=capture-proxy.service

if [ -z "${NODE_CONFIG:-}" ]; then
  for c in /etc/elasticsearch/elasticsearch.yml /etc/opensearch/opensearch.yml; do
    if [ -f "$c" ]; then NODE_CONFIG="$c"; break; fi
  done
  [ -n "${NODE_CONFIG:-}" ] || die "no elasticsearch.yml or opensearch.yml under /etc: set NODE_CONFIG to the node's config file"
fi
[ -f "$NODE_CONFIG" ] || die "NODE_CONFIG $NODE_CONFIG does not exist"
if [ -z "${NODE_SERVICE:-}" ]; then
  case "$(basename "$NODE_CONFIG")" in
    opensearch.yml) NODE_SERVICE=opensearch ;;
    *) NODE_SERVICE=elasticsearch ;;
  esac
fi

check_port() {
  if [ -n "${CHECK_PORT_CMD:-}" ]; then
    $CHECK_PORT_CMD "$1" >/dev/null 2>&1
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1
  fi
}

wait_for_port() { # port what
  local deadline=$((SECONDS + PORT_WAIT_SECONDS))
  until check_port "$1"; do
    if [ "$SECONDS" -ge "$deadline" ]; then log "$2 is not listening on port $1 after ${PORT_WAIT_SECONDS}s"; return 1; fi
    sleep 1
  done
  log "$2 listens on port $1"
}

# 1. The proxy frees the port.
if [ -f "$SYSTEMD_UNIT_DIR/$PROXY_UNIT" ]; then
  systemctl stop "$PROXY_UNIT" || true
  systemctl disable "$PROXY_UNIT" || true
  rm -f "$SYSTEMD_UNIT_DIR/$PROXY_UNIT"
  systemctl daemon-reload
  log "removed $PROXY_UNIT"
else
  log "no $PROXY_UNIT unit: nothing to stop"
fi

# 2. The node takes its port back: its original http.port line in place, or no line (the default).
original="$(cat "$STATE_DIR/original-http-port" 2>/dev/null || true)"
if [ -n "$original" ]; then
  escaped="$(printf '%s' "$original" | sed -e 's/[\\/&|]/\\&/g')"
  sed -i -E "s|^[[:space:]]*http\\.port[[:space:]]*:.*|$escaped|" "$NODE_CONFIG"
  grep -Fqx -- "$original" "$NODE_CONFIG" || printf '%s\n' "$original" >>"$NODE_CONFIG"
else
  sed -i -E '/^[[:space:]]*http\.port[[:space:]]*:/d' "$NODE_CONFIG"
fi
systemctl restart "$NODE_SERVICE"
wait_for_port "$LISTEN_PORT" "$NODE_SERVICE" || die "$NODE_SERVICE does not answer on $LISTEN_PORT: check $NODE_CONFIG and 'journalctl -u $NODE_SERVICE'"

# 3. Files.
if [ "$KEEP_INSTALL_DIR" != true ]; then rm -rf "$INSTALL_DIR"; fi
rm -f "$STATE_DIR/original-http-port"
rmdir "$STATE_DIR" 2>/dev/null || true
log "removed: $NODE_SERVICE serves port $LISTEN_PORT again"
