#!/usr/bin/env bash
# Storage write benchmark: SQLite and PostgreSQL (binary COPY into recent
# rows) at several batch sizes. Starts a throwaway PostgreSQL cluster
# (Debian's binaries) on a free loopback port and removes it after.
# Usage: scripts/bench-store.sh [--rows N] [--batches 500,5000] [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/services.sh

start_postgres
cargo build --release -q -p sysmonstm-hub --example store_bench
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $("$PG_BIN/postgres" --version)"
time DATABASE_URL="$PG_URL" target/release/examples/store_bench "$@"
