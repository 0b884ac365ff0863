#!/usr/bin/env bash
# History on disk: bytes per stored sample in steady state, for the load
# generator's jittered and walking samples, with the store's CPU per sample.
# Feeds the real SQLite store on a simulated clock (bench/examples/store_size.rs):
# 12 simulated minutes of warm-up, then 10 measured, 300 machines at 1 Hz.
# Usage: scripts/bench-disk.sh [--compact-after 10m] (later flags win)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -q -p sysmonstm-bench --example store_size
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
for values in jitter walk; do
  target/release/examples/store_size --machines 300 --warmup 12m --measure 10m --values "$values" "$@"
done
