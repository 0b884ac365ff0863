#!/usr/bin/env bash
# Hub load benchmark: for each fleet size, starts a fresh release hub
# (embedded storage; PostgreSQL with --postgres URL), runs the load generator
# on the same machine, and prints one result line per size, then the JSON.
#
# Usage: scripts/bench.sh [--agents "100 1000 2000 10000"] [--duration 60s] [--postgres postgres://…]
set -euo pipefail
cd "$(dirname "$0")/.."

agents="100 1000 2000"
duration="60s"
database=""
while [ $# -gt 0 ]; do
  case "$1" in
    --agents) agents="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --postgres) database="$2"; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"

cargo build --release -q -p sysmonstm-hub -p sysmonstm-bench
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r); storage: ${database:+postgres}${database:-sqlite}"
results=()
for n in $agents; do
  data=$(mktemp -d /tmp/sysmonstm-bench.XXXXXX)
  http=$(free_port); grpc=$(free_port)
  target/release/sysmonstm-hub --no-local-agent --data-dir "$data" --http-addr "127.0.0.1:$http" \
    --grpc-addr "127.0.0.1:$grpc" ${database:+--database-url "$database"} --log-format json 2>"$data/hub.log" &
  hub=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null 2>&1 && break; sleep 0.1; done
  ramp=$(( n / 500 + 2 ))s
  echo "== $n agents, $duration after a ${ramp} ramp"
  line=$(target/release/sysmonstm-loadgen --hub "http://127.0.0.1:$grpc" --ws-url "ws://127.0.0.1:$http/ws" \
    --agents "$n" --duration "$duration" --ramp "$ramp" --hub-pid "$hub" --json | tee /dev/stderr | tail -n 1) || true
  results+=("$line")
  kill -TERM "$hub"; wait "$hub" 2>/dev/null || true
  rm -rf "$data"
done
echo "== JSON"
printf '%s\n' "${results[@]}"
