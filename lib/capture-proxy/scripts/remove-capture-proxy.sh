#!/usr/bin/env bash
# Removes the capture proxy from a coordinator node after cutover: stops and deletes its systemd
# unit, gives the node its HTTP port back (the http.port line it had before the first install, or
# none), restarts the node and checks that it answers on LISTEN_PORT again. Safe to run twice.
#
# Inputs (environment; defaults are for a production node), as for install-capture-proxy.sh:
#   LISTEN_PORT (9200), NODE_CONFIG, NODE_SERVICE, SYSTEMD_UNIT_DIR, INSTALL_DIR, STATE_DIR,
#   CONFIG_DIR, CHECK_PORT_CMD, PORT_WAIT_SECONDS; KEEP_INSTALL_DIR=true keeps the proxy's files.
set -Eeuo pipefail

SCRIPT_NAME=remove-capture-proxy
source "$(dirname "${BASH_SOURCE[0]}")/node-common.sh"

KEEP_INSTALL_DIR="${KEEP_INSTALL_DIR:-false}"

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
rm -f "$STATE_DIR/original-http-port" "$ENV_FILE"
rmdir "$CONFIG_DIR" 2>/dev/null || true
rmdir "$STATE_DIR" 2>/dev/null || true
log "removed: $NODE_SERVICE serves port $LISTEN_PORT again"
