# Throwaway servers for the bench scripts (sourced): Debian's PostgreSQL
# and VictoriaMetrics, on free loopback ports, in temp dirs removed at exit.
# After start_postgres: $PG_URL. After start_victoria: $VM_URL, $VM_DATA, $VM_PID.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SERVICES_DIRS=()
services_cleanup() {
  if [ -n "${PG_DIR:-}" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true; fi
  if [ -n "${VM_PID:-}" ]; then kill "$VM_PID" 2>/dev/null || true; wait "$VM_PID" 2>/dev/null || true; fi
  for d in "${SERVICES_DIRS[@]}"; do rm -rf "$d"; done
}
trap services_cleanup EXIT

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# PostgreSQL with durable settings (fsync on), as a production server runs.
start_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PG_DIR=$(mktemp -d /tmp/sysmonstm-bench-pg.XXXXXX)
  SERVICES_DIRS+=("$PG_DIR")
  local port; port=$(free_port)
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR -c shared_buffers=512MB -c max_wal_size=4GB" \
    start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

# Debian's victoria-metrics (installed when missing), defaults otherwise.
start_victoria() {
  if ! command -v victoria-metrics >/dev/null 2>&1; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends victoria-metrics >/dev/null
  fi
  local port; port=$(free_port)
  VM_DATA=$(mktemp -d /tmp/sysmonstm-bench-vm.XXXXXX)
  SERVICES_DIRS+=("$VM_DATA")
  victoria-metrics -storageDataPath "$VM_DATA" -httpListenAddr "127.0.0.1:$port" -retentionPeriod 100y \
    >"$VM_DATA.log" 2>&1 &
  VM_PID=$!
  VM_URL="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -fs "$VM_URL/health" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "VictoriaMetrics did not start: $(cat "$VM_DATA.log")" >&2; return 1
}
