#!/usr/bin/env bash
# The compose topology as plain processes on loopback, for machines without a
# container engine (and for CI): PostgreSQL, Redis, two hubs sharing them,
# three agents (two on hub 1 with failover to hub 2, one on hub 2) and the
# public relay fed by hub 1.
#
#   scripts/stack.sh            start, print the URLs, stop everything on Ctrl-C
#   scripts/stack.sh --check    start, check every service answers /health and
#                               every machine reaches both hubs and the relay,
#                               stop, exit 0 on success
#
# Binaries come from $SYSMONSTM_BIN_DIR (default target/release, built if
# missing). Needs Debian's postgresql and redis-server (scripts/test.sh
# installs them). All state lives in a temporary directory, removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=false
case "${1:-}" in
  --check) CHECK=true ;;
  "") ;;
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
  *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

BIN_DIR="${SYSMONSTM_BIN_DIR:-target/release}"
if [ ! -x "$BIN_DIR/sysmonstm-hub" ] || [ ! -x "$BIN_DIR/sysmonstm-agent" ] || [ ! -x "$BIN_DIR/sysmonstm-relay" ]; then
  [ -n "${SYSMONSTM_BIN_DIR:-}" ] && { echo "no sysmonstm binaries in $BIN_DIR" >&2; exit 1; }
  echo "==> building release binaries"
  cargo build --release --locked -p sysmonstm-hub -p sysmonstm-agent -p sysmonstm-relay
fi
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL not found (apt-get install postgresql)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port); REDIS_PORT=$(free_port); RELAY_PORT=$(free_port)
HUB1_HTTP=$(free_port); HUB1_GRPC=$(free_port); HUB2_HTTP=$(free_port); HUB2_GRPC=$(free_port)
RELAY_KEY="stack-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
WORK="$(mktemp -d /tmp/sysmonstm-stack.XXXXXX)"
chmod 755 "$WORK"
PIDS=()

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$WORK/pg/postmaster.pid" ] && kill -INT "$(head -1 "$WORK/pg/postmaster.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # name, command...
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}
wait_for() { # what, command...
  local what=$1; shift
  for _ in $(seq 1 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "FAILED: $what did not come up; its log:" >&2
  tail -20 "$WORK/${what%% *}.log" >&2 2>/dev/null || true
  exit 1
}

echo "==> PostgreSQL on 127.0.0.1:$PG_PORT"
mkdir -p "$WORK/pg" && [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
as_postgres "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust --no-sync -E UTF8 >"$WORK/initdb.log"
start postgres as_postgres "$PG_BIN/postgres" -D "$WORK/pg" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories="$WORK/pg" -c fsync=off
wait_for postgres "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -U postgres
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

echo "==> Redis on 127.0.0.1:$REDIS_PORT"
start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK"
wait_for redis redis-cli -p "$REDIS_PORT" ping
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

echo "==> relay on 127.0.0.1:$RELAY_PORT"
start relay "$BIN_DIR/sysmonstm-relay" --listen "127.0.0.1:$RELAY_PORT" --api-key "$RELAY_KEY"
wait_for relay "$BIN_DIR/sysmonstm-relay" --listen "127.0.0.1:$RELAY_PORT" --check-health

hub() { # n, http, grpc, extra...
  local n=$1 http=$2 grpc=$3; shift 3
  start "hub$n" "$BIN_DIR/sysmonstm-hub" --http-addr "127.0.0.1:$http" --grpc-addr "127.0.0.1:$grpc" \
    --data-dir "$WORK/hub$n" --no-local-agent --hub-id "hub-$n" --database-url "$DATABASE_URL" --redis-url "$REDIS_URL" "$@"
  wait_for "hub$n" "$BIN_DIR/sysmonstm-hub" --http-addr "127.0.0.1:$http" --check-health
}
echo "==> hub 1 on http://127.0.0.1:$HUB1_HTTP (gRPC $HUB1_GRPC), feeding the relay"
hub 1 "$HUB1_HTTP" "$HUB1_GRPC" --relay-url "ws://127.0.0.1:$RELAY_PORT/ingest" --relay-api-key "$RELAY_KEY"
echo "==> hub 2 on http://127.0.0.1:$HUB2_HTTP (gRPC $HUB2_GRPC)"
hub 2 "$HUB2_HTTP" "$HUB2_GRPC"

HUB1="http://127.0.0.1:$HUB1_GRPC" HUB2="http://127.0.0.1:$HUB2_GRPC"
echo "==> agents stack-1, stack-2 (hub 1, failing over to hub 2) and stack-3 (hub 2)"
start agent1 "$BIN_DIR/sysmonstm-agent" --hub "$HUB1,$HUB2" --machine-id stack-1
start agent2 "$BIN_DIR/sysmonstm-agent" --hub "$HUB1,$HUB2" --machine-id stack-2
start agent3 "$BIN_DIR/sysmonstm-agent" --hub "$HUB2,$HUB1" --machine-id stack-3

# Every machine online at `url`/api/machines.
all_online() {
  curl -fsS "$1/api/machines" | python3 -c '
import json, sys
online = {m["machine_id"] for m in json.load(sys.stdin) if m["status"] == "online"}
sys.exit(0 if {"stack-1", "stack-2", "stack-3"} <= online else 1)'
}

if $CHECK; then
  for url in "http://127.0.0.1:$HUB1_HTTP" "http://127.0.0.1:$HUB2_HTTP" "http://127.0.0.1:$RELAY_PORT"; do
    wait_for "machines at $url" all_online "$url"
    curl -fsS "$url/health" >/dev/null
    echo "ok: $url/health answers and lists stack-1, stack-2, stack-3 online"
  done
  for n in 1 2; do
    port_var="HUB${n}_HTTP"
    ready=$(curl -fsS "http://127.0.0.1:${!port_var}/ready")
    echo "$ready" | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if r["status"]=="ready" and r["redis"]["ok"] else 1)' \
      || { echo "FAILED: hub $n not ready: $ready" >&2; exit 1; }
    echo "ok: hub $n ready (store and Redis)"
  done
  echo "stack check passed"
  exit 0
fi

cat <<INFO

sysmonstm stack is up (logs in $WORK):
  hub 1 dashboard   http://127.0.0.1:$HUB1_HTTP
  hub 2 dashboard   http://127.0.0.1:$HUB2_HTTP
  public relay      http://127.0.0.1:$RELAY_PORT
  PostgreSQL        $DATABASE_URL
  Redis             $REDIS_URL
Ctrl-C stops everything.
INFO
wait
