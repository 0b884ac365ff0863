#!/usr/bin/env bash
# Fuzzes the hub's input parsers with cargo-fuzz (libFuzzer; stable Rust,
# so without sanitizers: --sanitizer none). Targets (fuzz/fuzz_targets/):
#   agent_message   any bytes as a protobuf AgentMessage: decode, validate,
#                   summary, alert rules, storage row, browser JSON
#   rule_json       any bytes as a POST /api/rules body: the rule validator
#   history_query   any bytes as a history query string: the planner and its SQL
#   chunk_body      any bytes as a sealed chunk (body, and payload inside one):
#                   decoding never panics; what decodes re-encodes to itself
#   recent_body     any bytes as a recent row's body (the hub's format, and
#                   protobuf): never panics; what decodes writes back stably
# Each runs for --seconds, starting from fuzz/seeds/<target> and replaying
# every input kept in fuzz/regressions/<target> (inputs that once crashed);
# what it learns goes to fuzz/corpus/<target> (not committed). A crash
# stops the script with the input's path under fuzz/artifacts/<target>/:
# fix the bug, then keep the input in fuzz/regressions/<target>/.
#
# Usage: scripts/fuzz.sh [--seconds 60] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(agent_message rule_json history_query chunk_body recent_body)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd fuzz
echo "==> building the fuzz targets (release, coverage-instrumented)"
cargo fuzz build --sanitizer none
for target in "${targets[@]}"; do
  rm -rf "artifacts/$target"
  mkdir -p "corpus/$target" "seeds/$target" "regressions/$target"
  echo "==> fuzzing $target for ${seconds}s"
  cargo fuzz run --sanitizer none "$target" "corpus/$target" "seeds/$target" "regressions/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 2>&1 |
    grep -E '^(#[0-9]+ +DONE|Done|stat::number_of_executed_units|INFO: seed corpus|==[0-9]+== ERROR|SUMMARY|Test unit written|thread .* panicked|panicked at)' || true
  if compgen -G "artifacts/$target/crash-*" >/dev/null || compgen -G "artifacts/$target/timeout-*" >/dev/null; then
    echo "FUZZ FAILURE in $target: inputs in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "==> fuzzing done: no crash in ${targets[*]}"
