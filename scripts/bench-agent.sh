#!/usr/bin/env bash
# Agent overhead, side by side with Prometheus node_exporter (Debian's
# prometheus-node-exporter, installed if missing) in the same run: the agent
# samples every second and streams to a hub; node_exporter is scraped once a
# second. Both processes' CPU time and RSS are read from /proc over the
# same window. The hub and the scraper are not counted.
#
# Usage: scripts/bench-agent.sh [--duration SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."

duration=60
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    *) echo "unknown option: $1 (usage: scripts/bench-agent.sh [--duration SECONDS])" >&2; exit 2 ;;
  esac
done
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v prometheus-node-exporter >/dev/null; then
  echo "==> installing prometheus-node-exporter"
  as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq prometheus-node-exporter >/dev/null
fi
cargo build --release -q -p sysmonstm-hub -p sysmonstm-agent

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
work=$(mktemp -d /tmp/sysmonstm-agent-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

ne_port=$(free_port); http=$(free_port); grpc=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" 2>"$work/ne.log" & ne=$!; pids+=("$ne")
target/release/sysmonstm-hub --no-local-agent --data-dir "$work/hub" --http-addr "127.0.0.1:$http" \
  --grpc-addr "127.0.0.1:$grpc" 2>"$work/hub.log" & hub=$!; pids+=("$hub")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null && curl -sf "http://127.0.0.1:$ne_port/metrics" >/dev/null && break; sleep 0.1; done
target/release/sysmonstm-agent --hub "http://127.0.0.1:$grpc" --machine-id bench-agent --interval 1s 2>"$work/agent.log" & agent=$!; pids+=("$agent")
( while true; do curl -s -o /dev/null "http://127.0.0.1:$ne_port/metrics"; sleep 1; done ) & pids+=("$!")
sleep 5 # both warm: the agent connected, node_exporter scraped a few times

echo "machine: $(nproc) cores, $(uname -r); $(prometheus-node-exporter --version 2>&1 | head -1)"
echo "measuring ${duration}s ..."
a0=$(cpu_ticks "$agent"); n0=$(cpu_ticks "$ne"); a_rss=0; n_rss=0
for _ in $(seq "$duration"); do
  sleep 1
  a=$(rss_kib "$agent"); n=$(rss_kib "$ne")
  [ "$a" -gt "$a_rss" ] && a_rss=$a; [ "$n" -gt "$n_rss" ] && n_rss=$n
done
a1=$(cpu_ticks "$agent"); n1=$(cpu_ticks "$ne")
python3 - "$a0" "$a1" "$n0" "$n1" "$ticks" "$duration" "$a_rss" "$n_rss" <<'PY'
import json, sys
a0, a1, n0, n1, ticks, secs, a_rss, n_rss = map(float, sys.argv[1:])
agent = (a1 - a0) / ticks / secs * 100
ne = (n1 - n0) / ticks / secs * 100
print(f"{'':28}{'CPU (% of a core)':>20}{'RSS (max)':>12}")
print(f"{'sysmonstm-agent, 1 s':28}{agent:>19.2f}%{a_rss/1024:>9.1f} MB")
print(f"{'node_exporter, scraped 1/s':28}{ne:>19.2f}%{n_rss/1024:>9.1f} MB")
ratio = agent / ne if ne > 0 else float('inf')
print(f"agent / node_exporter CPU: {ratio:.2f}")
print(json.dumps({"seconds": secs, "agent_cpu_percent": round(agent, 3), "agent_rss_mb": round(a_rss/1024, 1),
                  "node_exporter_cpu_percent": round(ne, 3), "node_exporter_rss_mb": round(n_rss/1024, 1),
                  "cpu_ratio": round(ratio, 3)}))
PY
