#!/usr/bin/env bash
# Reproduces BENCHMARKS.md in one run:
#   1. the hub under simulated fleets with embedded storage (SQLite): for each
#      size a fresh release hub and the load generator on the same machine;
#   2. the same with PostgreSQL: a throwaway cluster (Debian's binaries,
#      durable settings) on a free loopback port, removed afterwards;
#   3. the agent side by side with node_exporter (scripts/bench-agent.sh).
# Prints the load generator's table per run, then one JSON line per run.
#
# Usage: scripts/bench.sh [--agents "100 1000 2000 5000 10000"] [--duration 60s]
#                         [--postgres-agents "2000 10000"] [--postgres URL | --no-postgres]
#                         [--agent-seconds 60 | --no-agent]
#                         [--hub-args "--compact-after 2m"] [--loadgen-args "--values walk"]
# (--hub-args and --loadgen-args are added to every hub's and load
# generator's command line: a run longer than --compact-after measures
# sealing too.)
set -euo pipefail
cd "$(dirname "$0")/.."

agents="100 1000 2000 5000 10000"
pg_agents="2000 10000"
duration="60s"
database=""
with_pg=true
agent_seconds=60
hub_args=""
loadgen_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --agents) agents="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --postgres-agents) pg_agents="$2"; shift 2 ;;
    --postgres) database="$2"; shift 2 ;;
    --no-postgres) with_pg=false; shift ;;
    --agent-seconds) agent_seconds="$2"; shift 2 ;;
    --no-agent) agent_seconds=0; shift ;;
    --hub-args) hub_args="$2"; shift 2 ;;
    --loadgen-args) loadgen_args="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
pg_dir=""
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$pg_dir" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

cargo build --release -q -p sysmonstm-hub -p sysmonstm-bench
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
results=()

# run_fleet STORAGE-LABEL DATABASE-URL SIZES
run_fleet() {
  local label=$1 url=$2 n data http grpc hub ramp line
  for n in $3; do
    data=$(mktemp -d /tmp/sysmonstm-bench.XXXXXX)
    http=$(free_port); grpc=$(free_port)
    target/release/sysmonstm-hub --no-local-agent --data-dir "$data" --http-addr "127.0.0.1:$http" \
      --grpc-addr "127.0.0.1:$grpc" ${url:+--database-url "$url"} --log-format json $hub_args 2>"$data/hub.log" &
    hub=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null 2>&1 && break; sleep 0.1; done
    ramp=$(( n / 500 + 2 ))s
    echo "== $label: $n agents, $duration after a ${ramp} ramp"
    line=$(target/release/sysmonstm-loadgen --hub "http://127.0.0.1:$grpc" --ws-url "ws://127.0.0.1:$http/ws" \
      --agents "$n" --duration "$duration" --ramp "$ramp" --hub-pid "$hub" --json $loadgen_args | tee -a /dev/stderr | tail -n 1) || true
    results+=("{\"storage\":\"$label\",${line#\{}")
    kill -TERM "$hub"; wait "$hub" 2>/dev/null || true
    rm -rf "$data"
  done
}

run_fleet sqlite "" "$agents"

if $with_pg && [ -n "$pg_agents" ]; then
  if [ -z "$database" ]; then
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    pg_dir=$(mktemp -d /tmp/sysmonstm-bench-pg.XXXXXX)
    pg_port=$(free_port)
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    # Durable settings (fsync on), as a production server would run.
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o "-p $pg_port -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories=$pg_dir -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
    database="postgres://postgres@127.0.0.1:$pg_port/postgres"
    echo "PostgreSQL: $("$pg_bin/postgres" --version), throwaway cluster on port $pg_port"
  fi
  run_fleet postgres "$database" "$pg_agents"
fi

if [ "$agent_seconds" -gt 0 ]; then
  echo "== agent vs node_exporter, ${agent_seconds}s"
  results+=("$(scripts/bench-agent.sh --duration "$agent_seconds" | tee -a /dev/stderr | tail -n 1)")
fi

echo "== JSON"
printf '%s\n' "${results[@]}"
