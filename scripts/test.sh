#!/usr/bin/env bash
# Runs every sysmonstm test on a fresh machine, installing what it needs:
#   - Debian's chromium (browser test), Node.js, PostgreSQL and Redis (the
#     store and multi-hub tests start throwaway servers on loopback) and
#     systemd (its systemd-analyze checks the install script's unit) when
#     missing;
#   - cargo-nextest, cargo-fuzz and cargo-deb when missing;
#   - promtool, out of Debian's prometheus package (into target/promtool);
#   - the browser test's npm packages (package-lock.json).
# Builds the workspace once (debug), runs the Rust suites with nextest, the
# fuzz targets for a short time each (SYSMONSTM_FUZZ_SECONDS, default 15;
# their own instrumented release build), builds and checks the Debian
# packages (an unoptimised profile of their own), then the dashboard test in
# headless Chromium against the debug binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

# One build, run once: incremental caches would only take disk (1.6 GB).
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# mkfs.ext4: the filesystem image the disk rule tests fill (loop-mounted).
command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
# aiosmtpd: the real SMTP server the email channel tests deliver to.
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
# systemd-analyze checks the unit the agent install script writes.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# promtool (Prometheus' checker, for the /metrics test): taken out of
# Debian's prometheus package, not installed (that would start a server).
export PROMTOOL="${PROMTOOL:-$(command -v promtool || echo "$PWD/target/promtool/usr/bin/promtool")}"
if [ ! -x "$PROMTOOL" ]; then
  step "fetching promtool from Debian's prometheus package"
  rm -rf target/promtool && mkdir -p target/promtool
  (cd target/promtool && { apt-get download prometheus >/dev/null 2>&1 || { as_root apt-get update -qq && apt-get download prometheus >/dev/null; }; } \
    && dpkg-deb -x prometheus_*.deb . && rm -f prometheus_*.deb)
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  step "installing cargo-nextest"
  cargo install cargo-nextest --locked
fi

step "building the workspace (once, reused by every suite)"
cargo build --workspace --all-targets --locked

step "Rust tests (unit and integration, real hub and agents on loopback)"
cargo nextest run --workspace --no-fail-fast

step "fuzzing: each target briefly, replaying every kept regression input (scripts/fuzz.sh)"
scripts/fuzz.sh --seconds "${SYSMONSTM_FUZZ_SECONDS:-15}"

step "Debian packages: built (scripts/package.sh, unoptimised profile) and checked"
scripts/package.sh package-check
scripts/check_packages.sh

step "dashboard in headless Chromium"
cd tests/browser
npm ci --no-audit --no-fund --loglevel=error
SYSMONSTM_BIN_DIR="$(cd ../.. && pwd)/target/debug" node --test --test-concurrency=1 --test-reporter=spec
