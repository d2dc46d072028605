# Shared by install-capture-proxy.sh and remove-capture-proxy.sh (sourced; inlined into the SSM
# documents at synth): defaults, the node's config and service, and port checks.
# The caller sets SCRIPT_NAME first.

log() { echo "[$SCRIPT_NAME] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

LISTEN_PORT="${LISTEN_PORT:-9200}"
SYSTEMD_UNIT_DIR="${SYSTEMD_UNIT_DIR:-/etc/systemd/system}"
INSTALL_DIR="${INSTALL_DIR:-/opt/capture-proxy}"
STATE_DIR="${STATE_DIR:-/var/lib/capture-proxy}"
CONFIG_DIR="${CONFIG_DIR:-/etc/capture-proxy}"
ENV_FILE="$CONFIG_DIR/capture-proxy.env"
PORT_WAIT_SECONDS="${PORT_WAIT_SECONDS:-120}"
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
