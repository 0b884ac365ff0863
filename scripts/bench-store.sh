#!/usr/bin/env bash
# Storage write benchmark: SQLite, and PostgreSQL with binary COPY vs
# multi-row INSERT, at several batch sizes. Starts a throwaway PostgreSQL
# cluster (Debian's binaries) on a free loopback port and removes it after.
# Usage: scripts/bench-store.sh [--rows N] [--batches 500,5000] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
dir=$(mktemp -d /tmp/sysmonstm-bench-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
cleanup() { as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
# Durable settings (fsync on), as a production server would run.
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null

cargo build --release -q -p sysmonstm-hub --example store_bench
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $("$bin/postgres" --version)"
time DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" target/release/examples/store_bench "$@"
