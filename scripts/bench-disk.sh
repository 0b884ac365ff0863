#!/usr/bin/env bash
# History on disk: bytes per stored sample in steady state, for the load
# generator's jittered and walking samples, on SQLite and PostgreSQL, and
# VictoriaMetrics given exactly the same values over its import API (its
# data directory after a forced flush and merge); the write CPU per sample
# of each (PostgreSQL's and VictoriaMetrics' own processes counted); and
# the history queries' times (1 hour raw of a fleet machine; 30 days at
# 1-hour resolution of a machine with a month of history).
# Feeds the real stores on a simulated clock (bench/examples/store_size):
# 12 simulated minutes of warm-up, then 60 measured, 300 machines at 1 Hz.
# Starts throwaway PostgreSQL and VictoriaMetrics servers on loopback.
# Usage: scripts/bench-disk.sh [--compact-after 10m] (later flags win)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

cargo build --release -q -p sysmonstm-bench --example store_size
start_postgres
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $("$PG_BIN/postgres" --version); victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null || echo '?')"
run() { target/release/examples/store_size --machines 300 --warmup 12m --measure 60m --history-days 30 --json "$@"; }
for values in jitter walk; do
  start_victoria
  run --values "$values" --victoria-url "$VM_URL" --victoria-data "$VM_DATA" --victoria-pid "$VM_PID" "$@"
  kill "$VM_PID"; wait "$VM_PID" 2>/dev/null || true; VM_PID=
  psql_db="${values}_db"
  "$PG_BIN/psql" "$PG_URL" -qc "CREATE DATABASE $psql_db" >/dev/null
  run --values "$values" --database-url "${PG_URL%/postgres}/$psql_db" "$@"
done
