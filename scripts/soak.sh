#!/usr/bin/env bash
# Soak test: a release hub (embedded SQLite, fresh data directory, free
# loopback ports) under simulated agents for a long time. Every minute: the
# hub's RSS, open file descriptors, and the last minute's ack and
# sample-to-browser p99. At the end it checks that they levelled off: the
# last third of the run may not exceed the middle third by more than 10 %
# in RSS, 2 % (+ 16) in descriptors, or 2x in p99; no errors, every sample acked.
#
# Usage: scripts/soak.sh [--agents 1000] [--duration 30m] [--every 60s] [--database-url URL]
set -euo pipefail
cd "$(dirname "$0")/.."

agents=1000
duration=30m
every=60s
database=""
while [ $# -gt 0 ]; do
  case "$1" in
    --agents) agents="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --every) every="$2"; shift 2 ;;
    --database-url) database="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p sysmonstm-hub -p sysmonstm-bench
data=$(mktemp -d /tmp/sysmonstm-soak.XXXXXX)
http=$(free_port); grpc=$(free_port)
target/release/sysmonstm-hub --no-local-agent --data-dir "$data" --http-addr "127.0.0.1:$http" \
  --grpc-addr "127.0.0.1:$grpc" ${database:+--database-url "$database"} --log-format json 2>"$data/hub.log" &
hub=$!
cleanup() { kill -TERM "$hub" 2>/dev/null || true; wait "$hub" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null 2>&1 && break; sleep 0.1; done

echo "soak: $agents agents at 1 Hz for $duration, a line every $every (hub pid $hub, data in $data)"
progress="$data/progress.jsonl"
cat > "$data/format.py" <<'PY'
import json, sys
print(f"{'minute':>6} {'acked':>9} {'ack p99':>10} {'browser p99':>12} {'hub RSS':>9} {'fds':>6} {'errors':>6}")
for line in sys.stdin:
    try:
        p = json.loads(line)
    except ValueError:
        print(line, end="")
        continue
    fmt = lambda v, unit: "-" if v is None else f"{v:.0f} {unit}"
    print(f"{p['t_s'] / 60:>6.1f} {p['acked']:>9} {fmt(p['ack_p99_ms'], 'ms'):>10} {fmt(p['e2e_p99_ms'], 'ms'):>12} "
          f"{fmt(p['hub_rss_mb'], 'MB'):>9} {p['hub_fds'] or 0:>6} {p['errors']:>6}")
PY
set +e
target/release/sysmonstm-loadgen --hub "http://127.0.0.1:$grpc" --ws-url "ws://127.0.0.1:$http/ws" \
  --agents "$agents" --duration "$duration" --ramp 10s --hub-pid "$hub" --report-every "$every" --json \
  2> >(tee -a "$progress" | python3 -u "$data/format.py" >&2) | tail -n 1 > "$data/final.json"
status=$?
set -e
sleep 1
python3 - "$progress" "$data/final.json" "$status" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
final = json.load(open(sys.argv[2])) if open(sys.argv[2]).read().strip() else {}
failures = []
if int(sys.argv[3]) != 0 or final.get("errors", 1) or final.get("samples_acked") != final.get("samples_sent"):
    failures.append(f"load run: errors {final.get('errors')}, sent {final.get('samples_sent')}, acked {final.get('samples_acked')}")
if len(rows) >= 6:
    third = len(rows) // 3
    middle, last = rows[third:2 * third], rows[-third:]
    mean = lambda rs, k: statistics.mean(r[k] for r in rs if r[k] is not None)
    rss_m, rss_l = mean(middle, "hub_rss_mb"), mean(last, "hub_rss_mb")
    fds_m, fds_l = mean(middle, "hub_fds"), mean(last, "hub_fds")
    p99_m, p99_l = mean(middle, "ack_p99_ms"), mean(last, "ack_p99_ms")
    print(f"middle third vs last third: RSS {rss_m:.0f} -> {rss_l:.0f} MB, fds {fds_m:.0f} -> {fds_l:.0f}, ack p99 {p99_m:.0f} -> {p99_l:.0f} ms")
    if rss_l > rss_m * 1.10: failures.append("RSS still growing")
    if fds_l > fds_m * 1.02 + 16: failures.append("file descriptors still growing")
    if p99_l > p99_m * 2: failures.append("ack p99 still growing")
else:
    failures.append(f"only {len(rows)} progress lines: run longer than 6 intervals")
for f in failures: print("SOAK FAILURE:", f)
sys.exit(1 if failures else 0)
PY
